"""Deadlines on cases: stamped at registration on the working-day calendar (the 2026
National Day holiday and its make-up days), calendar hours for emergencies, due soon and
overdue at query time, moved by suspension and by approved extensions."""

import pytest
from django.utils import translation

from gongzhi.cases import policies, selectors, services
from gongzhi.cases.models import Case, Category, ExtensionRequest, State, Urgency
from gongzhi.cases.services import Invalid
from gongzhi.cases.tests.support import Clock, assert_step, at, fresh, notified, snapshot
from gongzhi.core import calendar
from gongzhi.core.errors import Conflict, PermissionDenied
from gongzhi.core.workflow import IllegalTransition


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_calendar(db):
    calendar.forget()
    yield
    calendar.forget()


@pytest.fixture
def clock(monkeypatch):
    return Clock(at(2026, 9, 30, 16)).install(monkeypatch)


@pytest.fixture
def registered(people, report, clock):
    """A report registered on Wednesday 2026-09-30 at 16:00 Beijing time."""

    def _make(**kw):
        kw.setdefault("reporter_phone", "13812345678")  # someone to contact within the hour
        case = report(**kw)
        return services.case_register(actor=people.op_sub, case_id=case.pk)

    return _make


# The official 2026 schedule (State Council, 国办发明电〔2025〕7号), as chinese-calendar 1.11
# and the seeded calendar have it: 中秋节 Fri 25 – Sun 27 September; 国庆节 Thu 1 – Wed
# 7 October off, with the make-up working days Sun 20 September and Sat 10 October.
# Five working days from Wed 30 September 16:00 (a working day, so the clock starts at
# once; working time flows 24 hours a day on working days only):
#   1: 30 Sep 16:00 → Thu  8 Oct 16:00   (1–7 October are holidays)
#   2:             → Fri  9 Oct 16:00
#   3:             → Sat 10 Oct 16:00   (make-up working day)
#   4:             → Mon 12 Oct 16:00   (Sun 11 October is an ordinary rest day)
#   5:             → Tue 13 Oct 16:00
# Due soon at 80 %: four of the five working days → Mon 12 October 16:00.
DUE = at(2026, 10, 13, 16)
DUE_SOON = at(2026, 10, 12, 16)


def test_registered_2026_09_30_16h__due_on_2026_10_13_16h(registered):
    case = registered()
    assert case.registered_at == at(2026, 9, 30, 16)
    assert case.respond_by == at(2026, 9, 30, 17)  # contact within one clock hour
    assert case.due_at == DUE
    assert case.due_soon_at == DUE_SOON
    row = fresh(case)  # as stored
    assert (row.due_at, row.due_soon_at) == (DUE, DUE_SOON)


def test_the_same_deadline_from_the_policy_and_from_set_deadlines(registered, category):
    cal = calendar.work_calendar()
    limits = policies.limits_for(category, Urgency.NORMAL)
    assert policies.deadlines(at(2026, 9, 30, 16), limits, cal) == (at(2026, 9, 30, 17), DUE)
    case = Case(category=category, urgency=Urgency.NORMAL, reporter_phone_hash="x")
    services.set_deadlines(case, at(2026, 9, 30, 16))
    assert (case.respond_by, case.due_at, case.due_soon_at) == (at(2026, 9, 30, 17), DUE, DUE_SOON)
    # A finding of the grid worker's own has no one to contact: no first-contact limit.
    alone = Case(category=category, urgency=Urgency.NORMAL)
    services.set_deadlines(alone, at(2026, 9, 30, 16))
    assert (alone.respond_by, alone.due_at) == (None, DUE)


def test_dispatching_a_report_stamps_the_same_deadline(people, tree, report, clock):
    case = report()
    case = services.case_dispatch(
        actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
    )
    assert (case.registered_at, case.due_at) == (at(2026, 9, 30, 16), DUE)


def test_registered_on_a_holiday__the_clock_starts_on_the_next_working_day(registered, clock):
    clock.set(2026, 10, 3, 9, 30)  # Saturday of the Golden Week
    case = registered()
    # Thu 8 Oct 00:00 + 5 working days: 9, 10 (make-up), 12, 13, 14 October.
    assert case.due_at == at(2026, 10, 14)


def test_an_emergency_runs_in_calendar_hours_through_the_holiday(registered):
    case = registered(urgency=Urgency.EMERGENCY)  # the default emergency limit: 24 clock hours
    assert case.due_at == at(2026, 10, 1, 16)
    assert case.due_soon_at == at(2026, 10, 1, 11, 12)  # 80 % of 24 h = 19 h 12 min


def test_an_emergency_of_a_group_with_its_own_policy(registered):
    pipe = Category.objects.get(name="自来水管破裂")  # 突发事件: 4 clock hours
    case = registered(category_id=pipe.pk, urgency=Urgency.EMERGENCY)
    assert case.due_at == at(2026, 9, 30, 20)
    assert case.due_soon_at == at(2026, 9, 30, 19, 12)


