from django.urls import path

from gongzhi.decide import create_views, views

urlpatterns = [
    path("decide/", views.board, name="decide_board"),
    path("decide/polls/", views.polls, name="decide_polls"),
    path("decide/polls/new/", create_views.poll_new, name="decide_poll_new"),
    path("decide/topics/new/", create_views.topic_new, name="decide_topic_new"),
    path("decide/meetings/new/", create_views.meeting_new, name="decide_meeting_new"),
    path("decide/notices/new/", create_views.notice_new, name="decide_notice_new"),
    path("decide/surveys/new/", create_views.survey_new, name="decide_survey_new"),
    path("decide/calls/new/", create_views.call_new, name="decide_call_new"),
    path("decide/outreach/new/", create_views.outreach_new, name="decide_outreach_new"),
    path("decide/polls/<id:poll_id>/", views.poll_page, name="decide_poll"),
    path("decide/surveys/", views.surveys, name="decide_surveys"),
    path("decide/surveys/<id:survey_id>/", views.survey_page, name="decide_survey"),
    path(
        "decide/surveys/<id:survey_id>/results.xlsx", views.survey_xlsx, name="decide_survey_xlsx"
    ),
    path("decide/calls/<id:call_id>/", views.call_page, name="decide_call"),
    path("decide/entries/", views.entries, name="decide_entries"),
    path("board/<str:code>/", views.public_board, name="decide_public_board"),
    path("surveys/<id:survey_id>/", views.survey_answer, name="decide_survey_answer"),
    path("surveys/<id:survey_id>/results/", views.public_results, name="decide_public_results"),
    path("my/decide/", views.my_decide, name="my_decide"),
    path("my/decide/polls/<id:poll_id>/", views.my_poll, name="my_decide_poll"),
    path("my/decide/surveys/<id:survey_id>/", views.my_survey, name="my_decide_survey"),
    path("my/decide/calls/<id:call_id>/", views.my_call, name="my_decide_call"),
    path("my/decide/notices/<id:notice_id>/", views.my_notice, name="my_decide_notice"),
]
