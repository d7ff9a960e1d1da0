"""Repeat problems (重复诉求) on intake: same category, within the look-back window, the
same reporter phone or building or within 50 m, similar text → a repeat of the first
case; at the third repeat a leader must go on site. Every number is a setting."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.cases import repeats, services
from gongzhi.cases.models import Category, Supervision
from gongzhi.cases.tests.support import Clock, at, fresh, notified
from gongzhi.core.workflow import GuardFailed
from gongzhi.registry.models import Building

PHONE = "13812345678"
WRITES_CASES = re.compile(r'^(INSERT INTO|UPDATE) "cases_case"[ (]')
# A point in grid A, and points about 30 m and 80 m north of it (1° of latitude is
# 111.2 km on the haversine's sphere).
HERE = (112.415, 34.63)
M30 = (112.415, 34.63 + 30 / 111_195)
M80 = (112.415, 34.63 + 80 / 111_195)


@pytest.fixture
def clock(monkeypatch):
    return Clock(at(2026, 11, 2, 9)).install(monkeypatch)


@pytest.fixture
def again(report, clock):
    """report(...) one day after the previous one."""

    def _again(**kw):
        clock.advance(days=1)
        return report(**kw)

    return _again


def test_the_distances_used(db):
    assert 29.9 < repeats.distance_m(*HERE, *M30) < 30.1
    assert 79.9 < repeats.distance_m(*HERE, *M80) < 80.1


def test_same_phone_similar_text__a_repeat_of_the_first_case(people, report, again):
    first = report(reporter_phone=PHONE)
    second = again(reporter_phone=PHONE, description="3号楼2单元楼道又堆满纸箱了")
    assert (second.is_repeat, second.repeat_of) == (True, first)
    assert fresh(first).repeat_count == 1 and not fresh(first).is_repeat
    event = second.events.get(action="repeat")
    assert event.data == {"first": first.number, "count": 1} and event.actor is None
    assert list(second.events.values_list("action", flat=True)) == ["report", "repeat"]
    # The next one links to the first of the chain, not to the second.
    third = again(reporter_phone=PHONE)
    assert third.repeat_of == first and fresh(first).repeat_count == 2
    assert not third.needs_leader_visit


def test_a_repeat_is_written_once_and_its_chain_counted_in_one_statement(people, report, again):
    """The new case's INSERT carries its repeat fields (no second write of it), and the
    first case of the chain is counted by one UPDATE … RETURNING, which takes its lock."""
    first = report(reporter_phone=PHONE)
    with CaptureQueriesContext(connection) as ctx:
        second = again(reporter_phone=PHONE)
    case_writes = [
        q["sql"] for q in ctx.captured_queries if WRITES_CASES.match(q["sql"])
    ]  # fmt: skip
    assert len([w for w in case_writes if w.startswith("INSERT")]) == 1, case_writes
    updates = [w for w in case_writes if w.startswith("UPDATE")]
    assert len(updates) == 1 and "repeat_count" in updates[0] and "RETURNING" in updates[0]
    assert fresh(second).is_repeat and fresh(second).repeat_of_id == first.pk
    assert fresh(first).repeat_count == 1


def test_a_different_category_is_not_a_repeat(people, report, again, category):
    report(reporter_phone=PHONE)
    other = Category.objects.filter(parent__isnull=False).exclude(pk=category.pk).first()
    case = again(reporter_phone=PHONE, category_id=other.pk)
    assert not case.is_repeat and case.repeat_of is None
    assert not case.events.filter(action="repeat").exists()


def test_different_text_is_not_a_repeat(people, report, again):
    report(reporter_phone=PHONE)
    case = again(reporter_phone=PHONE, title="路灯不亮", description="小区东门路灯坏了一周")
    assert not case.is_repeat


def test_a_different_phone_elsewhere_is_not_a_repeat(people, report, again):
    report(reporter_phone=PHONE)
    assert not again(reporter_phone="13900001111").is_repeat


@pytest.mark.parametrize(("days", "repeat"), [(29, True), (30, True), (31, False)])
def test_the_window_is_thirty_days(people, report, clock, days, repeat):
    report(reporter_phone=PHONE)
    clock.advance(days=days)
    assert report(reporter_phone=PHONE).is_repeat is repeat


@pytest.mark.parametrize(("point", "repeat"), [(M30, True), (M80, False)])
def test_within_fifty_metres(people, report, again, point, repeat):
    report(lng=HERE[0], lat=HERE[1])
    case = again(lng=point[0], lat=point[1])
    assert case.is_repeat is repeat


def test_the_same_building(people, tree, report, again):
    building = Building.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="3号楼")
    first = report(building_id=building.pk)
    assert again(building_id=building.pk).repeat_of == first
    assert not again(grid_id=tree.grid_a.pk).is_repeat  # no phone, building or point in common


def test_a_rejected_case_is_not_repeated(people, report, again):
    rejected = report(reporter_phone=PHONE)
    services.case_reject(actor=people.op_sub, case_id=rejected.pk, reason="信息不实")
    case = again(reporter_phone=PHONE)
    assert not case.is_repeat


def test_at_the_third_repeat_a_leader_must_go_on_site(people, tree, report, again):
    first = report(reporter_phone=PHONE)
    second, third = again(reporter_phone=PHONE), again(reporter_phone=PHONE)
    assert not (second.needs_leader_visit or third.needs_leader_visit)
    assert notified(people.leader, "case.repeat_leader") == 0
    fourth = again(reporter_phone=PHONE)
    assert fresh(first).repeat_count == 3
    assert fourth.needs_leader_visit and fourth.supervision_level == Supervision.RAISED
    assert notified(people.leader, "case.repeat_leader") == 1
    assert notified(people.op_sub, "case.repeat_leader") == 0  # leaders only
    assert fourth.number in people.leader.notifications.get(kind="case.repeat_leader").title
    # It cannot close before the leader's visit.
    services.case_dispatch(actor=people.op_sub, case_id=fourth.pk, unit_id=tree.grid_a.pk)
    services.case_accept(actor=people.gw_a, case_id=fourth.pk)
    services.case_handle(actor=people.gw_a, case_id=fourth.pk, result="已清理")
    with pytest.raises(GuardFailed):
        services.case_verify(actor=people.op_sub, case_id=fourth.pk, passed=True)
    services.case_leader_visit(actor=people.leader, case_id=fourth.pk, note="到现场协调")
    assert services.case_verify(actor=people.op_sub, case_id=fourth.pk, passed=True).closed_at


def test_settings__a_shorter_window(people, report, clock, settings):
    settings.GONGZHI_REPEAT_DAYS = 7
    report(reporter_phone=PHONE)
    clock.advance(days=8)
    assert not report(reporter_phone=PHONE).is_repeat


def test_settings__a_wider_radius(people, report, again, settings):
    settings.GONGZHI_REPEAT_RADIUS_M = 100
    report(lng=HERE[0], lat=HERE[1])
    assert again(lng=M80[0], lat=M80[1]).is_repeat


def test_settings__stricter_similarity(people, report, again, settings):
    settings.GONGZHI_REPEAT_SIMILARITY = 100
    report(reporter_phone=PHONE)
    assert not again(reporter_phone=PHONE, description="3号楼楼道堆满了纸箱").is_repeat
    assert again(reporter_phone=PHONE).is_repeat  # the very same text


def test_settings__a_leader_at_the_first_repeat(people, report, again, settings):
    settings.GONGZHI_REPEAT_LEADER_AT = 1
    report(reporter_phone=PHONE)
    case = again(reporter_phone=PHONE)
    assert case.needs_leader_visit and notified(people.leader, "case.repeat_leader") == 1


def test_near_in_several_ways__each_earlier_case_once_in_time_order(people, tree, report, again):
    """A case near earlier ones by phone, by building and by point: the candidates are the
    union of the three reads, each case once, oldest first (the first of the chain)."""
    building = Building.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="5号楼")
    by_phone = report(reporter_phone=PHONE, grid_id=tree.grid_a.pk)
    by_point = again(lng=HERE[0], lat=HERE[1])
    by_all = again(reporter_phone=PHONE, building_id=building.pk, lng=M30[0], lat=M30[1])
    assert by_all.repeat_of == by_phone
    probe = again(reporter_phone=PHONE, building_id=building.pk, lng=M30[0], lat=M30[1])
    found = list(repeats.candidates(fresh(probe)))
    assert [c.pk for c in found] == [by_phone.pk, by_point.pk, by_all.pk]
