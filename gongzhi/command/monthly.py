"""The monthly report 月报: the KPIs of one unit for one calendar month, beside the
month before (环比), per child unit, per handling unit and per problem category — as a
page, JSON and an Excel workbook.

Every figure comes from the KPI read API (`gongzhi.cases.kpis`), which reads the case
rollups, never the raw cases; outcomes are counted as of the moment the report is
generated (see kpis' docstring), so a report on October taken on 22 November says what
had become of October's cases by then.

Which tables:

- the unit's children (the subdistricts of a district, the communities of a
  subdistrict, the grids of a community): `case_kpis_by_child`;
- for a district, also every community of the district, as a second table. These come
  from one `rollup_rows` over community-length unit codes and one pair of live
  (overdue / awaiting-contact) GROUP BYs for the whole district — four queries however
  many subdistricts there are, where calling `case_kpis_by_child` once per subdistrict
  costs four queries per subdistrict (unit, rollup, two live counts). Cases placed on a
  subdistrict itself (not in any community) are in the subdistrict table only;
- the handling units (承办单位): `case_kpis_by_department`;
- the top 10 problem categories by cases received: `breakdown(by="category")`, with the
  previous month's received per category from one `rollup_rows` (received is a stored
  count; nothing live is needed for it).

Cost: about 25 queries, whatever the number of cases (pinned in the tests).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gongzhi.cases import kpis
from gongzhi.cases.models import RollupDims
from gongzhi.command.sections import Section, app_sections
from gongzhi.core import dates, manifest
from gongzhi.core.errors import Invalid
from gongzhi.core.roles import CODE_LENGTH, Level, child_level
from gongzhi.orgs.access import command_unit
from gongzhi.orgs.models import OrgUnit

TOP_CATEGORIES = 10
EARLIEST_YEAR = dates.EARLIEST.year

# The columns of the per-unit tables (children, communities, handling units), for the
# page and the workbook alike: (key, header, "count" | "rate") — three counts, every
# registered rate shown in columns (core.manifest.Rate.column), then the overdue count.
LEADING_COUNTS = (
    ("received", pgettext_lazy("monthly report", "Received"), "count"),  # 受理
    ("handled", pgettext_lazy("monthly report", "Handled"), "count"),  # 处置
    ("closed", pgettext_lazy("monthly report", "Closed"), "count"),  # 结案
)
TRAILING_COUNTS = (("overdue", pgettext_lazy("monthly report", "Overdue"), "count"),)  # 超期


def columns() -> tuple[tuple[str, object, str], ...]:
    rates = tuple((r.key, r.label, "rate") for r in manifest.rates() if r.column)
    return (*LEADING_COUNTS, *rates, *TRAILING_COUNTS)


# The counts the overview shows beside the rates, with their month-on-month change.
COUNTS = (
    ("received", pgettext_lazy("monthly report", "Received")),
    ("handled", pgettext_lazy("monthly report", "Handled")),
    ("closed", pgettext_lazy("monthly report", "Closed")),
    ("overdue", pgettext_lazy("monthly report", "Overdue")),
    ("callbacks", pgettext_lazy("monthly report", "Called back")),  # 回访
    ("repeats", pgettext_lazy("monthly report", "Repeats")),  # 重复件
)


@dataclass(frozen=True)
class KpiLine:
    """One rate this month and the month before; `change` in percentage points."""

    rate: kpis.Rate
    previous: kpis.Rate

    @property
    def key(self) -> str:
        return self.rate.key

    @property
    def label(self):
        return self.rate.label

    @property
    def change(self) -> float | None:
        if self.rate.value is None or self.previous.value is None:
            return None
        return round((self.rate.value - self.previous.value) * 100, 1)


@dataclass(frozen=True)
class CountLine:
    """One count this month and the month before; `change_ratio` is None when the month
    before had none (no ratio to a zero)."""

    key: str
    label: str | Promise
    value: int
    previous: int

    @property
    def change(self) -> int:
        return self.value - self.previous

    @property
    def change_ratio(self) -> float | None:
        return (self.value - self.previous) / self.previous if self.previous else None

    @property
    def change_percent(self) -> float | None:
        ratio = self.change_ratio
        return None if ratio is None else round(ratio * 100, 1)


@dataclass(frozen=True)
class CategoryLine:
    """A problem category: cases received, its share of the unit's, and the month before."""

    key: int
    label: str
    received: int
    share: float | None
    previous: int

    @property
    def change(self) -> int:
        return self.received - self.previous

    @property
    def change_ratio(self) -> float | None:
        return (self.received - self.previous) / self.previous if self.previous else None

    @property
    def change_percent(self) -> float | None:
        ratio = self.change_ratio
        return None if ratio is None else round(ratio * 100, 1)

    @property
    def share_percent(self) -> float | None:
        return None if self.share is None else round(self.share * 100, 1)


