"""The one xlsx writer keeps text as text, whatever method wrote it."""

import io

import pytest

from gongzhi.core import xlsx
from gongzhi.core.tests.xlsx_support import HOSTILE, cell_texts, formulas, quote_prefixed_styles


@pytest.mark.parametrize("options", [{"in_memory": True}, {"constant_memory": True}])
def test_workbook__every_way_of_writing_text_writes_a_string(options):
    out = io.BytesIO()
    wb = xlsx.Workbook(out, {**options, "strings_to_formulas": True})  # asked for: refused
    bold = wb.add_format({"bold": True})
    ws = wb.add_worksheet("表")
    for row, text in enumerate(HOSTILE):
        ws.write(row, 0, text)
        ws.write_string(row, 1, text, bold)
        ws.write_row(row, 2, [text, "http://example.com", "0379"])
    ws.merge_range(len(HOSTILE), 0, len(HOSTILE), 3, HOSTILE[0], bold)
    wb.close()
    data = out.getvalue()

    assert formulas(data) == []
    assert set(HOSTILE) | {"http://example.com", "0379"} <= cell_texts(data)
    # The quote prefix in two looks: the default one and the bold one.
    assert quote_prefixed_styles(data) == 2


def test_workbook__ordinary_text_keeps_its_format():
    out = io.BytesIO()
    wb = xlsx.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_string(0, 0, "明德路街道", wb.add_format({"bold": True}))
    ws.write_number(0, 1, -3)
    wb.close()
    assert quote_prefixed_styles(out.getvalue()) == 0
    assert cell_texts(out.getvalue()) == {"明德路街道", "-3.0"}
