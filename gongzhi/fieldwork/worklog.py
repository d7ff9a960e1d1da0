"""The grid worker's work log (工作日志) and the monthly summary for the assessment (考核):
read from the records — patrols led, cases entered, task reports, and whatever other
apps register (care's visits, inspections' results) through
core.manifest.register_worklog_source — never typed. A day with any record is a day of
attendance (出勤); the worker's own note of a day is shown beside it but does not count.
"""

import calendar
import datetime as dt
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import Position
from gongzhi.cases.models import Case
from gongzhi.core import dates
from gongzhi.core.calendar import work_calendar
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.manifest import WorklogEntry, worklog_sources
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import Role
from gongzhi.fieldwork import perms
from gongzhi.fieldwork.models import TaskReport, TaskState, TaskTarget, WorkNote
from gongzhi.fieldwork.selectors import GRID_LENGTH
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols.models import Patrol

MAX_WORKERS = 500


# -- the sources of fieldwork's own layer (registered in FieldworkConfig.ready()) --------


def patrol_entries(user_ids, start, end) -> list[WorklogEntry]:
    rows = Patrol.objects.filter(
        leader_id__in=user_ids, started_at__gte=start, started_at__lt=end
    ).values_list("pk", "leader_id", "kind", "started_at", "ended_at", "route")
    out = []
    for pk, user_id, kind, started, ended, route in rows:
        minutes = int((ended - started).total_seconds() // 60) if ended else 0
        label = str(dict(Patrol._meta.get_field("kind").choices).get(kind, kind))
        text = f"{label}" + (f"（{len(route)} 个巡查点）" if route else "")
        out.append(WorklogEntry(user_id, "patrols", started, text, minutes, f"/patrols/{pk}/"))
    return out


def case_entries(user_ids, start, end) -> list[WorklogEntry]:
    rows = Case.objects.filter(
        reported_by_id__in=user_ids, reported_at__gte=start, reported_at__lt=end
    ).values_list("pk", "reported_by_id", "reported_at", "number", "title")
    return [
        WorklogEntry(user_id, "cases", at, f"{number} {title}", 0, f"/cases/{pk}/")
        for pk, user_id, at, number, title in rows
    ]


def task_report_entries(user_ids, start, end) -> list[WorklogEntry]:
    rows = TaskReport.objects.filter(
        reporter_id__in=user_ids, received_at__gte=start, received_at__lt=end
    ).values_list("reporter_id", "observed_at", "received_at", "task_id", "task__title", "amount")
    return [
        WorklogEntry(
            user_id,
            "tasks",
            observed or received,
            f"{title} +{amount}",
            0,
            f"/fieldwork/tasks/{task_id}/",
        )
        for user_id, observed, received, task_id, title, amount in rows
    ]


# -- reading them -------------------------------------------------------------------------


def month_of(value: str) -> tuple[int, int]:
    """(year, month) of "2026-12", or of today when empty; Invalid (invalid_month)."""
    if not value:
        today = timezone.localdate()
        return today.year, today.month
    return dates.parse_month(value)


def month_bounds(year: int, month: int):
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return first, last, *dates.period_bounds(first, last)


def entries_of(user_ids: list[int], start, end) -> list[WorklogEntry]:
    found: list[WorklogEntry] = []
    for source in worklog_sources():
        found.extend(source.entries(list(user_ids), start, end))
    return sorted(found, key=lambda e: (e.at, e.kind))


def worker_for(user, worker_id) -> object:
    """A grid worker whose work the user may assess (a grid worker position within the
    user's fieldwork.assess scope), or the user themself; 404 otherwise."""
    if worker_id in (None, "") or parse_id(worker_id) == user.pk:
        return user
    scope = scope_for(user, perms.ASSESS)
    position = (
        Position.objects.filter(
            scope.q("org_code"), is_active=True, role=Role.GRID_WORKER, user_id=parse_id(worker_id)
        )
        .select_related("user")
        .first()
    )
    if position is None:
        raise NotFound(_("The worker does not exist or is outside your area."))
    return position.user


def day_by_day(worker, year: int, month: int) -> dict:
    """The worker's month, a day at a time (the latest first, up to today): the records
    of each day, its minutes and its note."""
    first, last, start, end = month_bounds(year, month)
    today = timezone.localdate()
    by_day: dict[dt.date, list[WorklogEntry]] = defaultdict(list)
    for entry in entries_of([worker.pk], start, end):
        by_day[timezone.localtime(entry.at).date()].append(entry)
    notes = dict(
        WorkNote.objects.filter(user=worker, day__gte=first, day__lte=last).values_list(
            "day", "text"
        )
    )
    labels = {s.name: str(s.label) for s in worklog_sources()}
    days = []
    day = min(last, today)
    while day >= first:
        entries = by_day.get(day, [])
        if entries or day in notes or day == today:
            days.append(
                {
                    "day": day,
                    "entries": [{"label": labels.get(e.kind, e.kind), "entry": e} for e in entries],
                    "minutes": sum(e.minutes for e in entries),
                    "note": notes.get(day, ""),
                    "editable": day == today,
                }
            )
        day -= dt.timedelta(days=1)
    return {
        "first": first,
        "last": last,
        "days": days,
        "attendance": len(by_day),
        "counts": _counts([e for es in by_day.values() for e in es]),
    }


def _counts(entries) -> dict:
    counts = {s.name: 0 for s in worklog_sources()}
    minutes = 0
    for e in entries:
        counts[e.kind] = counts.get(e.kind, 0) + 1
        minutes += e.minutes if e.kind == "patrols" else 0
    counts["patrol_hours"] = round(minutes / 60, 1)
    return counts


def working_days(first: dt.date, last: dt.date) -> int:
    """Working days of [first, last] (the statutory calendar, 调休 included)."""
    cal = work_calendar()
    return sum(
        cal.is_working_day(first + dt.timedelta(days=i)) for i in range((last - first).days + 1)
    )


def rate(part: int, whole: int) -> dict:
    return {
        "part": part,
        "whole": whole,
        "percent": round(100 * part / whole, 1) if whole else None,
    }


def summary(user, unit_code: str, year: int, month: int) -> dict:
    """The monthly summary of the grid workers of a unit (the user's fieldwork.assess
    area): per worker, patrols and their hours, cases entered, task reports and what the
    other sources count; 出勤天数 = working days with any record, of the month's working
    days up to today (days off with a record are counted apart: `rest_days`); tasks done
    by their deadline, of those of their grids due in the month so far."""
    unit = OrgUnit.objects.filter(code=str(unit_code or "")).first()
    if unit is None or not scope_for(user, perms.ASSESS).covers_code(unit.code):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    first, last, start, end = month_bounds(year, month)
    positions = list(
        Position.objects.filter(is_active=True, role=Role.GRID_WORKER, org_code__within=unit.code)
        .select_related("user", "org_unit")
        .order_by("org_code", "user_id")[:MAX_WORKERS]
    )
    workers: dict[int, dict] = {}
    for p in positions:
        row = workers.setdefault(
            p.user_id, {"user": p.user, "codes": [], "units": [], "days": set(), "entries": []}
        )
        row["codes"].append(p.org_code)
        row["units"].append(p.org_unit.name if p.org_unit_id else p.org_code)
    for entry in entries_of(list(workers), start, end):
        workers[entry.user_id]["entries"].append(entry)
        workers[entry.user_id]["days"].add(timezone.localtime(entry.at).date())
    targets = list(
        TaskTarget.objects.filter(
            org_code__within=unit.code,
            task__state=TaskState.OPEN,
            task__deadline__gte=start,
            task__deadline__lt=end,
            task__deadline__lte=timezone.now(),
        ).values_list("org_code", "completed_at", "task__deadline")
    )
    whole_days = working_days(first, min(last, max(first, timezone.localdate())))
    cal = work_calendar()
    rows = []
    for row in workers.values():
        grids = {c[:GRID_LENGTH] for c in row["codes"]}
        mine = [t for t in targets if t[0] in grids]
        on_time = sum(1 for _code, done, deadline in mine if done is not None and done <= deadline)
        rows.append(
            {
                "user": row["user"],
                "user_id": row["user"].pk,
                "name": row["user"].get_display_name(),
                "units": "、".join(row["units"]),
                "counts": _counts(row["entries"]),
                "attendance": rate(sum(map(cal.is_working_day, row["days"])), whole_days),
                "rest_days": sum(1 for d in row["days"] if not cal.is_working_day(d)),
                "tasks_on_time": rate(on_time, len(mine)),
            }
        )
    return {
        "unit": unit,
        "first": first,
        "last": last,
        "rows": rows,
        "sources": [(s.name, s.label) for s in worklog_sources()],
        "working_days": whole_days,
    }


def note_today(user) -> str:
    return (
        WorkNote.objects.filter(user=user, day=timezone.localdate())
        .values_list("text", flat=True)
        .first()
        or ""
    )
