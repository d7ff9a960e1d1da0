"""Surveys: one response per token or phone, the same submission retried stored once,
display conditions, 满意率 with its denominator."""

import pytest

from gongzhi.core.errors import Conflict, Invalid, PermissionDenied
from gongzhi.decide import selectors, services
from gongzhi.decide.models import Answer, Response
from gongzhi.decide.tests.conftest import held

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {
        "kind": "single",
        "text": "您对社区工作是否满意",
        "options": ["满意", "基本满意", "不满意"],
        "satisfied": [0, 1],
        "satisfaction": True,
    },
    {"kind": "text", "text": "哪里不满意", "required": True, "show_if": [0, 2]},
    {"kind": "rating", "text": "环境卫生打分"},
    {
        "kind": "multiple",
        "text": "希望开展的活动",
        "options": ["义诊", "理发", "法律咨询"],
        "required": False,
    },
    {
        "kind": "matrix",
        "text": "各项服务",
        "options": ["好", "一般", "差"],
        "rows": ["物业", "安保"],
        "required": False,
    },
]


def make(people, tree, mode="anonymous"):
    return services.survey_create(
        actor=people.community_worker,
        unit_id=tree.community.pk,
        title="2026年度满意度调查",
        mode=mode,
        questions=QUESTIONS,
    )


def answers(survey, choice=0, more=None):
    q = list(survey.questions.all())
    opts = list(q[0].options.all())
    out = {q[0].pk: opts[choice].pk, q[2].pk: 5}
    out.update({q[i].pk: v for i, v in (more or {}).items()})
    return out


def test_a_token_answers_once_also_when_the_same_submission_is_retried(people, tree):
    survey = make(people, tree)
    token, other = services.survey_tokens(actor=people.community_worker, survey_id=survey.pk, n=2)
    first, created = services.survey_submit(
        survey_id=survey.pk, answers=answers(survey), submission_id="sub-1", token=token
    )
    again, created_again = services.survey_submit(
        survey_id=survey.pk, answers=answers(survey), submission_id="sub-1", token=token
    )
    assert created and not created_again and first.pk == again.pk
    with pytest.raises(Conflict) as twice:
        services.survey_submit(
            survey_id=survey.pk,
            answers=answers(survey, 2, {1: "太吵"}),
            submission_id="sub-2",
            token=token,
        )
    assert twice.value.code == "already_answered"
    with pytest.raises(PermissionDenied):
        services.survey_submit(
            survey_id=survey.pk, answers=answers(survey), submission_id="sub-3", token="made-up"
        )
    assert Response.objects.count() == 1 and Answer.objects.count() == 2
    services.survey_submit(
        survey_id=survey.pk,
        answers=answers(survey, 2, {1: "太吵"}),
        submission_id="sub-4",
        token=other,
    )
    assert selectors.satisfaction(survey) == {"part": 1, "whole": 2, "percent": 50.0}


def test_display_conditions_and_bad_answers(people, tree):
    survey = make(people, tree)
    tokens = services.survey_tokens(actor=people.community_worker, survey_id=survey.pk, n=3)
    q = list(survey.questions.all())
    # 不满意 shows the follow-up question, which is then required.
    with pytest.raises(Invalid) as missing:
        services.survey_submit(
            survey_id=survey.pk, answers=answers(survey, 2), submission_id="a", token=tokens[0]
        )
    assert f"q{q[1].pk}" in missing.value.details
    # 满意 hides it: an answer to it is ignored.
    services.survey_submit(
        survey_id=survey.pk,
        answers=answers(survey, 0, {1: "ignored"}),
        submission_id="b",
        token=tokens[0],
    )
    assert not Answer.objects.filter(question=q[1]).exists()
    for bad in ({q[2].pk: 9}, {q[0].pk: 999999}, {q[4].pk: {"5": 1}}):
        with pytest.raises(Invalid):
            services.survey_submit(
                survey_id=survey.pk,
                answers={**answers(survey), **bad},
                submission_id="c",
                token=tokens[1],
            )
    assert Response.objects.count() == 1
    row = q[4].options.first().pk
    services.survey_submit(
        survey_id=survey.pk,
        answers={
            **answers(survey),
            q[4].pk: {"0": row, "1": row},
            q[3].pk: [o.pk for o in q[3].options.all()[:2]],
        },
        submission_id="d",
        token=tokens[1],
    )
    results = selectors.survey_results(survey)
    assert results["responses"] == 2
    matrix = results["questions"][4]["rows"]
    assert matrix[0]["options"][0]["n"] == 1 and matrix[1]["options"][0]["n"] == 1
    assert results["questions"][2]["mean"] == 5.0


def test_a_verified_survey_takes_one_response_per_phone(people, tree, estate):
    survey = make(people, tree, mode="verified")
    services.survey_submit(
        survey_id=survey.pk, answers=answers(survey), submission_id="x1", held=held("13800000001")
    )
    with pytest.raises(Conflict):
        services.survey_submit(
            survey_id=survey.pk,
            answers=answers(survey),
            submission_id="x2",
            held=held("13800000001"),
        )
    with pytest.raises(PermissionDenied):
        services.survey_submit(survey_id=survey.pk, answers=answers(survey), submission_id="x3")
    assert Response.objects.count() == 1
