"""Case KPIs over the API: GET /kpis and /kpis/by-child (mounted at /api/v1/kpis).

    ?unit=990101001&start=2026-03-01&end=2026-03-31

Dates are local (Asia/Shanghai), both days included; definitions in cases.kpis. A bad or
backwards period, or one longer than three years, is a 400 with code "invalid_period";
a unit outside the caller's area is the same 404 as a missing one.
"""

import datetime as dt

from django.utils import timezone
from ninja import Query, Router, Schema

from gongzhi.cases import kpis
from gongzhi.core import dates
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import DayText, UnitCode

router = Router(tags=["cases"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}

UNIT = Query(..., description="Org unit code (district, subdistrict, community, grid …)")
START = Query(..., description="First day, YYYY-MM-DD (local date, included)")
END = Query(..., description="Last day, YYYY-MM-DD (local date, included); at most 3 years")


class RateOut(Schema):
    key: str
    label: str
    numerator: int
    denominator: int
    value: float | None


class KpiOut(Schema):
    unit_code: str
    unit_name: str
    start: dt.date
    end: dt.date
    as_of: dt.datetime
    counts: dict[str, int]
    rates: list[RateOut]


class KpiByChildOut(Schema):
    unit_code: str
    start: dt.date
    end: dt.date
    as_of: dt.datetime
    rows: list[KpiOut]


def _out(report: kpis.KpiReport) -> dict:
    return {
        "unit_code": report.unit_code,
        "unit_name": report.unit_name,
        "start": report.start,
        "end": report.end,
        "as_of": report.now,
        "counts": report.counts,
        "rates": [
            {
                "key": r.key,
                "label": str(r.label),
                "numerator": r.numerator,
                "denominator": r.denominator,
                "value": r.value,
            }
            for r in report.rates
        ],
    }


@router.get("", response={200: KpiOut, **ERRORS})
def kpis_for_unit(request, unit: UnitCode = UNIT, start: DayText = START, end: DayText = END):
    """处置率, 结案率, 按期结案率, 响应率, 解决率, 满意率, 返工率, 重复率 of one unit,
    each with its numerator and denominator, and the counts they are made of."""
    report = kpis.case_kpis(
        request.auth,
        unit_code=unit,
        start=dates.parse_day(start, "start"),
        end=dates.parse_day(end, "end"),
    )
    return _out(report)


@router.get("/by-child", response={200: KpiByChildOut, **ERRORS})
def kpis_by_child(request, unit: UnitCode = UNIT, start: DayText = START, end: DayText = END):
    """The same KPIs for each child unit (the communities of a subdistrict …), for rankings."""
    first, last, now = (
        dates.parse_day(start, "start"),
        dates.parse_day(end, "end"),
        timezone.now(),
    )
    rows = kpis.case_kpis_by_child(request.auth, unit_code=unit, start=first, end=last)
    return {
        "unit_code": unit.strip(),
        "start": first,
        "end": last,
        "as_of": now,
        "rows": [_out(r) for r in rows],
    }
