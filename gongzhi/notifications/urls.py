from django.urls import path

from gongzhi.notifications import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("inbox/<id:notification_id>/", views.inbox_open, name="inbox_open"),
]
