"""Opening hours and closed days (pure: no database but the working-day calendar)."""

import datetime as dt

from django.utils import timezone

from gongzhi.core.calendar import work_calendar


def is_closed_day(place, day: dt.date) -> bool:
    """Closed on `day`: not one of its weekdays, or a statutory holiday of the calendar
    (core.CalendarDay) when the place closes on holidays. A make-up working day (调休上班)
    on a weekend opens a place that is open on working days."""
    cal = work_calendar()
    if place.closed_on_holidays and day in cal.holidays:
        return True
    if str(day.weekday()) in place.weekdays:
        return False
    return not (place.closed_on_holidays and day in cal.workdays)


def opening(place, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The day's opening as two aware moments, or None when closed."""
    if is_closed_day(place, day):
        return None
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(day, place.opens_at, tzinfo=tz),
        dt.datetime.combine(day, place.closes_at, tzinfo=tz),
    )


def within_hours(place, starts: dt.datetime, ends: dt.datetime) -> bool:
    day = timezone.localtime(starts).date()
    hours = opening(place, day)
    return hours is not None and hours[0] <= starts and ends <= hours[1]
