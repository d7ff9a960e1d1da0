from django.urls import path

from gongzhi.cases import kpi_views, views

urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/xlsx/", views.case_list_xlsx, name="cases_xlsx"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/new/buildings/", views.case_new_buildings, name="case_new_buildings"),
    path("cases/extensions/", views.extensions, name="case_extensions"),
    path("cases/kpis/", kpi_views.kpi_page, name="case_kpis"),
    path(
        "cases/extensions/<id:request_id>/decide/",
        views.extension_decide,
        name="case_extension_decide",
    ),
    path("cases/<id:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<id:case_id>/act/<str:action>/", views.case_act, name="case_act"),
    path("cases/<id:case_id>/reveal/", views.case_reveal, name="case_reveal"),
    path("cases/<id:case_id>/reveal-text/", views.case_reveal_text, name="case_reveal_text"),
]
