"""Periods of local dates (Asia/Shanghai), both days included, as every report takes
them: checked (two dates, not reversed, at most three years), parsed from text, and
turned into the moments that bound them."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import Invalid

MAX_PERIOD_YEARS = 3


def check_period(start, end) -> None:
    """Refuse a period that is not two dates, runs backwards, or is longer than 3 years."""
    if not (
        isinstance(start, dt.date)
        and isinstance(end, dt.date)
        and not isinstance(start, dt.datetime)
        and not isinstance(end, dt.datetime)
    ):
        message = _("Give the period as a start and an end date (YYYY-MM-DD).")
        raise Invalid(message, code="invalid_period", details={"start": [message]})
    if start > end:
        message = _("The period starts after it ends.")
        raise Invalid(message, code="invalid_period", details={"end": [message]})
    if end >= _add_years(start, MAX_PERIOD_YEARS):
        message = _("A period is at most %(n)d years.") % {"n": MAX_PERIOD_YEARS}
        raise Invalid(message, code="invalid_period", details={"end": [message]})


def parse_date(value: str | None, name: str) -> dt.date:
    """A period bound given as text (YYYY-MM-DD), or Invalid (code "invalid_period")
    naming the field."""
    value = (value or "").strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        message = _("Give the period as a start and an end date (YYYY-MM-DD).")
        raise Invalid(message, code="invalid_period", details={name: [message]}) from None


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
