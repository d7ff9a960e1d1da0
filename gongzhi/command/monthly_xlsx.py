"""The monthly report as an xlsx workbook (XlsxWriter): the overview, the per-unit tables
and the categories, each sheet ready to print; every download is audited."""

import io
import re

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from gongzhi.cases import kpis
from gongzhi.command.monthly import MonthlyReport, columns, monthly_report
from gongzhi.core import xlsx
from gongzhi.core.audit import audit_record
from gongzhi.core.roles import Level


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


class _Book:
    """XlsxWriter formats and the print setup every sheet shares."""

    def __init__(self, report: MonthlyReport, out):
        self.report = report
        self.wb = xlsx.Workbook(out, {"in_memory": True})
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
    for key, _label, kind in columns():
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
    shown = columns()
    headers = [*first, *(str(label) for _k, label, _kind in shown)]
    widths = [14 if len(first) > 1 else 22] + [22] * (len(first) - 1) + [11] * len(shown)
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


def _section_sheet(book: _Book, section):
    """An app's section (core.manifest.ReportSection) as a sheet of its rows."""
    title = str(section.title)
    ws = book.sheet(title, 2, [40, 18])
    book.heading(ws, title, 2)
    ws.write(2, 0, str(_("Item")), book.head)
    ws.write(2, 1, str(_("Value")), book.head)
    for row, (_key, label, value) in enumerate(section.rows, start=3):
        ws.write(row, 0, str(label), book.text)
        if isinstance(value, int):
            book.number(ws, row, 1, value)
        else:
            ws.write(row, 1, str(value), book.text)
    return ws


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
    for section in report.sections:
        _section_sheet(book, section)
    book.wb.close()
    return out.getvalue()
