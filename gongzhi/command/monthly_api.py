"""The monthly report over the API (mounted at /api/v1/command):

    GET /monthly?unit=990101001&month=2026-10        the report as JSON
    GET /monthly.xlsx?unit=990101001&month=2026-10   the workbook (audited)

A unit outside the caller's command-center area, or a caller without COMMAND_VIEW, is
the same 404 as a missing unit; a month that is malformed, has not begun or lies before
the records begin is a 400 with code "invalid_month".
"""

import datetime as dt

from django.http import HttpResponse
from ninja import Query, Router, Schema

from gongzhi.cases import kpis
from gongzhi.cases.kpi_api import RateOut
from gongzhi.command import monthly, monthly_xlsx
from gongzhi.command.monthly_views import content_disposition
from gongzhi.core import dates, xlsx
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Text, UnitCode

router = Router(tags=["command"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}

UNIT = Query(..., description="Org unit code (district, subdistrict, community …)")
MONTH = Query(..., description="The month, YYYY-MM (local calendar month)")


class KpiRowOut(Schema):
    unit_code: str
    unit_name: str
    counts: dict[str, int]
    rates: list[RateOut]


class CommunityOut(KpiRowOut):
    subdistrict: str


class KpiLineOut(Schema):
    key: str
    label: str
    numerator: int
    denominator: int
    value: float | None
    previous: float | None
    change_points: float | None


class CountLineOut(Schema):
    key: str
    label: str
    value: int
    previous: int
    change: int
    change_ratio: float | None


class MonthlyCategoryOut(Schema):
    key: int
    label: str
    received: int
    share: float | None
    previous: int
    change: int
    change_ratio: float | None


class SectionRowOut(Schema):
    key: str
    label: str
    value: int | str


class SectionOut(Schema):
    """An app's section of the report (e.g. inspections: hazards, notices, campaigns)."""

    name: str
    title: str
    rows: list[SectionRowOut]


class MonthlyOut(Schema):
    unit_code: str
    unit_name: str
    unit_level: str
    month: str
    previous_month: str
    start: dt.date
    end: dt.date
    as_of: dt.datetime
    empty: bool
    notes: list[str]
    summary: KpiRowOut
    previous: KpiRowOut
    kpis: list[KpiLineOut]
    counts: list[CountLineOut]
    child_level: str | None
    children: list[KpiRowOut]
    communities: list[CommunityOut]
    departments: list[KpiRowOut]
    categories: list[MonthlyCategoryOut]
    sections: list[SectionOut]


def _rates(report: kpis.KpiReport) -> list[dict]:
    return [
        {
            "key": r.key,
            "label": str(r.label),
            "numerator": r.numerator,
            "denominator": r.denominator,
            "value": r.value,
        }
        for r in report.rates
    ]


def _row(report: kpis.KpiReport, **extra) -> dict:
    return {
        "unit_code": report.unit_code,
        "unit_name": report.unit_name,
        "counts": report.counts,
        "rates": _rates(report),
        **extra,
    }


def report_out(report: monthly.MonthlyReport) -> dict:
    return {
        "unit_code": report.unit_code,
        "unit_name": report.unit_name,
        "unit_level": report.unit_level,
        "month": report.label,
        "previous_month": report.previous_label,
        "start": report.start,
        "end": report.end,
        "as_of": report.generated_at,
        "empty": report.is_empty,
        "notes": report.notes,
        "summary": _row(report.summary),
        "previous": _row(report.previous),
        "kpis": [
            {
                "key": line.key,
                "label": str(line.label),
                "numerator": line.rate.numerator,
                "denominator": line.rate.denominator,
                "value": line.rate.value,
                "previous": line.previous.value,
                "change_points": line.change,
            }
            for line in report.kpis
        ],
        "counts": [
            {
                "key": c.key,
                "label": str(c.label),
                "value": c.value,
                "previous": c.previous,
                "change": c.change,
                "change_ratio": c.change_ratio,
            }
            for c in report.counts
        ],
        "child_level": report.child_level,
        "children": [_row(r) for r in report.children],
        "communities": [_row(c.report, subdistrict=c.subdistrict) for c in report.communities],
        "departments": [_row(r) for r in report.departments],
        "categories": [
            {
                "key": c.key,
                "label": c.label,
                "received": c.received,
                "share": c.share,
                "previous": c.previous,
                "change": c.change,
                "change_ratio": c.change_ratio,
            }
            for c in report.categories
        ],
        "sections": [
            {
                "name": sec.name,
                "title": str(sec.title),
                "rows": [
                    {
                        "key": key,
                        "label": str(label),
                        "value": value if isinstance(value, int) else str(value),
                    }
                    for key, label, value in sec.rows
                ],
            }
            for sec in report.sections
        ],
    }


@router.get("/monthly", response={200: MonthlyOut, **ERRORS})
def monthly_report(request, unit: UnitCode = UNIT, month: Text[7] = MONTH):
    """月报: the eight rates of the unit for the month with the month before (环比), the
    same per child unit (and, for a district, per community), per handling unit, and
    the top 10 problem categories."""
    year, number = dates.parse_month(month)
    return report_out(monthly.monthly_report(request.auth, unit, year, number))


@router.get(
    "/monthly.xlsx",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {200: {"description": "The workbook", "content": {xlsx.CONTENT_TYPE: {}}}}
    },
)
def monthly_workbook(request, unit: UnitCode = UNIT, month: Text[7] = MONTH):
    """The monthly report as an Excel workbook (概览, child units, 承办单位, 问题类别).
    Each download writes an audit row (command.monthly_export)."""
    year, number = dates.parse_month(month)
    report, data = monthly_xlsx.monthly_export(request.auth, unit, year, number)
    response = HttpResponse(data, content_type=xlsx.CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition(report)
    response.headers["Cache-Control"] = "private, no-store"
    return response
