"""The working-day calendar from the database, cached per process for a minute."""

import datetime as dt
import threading
import time

from django.utils import timezone

from gongzhi.core.deadlines import WorkCalendar

CACHE_SECONDS = 60
_lock = threading.Lock()
_cached: tuple[float, WorkCalendar] | None = None


def load() -> WorkCalendar:
    from gongzhi.core.models import CalendarDay

    holidays, workdays, years = set(), set(), set()
    for day, is_workday in CalendarDay.objects.values_list("date", "is_workday"):
        (workdays if is_workday else holidays).add(day)
        years.add(day.year)
    return WorkCalendar(
        frozenset(holidays),
        frozenset(workdays),
        frozenset(years),
        tz=timezone.get_default_timezone(),
    )


def work_calendar() -> WorkCalendar:
    global _cached
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > CACHE_SECONDS:
            _cached = (time.monotonic(), load())
        return _cached[1]


def forget() -> None:
    """Drop the cache (after the administrator edits the calendar, and in tests)."""
    global _cached
    with _lock:
        _cached = None


def missing_years(today: dt.date | None = None) -> list[int]:
    """Years deadlines will soon run in whose holidays are not entered: this year, and
    next year from November (the State Council publishes it in late autumn)."""
    today = today or timezone.localdate()
    wanted = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    known = work_calendar().known_years
    return [y for y in wanted if y not in known]
