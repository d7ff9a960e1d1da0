"""The downloadable template of each kind: the data sheet (headers, one example row,
text format where digits matter, drop-downs), a notes sheet and an options sheet."""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from gongzhi.core import xlsx
from gongzhi.imports.formats import (
    CHOICES_SHEET,
    CRS_NAMES,
    FORMATS,
    NOTES_SHEET,
    RELATIONSHIP_NAMES,
    RESIDENCE_TYPE_NAMES,
)
from gongzhi.registry.models import PremisesCategory, Tag

TEMPLATE_ROWS = 20000  # rows the drop-downs and text format cover in the template


def _options() -> dict[str, list[str]]:
    return {
        "residence_type": list(RESIDENCE_TYPE_NAMES.values()),
        "relationship": list(RELATIONSHIP_NAMES.values()),
        "crs": sorted(set(CRS_NAMES.values())),
        "category": list(
            PremisesCategory.objects.filter(is_active=True).values_list("name", flat=True)
        ),
        "tags": list(Tag.objects.filter(is_active=True).values_list("name", flat=True)),
    }


def _option_titles() -> dict[str, str]:
    return {
        "residence_type": "居住类型",
        "relationship": "与户主关系",
        "crs": "坐标系",
        "category": "场所类别",
        "tags": "标签",
    }


def template_bytes(kind: str) -> bytes:
    fmt = FORMATS[kind]
    out = io.BytesIO()
    wb = xlsx.Workbook(out, {"in_memory": True})
    head = wb.add_format(
        {"bold": True, "bg_color": "#E8EFFB", "border": 1, "align": "center", "valign": "vcenter"}
    )
    head_required = wb.add_format(
        {
            "bold": True,
            "bg_color": "#E8EFFB",
            "font_color": "#C8291E",
            "border": 1,
            "align": "center",
            "valign": "vcenter",
        }
    )
    text = wb.add_format({"num_format": "@"})
    example = wb.add_format({"italic": True, "font_color": "#6B7280"})
    example_text = wb.add_format({"italic": True, "font_color": "#6B7280", "num_format": "@"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    bold = wb.add_format({"bold": True})

    sheet = wb.add_worksheet(fmt.sheet_name)
    notes = wb.add_worksheet(NOTES_SHEET)
    choices = wb.add_worksheet(CHOICES_SHEET)

    options = _options()
    option_titles = _option_titles()
    ranges = {}
    for col, (key, values) in enumerate(options.items()):
        choices.write(0, col, option_titles[key], bold)
        choices.set_column(col, col, 14)
        for i, value in enumerate(values, start=1):
            choices.write_string(i, col, value)
        letter = xl_col_to_name(col)
        ranges[key] = f"='{CHOICES_SHEET}'!${letter}$2:${letter}${max(len(values), 1) + 1}"

    sheet.set_row(0, 22)
    sheet.freeze_panes(1, 0)
    for col, column in enumerate(fmt.columns):
        sheet.set_column(col, col, column.width, text if column.text else None)
        sheet.write_string(0, col, column.header, head_required if column.required else head)
        if column.example:
            sheet.write_string(1, col, column.example, example_text if column.text else example)
        if column.choices:
            sheet.data_validation(
                1,
                col,
                TEMPLATE_ROWS,
                col,
                {
                    "validate": "list",
                    "source": ranges[column.choices],
                    "error_type": "warning",
                    "error_message": _("Choose a value from the list."),
                },
            )

    notes.set_column(0, 0, 18)
    notes.set_column(1, 1, 8)
    notes.set_column(2, 2, 70)
    notes.set_column(3, 3, 22)
    general = [
        _("One record per row; the first row holds the column names. Do not merge cells."),
        _("Row 2 is an example; left unchanged, it is skipped on import."),
        _("Columns in red are required. Columns you do not need may be deleted."),
        _(
            "Keep digit columns (codes, ID numbers, phones) as text, or Excel rounds long "
            "numbers. Save as .xlsx or CSV (UTF-8 or GB18030), at most %(mb)d MB."
        )
        % {"mb": max(1, settings.UPLOAD_MAX_BYTES // (1024 * 1024))},
        _(
            "Every row is checked before anything is saved; rows with errors are listed "
            "with the reason and are not imported. Importing the same file again adds no "
            "duplicates: it updates what is registered."
        ),
    ]
    row = 0
    for line in general:
        notes.write_string(row, 0, line)
        row += 1
    row += 1
    titles = (_("Column"), _("Required"), _("Explanation"), _("Example"))
    for col, title in enumerate(titles):
        notes.write_string(row, col, str(title), head)
    for column in fmt.columns:
        row += 1
        notes.write_string(row, 0, column.header, bold)
        notes.write_string(row, 1, _("Yes") if column.required else "")
        notes.write_string(row, 2, str(column.note), wrap)
        notes.write_string(row, 3, column.example)
    wb.close()
    return out.getvalue()
