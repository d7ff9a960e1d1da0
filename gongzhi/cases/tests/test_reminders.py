"""Due-soon and overdue reminders (services.remind_due, run by cases_remind_task every
ten minutes): idempotent per case, kind and deadline."""

import datetime as dt

import pytest
from huey.contrib.djhuey import HUEY

from gongzhi.cases import services
from gongzhi.cases.tasks import cases_remind_task
from gongzhi.cases.tests.support import Clock, at
from gongzhi.notifications.models import Notification

DUE = at(2026, 10, 13, 16)  # registered 2026-09-30 16:00 + 5 working days
DUE_SOON = at(2026, 10, 12, 16)


@pytest.fixture
def clock(monkeypatch):
    return Clock(at(2026, 9, 30, 16)).install(monkeypatch)


@pytest.fixture
def in_progress(people, tree, report, clock):
    def _make(**kw):
        case = report(**kw)
        services.case_dispatch(
            actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
        )
        return services.case_accept(actor=people.handler, case_id=case.pk)

    return _make


def _reminders(kind=None):
    qs = Notification.objects.filter(kind__in=["case.due_soon", "case.overdue"])
    return qs.filter(kind=kind) if kind else qs


def _recipients(kind):
    return set(_reminders(kind).values_list("recipient__username", flat=True))


def test_nothing_before_due_soon(people, in_progress, clock):
    in_progress()
    clock.set(2026, 10, 12, 15, 59)
    assert services.remind_due() == 0
    assert not _reminders().exists()


def test_due_soon__the_handlers_once_however_often_it_runs(people, in_progress, clock):
    case = in_progress()
    clock.set(2026, 10, 12, 16, 5)
    assert services.remind_due() == 1
    assert _recipients("case.due_soon") == {"handler"}
    n = _reminders().get()
    assert case.number in n.title and n.link == f"/cases/{case.pk}/"
    clock.advance(minutes=10)
    assert services.remind_due() == 0
    assert services.remind_due() == 0
    assert _reminders().count() == 1


def test_overdue__the_handlers_and_the_command_center_once(people, in_progress, clock):
    in_progress()
    clock.set(2026, 10, 13, 16, 1)
    assert services.remind_due() == 3
    assert _recipients("case.overdue") == {"handler", "op_sub", "op_district"}
    assert services.remind_due() == 0
    clock.advance(days=3)
    assert services.remind_due() == 0
    assert _reminders("case.overdue").count() == 3


def test_a_moved_deadline_earns_a_new_reminder(people, in_progress, clock):
    case = in_progress()
    clock.set(2026, 10, 12, 16, 5)
    req = services.case_request_extension(
        actor=people.handler, case_id=case.pk, days=2, reason="需等待配件"
    )
    assert services.remind_due() == 1
    services.case_decide_extension(actor=people.op_sub, request_id=req.pk, approve=True)
    # Now due on 15 October 16:00, due soon from 14 October 16:00.
    assert services.remind_due() == 0
    clock.set(2026, 10, 14, 16, 5)
    assert services.remind_due() == 1
    assert _reminders("case.due_soon").count() == 2
    assert len(set(_reminders().values_list("dedupe_key", flat=True))) == 2


def test_a_suspended_case_gets_no_reminders(people, in_progress, clock):
    case = in_progress()
    services.case_suspend(actor=people.op_sub, case_id=case.pk, reason="等待")
    for moment in (DUE_SOON, DUE + dt.timedelta(days=2)):
        clock.now = moment
        assert services.remind_due() == 0
    assert not _reminders().exists()
    # Resumed two days after the old deadline: all five working days are left, so it is
    # due on 22 October 16:00, due soon from 21 October 16:00.
    services.case_resume(actor=people.op_sub, case_id=case.pk)
    assert services.remind_due() == 0
    clock.set(2026, 10, 21, 16)
    assert services.remind_due() == 1


def test_a_case_not_yet_dispatched_reminds_the_command_center(people, report, clock):
    case = report()
    services.case_register(actor=people.op_sub, case_id=case.pk)
    clock.now = DUE_SOON
    assert services.remind_due() == 2
    assert _recipients("case.due_soon") == {"op_sub", "op_district"}


def test_awaiting_verification_reminds_the_command_center_not_the_handler(
    people, in_progress, clock
):
    case = in_progress()
    services.case_handle(actor=people.handler, case_id=case.pk, result="已处理")
    clock.set(2026, 10, 13, 17)
    services.remind_due()
    assert _recipients("case.overdue") == {"op_sub", "op_district"}


def test_closed_and_rejected_cases_get_none(people, in_progress, report, clock):
    case = in_progress()
    services.case_handle(actor=people.handler, case_id=case.pk, result="已处理")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    services.case_reject(actor=people.op_sub, case_id=report().pk, reason="不属实")
    clock.set(2026, 11, 30)
    assert services.remind_due() == 0


def test_many_cases_in_small_batches(people, in_progress, clock):
    cases = [in_progress(title=f"问题{i}", reporter_phone=f"1380000000{i}") for i in range(5)]
    clock.set(2026, 10, 12, 16, 5)
    assert services.remind_due(batch=2) == 5
    assert {n.link for n in _reminders()} == {f"/cases/{c.pk}/" for c in cases}


def test_the_periodic_task_runs_every_ten_minutes(people, in_progress, clock):
    def runs_at(*args):
        return "cases_remind_task" in {t.name for t in HUEY.read_periodic(dt.datetime(*args))}

    assert runs_at(2026, 10, 12, 16, 0) and runs_at(2026, 10, 12, 16, 10)
    assert not runs_at(2026, 10, 12, 16, 5)
    in_progress()
    clock.set(2026, 10, 12, 16, 10)
    assert cases_remind_task.call_local() == 1
    assert cases_remind_task.call_local() == 0
