"""The one way the project writes xlsx (XlsxWriter): text stays text.

A spreadsheet turns a cell into a formula when its text starts with "=" (and, when
typed, with "+", "-" or "@"): a unit, a resident or a category named
`=HYPERLINK("http://…","点此")` would become a live link in the workbook a leader
opens, and `=cmd|…` worse. So every workbook here is a `Workbook` from this module:

- `strings_to_formulas`, `strings_to_urls` and `strings_to_numbers` are off, whatever
  the caller asks, so `write()`, `write_row()` and `merge_range()` write a str as a
  string cell, never a formula, a link or a number;
- a string that starts with = + - @, a tab or a carriage return gets Excel's quote
  prefix (the cell shows the text, and stays text when someone edits it and presses
  Enter), in the same look as the format the caller gave.

Formulas the code itself writes (the import template's drop-down ranges) go through
`data_validation`, not through cells."""

import xlsxwriter
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from xlsxwriter.worksheet import Worksheet

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_ONLY = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TextWorksheet(Worksheet):
    def _write_string(self, row, col, string, cell_format=None):
        if string.startswith(FORMULA_START):
            cell_format = self._quoted(cell_format)
        return super()._write_string(row, col, string, cell_format)

    def _quoted(self, cell_format):
        quoted = getattr(cell_format, "quoted_format", None)
        if quoted is None:
            properties = getattr(cell_format, "source_properties", {}) if cell_format else {}
            quoted = self.workbook_add_format({**properties, "quote_prefix": True})
            if cell_format is not None:
                cell_format.quoted_format = quoted
        return quoted


class Workbook(xlsxwriter.Workbook):
    """xlsxwriter.Workbook(out, options) that writes text as text (see the module)."""

    worksheet_class = TextWorksheet

    def __init__(self, out, options: dict | None = None):
        super().__init__(out, {**(options or {}), **TEXT_ONLY})

    def add_format(self, properties=None):
        cell_format = super().add_format(properties)
        cell_format.source_properties = dict(properties or {})
        cell_format.quoted_format = None
        return cell_format


def response(data: bytes, filename: str) -> HttpResponse:
    """A workbook to download, its name (Chinese included) in Content-Disposition."""
    out = HttpResponse(data, content_type=CONTENT_TYPE)
    out.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return out
