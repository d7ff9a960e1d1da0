from django.urls import path

from gongzhi.campaigns import views

urlpatterns = [
    path("command/hotspots/", views.hotspot_page, name="command_hotspots"),
    path("command/hotspots.xlsx", views.hotspot_xlsx, name="command_hotspots_xlsx"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/xlsx/", views.campaign_list_xlsx, name="campaigns_xlsx"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<id:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<id:campaign_id>/cases/", views.campaign_add, name="campaign_add"),
    path(
        "campaigns/<id:campaign_id>/cases.xlsx",
        views.campaign_cases_xlsx,
        name="campaign_cases_xlsx",
    ),
    path(
        "campaigns/<id:campaign_id>/cases/<id:case_id>/remove/",
        views.campaign_remove,
        name="campaign_remove",
    ),
    path("campaigns/<id:campaign_id>/close/", views.campaign_close, name="campaign_close"),
]