def test_due_soon_and_overdue_are_read_at_query_time(people, registered):
    case = registered()

    def in_queue(key, now):
        return selectors.queue(people.op_sub, key, now=now)[0].filter(pk=case.pk).exists()

    before = at(2026, 10, 12, 15, 59)
    assert not in_queue("due_soon", before) and not case.is_due_soon(before)
    assert in_queue("due_soon", DUE_SOON) and case.is_due_soon(DUE_SOON)
    assert in_queue("due_soon", DUE) and not in_queue("overdue", DUE)
    late = at(2026, 10, 13, 16, 0, 1)
    assert in_queue("overdue", late) and case.is_overdue(late) and not case.is_due_soon(late)
    assert not in_queue("due_soon", late)


def test_closed_after_the_deadline_is_not_on_time(people, tree, registered, clock):
    case = registered()
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_handle(actor=people.handler, case_id=case.pk, result="好了")
    clock.set(2026, 10, 13, 16, 30)
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert case.closed_on_time is False
    assert case.events.get(action="verify_pass").data == {"on_time": False}


# -- suspension ----------------------------------------------------------------------


@pytest.fixture
def in_progress(people, tree, registered, clock):
    def _make(**kw):
        case = registered(**kw)
        services.case_dispatch(
            actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
        )
        clock.advance(hours=1)
        return services.case_accept(actor=people.handler, case_id=case.pk)

    return _make


def test_suspension_moves_the_deadline_by_the_working_time_stopped(people, in_progress, clock):
    case = in_progress()
    clock.set(2026, 9, 30, 18)
    with pytest.raises(Invalid):
        services.case_suspend(actor=people.op_sub, case_id=case.pk, reason="")
    case = services.case_suspend(actor=people.op_sub, case_id=case.pk, reason="等待鉴定结果")
    assert case.suspended_at == at(2026, 9, 30, 18) and case.due_at == DUE
    assert_step(case, "suspend", people.op_sub, State.IN_PROGRESS, State.SUSPENDED, "等待鉴定结果")
    clock.set(2026, 10, 9, 12)
    case = services.case_resume(actor=people.op_sub, case_id=case.pk, note="结果已出")
    # Working time stopped: 30 Sep 18:00–24:00 (6 h), 1–7 Oct none (holiday), 8 Oct
    # (24 h), 9 Oct 00:00–12:00 (12 h) = 42 h. 13 Oct 16:00 + 42 working hours:
    # 13 Oct 16–24 (8 h), 14 Oct (24 h), 15 Oct 00–10 (10 h) → 15 Oct 10:00.
    assert case.due_at == at(2026, 10, 15, 10)
    assert case.due_soon_at == at(2026, 10, 14, 10)  # moved by the same 42 h
    assert case.suspended_at is None
    assert_step(
        case, "resume", people.op_sub, State.SUSPENDED, State.IN_PROGRESS, "结果已出",
        due_at=[DUE.isoformat(), at(2026, 10, 15, 10).isoformat()],
    )  # fmt: skip


def test_a_suspended_case_is_neither_overdue_nor_due_soon(people, in_progress, clock):
    case = in_progress()
    services.case_suspend(actor=people.op_sub, case_id=case.pk, reason="等待")
    case = fresh(case)
    late = at(2026, 10, 20)
    assert not case.is_overdue(late) and not case.is_due_soon(DUE_SOON)
    assert not selectors.queue(people.op_sub, "overdue", now=late)[0].filter(pk=case.pk).exists()
    assert selectors.queue(people.op_sub, "suspended")[0].filter(pk=case.pk).exists()
    clock.set(2026, 10, 20)
    assert services.remind_due() == 0


def test_an_emergency_suspension_moves_the_deadline_by_clock_time(people, in_progress, clock):
    case = in_progress(urgency=Urgency.EMERGENCY)
    assert case.due_at == at(2026, 10, 1, 16)
    clock.set(2026, 9, 30, 18)
    services.case_suspend(actor=people.op_sub, case_id=case.pk, reason="等待抢修队")
    clock.set(2026, 10, 1, 6)  # 12 clock hours later, on the holiday
    case = services.case_resume(actor=people.op_sub, case_id=case.pk)
    assert case.due_at == at(2026, 10, 2, 4)
    assert case.due_soon_at == at(2026, 10, 1, 23, 12)


def test_suspend_and_resume_are_the_command_centers(people, in_progress):
    case = in_progress()
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_suspend(actor=people.handler, case_id=case.pk, reason="等待")
    assert snapshot(case) == before
    with pytest.raises(IllegalTransition):
        services.case_resume(actor=people.op_sub, case_id=case.pk)


# -- extensions ----------------------------------------------------------------------


