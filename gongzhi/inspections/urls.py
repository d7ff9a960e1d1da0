from django.urls import path

from gongzhi.inspections import views

urlpatterns = [
    path("inspections/", views.todo, name="inspection_todo"),
    path("inspections/tasks/<id:task_id>/", views.task_page, name="inspection_task"),
    path("inspections/campaigns/", views.campaign_list, name="inspection_campaigns"),
    path("inspections/campaigns/new/", views.campaign_new, name="inspection_campaign_new"),
    path(
        "inspections/campaigns/<id:campaign_id>/",
        views.campaign_page,
        name="inspection_campaign",
    ),
    path("inspections/checklists/", views.checklists, name="inspection_checklists"),
    path("inspections/checklists/new/", views.checklist_edit, name="inspection_checklist_new"),
    path(
        "inspections/checklists/<id:template_id>/edit/",
        views.checklist_edit,
        name="inspection_checklist_edit",
    ),
    path("inspections/notices/", views.notice_list, name="inspection_notices"),
    path("inspections/notices/xlsx/", views.notices_xlsx, name="inspection_notices_xlsx"),
    path(
        "inspections/campaigns/<id:campaign_id>/xlsx/",
        views.campaign_xlsx,
        name="inspection_campaign_xlsx",
    ),
    path("inspections/risk/", views.risk_page, name="inspection_risk"),
    path("inspections/alerts/<id:alert_id>/", views.alert_page, name="inspection_alert"),
    path("inspections/notices/<id:notice_id>/", views.notice_page, name="inspection_notice"),
    path("inspections/notices/<id:notice_id>/pdf/", views.notice_pdf, name="inspection_notice_pdf"),
    path("inspections/notices/<id:notice_id>/qr.svg", views.notice_qr, name="inspection_notice_qr"),
]
