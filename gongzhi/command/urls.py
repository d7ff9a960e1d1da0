from gongzhi.command import dashboard_views, map_views, monthly_views, wall_views

urlpatterns = [
    *dashboard_views.urlpatterns,
    *wall_views.urlpatterns,
    *map_views.urlpatterns,
    *monthly_views.urlpatterns,
]
