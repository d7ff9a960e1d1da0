"""The staff's pages that create (in Simplified Chinese, as served): a poll or an election
(then opened on its page), a meeting, a topic, a notice, a survey, a call for
suggestions, an outreach record. Each renders for a community worker, creates its row
and its audit row, shows a refusal in Chinese with the input kept and nothing stored,
and is 403 without the permission and 404 outside the area."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.core.models import AuditLog
from gongzhi.decide.models import (
    Meeting,
    Notice,
    Outreach,
    Poll,
    PollState,
    Question,
    SuggestionCall,
    Survey,
    Topic,
)
from gongzhi.decide.tests.test_deliberation import _room, _tomorrow

pytestmark = pytest.mark.django_db

REQUIRED = "此项为必填项。"


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def local(moment):
    """A moment as a datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def audited(action, row):
    return AuditLog.objects.filter(action=action, object_id=str(row.pk)).count() == 1


def refused(response, status, message, *kept):
    body = response.content.decode()
    assert response.status_code == status, body[:2000]
    assert message in body
    for value in kept:
        assert value in body, value


@pytest.fixture
def staff(people, login):
    return zh(login(people.community_worker))


# -- polls and elections -----------------------------------------------------------------


def test_a_poll_is_made_on_its_page_then_opened(people, tree, estate, staff):
    page = staff.get("/decide/polls/")
    assert "/decide/polls/new/" in page.content.decode()
    assert "新建投票" in staff.get("/decide/polls/new/").content.decode()
    data = {
        "kind": "single",
        "title": "加装电梯表决",
        "description": "3号楼加装电梯",
        "unit_id": tree.community.pk,
        "building_id": estate.building.pk,
        "electorate": "households",
        "closes_at": local(timezone.now() + dt.timedelta(days=7)),
        "options": "同意加装\n\n不同意\n",
    }
    r = staff.post("/decide/polls/new/", data)
    poll = Poll.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/decide/polls/{poll.pk}/"
    assert (poll.title, poll.building, poll.org_code, poll.state) == (
        "加装电梯表决",
        estate.building,
        estate.building.org_code,
        PollState.DRAFT,
    )
    assert [o.label for o in poll.options.order_by("sort")] == ["同意加装", "不同意"]
    assert audited("decide.poll_create", poll)
    assert staff.post(f"/decide/polls/{poll.pk}/", {"action": "open"}).status_code == 302
    poll.refresh_from_db()
    assert (poll.state, poll.electorate_size) == (PollState.OPEN, 2)


def test_an_election_offers_the_buildings_residents_as_candidates(people, estate, staff):
    page = staff.get(f"/decide/polls/new/?building={estate.building.pk}").content.decode()
    assert "王秀英" in page and "李建国" in page
    r = staff.post(
        "/decide/polls/new/",
        {
            "kind": "election",
            "title": "3号楼楼栋长选举",
            "building_id": estate.building.pk,
            "electorate": "adults",
            "closes_at": local(timezone.now() + dt.timedelta(days=7)),
            "role": "head",
            "seats": "1",
            "candidate": [estate.wang.pk, estate.li.pk],
        },
    )
    poll = Poll.objects.get()
    assert r.status_code == 302 and (poll.kind, poll.role) == ("election", "head")
    assert {o.candidate for o in poll.options.all()} == {estate.wang, estate.li}


def test_a_bad_poll_is_refused_with_its_input_kept(people, tree, estate, staff):
    past = local(timezone.now() - dt.timedelta(hours=1))
    data = {
        "kind": "single",
        "title": "停车位表决",
        "unit_id": tree.community.pk,
        "electorate": "households",
        "closes_at": past,
        "options": "同意\n不同意",
    }
    refused(staff.post("/decide/polls/new/", data), 400, "截止时间必须晚于现在", "停车位表决", past)
    one = {**data, "closes_at": local(timezone.now() + dt.timedelta(days=1)), "options": "同意"}
    refused(staff.post("/decide/polls/new/", one), 400, "请提供 2 到 30 个选项", "停车位表决")
    refused(staff.post("/decide/polls/new/", {**one, "title": ""}), 400, REQUIRED)
    election = {**one, "kind": "election", "role": "head", "candidate": [estate.wang.pk]}
    refused(staff.post("/decide/polls/new/", election), 400, "选举须针对一栋楼")
    assert not Poll.objects.exists() and not AuditLog.objects.filter(action__startswith="decide")


def test_a_poll_page_is_403_without_the_permission_and_404_outside_the_area(people, tree, login):
    data = {
        "kind": "single",
        "title": "越界表决",
        "unit_id": tree.community2.pk,
        "electorate": "households",
        "closes_at": local(timezone.now() + dt.timedelta(days=1)),
        "options": "同意\n不同意",
    }
    leader = zh(login(people.leader))  # sees decisions, manages none
    assert leader.get("/decide/polls/new/").status_code == 403
    assert "/decide/polls/new/" not in leader.get("/decide/polls/").content.decode()
    assert leader.post("/decide/polls/new/", data).status_code == 403
    assert zh(login(people.gw_a)).post("/decide/polls/new/", data).status_code == 403
    refused(
        zh(login(people.community_worker)).post("/decide/polls/new/", data),
        404,
        "该区划不存在，或不在您的辖区内",
    )
    assert not Poll.objects.exists()


