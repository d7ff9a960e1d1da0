from django.urls import path

from gongzhi.imports import views

urlpatterns = [
    path("registry/import/", views.import_home, name="import_home"),
    path("registry/import/template/<str:kind>.xlsx", views.import_template, name="import_template"),
    path("registry/import/<id:job_id>/", views.import_detail, name="import_detail"),
    path("registry/import/<id:job_id>/progress/", views.import_progress, name="import_progress"),
    path("registry/import/<id:job_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("registry/export/residents.xlsx", views.export_residents, name="export_residents"),
    path("registry/export/buildings.xlsx", views.export_buildings, name="export_buildings"),
    path("registry/export/premises.xlsx", views.export_premises, name="export_premises"),
]
