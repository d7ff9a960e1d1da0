from django.urls import path

from gongzhi.sharing import views

urlpatterns = [
    path("sharing/", views.overview, name="sharing"),
    path("sharing/rooms/<id:room_id>/", views.room_page, name="sharing_room"),
    path("sharing/rooms/<id:room_id>/ical/", views.room_ical, name="sharing_room_ical"),
    path("sharing/board/<id:unit_id>/", views.board, name="sharing_board"),
    path("sharing/huts/<id:hut_id>/", views.hut_page, name="sharing_hut"),
    path("sharing/huts/<id:hut_id>/stats/", views.hut_stats, name="sharing_hut_stats"),
    path("sharing/bookings.xlsx", views.export_bookings, name="sharing_bookings_xlsx"),
    path("sharing/loans.xlsx", views.export_loans, name="sharing_loans_xlsx"),
    path("my/sharing/", views.my_sharing, name="my_sharing"),
    path("my/sharing/rooms/<id:room_id>/", views.my_room, name="my_sharing_room"),
    path("my/sharing/huts/<id:hut_id>/", views.my_hut, name="my_sharing_hut"),
]
