from django.urls import path

from gongzhi.registry import views

urlpatterns = [
    path("registry/", views.overview, name="registry"),
    path("registry/residents/", views.residents, name="residents"),
    path("registry/residents/new/", views.resident_edit, name="resident_new"),
    path("registry/residents/<id:resident_id>/", views.resident_detail, name="resident_detail"),
    path("registry/residents/<id:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path(
        "registry/residents/<id:resident_id>/reveal/<str:field>/",
        views.resident_reveal,
        name="resident_reveal",
    ),
    path("registry/buildings/", views.buildings, name="buildings"),
    path("registry/buildings/new/", views.building_edit, name="building_new"),
    path("registry/buildings/<id:building_id>/", views.building_detail, name="building_detail"),
    path("registry/buildings/<id:building_id>/edit/", views.building_edit, name="building_edit"),
    path(
        "registry/buildings/<id:building_id>/roles/",
        views.building_role_set,
        name="building_role_set",
    ),
    path("registry/premises/", views.premises_list, name="premises"),
    path("registry/premises/new/", views.premises_edit, name="premises_new"),
    path("registry/premises/<id:premises_id>/", views.premises_detail, name="premises_detail"),
    path("registry/premises/<id:premises_id>/edit/", views.premises_edit, name="premises_edit"),
    path(
        "registry/premises/<id:premises_id>/reveal/", views.premises_reveal, name="premises_reveal"
    ),
]
