from django.urls import path

from gongzhi.fieldwork import views

urlpatterns = [
    path("fieldwork/", views.home, name="fieldwork_home"),
    path("fieldwork/tasks/new/", views.task_new, name="fieldwork_task_new"),
    path("fieldwork/tasks/<id:task_id>/", views.task_page, name="fieldwork_task"),
    path("fieldwork/reports/<id:report_id>/photo/", views.report_photo, name="fieldwork_photo"),
    path("fieldwork/log/", views.log_page, name="fieldwork_log"),
    path("fieldwork/summary/", views.summary_page, name="fieldwork_summary"),
]
