from django.urls import path

from gongzhi.volunteers import views

urlpatterns = [
    path("volunteers/", views.volunteer_list, name="volunteers_list"),
    path("volunteers/<id:volunteer_id>/", views.volunteer_page, name="volunteers_volunteer"),
    path(
        "volunteers/<id:volunteer_id>/certificate/<int:year>/",
        views.certificate,
        name="volunteers_certificate",
    ),
    path("volunteers/activities/", views.activity_list, name="volunteers_activities"),
    path(
        "volunteers/activities/<id:activity_id>/", views.activity_page, name="volunteers_activity"
    ),
    path("volunteers/hours/", views.hours_pending, name="volunteers_hours"),
    path("volunteers/partners/", views.partner_list, name="volunteers_partners"),
    path("volunteers/partners/<id:partner_id>/", views.partner_page, name="volunteers_partner"),
    path("volunteers/figures/", views.figures, name="volunteers_figures"),
    path("volunteers/export/<slug:what>.xlsx", views.export, name="volunteers_export"),
    path("volunteers/card/<slug:token>/", views.card_scanned, name="volunteers_card"),
    path("activities/", views.board, name="volunteers_board"),
    path("activities/<id:activity_id>/", views.board_activity, name="volunteers_board_activity"),
    path("my/volunteer/", views.my_volunteer, name="my_volunteer"),
    path("my/volunteer/check/<slug:code>/", views.my_check, name="my_volunteer_check"),
]
