"""The windows of a visit plan, pure date maths (no ORM): a week runs Monday to Sunday,
a month and a quarter are the calendar's. A scheduled visit's earliest day is its
window's first, its due day the window's last, and it is overdue `grace_days` after."""

import datetime as dt

from gongzhi.care.models import Period


def window(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the window of `period` holding `day`."""
    if period == Period.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    months = 3 if period == Period.QUARTER else 1
    month = (day.month - 1) // months * months + 1
    start = day.replace(month=month, day=1)
    after = month + months
    end = (
        dt.date(day.year + 1, 1, 1) if after > 12 else dt.date(day.year, after, 1)
    ) - dt.timedelta(days=1)
    return start, end


def overdue_after(end: dt.date, grace_days: int) -> dt.date:
    return end + dt.timedelta(days=grace_days)
