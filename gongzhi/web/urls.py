from django.urls import path

from gongzhi.web import audit_views, field_views, views

urlpatterns = [
    *audit_views.urlpatterns,
    path("", views.home, name="home"),
    path("field/", field_views.field, name="field"),
    path("sw.js", field_views.service_worker, name="field_service_worker"),
    path("field/manifest.webmanifest", field_views.manifest, name="field_manifest"),
    path("favicon.ico", views.favicon),
]