def test_an_approved_extension_moves_the_deadline_by_working_days(people, in_progress, clock):
    case = in_progress()
    clock.set(2026, 10, 8, 10)
    req = services.case_request_extension(
        actor=people.handler, case_id=case.pk, days=3, reason="需协调供电部门"
    )
    assert (req.status, req.days, req.requested_by) == ("pending", 3, people.handler)
    assert_step(
        case, "request_extension", people.handler, State.IN_PROGRESS, State.IN_PROGRESS,
        "需协调供电部门", days=3,
    )  # fmt: skip
    assert notified(people.op_sub, "case.extension_requested") == 1
    assert notified(people.op_district, "case.extension_requested") == 1
    assert list(selectors.extension_requests_visible_to(people.op_sub)) == [req]
    assert list(selectors.extension_requests_visible_to(people.gw_a)) == []

    with pytest.raises(PermissionDenied):  # the handler cannot approve their own request
        services.case_decide_extension(actor=people.handler, request_id=req.pk, approve=True)
    req = services.case_decide_extension(actor=people.op_sub, request_id=req.pk, approve=True)
    assert (req.status, req.decided_by) == ("approved", people.op_sub)
    case = fresh(case)
    # 13 Oct 16:00 + 3 working days: 14, 15, 16 October.
    assert case.due_at == at(2026, 10, 16, 16) and case.extended_days == 3
    assert case.due_soon_at == at(2026, 10, 15, 16)
    assert_step(
        case, "decide_extension", people.op_sub, State.IN_PROGRESS, State.IN_PROGRESS,
        approved=True, days=3, due_at=[DUE.isoformat(), at(2026, 10, 16, 16).isoformat()],
    )  # fmt: skip
    assert notified(people.handler, "case.extension_decided") == 1
    with pytest.raises(Conflict):  # decided already
        services.case_decide_extension(
            actor=people.op_sub, request_id=req.pk, approve=False, note="x"
        )
    assert selectors.extension_requests_visible_to(people.op_sub).count() == 0


def test_a_refused_extension_keeps_the_deadline(people, in_progress):
    case = in_progress()
    req = services.case_request_extension(
        actor=people.handler, case_id=case.pk, days=5, reason="人手不足"
    )
    with pytest.raises(Invalid):  # refusing says why
        services.case_decide_extension(actor=people.op_sub, request_id=req.pk, approve=False)
    req = services.case_decide_extension(
        actor=people.op_sub, request_id=req.pk, approve=False, note="可先行处置"
    )
    assert req.status == "refused" and req.decision_note == "可先行处置"
    case = fresh(case)
    assert (case.due_at, case.extended_days) == (DUE, 0)
    assert_step(
        case, "decide_extension", people.op_sub, State.IN_PROGRESS, State.IN_PROGRESS,
        "可先行处置", approved=False, days=5,
    )  # fmt: skip
    # Refused, another may be asked.
    services.case_request_extension(actor=people.handler, case_id=case.pk, days=2, reason="再申请")
    assert ExtensionRequest.objects.filter(case=case).count() == 2


def test_a_second_pending_request_is_a_conflict(people, in_progress):
    case = in_progress()
    services.case_request_extension(actor=people.handler, case_id=case.pk, days=3, reason="原因")
    before = snapshot(case)
    with pytest.raises(Conflict) as exc:
        services.case_request_extension(
            actor=people.handler, case_id=case.pk, days=2, reason="再要"
        )
    assert exc.value.status == 409
    assert snapshot(case) == before
    assert ExtensionRequest.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("days", [0, 31, "three", None])
def test_an_extension_is_one_to_thirty_working_days(people, in_progress, days):
    case = in_progress()
    with pytest.raises(Invalid) as exc:
        services.case_request_extension(
            actor=people.handler, case_id=case.pk, days=days, reason="x"
        )
    assert "days" in exc.value.details
    assert not ExtensionRequest.objects.exists()


def test_an_extension_approved_while_suspended_survives_the_resumption(people, in_progress, clock):
    case = in_progress()
    req = services.case_request_extension(actor=people.handler, case_id=case.pk, days=1, reason="x")
    clock.set(2026, 10, 8, 0)
    services.case_suspend(actor=people.op_sub, case_id=case.pk, reason="等待")
    services.case_decide_extension(actor=people.op_sub, request_id=req.pk, approve=True)
    assert fresh(case).due_at == at(2026, 10, 14, 16)
    clock.set(2026, 10, 9, 0)  # one working day stopped
    case = services.case_resume(actor=people.op_sub, case_id=case.pk)
    assert case.due_at == at(2026, 10, 15, 16)


def test_reopening_gives_a_new_deadline_from_then(people, in_progress, clock):
    case = in_progress()
    services.case_handle(actor=people.handler, case_id=case.pk, result="好了")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    clock.set(2026, 10, 16, 9)  # Friday
    case = services.case_reopen(actor=people.op_sub, case_id=case.pk, reason="问题复发")
    # 16 Oct 09:00 + 5 working days: 19, 20, 21, 22, 23 October.
    assert case.due_at == at(2026, 10, 23, 9)
    assert case.registered_at == at(2026, 9, 30, 16)  # when it was first registered
