"""The one bounded parser of dates and moments given from outside (core.dates)."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.core import dates
from gongzhi.core.errors import Invalid


@pytest.mark.parametrize("text", ["2000-01-01", " 2026-02-28 ", "2100-12-31"])
def test_parse_day__reads_dates_within_the_bounds(text):
    assert dates.parse_day(text, "start") == dt.date.fromisoformat(text.strip())


@pytest.mark.parametrize(
    "text",
    ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31", "", "2026-2-3", "2026-02-30", "x"],
)
def test_parse_day__refuses_malformed_dates_and_dates_beyond_the_bounds(text):
    with pytest.raises(Invalid) as exc:
        dates.parse_day(text, "end")
    assert exc.value.code == "invalid_period"
    assert list(exc.value.details) == ["end"]


def test_parse_day__names_the_bounds():
    with pytest.raises(Invalid) as exc:
        dates.parse_day("9999-12-31", "start")
    assert "2000-01-01" in exc.value.message and "2100-12-31" in exc.value.message


@pytest.mark.parametrize("text,expected", [("2026-10", (2026, 10)), (" 2026-3 ", (2026, 3))])
def test_parse_month__reads_year_and_month(text, expected):
    assert dates.parse_month(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        *("abc", "2026-13x", "", "2026/10", "202610", "2026-10-01", "2026-13", "2026-0"),
        *("9999-12", "0001-01", "1999-12", "2101-01"),
    ],
)
def test_parse_month__refuses_malformed_months_and_months_beyond_the_bounds(text):
    with pytest.raises(Invalid) as exc:
        dates.parse_month(text)
    assert exc.value.code == "invalid_month"
    assert list(exc.value.details) == ["month"]


def test_parse_moment__reads_iso_8601_with_an_offset_a_local_time_or_a_date():
    tz = timezone.get_default_timezone()
    assert dates.parse_moment("2026-11-01T08:00:00+00:00", "t") == dt.datetime(
        2026, 11, 1, 8, tzinfo=dt.UTC
    )
    # a "+" sent unencoded in a query string arrives as a space
    assert dates.parse_moment("2026-11-01T16:00:00 08:00", "t") == dt.datetime(
        2026, 11, 1, 8, tzinfo=dt.UTC
    )
    assert dates.parse_moment("2026-11-01 16:00", "t") == timezone.make_aware(
        dt.datetime(2026, 11, 1, 16), tz
    )
    assert dates.parse_moment("2026-11-01", "t") == timezone.make_aware(
        dt.datetime(2026, 11, 1), tz
    )
    assert dates.parse_moment("2026-11-01", "t", end_of_day=True) == timezone.make_aware(
        dt.datetime(2026, 11, 1, 23, 59, 59), tz
    )
    assert dates.parse_moment("  ", "t") is None


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00",
        "9999-12-31",
        "2026-11-01T25:00:00",
        "yesterday",
    ],
)
def test_parse_moment__refuses_malformed_moments_and_moments_beyond_the_bounds(text):
    with pytest.raises(Invalid) as exc:
        dates.parse_moment(text, "start_date")
    assert list(exc.value.details) == ["start_date"]


@pytest.mark.parametrize(
    "start,end,field",
    [
        (dt.date(1, 1, 1), dt.date(1, 1, 2), "start"),
        (dt.date(9999, 1, 1), dt.date(9999, 12, 31), "start"),
        (dt.date(2100, 12, 1), dt.date(9999, 12, 31), "end"),
        (dt.date(2026, 3, 2), dt.date(2026, 3, 1), "end"),
        (dt.date(2020, 1, 1), dt.date(2023, 1, 1), "end"),
    ],
)
def test_check_period__refuses_periods_beyond_the_bounds_reversed_or_too_long(start, end, field):
    with pytest.raises(Invalid) as exc:
        dates.check_period(start, end)
    assert exc.value.code == "invalid_period"
    assert list(exc.value.details) == [field]


def test_period_bounds__of_the_last_period_there_can_be():
    lower, upper = dates.period_bounds(dt.date(2100, 1, 1), dates.LATEST)
    assert upper - lower == dt.timedelta(days=365)
