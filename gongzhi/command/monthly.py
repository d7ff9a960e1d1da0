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
import io
import re
from dataclasses import dataclass, field

import xlsxwriter
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from gongzhi.cases import kpis
from gongzhi.cases.models import CaseRollup, RollupDims
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Invalid
from gongzhi.core.roles import CODE_LENGTH, Level, child_level
from gongzhi.orgs.access import command_unit
from gongzhi.orgs.models import OrgUnit

TOP_CATEGORIES = 10
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
EARLIEST_YEAR = 2000

# The columns of the per-unit tables (children, communities, handling units), for the
# page and the workbook alike: (key, header, "count" | "rate").
COLUMNS = (
    ("received", pgettext_lazy("monthly report", "Received"), "count"),  # 受理
    ("handled", pgettext_lazy("monthly report", "Handled"), "count"),  # 处置
    ("closed", pgettext_lazy("monthly report", "Closed"), "count"),  # 结案
    ("on_time_closure", gettext_lazy("On-time closure rate"), "rate"),
    ("response", gettext_lazy("Response rate"), "rate"),
    ("satisfaction", gettext_lazy("Satisfaction rate"), "rate"),
    ("rework", gettext_lazy("Rework rate"), "rate"),
    ("repeat", gettext_lazy("Repeat rate"), "rate"),
    ("overdue", pgettext_lazy("monthly report", "Overdue"), "count"),  # 超期
)

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
                "span": len(heads) + len(COLUMNS),
            }
            for key, title, heads, rows, total in out
        ]


def cells(report: kpis.KpiReport) -> list[dict]:
    """The COLUMNS of one row: {"key", "count"} or {"key", "rate"}."""
    return [
        {"key": key, "rate": report.rate(key)}
        if kind == "rate"
        else {"key": key, "count": report.counts[key]}
        for key, _label, kind in COLUMNS
    ]


# -- the month --------------------------------------------------------------------


def _invalid(message: str):
    return Invalid(message, code="invalid_month", details={"month": [message]})


def parse_month(value) -> tuple[int, int]:
    """ "2026-10" → (2026, 10); anything else is Invalid (code "invalid_month")."""
    match = _MONTH.match((value or "").strip())
    if not match:
        raise _invalid(_("Give the month as year and month, like 2026-10."))
    return int(match.group(1)), int(match.group(2))


