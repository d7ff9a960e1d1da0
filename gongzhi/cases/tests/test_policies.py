import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gongzhi.cases.models import Category, DeadlinePolicy, Urgency
from gongzhi.cases.policies import FALLBACK, Limits, deadlines, limits_for
from gongzhi.core import calendar

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cal(db):
    calendar.forget()
    yield calendar.work_calendar()
    calendar.forget()


def test_seeded_taxonomy_has_the_national_standard_groups(db):
    groups = set(Category.objects.filter(parent=None).values_list("name", flat=True))
    assert {"市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件"} <= groups
    assert {"矛盾纠纷", "安全隐患", "民生诉求", "社会治安"} <= groups
    assert Category.objects.get(code="0101").parent.name == "市容环境"


def test_the_default_policy_is_one_hour_and_five_working_days(db):
    assert limits_for(Category.objects.get(code="0101"), Urgency.NORMAL) == Limits(1, 5, None, 0.8)


def test_a_group_policy_applies_to_its_categories(db):
    pipe = Category.objects.get(name="自来水管破裂")
    assert limits_for(pipe, Urgency.EMERGENCY).handling_hours == 4
    assert limits_for(pipe, Urgency.NORMAL).handling_working_days == 1


def test_a_category_policy_beats_its_group(db):
    pipe = Category.objects.get(name="自来水管破裂")
    DeadlinePolicy.objects.create(category=pipe, urgency=Urgency.EMERGENCY, handling_hours=2)
    assert limits_for(pipe, Urgency.EMERGENCY).handling_hours == 2


def test_without_any_policy_the_12345_rule_applies(db):
    DeadlinePolicy.objects.all().delete()
    assert limits_for(None, Urgency.NORMAL) == FALLBACK


def test_deadlines_across_national_day_2026(cal):
    registered = dt.datetime(2026, 9, 30, 16, tzinfo=SH)
    respond_by, due = deadlines(registered, Limits(), cal)
    assert respond_by == dt.datetime(2026, 9, 30, 17, tzinfo=SH)
    assert due == dt.datetime(2026, 10, 13, 16, tzinfo=SH)


def test_emergency_limits_run_in_clock_hours_through_the_holiday(cal):
    registered = dt.datetime(2026, 9, 30, 16, tzinfo=SH)
    _, due = deadlines(registered, Limits(handling_hours=24), cal)
    assert due == dt.datetime(2026, 10, 1, 16, tzinfo=SH)


def test_the_taxonomy_has_two_levels(db):
    from django.core.exceptions import ValidationError

    leaf = Category.objects.get(code="0101")
    with pytest.raises(ValidationError):
        Category(code="010101", name="太深", parent=leaf).full_clean()
