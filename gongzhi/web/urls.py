from django.urls import path

from gongzhi.web import audit_views, views

urlpatterns = [
    *audit_views.urlpatterns,
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
]
