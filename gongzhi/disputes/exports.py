"""The workbooks of disputes (core.xlsx: text stays text): the register — no party data,
whoever downloads it — and a month's screening board with the summary."""

import io

from django.utils import timezone

from gongzhi.core import xlsx
from gongzhi.disputes.models import Outcome, Risk, Source

STATE = {"on_time": "按时上报", "late": "逾期上报", "missing": "未上报", "overdue": "逾期未报"}


def register_workbook(rows) -> bytes:
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    sheet = book.add_worksheet("登记簿")
    sheet.write_row(0, 0, ["编号", "登记时间", "网格", "类型", "来源", "来源编号", "风险等级",
                           "简要情况",
                           "调解员", "结果", "办结时间"], head)  # fmt: skip
    for i, d in enumerate(rows, start=1):
        case = d.case
        sheet.write_row(i, 0, [
            case.number,
            timezone.localtime(d.registered_at).strftime("%Y-%m-%d %H:%M"),
            case.grid.name if case.grid_id else "",
            d.type.name,
            str(Source(d.source).label),
            d.source_ref,
            str(Risk(d.risk).label),
            d.summary,
            case.assignee_user.get_display_name() if case.assignee_user_id else "",
            str(Outcome(d.outcome).label) if d.outcome else "",
            timezone.localtime(d.concluded_at).strftime("%Y-%m-%d") if d.concluded_at else "",
        ])  # fmt: skip
    sheet.set_column(0, 0, 20)
    sheet.set_column(7, 7, 40)
    book.close()
    return out.getvalue()


def screening_workbook(board, summary) -> bytes:
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    sheet = book.add_worksheet("上报情况")
    sheet.write_row(
        0,
        0,
        ["单位编码", "单位", "上报情况", "零报告", "排查纠纷数", "首次上报时间", "修订次数"],
        head,
    )
    for i, r in enumerate(board.rows, start=1):
        sheet.write_row(i, 0, [
            r.code, r.name, STATE[r.state], "是" if r.is_zero else "",
            r.found if r.filed_at else "",
            timezone.localtime(r.filed_at).strftime("%Y-%m-%d %H:%M") if r.filed_at else "",
            r.revision or "",
        ])  # fmt: skip
    sheet.set_column(0, 1, 20)
    s = book.add_worksheet("月度汇总")
    lines = [
        ("单位", summary["unit"].name), ("月份", f"{summary['month']:%Y-%m}"),
        ("本月新增", summary["new"]), ("上月结转", summary["carried_over"]),
        ("调解成功", summary["settled"]), ("调解不成", summary["failed"]),
        ("移交", summary["referred"]), ("撤回", summary["withdrawn"]),
        ("调解终结", summary["concluded"]), ("月末在调", summary["open_at_end"]),
        ("调解成功率", f"{summary['success'].percent}（{summary['settled']}/"
                       f"{summary['concluded']}）"),
    ]  # fmt: skip
    for i, (label, value) in enumerate(lines):
        s.write(i, 0, label, head)
        s.write(i, 1, value)
    row = len(lines) + 1
    s.write(row, 0, "按类型", head)
    for j, (name, n) in enumerate(summary["by_type"], start=row + 1):
        s.write(j, 0, name)
        s.write(j, 1, n)
    row = row + len(summary["by_type"]) + 2
    s.write(row, 0, "按风险等级", head)
    for j, (name, n) in enumerate(summary["by_risk"], start=row + 1):
        s.write(j, 0, name)
        s.write(j, 1, n)
    s.set_column(0, 1, 18)
    book.close()
    return out.getvalue()
