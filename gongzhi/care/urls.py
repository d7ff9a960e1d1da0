from django.urls import path

from gongzhi.care import views

urlpatterns = [
    path("care/", views.due, name="care_due"),
    path("care/residents/", views.residents, name="care_residents"),
    path("care/residents/<id:resident_id>/", views.resident_page, name="care_resident"),
    path("care/residents/<id:resident_id>/visit/", views.visit_new, name="care_visit_new"),
    path("care/residents/<id:resident_id>/wish/", views.wish_new, name="care_wish_new"),
    path("care/plans/", views.plans, name="care_plans"),
    path("care/wishes/", views.wishes, name="care_wishes"),
    path("care/wishes/<id:wish_id>/", views.wish_page, name="care_wish"),
    path("care/figures/", views.figures, name="care_figures"),
    path("care/photos/<id:photo_id>", views.photo, name="care_photo"),
    path("wishes/", views.board, name="wish_board"),
    path("wishes/<id:wish_id>/", views.board_wish, name="wish_board_wish"),
    path("my/wishes/", views.my_wishes, name="my_wishes"),
]
