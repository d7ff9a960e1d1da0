"""The figures of care as a workbook (core.xlsx: text stays text): the unit's children
with the same figures as the page, and the visits per worker. Read through the same
scoped selectors as the page."""

import io

from gongzhi.core import xlsx

HEAD = ["单位", "走访次数", "应访", "应访已访", "当前逾期", "未走访（{days}天）", "征集心愿",
        "认领", "已实现", "回头看"]  # fmt: skip
FIELDS = ("visits", "due", "due_done", "overdue", "not_visited", "collected", "claimed",
          "fulfilled", "followed_up")  # fmt: skip


def figures_workbook(total, children, workers, *, days: int) -> bytes:
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    sheet = book.add_worksheet("走访与微心愿")
    sheet.write_row(0, 0, [h.format(days=days) for h in HEAD], bold)
    rows = [*children, total]
    for n, f in enumerate(rows, start=1):
        sheet.write_row(n, 0, [f.name if f is not total else f"{f.name}（合计）"])
        sheet.write_row(n, 1, [getattr(f, name) for name in FIELDS])
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, len(HEAD) - 1, 12)
    sheet.freeze_panes(1, 1)
    people = book.add_worksheet("走访人员")
    people.write_row(0, 0, ["走访人员", "走访次数", "最近一次"], bold)
    for n, w in enumerate(workers, start=1):
        name = w["visitor__name"] or w["visitor__username"]
        people.write_row(n, 0, [name, w["visits"], w["last"].strftime("%Y-%m-%d")])
    people.set_column(0, 2, 16)
    book.close()
    return out.getvalue()
