"""Deadline maths on working days. Pure functions; no ORM (core.calendar loads the data).

Working time flows only on working days, 24 hours a day: a limit of N working days
started on a working day at 16:00 ends at 16:00 on the Nth following working day; one
started on a holiday starts at 00:00 of the next working day. A calendar limit (clock
hours, e.g. "contact the reporter within 1 hour") ignores the calendar. Suspension
stops the working clock: the working time left when suspended is added again from the
moment the case resumes.
"""

import datetime as dt
from dataclasses import dataclass, field

DAY = dt.timedelta(days=1)
DAY_SECONDS = 86400


@dataclass(frozen=True)
class WorkCalendar:
    """Exceptions to Monday–Friday: holidays on weekdays, make-up working days on weekends.

    `known_years` are the years whose schedule was entered; other years fall back to
    Monday–Friday (the administrator is told to enter them). `tz` is the zone whose dates
    the days are (Beijing time): moments in any other zone are converted first, so a
    deadline never depends on the zone a caller happened to hold (UTC from the database).
    """

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    known_years: frozenset[int] = field(default_factory=frozenset)
    tz: dt.tzinfo | None = None

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz) if self.tz is not None else moment

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += DAY
        while not self.is_working_day(day):
            day += DAY
        return day


def _midnight(day: dt.date, tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tzinfo)


def add_working_days(start: dt.datetime, days: int, cal: WorkCalendar) -> dt.datetime:
    """The moment `days` working days of working time after `start` (an aware datetime)."""
    return add_working_seconds(start, days * DAY_SECONDS, cal)


def add_working_seconds(start: dt.datetime, seconds: float, cal: WorkCalendar) -> dt.datetime:
    if seconds < 0:
        raise ValueError("working time cannot be negative")
    start = cal.local(start)
    tz = start.tzinfo
    moment = start
    if not cal.is_working_day(moment.date()):
        moment = _midnight(cal.next_working_day(moment.date()), tz)
    while True:
        day_end = _midnight(moment.date() + DAY, tz)
        left_today = (day_end - moment).total_seconds()
        if seconds <= left_today:
            return moment + dt.timedelta(seconds=seconds)
        seconds -= left_today
        moment = _midnight(cal.next_working_day(moment.date()), tz)


def working_seconds_between(a: dt.datetime, b: dt.datetime, cal: WorkCalendar) -> float:
    """Working time from `a` to `b` (0 when b is not after a)."""
    if b <= a:
        return 0.0
    a, b = cal.local(a), cal.local(b)
    tz = a.tzinfo
    total, moment = 0.0, a
    while moment < b:
        day_end = min(_midnight(moment.date() + DAY, tz), b)
        if cal.is_working_day(moment.date()):
            total += (day_end - moment).total_seconds()
        moment = day_end
    return total


def resume_deadline(
    deadline: dt.datetime, suspended_at: dt.datetime, resumed_at: dt.datetime, cal: WorkCalendar
) -> dt.datetime:
    """The deadline after a suspension: the working time that was left, from the resumption."""
    left = working_seconds_between(suspended_at, deadline, cal)
    return add_working_seconds(resumed_at, left, cal)


def share_used(
    start: dt.datetime, deadline: dt.datetime, now: dt.datetime, cal: WorkCalendar
) -> float:
    """How much of the working time allowed has been used (1.0 and more: overdue)."""
    allowed = working_seconds_between(start, deadline, cal)
    if allowed <= 0:
        return 1.0 if now >= deadline else 0.0
    return working_seconds_between(start, now, cal) / allowed
