from django.urls import path

from gongzhi.campaigns import views

urlpatterns = [
    path("command/hotspots/", views.hotspot_page, name="command_hotspots"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<id:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<id:campaign_id>/cases/", views.campaign_add, name="campaign_add"),
    path(
        "campaigns/<id:campaign_id>/cases/<id:case_id>/remove/",
        views.campaign_remove,
        name="campaign_remove",
    ),
    path("campaigns/<id:campaign_id>/close/", views.campaign_close, name="campaign_close"),
]
