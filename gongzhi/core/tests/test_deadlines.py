"""Deadlines on working days, across the 2026 National Day holiday and its make-up days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gongzhi.core import calendar
from gongzhi.core.deadlines import (
    WorkCalendar,
    add_working_days,
    resume_deadline,
    share_used,
    working_seconds_between,
)
from gongzhi.core.models import CalendarDay

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


@pytest.fixture
def cal(db):
    calendar.forget()
    yield calendar.work_calendar()
    calendar.forget()


def test_seeded_calendar_knows_national_day_2026(cal):
    assert not cal.is_working_day(dt.date(2026, 10, 1))  # Thursday, National Day
    assert cal.is_working_day(dt.date(2026, 10, 10))  # Saturday, make-up working day
    assert not cal.is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert 2026 in cal.known_years


def test_five_working_days_from_2026_09_30_16h_end_on_10_13_16h(cal):
    # Working days after 9-30: 10-08, 10-09, 10-10 (调休), 10-12, 10-13.
    assert add_working_days(at(2026, 9, 30, 16), 5, cal) == at(2026, 10, 13, 16)


def test_a_limit_started_on_a_holiday_starts_on_the_next_working_day(cal):
    assert add_working_days(at(2026, 10, 3, 9, 30), 1, cal) == at(2026, 10, 9)
    assert add_working_days(at(2026, 10, 3, 9, 30), 5, cal) == at(2026, 10, 14)


def test_working_time_between_skips_the_holiday(cal):
    seconds = working_seconds_between(at(2026, 9, 30, 16), at(2026, 10, 9, 16), cal)
    assert seconds == (8 + 24 + 16) * 3600  # rest of 9-30, all of 10-08, 10-09 until 16:00


def test_suspension_moves_the_deadline_by_the_working_time_it_took(cal):
    # 9-29, 9-30, 10-08, 10-09, 10-10 (调休): the deadline is 10-10 10:00.
    deadline = add_working_days(at(2026, 9, 28, 10), 5, cal)
    assert deadline == at(2026, 10, 10, 10)
    moved = resume_deadline(deadline, at(2026, 9, 29, 10), at(2026, 10, 8, 10), cal)
    # 4 working days were left on 9-29 10:00; from 10-08 10:00 that is 10-13 10:00.
    assert moved == at(2026, 10, 13, 10)


def test_share_used_for_due_soon_and_overdue(cal):
    start, deadline = at(2026, 9, 30, 16), at(2026, 10, 13, 16)
    assert share_used(start, deadline, at(2026, 10, 5, 12), cal) == pytest.approx(8 / 120)
    assert share_used(start, deadline, at(2026, 10, 12, 16), cal) == pytest.approx(96 / 120)
    assert share_used(start, deadline, at(2026, 10, 14), cal) > 1


def test_a_year_without_data_falls_back_to_monday_to_friday_and_is_reported(cal):
    assert add_working_days(at(2031, 1, 3, 9), 1, cal) == at(2031, 1, 6, 9)  # Fri → Mon
    assert calendar.missing_years(dt.date(2031, 5, 1)) == [2031]
    assert calendar.missing_years(dt.date(2026, 11, 22)) == [2027]
    assert calendar.missing_years(dt.date(2026, 5, 1)) == []


def test_an_administrator_entry_changes_the_calendar(cal):
    CalendarDay.objects.create(date=dt.date(2031, 1, 1), is_workday=False, name="元旦")
    calendar.forget()
    fresh = calendar.work_calendar()
    assert not fresh.is_working_day(dt.date(2031, 1, 1)) and 2031 in fresh.known_years


def test_pure_calendar_without_database():
    plain = WorkCalendar()
    assert add_working_days(at(2026, 10, 1, 12), 1, plain) == at(2026, 10, 2, 12)
    with pytest.raises(ValueError):
        add_working_days(at(2026, 10, 1), -1, plain)


def test_admin_workbench_warns_about_a_missing_year(people, login):
    from django.utils import timezone

    year = timezone.localdate().year
    CalendarDay.objects.filter(date__year=year).delete()
    calendar.forget()
    body = login(people.admin).get("/").content.decode()
    assert f"{year}" in body and "/admin/core/calendarday/" in body
    calendar.forget()


def test_a_moment_in_utc_counts_on_beijing_days():
    """The database hands out UTC: Monday 07:00 in Beijing is Sunday 23:00 UTC, and must
    still be a Monday for the working-day clock."""
    shanghai = ZoneInfo("Asia/Shanghai")
    cal = WorkCalendar(tz=shanghai)
    local = dt.datetime(2026, 11, 23, 7, 0, tzinfo=shanghai)  # Monday
    utc = local.astimezone(dt.UTC)
    assert utc.date() == dt.date(2026, 11, 22)  # Sunday in UTC
    due = add_working_days(utc, 5, cal)
    assert due == dt.datetime(2026, 11, 30, 7, 0, tzinfo=shanghai)  # the next Monday 07:00
    assert working_seconds_between(utc, due, cal) == 5 * 86400
