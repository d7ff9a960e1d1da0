"""Pages (in Simplified Chinese, as served): the staff's board, polls, surveys, calls and
entries; the resident's vote in /my/; the public board and an anonymous survey; results
hidden on the pages until close; refusals shown in Chinese, changing nothing."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.care.tests.test_views import verified_client
from gongzhi.decide import services
from gongzhi.decide.models import Ballot, Response
from gongzhi.decide.tests.conftest import in_a_week
from gongzhi.decide.tests.test_surveys import QUESTIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll(people, estate):
    poll = services.poll_create(
        actor=people.community_worker,
        title="加装电梯表决",
        kind="single",
        electorate="households",
        building_id=estate.building.pk,
        options=["同意加装", "不同意"],
        closes_at=in_a_week(),
    )
    return services.poll_open(actor=people.community_worker, poll_id=poll.pk)


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def test_a_resident_votes_online_and_results_stay_hidden_until_close(people, estate, poll, login):
    me = zh(verified_client("13800000001"))
    page = me.get("/my/decide/")
    assert page.status_code == 200 and "加装电梯表决" in page.content.decode()
    yes = poll.options.first()
    assert me.post(f"/my/decide/polls/{poll.pk}/", {"option": yes.pk}).status_code == 302
    again = me.post(f"/my/decide/polls/{poll.pk}/", {"option": yes.pk})
    assert again.status_code == 409 and "已经投过票" in again.content.decode()
    staff = zh(login(people.community_worker))
    body = staff.get(f"/decide/polls/{poll.pk}/").content.decode()
    assert "投票结束后公布结果" in body and "得票" not in body
    api = staff.get(f"/api/v1/decide/polls/{poll.pk}/result")
    assert api.status_code == 409 and api.json()["code"] == "results_hidden"
    assert staff.post(f"/decide/polls/{poll.pk}/", {"action": "close"}).status_code == 302
    body = staff.get(f"/decide/polls/{poll.pk}/").content.decode()
    assert "参与率" in body and "50.0%" in body and "1 / 2" in body
    assert staff.get(f"/api/v1/decide/polls/{poll.pk}/result").json()["turnout_rate"]["whole"] == 2


def test_a_paper_ballot_for_a_voter_who_voted_online_is_refused_on_page_and_api(
    people, poll, login
):
    me = verified_client("13800000002")
    me.post(f"/my/decide/polls/{poll.pk}/", {"option": poll.options.first().pk})
    voter = Ballot.objects.get().voter
    staff = zh(login(people.gw_a))
    page = staff.post(
        f"/decide/polls/{poll.pk}/",
        {"action": "ballot", "voter_id": voter.pk, "option": poll.options.last().pk},
    )
    assert page.status_code == 409 and "已经投过票" in page.content.decode()
    api = staff.post(
        f"/api/v1/decide/polls/{poll.pk}/ballots",
        {"voter_id": voter.pk, "option_ids": [poll.options.last().pk]},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["code"] == "already_voted"
    assert Ballot.objects.count() == 1
    assert zh(login(people.gw_b)).get(f"/decide/polls/{poll.pk}/").status_code == 404


def test_staff_pages_and_the_survey_export(people, tree, login):
    survey = services.survey_create(
        actor=people.community_worker,
        unit_id=tree.community.pk,
        title="满意度调查",
        mode="anonymous",
        questions=QUESTIONS,
        public_results=True,
    )
    staff = zh(login(people.community_worker))
    for url in (
        "/decide/",
        "/decide/polls/",
        "/decide/surveys/",
        "/decide/entries/",
        f"/decide/surveys/{survey.pk}/",
        f"/surveys/{survey.pk}/results/",
    ):
        assert staff.get(url).status_code == 200, url
    export = staff.get(f"/decide/surveys/{survey.pk}/results.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert zh(login(people.leader)).get(f"/decide/surveys/{survey.pk}/").status_code == 200
    assert Client().get("/decide/").status_code == 302


def test_an_anonymous_survey_by_token_once_and_retried(people, tree):
    survey = services.survey_create(
        actor=people.community_worker,
        unit_id=tree.community.pk,
        title="满意度调查",
        mode="anonymous",
        questions=QUESTIONS,
    )
    token = services.survey_tokens(actor=people.community_worker, survey_id=survey.pk, n=1)[0]
    q = list(survey.questions.all())
    form = {
        "t": token,
        "submission_id": "abc",
        f"q{q[0].pk}": q[0].options.first().pk,
        f"q{q[2].pk}": "4",
    }
    client = zh(Client())
    assert client.get(f"/surveys/{survey.pk}/?t={token}").status_code == 200
    assert "感谢" in client.post(f"/surveys/{survey.pk}/", form).content.decode()
    assert client.post(f"/surveys/{survey.pk}/", form).status_code == 200  # the retry
    second = client.post(f"/surveys/{survey.pk}/", {**form, "submission_id": "other"})
    assert second.status_code == 409
    assert Response.objects.count() == 1
    bad = client.post(
        f"/surveys/{survey.pk}/", {"t": token, "submission_id": "x3", f"q{q[2].pk}": "9"}
    )
    assert bad.status_code in (400, 409)


def test_the_public_board_and_an_appeal(people, tree):
    entry = services.board_propose(
        actor=people.gw_a,
        unit_id=tree.grid_a.pk,
        color="black",
        title="乱扔垃圾",
        text="2号楼门口乱扔垃圾",
        basis="照片",
        place="2号楼门口",
    )
    today = timezone.localdate()
    services.board_approve(
        actor=people.community_worker,
        entry_id=entry.pk,
        publish_from=today,
        publish_until=today + dt.timedelta(days=7),
    )
    client = zh(Client())
    page = client.get(f"/board/{tree.community.code}/")
    assert page.status_code == 200 and "乱扔垃圾" in page.content.decode()
    assert (
        client.post(
            f"/board/{tree.community.code}/", {"entry_id": entry.pk, "appeal": ""}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/board/{tree.community.code}/", {"entry_id": entry.pk, "appeal": "不是我们楼"}
        ).status_code
        == 302
    )
    assert client.get("/board/abc/").status_code == 404
