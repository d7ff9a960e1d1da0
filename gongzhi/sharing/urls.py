from django.urls import path

from gongzhi.sharing import manage_views, views

urlpatterns = [
    path("sharing/", views.overview, name="sharing"),
    path("sharing/rooms/new/", manage_views.room_new, name="sharing_room_new"),
    path("sharing/rooms/<id:room_id>/", views.room_page, name="sharing_room"),
    path("sharing/rooms/<id:room_id>/edit/", manage_views.room_edit, name="sharing_room_edit"),
    path("sharing/rooms/<id:room_id>/ical/", views.room_ical, name="sharing_room_ical"),
    path("sharing/board/<id:unit_id>/", views.board, name="sharing_board"),
    path("sharing/huts/new/", manage_views.hut_new, name="sharing_hut_new"),
    path("sharing/huts/<id:hut_id>/", views.hut_page, name="sharing_hut"),
    path("sharing/huts/<id:hut_id>/edit/", manage_views.hut_edit, name="sharing_hut_edit"),
    path("sharing/huts/<id:hut_id>/items/new/", manage_views.item_new, name="sharing_item_new"),
    path("sharing/items/<id:item_id>/edit/", manage_views.item_edit, name="sharing_item_edit"),
    path("sharing/items/<id:item_id>/photo/", manage_views.item_photo, name="sharing_item_photo"),
    path("sharing/huts/<id:hut_id>/stats/", views.hut_stats, name="sharing_hut_stats"),
    path("sharing/bookings.xlsx", views.export_bookings, name="sharing_bookings_xlsx"),
    path("sharing/loans.xlsx", views.export_loans, name="sharing_loans_xlsx"),
    path("my/sharing/", views.my_sharing, name="my_sharing"),
    path("my/sharing/rooms/<id:room_id>/", views.my_room, name="my_sharing_room"),
    path("my/sharing/huts/<id:hut_id>/", views.my_hut, name="my_sharing_hut"),
]