def last_month(today: dt.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    after = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, after - dt.timedelta(days=1)


def _first_data_month(unit_code: str) -> dt.date | None:
    """The first month with any rollup row in the unit's district: data begins there.
    (One index lookup on the rollup key: grain, dims, unit_code, day.)"""
    return (
        CaseRollup.objects.filter(grain="m", dims=RollupDims.TOTAL, unit_code=unit_code[:6])
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )


def _check_month(unit_code: str, year, month, today: dt.date) -> tuple[dt.date, dt.date]:
    if not (isinstance(year, int) and isinstance(month, int)) or not 1 <= month <= 12:
        raise _invalid(_("There is no such month: give it like 2026-10."))
    if year < EARLIEST_YEAR:
        raise _invalid(_("There is no data before %(year)d.") % {"year": EARLIEST_YEAR})
    start, end = _month_bounds(year, month)
    if start > today:
        raise _invalid(_("%(month)s has not begun yet.") % {"month": f"{year:04d}-{month:02d}"})
    first = _first_data_month(unit_code)
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


def monthly_export(user, unit_code: str, year: int, month: int) -> tuple[MonthlyReport, bytes]:
    """The report as an xlsx workbook, and an audit row saying who took which (the
    figures leave the system)."""
    report = monthly_report(user, unit_code, year, month)
    data = monthly_xlsx(report)
    audit_record(
        actor=user,
        action="command.monthly_export",
        object_type="orgs.orgunit",
        object_id=report.unit_code,
        object_repr=f"{report.unit_name} {report.label}",
        changes={"unit": report.unit_code, "month": report.label},
    )
    return report, data


def filename(report: MonthlyReport) -> str:
    """月报-明德路街道-2026-10.xlsx"""
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", report.unit_name)
    return f"{_('Monthly report')}-{name}-{report.label}.xlsx"


# -- the workbook -----------------------------------------------------------------


class _Book:
    """XlsxWriter formats and the print setup every sheet shares."""

    def __init__(self, report: MonthlyReport, out):
        self.report = report
        self.wb = xlsxwriter.Workbook(out, {"in_memory": True})
        self.wb.set_properties(
            {
                "title": f"{report.unit_name} {report.label} {_('Monthly report')}",
                "company": _("Gongzhi grid governance"),
            }
        )
        font = {"font_name": "SimSun", "font_size": 10, "valign": "vcenter"}
        cell = {**font, "border": 1, "border_color": "#B7B7B7"}
        self.title = self.wb.add_format({**font, "bold": True, "font_size": 14})
        self.muted = self.wb.add_format({**font, "font_color": "#666666", "text_wrap": True})
        self.head = self.wb.add_format(
            {
                **cell,
                "bold": True,
                "bg_color": "#E8EEF7",
                "align": "center",
                "text_wrap": True,
            }
        )
        self.text = self.wb.add_format(cell)
        self.int = self.wb.add_format({**cell, "num_format": "#,##0"})
        self.pct = self.wb.add_format({**cell, "num_format": "0.0%"})
        self.signed = self.wb.add_format({**cell, "num_format": "+#,##0;-#,##0;0"})
        self.signed_pct = self.wb.add_format({**cell, "num_format": "+0.0%;-0.0%;0.0%"})
        self.points = self.wb.add_format({**cell, "num_format": "+0.0;-0.0;0.0"})
        self.none = self.wb.add_format({**cell, "align": "center", "font_color": "#888888"})
        bold = {"bold": True, "bg_color": "#F4F6F9"}
        self.total_text = self.wb.add_format({**cell, **bold})
        self.total_int = self.wb.add_format({**cell, **bold, "num_format": "#,##0"})
        self.total_pct = self.wb.add_format({**cell, **bold, "num_format": "0.0%"})

    def sheet(self, name: str, header_row: int, widths: list[float]):
        ws = self.wb.add_worksheet(name[:31])
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
        ws.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.6)
        unit = self.report.unit_name.replace("&", "&&")
        ws.set_header(
            f"&L{unit}&C{self.report.label} {_('Monthly report')}&R{name}",
            {"margin": 0.3},
        )
        pages = _("Page %(page)s of %(pages)s") % {"page": "&P", "pages": "&N"}
        ws.set_footer("&C" + pages, {"margin": 0.3})
        ws.repeat_rows(header_row)
        ws.freeze_panes(header_row + 1, 1)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        return ws

    def heading(self, ws, title: str, columns: int):
        report = self.report
        ws.merge_range(
            0, 0, 0, columns - 1, f"{report.unit_name} {report.label} {title}", self.title
        )
        when = date_format(timezone.localtime(report.generated_at), "Y-m-d H:i")
        ws.merge_range(1, 0, 1, columns - 1, _("Generated %(when)s") % {"when": when}, self.muted)

    def number(self, ws, row, col, value, fmt=None):
        ws.write_number(row, col, value, fmt or self.int)

    def rate(self, ws, row, col, rate: kpis.Rate, fmt=None):
        if rate.value is None:
            ws.write_string(row, col, "—", self.none)
        else:
            ws.write_number(row, col, rate.value, fmt or self.pct)

    def ratio(self, ws, row, col, value: float | None, fmt):
        if value is None:
            ws.write_string(row, col, "—", self.none)
        else:
            ws.write_number(row, col, value, fmt)


def _kpi_row(book: _Book, ws, row: int, col: int, report: kpis.KpiReport, total=False):
    for key, _label, kind in COLUMNS:
        if kind == "count":
            fmt = book.total_int if total else book.int
            ws.write_number(row, col, report.counts[key], fmt)
        else:
            book.rate(ws, row, col, report.rate(key), book.total_pct if total else None)
        col += 1


