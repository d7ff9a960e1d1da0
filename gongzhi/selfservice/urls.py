from django.urls import path

from gongzhi.selfservice import points, views

urlpatterns = [
    path("my/", views.home, name="my_home"),
    path("my/phone/", views.phone, name="my_phone"),
    path("my/phone/code/", views.code, name="my_code"),
    path("my/signout/", views.signout, name="my_signout"),
    path("my/report/", views.report, name="my_report"),
    path("my/buildings/", views.buildings, name="my_buildings"),
    path("my/grid/", views.my_grid, name="my_grid"),
    path("my/reports/", views.reports, name="my_reports"),
    path("my/points/", points.passbook, name="my_points"),
    path("my/points/print/", points.passbook_print, name="my_points_print"),
    path("my/points/rewards/", points.rewards, name="my_rewards"),
    path("my/reports/<id:case_id>/", views.report_detail, name="my_report_detail"),
    path("my/reports/<id:case_id>/rate/", views.rate, name="my_rate"),
    path("my/reports/<id:case_id>/info/", views.add_info, name="my_add_info"),
    path(
        "my/reports/<id:case_id>/photos/<id:attachment_id>/",
        views.photo,
        {"thumb": False},
        name="my_photo",
    ),
    path(
        "my/reports/<id:case_id>/photos/<id:attachment_id>/thumb/",
        views.photo,
        {"thumb": True},
        name="my_photo_thumb",
    ),
]
