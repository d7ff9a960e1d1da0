"""The command center's section: figures from records, every rate with its denominator."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.decide import sections, services
from gongzhi.decide.tests.test_surveys import QUESTIONS, answers

pytestmark = pytest.mark.django_db


def test_the_section_counts_from_records_with_denominators(people, tree, estate):
    topic = services.topic_raise(actor=people.gw_a, unit_id=tree.grid_a.pk, title="路灯")
    for i in range(2):
        res = services.resolution_add(
            actor=people.gw_a,
            topic_id=topic.pk,
            text=f"决议{i}",
            owner="物业",
            deadline="2030-01-01",
        )
    services.resolution_progress(
        actor=people.gw_a, resolution_id=res.pk, percent=100, note="修好了", done=True
    )
    survey = services.survey_create(
        actor=people.community_worker,
        unit_id=tree.community.pk,
        title="满意度",
        mode="anonymous",
        questions=QUESTIONS,
    )
    for i, token in enumerate(
        services.survey_tokens(actor=people.community_worker, survey_id=survey.pk, n=3)
    ):
        choice, more = (2, {1: "太吵"}) if i == 0 else (0, None)
        services.survey_submit(
            survey_id=survey.pk,
            answers=answers(survey, choice, more),
            submission_id=f"s{i}",
            token=token,
        )
    today = timezone.localdate()
    s = sections.command_section(people.op_sub, tree.community, today - dt.timedelta(days=1), today)
    assert s["resolutions_done"] == 1
    assert s["resolutions_done_rate"] == {"part": 1, "whole": 2, "percent": 50.0}
    assert s["satisfaction"] == {"part": 2, "whole": 3, "percent": 66.7}
    rows = dict((k, v) for k, _label, v in sections.section_rows(s))
    assert rows["satisfaction"] == "66.7% (2/3)" and rows["turnout"] == "—"
    assert sections.command_section(people.gw_b, tree.community, today, today) is None
