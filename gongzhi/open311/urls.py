"""Open311 GeoReport v2 under /open311/v2/: every resource by its format suffix."""

from django.urls import path, re_path

from gongzhi.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>[^/.]+)$"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/.]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[^/.]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/.]+)" + FMT, views.token_detail, name="token"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
