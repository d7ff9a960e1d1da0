from django.urls import path

from gongzhi.patrols import views

urlpatterns = [
    path("patrols/", views.patrol_list, name="patrols_list"),
    path("patrols/<id:patrol_id>/", views.patrol_page, name="patrols_patrol"),
]
