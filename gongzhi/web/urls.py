from django.urls import path

from gongzhi.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
]
