"""Helpers shared by the case-loop tests: a settable clock, and readers of what a
service left behind (the case as stored, its timeline, its audit rows, notifications)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core.models import AuditLog
from gongzhi.notifications.models import Notification

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    """A Beijing-time moment: at(2026, 9, 30, 16)."""
    return dt.datetime(*args, tzinfo=SH)


class Clock:
    """What `django.utils.timezone.now()` answers while installed (time only; nothing
    else of the code under test is replaced)."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def set(self, *args) -> dt.datetime:
        self.now = at(*args)
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    def install(self, monkeypatch) -> "Clock":
        monkeypatch.setattr(timezone, "now", lambda: self.now.astimezone(dt.UTC))
        return self


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def snapshot(case: Case) -> tuple:
    """What an refused action must leave unchanged."""
    row = fresh(case)
    return (
        row.state,
        row.version,
        CaseEvent.objects.filter(case=row).count(),
        audit_rows(row).count(),
        row.department_id,
        row.assignee_code,
        row.due_at,
    )


def last_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case_id=case.pk).order_by("-at", "-id").first()


def actions(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case_id=case.pk).values_list("action", flat=True))


def audit_rows(case: Case, action: str | None = None):
    qs = AuditLog.objects.filter(object_type="cases.case", object_id=str(case.pk))
    return qs.filter(action=action) if action else qs


def notified(user, kind: str) -> int:
    return Notification.objects.filter(recipient=user, kind=kind).count()


def assert_step(case: Case, action: str, actor, before: str, after: str, note: str = "", **data):
    """The case is in `after`, and the last timeline row and an audit row say who moved
    it from `before` with which note (and, for each keyword, that value in the data)."""
    row = fresh(case)
    assert row.state == after
    event = last_event(row)
    assert (event.action, event.from_state, event.to_state) == (action, before, after)
    assert event.actor == actor
    assert event.actor_name == (actor.get_display_name() if actor else event.actor_name)
    assert event.note == note
    for key, value in data.items():
        assert event.data[key] == value, (key, event.data)
    log = audit_rows(row, f"case.{action}").order_by("-id").first()
    assert log is not None, f"no audit row case.{action}"
    assert log.actor == actor
    assert log.changes["state"] == [before, after]
    return event