# -- meetings ----------------------------------------------------------------------------


def test_a_meeting_in_a_room_books_it_and_one_at_a_place_needs_no_room(people, tree, staff):
    from gongzhi.sharing.models import Booking

    hall = _room(tree.community)
    topic = Topic.objects.create(org_code=tree.grid_a.code, title="楼道堆物", raiser_name="王")
    page = staff.get("/decide/meetings/new/").content.decode()
    assert "议事厅" in page and "楼道堆物" in page
    r = staff.post(
        "/decide/meetings/new/",
        {
            "kind": "council",
            "title": "加装电梯议事会",
            "unit_id": tree.community.pk,
            "starts_at": local(_tomorrow(18)),
            "ends_at": local(_tomorrow(20)),
            "room_id": hall.pk,
            "topic": [topic.pk],
        },
    )
    meeting = Meeting.objects.get()
    assert r.status_code == 302
    assert (meeting.place, meeting.starts_at, list(meeting.topics.all())) == (
        "议事厅",
        _tomorrow(18),
        [topic],
    )
    assert Booking.objects.get().room == hall and meeting.booking == Booking.objects.get()
    assert audited("decide.meeting_schedule", meeting)
    r = staff.post(
        "/decide/meetings/new/",
        {
            "kind": "courtyard",
            "title": "坝坝会",
            "unit_id": tree.grid_a.pk,
            "starts_at": local(_tomorrow(9)),
            "place": "3号楼前空地",
        },
    )
    assert r.status_code == 302
    assert Meeting.objects.get(title="坝坝会").place == "3号楼前空地"


def test_a_bad_meeting_is_refused_with_its_input_kept(people, tree, staff, login):
    from gongzhi.sharing.models import Booking

    hall = _room(tree.community)
    data = {
        "kind": "council",
        "title": "没有结束时间",
        "unit_id": tree.community.pk,
        "starts_at": local(_tomorrow(9)),
        "room_id": hall.pk,
    }
    r = staff.post("/decide/meetings/new/", data)
    refused(r, 400, "请填写使用功能室的结束时间", "没有结束时间")
    assert r.content.decode().count("请填写使用功能室的结束时间") == 2  # the alert, the field
    refused(
        staff.post("/decide/meetings/new/", {**data, "title": "", "room_id": ""}), 400, REQUIRED
    )
    assert zh(login(people.leader)).post("/decide/meetings/new/", data).status_code == 403
    other = {**data, "unit_id": tree.community2.pk, "place": "翠竹", "room_id": ""}
    assert zh(login(people.gw_a)).post("/decide/meetings/new/", other).status_code == 404
    assert not Meeting.objects.exists() and not Booking.objects.exists()


# -- topics, notices, calls, outreach --------------------------------------------------


def test_a_topic_is_raised_on_its_page(people, tree, estate, staff, login):
    assert staff.get("/decide/topics/new/").status_code == 200
    r = staff.post(
        "/decide/topics/new/",
        {"title": "楼道堆物", "building_id": estate.building.pk, "unit_id": tree.community.pk},
    )
    topic = Topic.objects.get()
    assert r.status_code == 302 and r["Location"] == "/decide/"
    assert (topic.title, topic.building, topic.raised_by_kind) == (
        "楼道堆物",
        estate.building,
        "staff",
    )
    assert audited("decide.topic_raise", topic)
    refused(
        staff.post("/decide/topics/new/", {"title": " ", "description": "门口堆满纸箱"}),
        400,
        REQUIRED,
        "门口堆满纸箱",
    )
    head = zh(login(people.building_head))
    assert "第1网格1号微网格" in head.get("/decide/topics/new/").content.decode()
    r = head.post("/decide/topics/new/", {"title": "路灯不亮", "unit_id": tree.micro_a1.pk})
    assert r.status_code == 302
    assert Topic.objects.get(title="路灯不亮").raised_by_kind == "head"
    assert zh(login(people.leader)).get("/decide/topics/new/").status_code == 403
    outside = {"title": "越界", "unit_id": tree.community2.pk}
    assert zh(login(people.gw_a)).post("/decide/topics/new/", outside).status_code == 404
    assert Topic.objects.count() == 2


