"""Deliberation: topics, meetings with attendance (points once), resolutions done only
with a progress entry, follow-ups, a resolution becoming a case."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongzhi.core.errors import Conflict, Invalid, NotFound
from gongzhi.decide import selectors, services
from gongzhi.decide.models import Resolution, ResolutionState, Topic
from gongzhi.decide.tests.conftest import held
from gongzhi.points import services as points
from gongzhi.points.models import RuleKind, Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(people, estate):
    return services.topic_raise(
        actor=people.gw_a,
        building_id=estate.building.pk,
        title="3号楼楼道堆物",
        description="楼道里堆满杂物",
    )


def test_topics_raised_by_a_resident_a_head_and_staff(people, estate, topic, tree):
    assert topic.raised_by_kind == "staff" and topic.org_code == tree.grid_a.code
    mine = services.topic_raise(held=held("13800000001"), title="晾衣架")
    assert mine.raised_by_kind == "resident" and mine.raiser_name == "王秀英"
    assert mine.phone_masked == "138****0001"
    head = services.topic_raise(actor=people.building_head, unit_id=tree.micro_a1.pk, title="路灯")
    assert head.raised_by_kind == "head"
    with pytest.raises(NotFound):
        services.topic_raise(actor=people.gw_b, building_id=estate.building.pk, title="x")
    with pytest.raises(Invalid):
        services.topic_raise(actor=people.gw_a, unit_id=tree.grid_a.pk, title="")
    assert Topic.objects.count() == 3


def test_a_resolution_is_done_only_with_a_progress_entry(people, topic):
    res = services.resolution_add(
        actor=people.gw_a, topic_id=topic.pk, text="三天内清理", owner="物业", deadline="2030-01-31"
    )
    services.resolution_progress(
        actor=people.gw_a, resolution_id=res.pk, percent=50, note="清了一半"
    )
    res.refresh_from_db()
    assert res.state == "open" and res.progress == 50
    topic.refresh_from_db()
    assert topic.state == "discussed"
    # Done without an entry: the database refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Resolution.objects.filter(pk=res.pk).update(
            state=ResolutionState.DONE, done_at=timezone.now()
        )
    with pytest.raises(Invalid):  # an entry needs a note
        services.resolution_progress(
            actor=people.gw_a, resolution_id=res.pk, percent=100, note="", done=True
        )
    res = services.resolution_progress(
        actor=people.gw_a, resolution_id=res.pk, percent=0, note="已清理完毕", done=True
    )
    assert res.state == "done" and res.progress == 100 and res.done_entry.note == "已清理完毕"
    topic.refresh_from_db()
    assert topic.state == "resolved"
    with pytest.raises(Conflict):
        services.resolution_progress(
            actor=people.gw_a, resolution_id=res.pk, percent=100, note="again"
        )
    services.resolution_follow_up(
        actor=people.gw_a, resolution_id=res.pk, person="王秀英", satisfied=True
    )
    counts = selectors.deliberation_counts(topic.org_code[:12])
    assert counts["done"] == 1 and counts["done_rate"] == {"part": 1, "whole": 1, "percent": 100.0}


def test_a_meeting_records_attendance_and_pays_points_once(people, estate, topic, tree):
    points.rule_save(
        actor=people.community_worker,
        org_code=tree.community.code,
        kind=RuleKind.MEETING_ATTENDED,
        points=5,
    )
    meeting = services.meeting_schedule(
        actor=people.gw_a,
        unit_id=tree.grid_a.pk,
        kind="courtyard",
        title="3号楼坝坝会",
        starts_at=timezone.now() + dt.timedelta(days=1),
        place="3号楼前空地",
        topic_ids=[topic.pk],
        invitee_ids=[estate.wang.pk, estate.li.pk],
    )
    for _i in range(2):
        services.meeting_record(
            actor=people.gw_a,
            meeting_id=meeting.pk,
            minutes="议定清理楼道",
            attendee_ids=[estate.wang.pk],
        )
    assert Transfer.objects.filter(source="decide.meeting").count() == 1
    assert meeting.people.filter(attended=True).count() == 1
    with pytest.raises(Invalid):
        services.meeting_record(
            actor=people.gw_a, meeting_id=meeting.pk, minutes="x", attendee_ids=[estate.outsider.pk]
        )


def test_a_resolution_becomes_a_case(people, topic):
    from gongzhi.cases.models import Category

    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    res = services.resolution_add(
        actor=people.community_worker,
        topic_id=topic.pk,
        text="联系城管清运",
        owner="社区",
        deadline="2030-01-31",
    )
    res = services.resolution_to_case(
        actor=people.community_worker, resolution_id=res.pk, category_id=category.pk
    )
    assert res.case is not None and res.case.description == "联系城管清运"
    with pytest.raises(Conflict):
        services.resolution_to_case(
            actor=people.community_worker, resolution_id=res.pk, category_id=category.pk
        )


def _room(unit, name="议事厅"):
    from gongzhi.sharing.models import Room

    return Room.objects.create(org_unit=unit, org_code=unit.code, name=name, capacity=30,
                               closed_on_holidays=False)  # fmt: skip


def _tomorrow(hour):
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_a_meeting_books_a_room_of_its_community_and_a_clash_refuses_both(people, tree, login):
    from gongzhi.decide.models import Meeting
    from gongzhi.sharing.models import Booking

    hall = _room(tree.community)
    meeting = services.meeting_schedule(
        actor=people.gw_a, unit_id=tree.grid_a.pk, kind="council", title="加装电梯议事会",
        starts_at=_tomorrow(18), ends_at=_tomorrow(20), room_id=hall.pk,
    )  # fmt: skip
    booking = Booking.objects.get(purpose="decide.meeting", purpose_key=str(meeting.pk))
    assert meeting.booking == booking and meeting.place == "议事厅"
    assert (booking.room, booking.title) == (hall, "加装电梯议事会")
    # The same room at the same time: the second meeting is refused and not made.
    with pytest.raises(Conflict):
        services.meeting_schedule(
            actor=people.gw_a, unit_id=tree.grid_a.pk, kind="hearing", title="停车恳谈会",
            starts_at=_tomorrow(19), ends_at=_tomorrow(21), room_id=hall.pk,
        )  # fmt: skip
    assert not Meeting.objects.filter(title="停车恳谈会").exists()
    # A room of another community is not the meeting's; a room without an end is refused.
    other = _room(tree.community2, "翠竹议事厅")
    with pytest.raises(NotFound):
        services.meeting_schedule(
            actor=people.gw_a, unit_id=tree.grid_a.pk, kind="council", title="越界",
            starts_at=_tomorrow(9), ends_at=_tomorrow(10), room_id=other.pk,
        )  # fmt: skip
    with pytest.raises(Invalid) as exc:
        services.meeting_schedule(
            actor=people.gw_a, unit_id=tree.grid_a.pk, kind="council", title="没有结束时间",
            starts_at=_tomorrow(9), room_id=hall.pk,
        )  # fmt: skip
    assert "ends_at" in exc.value.details
    assert Booking.objects.count() == 1
    # Through the API: 409 with the stable code, and the record of the meeting.
    client = login(people.gw_a)
    r = client.post("/api/v1/decide/meetings", {
        "unit_id": tree.grid_a.pk, "kind": "hearing", "title": "停车恳谈会",
        "starts_at": _tomorrow(19).isoformat(), "ends_at": _tomorrow(21).isoformat(),
        "room_id": hall.pk,
    }, content_type="application/json")  # fmt: skip
    assert r.status_code == 409 and r.json()["code"] == "clash"
    minutes = {"minutes": "同意加装，分摊方案下次议定"}
    r = client.post(f"/api/v1/decide/meetings/{meeting.pk}/record", minutes,
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["held"] and r.json()["booking_id"] == booking.pk


def test_the_workbench_panel_counts_what_waits_in_the_area(people, tree, topic, login):
    from gongzhi.decide import selectors as decide_selectors

    panel = decide_selectors.workbench(people.gw_a)
    assert panel["topics"] == Topic.objects.filter(state="open").count() >= 1
    assert decide_selectors.workbench(people.handler) is None  # no decisions to see
    page = login(people.gw_a).get("/").content.decode()
    assert "待议议题" in page and "/decide/" in page
