"""The dashboard over the API (mounted at /api/v1/command):

    GET /dashboard?unit=990101001&period=month            (today | week | month | year)
    GET /dashboard?unit=990101001&start=2026-03-01&end=2026-03-31      (custom)
    GET /cases?unit=990101001&start=…&end=…&metric=overdue[&category=&group=&channel=&department=]

The same figures as the page /command/. A unit outside the caller's command-center
area, or a caller without command-center access, is a 404; a bad period (malformed,
reversed, longer than three years) a 400 with code "invalid_period".
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gongzhi.cases.kpi_api import RateOut
from gongzhi.cases.schemas import CaseOut
from gongzhi.command import dashboard
from gongzhi.core import dates, permissions
from gongzhi.core.errors import NotFound
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, DayText, Id, Limit, UnitCode, Word
from gongzhi.core.roles import Perm

router = Router(tags=["command"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}

UNIT = Query(..., description="Org unit code (district, subdistrict or community)")


class UnitOut(Schema):
    code: str
    name: str
    level: str


class PeriodOut(Schema):
    name: str
    start: dt.date
    end: dt.date
    days: int


class SpanOut(Schema):
    start: dt.date
    end: dt.date


class RatePercentOut(RateOut):
    percent: float | None


class KpiCardOut(RatePercentOut):
    previous: RatePercentOut
    change_pp: float | None = Field(..., description="Change in percentage points")
    rise_is_good: bool
    tone: str = Field(..., description='"good", "bad" or "" (no change)')
    numerator_metric: str = Field(..., description="The drill-down `metric` of the numerator")
    denominator_metric: str


class CountCardOut(Schema):
    key: str
    label: str
    value: int
    previous: int
    change: int
    change_percent: float | None
    rise_is_good: bool | None
    tone: str


class TrendPointOut(Schema):
    day: dt.date = Field(..., description="The day, or the month's first day")
    received: int
    concluded: int
    callbacks: int
    satisfied: int


class RowOut(Schema):
    code: str = Field(..., description='Unit code, "dept:<id>", or the breakdown key')
    name: str
    received: int
    handled: int
    closed: int
    overdue: int
    rates: dict[str, RatePercentOut]


class BreakdownRowOut(RowOut):
    key: int | str


class BreakdownsOut(Schema):
    category_group: list[BreakdownRowOut]
    category: list[BreakdownRowOut]
    channel: list[BreakdownRowOut]


class RankingOut(Schema):
    key: str = Field(..., description="children, grandchildren or departments")
    level: str
    label: str
    rows: list[RowOut]


class DashboardOut(Schema):
    unit: UnitOut
    period: PeriodOut
    previous: SpanOut
    as_of: dt.datetime
    empty: bool = Field(..., description="Nothing at all in the period: every figure is 0")
    counts: dict[str, int]
    previous_counts: dict[str, int]
    kpis: list[KpiCardOut]
    count_cards: list[CountCardOut]
    trend: list[TrendPointOut]
    trend_grain: str = Field(..., description='"day", or "month" for periods over 92 days')
    breakdowns: BreakdownsOut
    rankings: list[RankingOut]
    sort: str
    best_first: bool


class DrillPage(Schema):
    unit_code: str
    metric: str
    start: dt.date
    end: dt.date
    total: int | None = Field(
        ..., description="The dashboard's figure for this list (first page only; null if none)"
    )
    items: list[CaseOut]
    next_cursor: str | None


def _require_command(user) -> None:
    if not permissions.can(user, Perm.COMMAND_VIEW):
        raise NotFound(_("The unit does not exist or is outside your area."))


@router.get("/dashboard", response={200: DashboardOut, **ERRORS})
def command_dashboard(
    request,
    unit: UnitCode = UNIT,
    period: Word | None = Query(None, description="today, week, month (default), year, custom"),
    start: DayText | None = Query(None, description="custom: first day, YYYY-MM-DD"),
    end: DayText | None = Query(None, description="custom: last day, YYYY-MM-DD; at most 3 years"),
    sort: Word = Query("on_time_closure", description="on_time_closure, satisfaction, rework, …"),
    order: Word = Query("best", description="best (first) or worst"),
):
    """Every KPI of the unit for the period with its counts and the change against the
    previous period of the same length; the trend; breakdowns by category group,
    category and channel; rankings of the units one and two levels down and of the
    handling departments."""
    _require_command(request.auth)
    name = period or ("custom" if (start or end) else "month")
    today = timezone.localdate()
    if name == "custom":
        first, last = dates.parse_day(start, "start"), dates.parse_day(end, "end")
        first, last = dashboard.period_for(name, today, first, last)
    else:
        first, last = dashboard.period_for(name, today)
    return dashboard.dashboard_data(
        request.auth, unit, first, last, period=name, sort=sort, best_first=order != "worst"
    )


@router.get("/cases", response={200: DrillPage, **ERRORS})
def command_cases(
    request,
    unit: UnitCode = UNIT,
    start: DayText = Query(..., description="First day, YYYY-MM-DD"),
    end: DayText = Query(..., description="Last day, YYYY-MM-DD"),
    metric: Word = Query("received", description="received, overdue, closed, closed_late, …"),
    category: Id | None = None,
    group: Id | None = None,
    channel: Word | None = None,
    department: Id | None = None,
    exact: bool = Query(False, description="Only cases placed on the unit itself"),
    limit: Limit | None = None,
    cursor: Cursor | None = None,
):
    """The cases behind one dashboard figure, in the caller's area, one keyset page."""
    _require_command(request.auth)
    first, last = dates.parse_day(start, "start"), dates.parse_day(end, "end")
    filters = dashboard.Filters(
        category=category,
        group=group,
        channel=(channel or "").strip()[:16],
        department=department,
        exact=exact,
    )
    qs, ordering, _spec, found = dashboard.drilldown(
        request.auth, unit_code=unit, start=first, end=last, metric=metric, filters=filters
    )
    rows, next_cursor = keyset_page(qs, ordering=ordering, cursor=cursor, limit=limit)
    total = None
    if not cursor:
        total = dashboard.drilldown_total(
            request.auth,
            unit_code=found.code,
            start=first,
            end=last,
            metric=metric,
            filters=filters,
        )
    return {
        "unit_code": found.code,
        "metric": metric,
        "start": first,
        "end": last,
        "total": total,
        "items": rows,
        "next_cursor": next_cursor,
    }