def test_a_notice_is_published_on_its_page_with_its_sms(people, tree, estate, staff, login):
    r = staff.post(
        "/decide/notices/new/",
        {"title": "停水通知", "body": "明日9时至12时停水", "building_id": estate.building.pk,
         "unit_id": tree.community.pk, "sms": "1"},
    )  # fmt: skip
    notice = Notice.objects.get()
    assert r.status_code == 302
    assert (notice.title, notice.building, notice.sms, notice.sms_sent) == (
        "停水通知",
        estate.building,
        True,
        4,
    )
    assert audited("decide.notice", notice)
    refused(
        staff.post(
            "/decide/notices/new/", {"title": "停电通知", "body": "", "unit_id": tree.community.pk}
        ),
        400,
        REQUIRED,
        "停电通知",
    )
    assert zh(login(people.gw_a)).get("/decide/notices/new/").status_code == 403
    outside = {"title": "越界", "body": "越界", "unit_id": tree.community2.pk}
    assert staff.post("/decide/notices/new/", outside).status_code == 404
    assert Notice.objects.count() == 1


def test_a_call_for_suggestions_is_opened_on_its_page(people, tree, staff, login):
    r = staff.post(
        "/decide/calls/new/",
        {"title": "对社区工作的意见建议", "unit_id": tree.community.pk, "deadline": "2030-01-31"},
    )
    call = SuggestionCall.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/decide/calls/{call.pk}/"
    assert (call.title, call.org_code, call.deadline) == (
        "对社区工作的意见建议",
        tree.community.code,
        dt.date(2030, 1, 31),
    )
    assert audited("decide.call_open", call)
    bad = {"title": "", "description": "请大家提意见", "unit_id": tree.community.pk,
           "deadline": "2030-01-31"}  # fmt: skip
    refused(staff.post("/decide/calls/new/", bad), 400, REQUIRED, "请大家提意见")
    assert zh(login(people.leader)).post("/decide/calls/new/", bad).status_code == 403
    assert SuggestionCall.objects.count() == 1


def test_an_outreach_is_recorded_on_its_page(people, tree, staff, login):
    today = timezone.localdate()
    data = {"kind": "legal", "topic": "法治宣传进小区", "unit_id": tree.grid_a.pk,
            "held_on": today.isoformat(), "place": "桂园广场", "attendance": "35"}  # fmt: skip
    r = staff.post("/decide/outreach/new/", data)
    row = Outreach.objects.get()
    assert r.status_code == 302
    assert (row.kind, row.topic, row.held_on, row.attendance) == (
        "legal",
        "法治宣传进小区",
        today,
        35,
    )
    assert audited("decide.outreach", row)
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    refused(
        staff.post("/decide/outreach/new/", {**data, "held_on": tomorrow}),
        400,
        "日期不能晚于今天",
        "法治宣传进小区",
        tomorrow,
    )
    assert zh(login(people.leader)).get("/decide/outreach/new/").status_code == 403
    outside = {**data, "unit_id": tree.community2.pk}
    assert zh(login(people.gw_a)).post("/decide/outreach/new/", outside).status_code == 404
    assert Outreach.objects.count() == 1


# -- surveys -----------------------------------------------------------------------------


def test_a_survey_is_made_with_its_questions_one_block_each(people, tree, staff, login):
    page = staff.get("/decide/surveys/new/?n=7").content.decode()
    assert 'name="q6_text"' in page and 'name="q7_text"' not in page
    r = staff.post(
        "/decide/surveys/new/",
        {
            "n": "3",
            "title": "年度满意度调查",
            "unit_id": tree.community.pk,
            "mode": "anonymous",
            "q0_kind": "single",
            "q0_text": "您对社区工作是否满意",
            "q0_options": "满意*\n基本满意 *\n不满意",
            "q0_required": "1",
            "q0_satisfaction": "1",
            "q1_kind": "text",
            "q1_text": "您的建议",
            "q2_kind": "single",  # an empty block is left out
        },
    )
    survey = Survey.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/decide/surveys/{survey.pk}/"
    q0, q1 = survey.questions.order_by("sort")
    assert survey.satisfaction_question == q0 and (q0.required, q1.required) == (True, False)
    assert [(o.label, o.satisfied) for o in q0.options.order_by("sort")] == [
        ("满意", True),
        ("基本满意", True),
        ("不满意", False),
    ]
    assert audited("decide.survey_create", survey)
    bad = {"n": "2", "title": "停车调查", "unit_id": tree.community.pk, "mode": "anonymous",
           "q0_kind": "single", "q0_text": "您有车吗", "q0_options": "有"}  # fmt: skip
    refused(
        staff.post("/decide/surveys/new/", bad),
        400,
        "请提供 2 到 30 个选项",
        "停车调查",
        "您有车吗",
    )
    none = {**bad, "q0_text": "", "q0_options": ""}
    refused(staff.post("/decide/surveys/new/", none), 400, "请设置 1 到 100 道题")
    assert zh(login(people.gw_a)).post("/decide/surveys/new/", bad).status_code == 403
    assert Survey.objects.count() == 1 and Question.objects.count() == 2