@dataclass(frozen=True)
class CommunityRow:
    """A community of a district's report, with its subdistrict's name."""

    subdistrict: str
    report: kpis.KpiReport


@dataclass(frozen=True)
class MonthlyReport:
    unit_code: str
    unit_name: str
    unit_level: str
    year: int
    month: int
    start: dt.date
    end: dt.date
    generated_at: dt.datetime
    summary: kpis.KpiReport
    previous: kpis.KpiReport
    kpis: tuple[KpiLine, ...]
    counts: tuple[CountLine, ...]
    child_level: str | None
    children: list[kpis.KpiReport]
    communities: list[CommunityRow]
    departments: list[kpis.KpiReport]
    categories: list[CategoryLine]
    notes: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @property
    def label(self) -> str:
        """ "2026-10"."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def previous_label(self) -> str:
        return f"{self.previous.start.year:04d}-{self.previous.start.month:02d}"

    @property
    def is_empty(self) -> bool:
        c = self.summary.counts
        return not any(c[k] for k in ("received", "rejected", "merged", "callbacks", "verified"))

    @property
    def child_level_label(self) -> str:
        return str(Level(self.child_level).label) if self.child_level else ""

    @property
    def tables(self) -> list[dict]:
        """The per-unit tables, for the page: {"key", "title", "heads", "rows", "total",
        "span"}, rows being [(names, cells)]."""
        unit = [str(pgettext_lazy("monthly report", "Unit"))]
        out = []
        if self.child_level:
            rows = [([r.unit_name], cells(r)) for r in self.children]
            out.append(("children", self.child_level_label, unit, rows, cells(self.summary)))
        if self.unit_level == Level.DISTRICT:
            heads = [str(Level.SUBDISTRICT.label), str(Level.COMMUNITY.label)]
            rows = [
                ([c.subdistrict, c.report.unit_name], cells(c.report)) for c in self.communities
            ]
            out.append(("communities", str(Level.COMMUNITY.label), heads, rows, None))
        rows = [([r.unit_name], cells(r)) for r in self.departments]
        out.append(("departments", _("Handling units"), [str(_("Handling unit"))], rows, None))
        return [
            {
                "key": key,
                "title": title,
                "heads": heads,
                "rows": rows,
                "total": total,
                "span": len(heads) + len(columns()),
            }
            for key, title, heads, rows, total in out
        ]


def cells(report: kpis.KpiReport) -> list[dict]:
    """The `columns()` of one row: {"key", "count"} or {"key", "rate"}."""
    return [
        {"key": key, "rate": report.rate(key)}
        if kind == "rate"
        else {"key": key, "count": report.counts[key]}
        for key, _label, kind in columns()
    ]


# -- the month --------------------------------------------------------------------


def _invalid(message: str):
    return Invalid(message, code="invalid_month", details={"month": [message]})


def last_month(today: dt.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    after = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, after - dt.timedelta(days=1)


def _check_month(unit_code: str, year, month, today: dt.date) -> tuple[dt.date, dt.date]:
    if not (isinstance(year, int) and isinstance(month, int)) or not 1 <= month <= 12:
        raise _invalid(_("There is no such month: give it like 2026-10."))
    if year < EARLIEST_YEAR:
        raise _invalid(_("There is no data before %(year)d.") % {"year": EARLIEST_YEAR})
    if not dates.in_bounds(dt.date(year, month, 1)):
        raise _invalid(_("There is no such month: give it like 2026-10."))
    start, end = _month_bounds(year, month)
    if start > today:
        raise _invalid(_("%(month)s has not begun yet.") % {"month": f"{year:04d}-{month:02d}"})
    first = kpis.first_data_month(unit_code)
    if first is not None and start < first:
        raise _invalid(
            _("The records begin in %(first)s: there is no report for %(month)s.")
            % {"first": f"{first.year:04d}-{first.month:02d}", "month": f"{year:04d}-{month:02d}"}
        )
    return start, end


# -- the report -------------------------------------------------------------------


def _communities(user, unit: OrgUnit, start: dt.date, end: dt.date) -> list[CommunityRow]:
    """Every community of a district with its KPIs (kpis.case_kpis_at_level: one rollup
    GROUP BY on community codes, whatever the number of subdistricts), with the name of
    its subdistrict."""
    reports = kpis.case_kpis_at_level(
        user, unit_code=unit.code, level=Level.COMMUNITY, start=start, end=end
    )
    length = CODE_LENGTH[Level.SUBDISTRICT]
    parents = dict(
        OrgUnit.objects.filter(code__in={r.unit_code[:length] for r in reports}).values_list(
            "code", "name"
        )
    )
    return [CommunityRow(parents.get(r.unit_code[:length], ""), r) for r in reports]


def _categories(user, unit_code, start, end, prev_start, prev_end, total) -> list[CategoryLine]:
    rows = kpis.breakdown(user, unit_code=unit_code, start=start, end=end, by="category")
    rows = [r for r in rows if r["counts"]["received"]][:TOP_CATEGORIES]
    before = {
        r["category_id"]: int(r["received"] or 0)
        for r in kpis.rollup_rows(
            Q(unit_code=unit_code), RollupDims.FULL, prev_start, prev_end, group=("category_id",)
        )
    }
    return [
        CategoryLine(
            key=r["key"],
            label=str(r["label"]),
            received=r["counts"]["received"],
            share=r["counts"]["received"] / total if total else None,
            previous=before.get(r["key"], 0),
        )
        for r in rows
    ]


def monthly_report(user, unit_code: str, year: int, month: int) -> "MonthlyReport":
    """The monthly report of `unit_code` for `year`-`month` (local calendar month).

    Raises NotFound when the unit is missing, outside the user's COMMAND_VIEW area or the
    user has no COMMAND_VIEW at all; Invalid (code "invalid_month") for a month that does
    not exist, has not begun, or lies before the district's records begin. A month with
    nothing in it is a report of zeros with a note saying so."""
    unit = command_unit(user, unit_code)
    today = timezone.localdate()
    start, end = _check_month(unit.code, year, month, today)
    prev_start, prev_end = _month_bounds(*last_month(start))
    code = unit.code
    summary = kpis.case_kpis(user, unit_code=code, start=start, end=end)
    previous = kpis.case_kpis(user, unit_code=code, start=prev_start, end=prev_end)
    lines = tuple(KpiLine(r, previous.rate(r.key)) for r in summary.rates)
    counts = tuple(
        CountLine(key, label, summary.counts[key], previous.counts[key]) for key, label in COUNTS
    )
    level = child_level(unit.level)
    children = kpis.case_kpis_by_child(user, unit_code=code, start=start, end=end)
    communities = _communities(user, unit, start, end) if unit.level == Level.DISTRICT else []
    departments = kpis.case_kpis_by_department(user, unit_code=code, start=start, end=end)
    categories = _categories(
        user, code, start, end, prev_start, prev_end, summary.counts["received"]
    )
    report = MonthlyReport(
        unit_code=code,
        unit_name=unit.name,
        unit_level=unit.level,
        year=year,
        month=month,
        start=start,
        end=end,
        generated_at=summary.now,
        summary=summary,
        previous=previous,
        kpis=lines,
        counts=counts,
        child_level=level,
        children=children,
        communities=communities,
        departments=departments,
        categories=categories,
        sections=app_sections(user, unit, start, end),
    )
    report.notes.extend(_notes(report, today))
    return report


def _notes(report: MonthlyReport, today: dt.date) -> list[str]:
    when = date_format(timezone.localtime(report.generated_at), "Y-m-d H:i")
    notes = []
    if report.is_empty:
        notes.append(
            _(
                "Nothing was received, called back or verified in %(unit)s in %(month)s: "
                "every figure is zero and the rates have no value (—)."
            )
            % {"unit": report.unit_name, "month": report.label}
        )
    if report.end >= today:
        notes.append(
            _("%(month)s is not over yet: the figures are those up to %(when)s.")
            % {"month": report.label, "when": when}
        )
    notes.append(
        _(
            "Cases received in the month; their handling, closing and overdue status as of "
            "%(when)s. Callbacks and verifications made in the month. A rate with nothing "
            "to count shows —."
        )
        % {"when": when}
    )
    return notes
