from django.urls import path

from gongzhi.orgs import views

urlpatterns = [
    path("area/", views.area, name="area"),
    path("area/map/", views.area_map, name="area_map"),
    path("area/boundaries/import/", views.boundaries_import, name="boundaries_import"),
    path("area/units/<id:unit_id>/", views.unit_detail, name="unit_detail"),
    path("area/units/<id:unit_id>/children/", views.unit_children, name="unit_children"),
    path(
        "area/units/<id:unit_id>/service-card/", views.unit_profile_edit, name="unit_profile_edit"
    ),
    path("departments/", views.departments, name="departments"),
]