def _overview(book: _Book, report: MonthlyReport):
    headers = [
        _("Indicator"),
        _("Numerator"),
        _("Denominator"),
        _("This month"),
        _("Previous month (%(month)s)") % {"month": report.previous_label},
        _("Change (percentage points)"),
    ]
    ws = book.sheet(_("Summary"), 3, [16, 12, 12, 12, 18, 16])
    book.heading(ws, _("Monthly report"), len(headers))
    ws.write_row(3, 0, headers, book.head)
    row = 4
    for line in report.kpis:
        ws.write_string(row, 0, str(line.label), book.text)
        book.number(ws, row, 1, line.rate.numerator)
        book.number(ws, row, 2, line.rate.denominator)
        book.rate(ws, row, 3, line.rate)
        book.rate(ws, row, 4, line.previous)
        book.ratio(ws, row, 5, line.change, book.points)
        row += 1
    row += 1
    counts_head = [
        _("Count"),
        _("This month"),
        _("Previous month (%(month)s)") % {"month": report.previous_label},
        pgettext("monthly report", "Change"),
        _("Change (%)"),
    ]
    ws.write_row(row, 0, counts_head, book.head)
    row += 1
    for line in report.counts:
        ws.write_string(row, 0, str(line.label), book.text)
        book.number(ws, row, 1, line.value)
        book.number(ws, row, 2, line.previous)
        book.number(ws, row, 3, line.change, book.signed)
        book.ratio(ws, row, 4, line.change_ratio, book.signed_pct)
        row += 1
    row += 1
    for note in report.notes:
        ws.merge_range(row, 0, row, len(headers) - 1, note, book.muted)
        ws.set_row(row, 30)
        row += 1


def _unit_table(book: _Book, name: str, first: list[str], rows, total=None):
    """A sheet with one row per unit: `first` names the leading text columns; each row
    is (texts, KpiReport)."""
    headers = [*first, *(str(label) for _k, label, _kind in COLUMNS)]
    widths = [14 if len(first) > 1 else 22] + [22] * (len(first) - 1) + [11] * len(COLUMNS)
    ws = book.sheet(name, 3, widths)
    book.heading(ws, name, len(headers))
    ws.set_row(3, 30)
    ws.write_row(3, 0, headers, book.head)
    row = 4
    for texts, report in rows:
        ws.write_row(row, 0, texts, book.text)
        _kpi_row(book, ws, row, len(first), report)
        row += 1
    if total is not None:
        ws.write_row(row, 0, [_("Total"), *[""] * (len(first) - 1)], book.total_text)
        _kpi_row(book, ws, row, len(first), total, total=True)
        row += 1
    if not rows:
        ws.merge_range(row, 0, row, len(headers) - 1, _("None this month."), book.muted)


def _categories_sheet(book: _Book, report: MonthlyReport):
    headers = [
        _("Rank"),
        _("Category"),
        pgettext_lazy("monthly report", "Received"),
        _("Share"),
        _("Previous month (%(month)s)") % {"month": report.previous_label},
        pgettext("monthly report", "Change"),
        _("Change (%)"),
    ]
    ws = book.sheet(_("Categories"), 3, [8, 24, 11, 11, 18, 11, 11])
    book.heading(ws, _("Top problem categories"), len(headers))
    ws.write_row(3, 0, [str(h) for h in headers], book.head)
    row = 4
    for i, line in enumerate(report.categories, 1):
        book.number(ws, row, 0, i)
        ws.write_string(row, 1, line.label, book.text)
        book.number(ws, row, 2, line.received)
        book.ratio(ws, row, 3, line.share, book.pct)
        book.number(ws, row, 4, line.previous)
        book.number(ws, row, 5, line.change, book.signed)
        book.ratio(ws, row, 6, line.change_ratio, book.signed_pct)
        row += 1
    if not report.categories:
        ws.merge_range(row, 0, row, len(headers) - 1, _("None this month."), book.muted)


def monthly_xlsx(report: MonthlyReport) -> bytes:
    """The workbook: 概览 (the eight rates with numerator, denominator and 环比, and the
    main counts), one sheet per unit table (child units; for a district also every
    community), 承办单位 and 问题类别. A4 landscape, one page wide, header rows frozen
    and repeated on every printed page."""
    out = io.BytesIO()
    book = _Book(report, out)
    _overview(book, report)
    unit_col = [str(pgettext_lazy("monthly report", "Unit"))]
    if report.child_level:
        _unit_table(
            book,
            report.child_level_label,
            unit_col,
            [([r.unit_name], r) for r in report.children],
            total=report.summary,
        )
    if report.unit_level == Level.DISTRICT:
        _unit_table(
            book,
            str(Level.COMMUNITY.label),
            [str(Level.SUBDISTRICT.label), str(Level.COMMUNITY.label)],
            [([c.subdistrict, c.report.unit_name], c.report) for c in report.communities],
        )
    _unit_table(
        book,
        _("Handling units"),
        [str(_("Handling unit"))],
        [([r.unit_name], r) for r in report.departments],
    )
    _categories_sheet(book, report)
    book.wb.close()
    return out.getvalue()
