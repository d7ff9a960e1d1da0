"""Dates and moments given from outside — query strings, forms, partner payloads — read
by one bounded parser, and the periods of local dates (Asia/Shanghai) every report takes.

Every date a person or a partner system gives lies between EARLIEST and LATEST
(2000-01-01 … 2100-12-31): the records of an installation cannot begin earlier (the
monthly report and the rollups assume so), and the bounds keep every derived moment — the
day after a period, a month's end, a time converted to UTC — inside what Python and both
databases can hold. A date outside them is refused like a malformed one: Invalid (400)
naming the field, never a server error.
"""

import datetime as dt
import re

from django.utils import dateparse, timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import Invalid

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_PERIOD_YEARS = 3

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def bounds_message() -> str:
    """The refusal of a date outside the bounds."""
    return _("Dates run from %(first)s to %(last)s.") % {
        "first": EARLIEST.isoformat(),
        "last": LATEST.isoformat(),
    }


def _refuse(name: str, message: str, code: str) -> Invalid:
    return Invalid(message, code=code, details={name: [message]})


def in_bounds(day: dt.date) -> bool:
    if isinstance(day, dt.datetime):
        day = day.date()
    return EARLIEST <= day <= LATEST


def parse_day(value: str | None, name: str, *, code: str = "invalid_period") -> dt.date:
    """A date given as text, YYYY-MM-DD, within the bounds; Invalid (`code`) naming the
    field otherwise."""
    value = (value or "").strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        message = _("Give the period as a start and an end date (YYYY-MM-DD).")
        raise _refuse(name, message, code) from None
    if not in_bounds(day):
        raise _refuse(name, bounds_message(), code)
    return day


def parse_month(value: str | None, name: str = "month") -> tuple[int, int]:
    """ "2026-10" → (2026, 10), within the bounds; Invalid (code "invalid_month")."""
    match = _MONTH.match((value or "").strip())
    if not match:
        message = _("Give the month as year and month, like 2026-10.")
        raise _refuse(name, message, "invalid_month")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise _refuse(name, _("There is no such month: give it like 2026-10."), "invalid_month")
    if not EARLIEST <= dt.date(year, month, 1) <= LATEST:
        raise _refuse(name, bounds_message(), "invalid_month")
    return year, month


def parse_moment(
    value: str | None, name: str, *, end_of_day: bool = False, code: str = "invalid"
) -> dt.datetime | None:
    """An aware moment from ISO 8601 text, within the bounds; None when `value` is empty.
    A date alone is its midnight (its last second with `end_of_day`); a time without an
    offset is local. A "+" of an offset that arrives as a space (a client that did not
    encode it) is read as "+". Invalid (`code`) naming the field otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    if "T" in text:
        text = text.replace(" ", "+")
    message = _("An ISO 8601 date and time, e.g. 2026-11-01T00:00:00+08:00.")
    try:
        moment = dateparse.parse_datetime(text) if len(text) > 10 else None
        if moment is None:
            day = dateparse.parse_date(text)
            if day is None:
                raise _refuse(name, message, code)
            moment = dt.datetime.combine(day, dt.time(23, 59, 59) if end_of_day else dt.time())
    except ValueError:
        raise _refuse(name, message, code) from None
    # Checked before any conversion: an offset applied to year 1 or 9999 overflows.
    if not in_bounds(moment.date()):
        raise _refuse(name, bounds_message(), code)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


# A phone's clock may run this far ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=5)
# How long a phone may keep what it recorded before it can send it (a week offline).
KEPT_ON_PHONE = dt.timedelta(days=7)


def clean_phone_time(value, name: str, errors: dict) -> dt.datetime | None:
    """When something was seen or done by the phone's clock, sent maybe days later (a
    report queued in a basement): ISO 8601 text or a datetime, within the last week and
    not ahead of the server beyond the clock skew. None when not given (the caller uses
    the receipt); an error on `name` otherwise."""
    if value in (None, ""):
        return None
    if not isinstance(value, dt.datetime):
        try:
            value = parse_moment(str(value), name)
        except Invalid as exc:
            errors.setdefault(name, []).append(exc.message)
            return None
    now = timezone.now()
    if not now - KEPT_ON_PHONE <= value <= now + CLOCK_SKEW:
        errors.setdefault(name, []).append(
            _("The phone's time is off: it must be within the last week, not in the future.")
        )
    return value


def check_period(start, end) -> None:
    """Refuse a period that is not two dates, lies outside the bounds, runs backwards,
    or is longer than three years (code "invalid_period")."""
    if not (
        isinstance(start, dt.date)
        and isinstance(end, dt.date)
        and not isinstance(start, dt.datetime)
        and not isinstance(end, dt.datetime)
    ):
        message = _("Give the period as a start and an end date (YYYY-MM-DD).")
        raise _refuse("start", message, "invalid_period")
    for name, day in (("start", start), ("end", end)):
        if not in_bounds(day):
            raise _refuse(name, bounds_message(), "invalid_period")
    if start > end:
        raise _refuse("end", _("The period starts after it ends."), "invalid_period")
    if end >= _add_years(start, MAX_PERIOD_YEARS):
        message = _("A period is at most %(n)d years.") % {"n": MAX_PERIOD_YEARS}
        raise _refuse("end", message, "invalid_period")


def parse_period(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """Both ends of a period given as text, checked (check_period)."""
    first, last = parse_day(start, "start"), parse_day(end, "end")
    check_period(first, last)
    return first, last


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the installation's time zone (Asia/Shanghai)."""
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz),
    )
