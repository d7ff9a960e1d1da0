"""Bookings and loans as workbooks (core.xlsx: text stays text), read through the same
scoped selectors as the pages; phones masked."""

import io

from django.http import HttpResponse
from django.utils import timezone

from gongzhi.core import xlsx

BOOKING_HEAD = [
    "功能室",
    "开始",
    "结束",
    "状态",
    "预约方",
    "主题",
    "预约人",
    "电话",
    "人数",
    "来源",
    "原因",
]
LOAN_HEAD = [
    "共享小屋",
    "编号",
    "物品",
    "借用人",
    "电话",
    "状态",
    "借出",
    "应还",
    "归还",
    "续借",
    "归还状况",
]


def _t(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _book(name: str, head: list[str], rows) -> bytes:
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True, "constant_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, head, bold)
    for n, row in enumerate(rows, start=1):
        sheet.write_row(n, 0, row)
    sheet.set_column(0, len(head) - 1, 14)
    book.close()
    return out.getvalue()


def bookings_workbook(rows) -> bytes:
    return _book(
        "功能室预约",
        BOOKING_HEAD,
        (
            [
                b.room.name,
                _t(b.starts_at),
                _t(b.ends_at),
                b.get_state_display(),
                b.get_booker_kind_display(),
                b.title,
                b.booker_name if b.booker_kind != "resident" else "",
                b.phone_masked,
                b.people,
                b.purpose,
                b.reason,
            ]
            for b in rows.iterator(chunk_size=2000)
        ),
    )


def loans_workbook(rows) -> bytes:
    return _book(
        "共享小屋借用",
        LOAN_HEAD,
        (
            [
                r.hut.name,
                r.item.number,
                r.item.name,
                r.resident.name,
                r.resident.phone_masked,
                r.get_state_display(),
                _t(r.out_at),
                _t(r.due_at),
                _t(r.returned_at),
                r.renewals,
                r.get_condition_back_display(),
            ]
            for r in rows.iterator(chunk_size=2000)
        ),
    )


def response(data: bytes, name: str) -> HttpResponse:
    out = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    out["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.xlsx"'
    return out
