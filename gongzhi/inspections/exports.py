"""Workbooks of inspections (core.xlsx: text stays text): a campaign's report (per round,
grid and category, with the same figures as the page) and its tasks, and the open or
overdue rectification notices. Each is read through the same scoped selectors as the
pages, so a workbook holds what its reader may see and nothing more."""

import io

from django.utils import timezone

from gongzhi.core import xlsx
from gongzhi.inspections import selectors
from gongzhi.inspections.models import InspectionTask, NoticeState

MAX_ROWS = 200_000
REPORT_HEAD = [
    "",
    "场所",
    "已检查",
    "检查率%",
    "发现隐患",
    "按期整改",
    "整改中",
    "复查",
    "复查合格",
    "复查合格率%",
]


def _row(label, f):
    rate = f.pass_rate if f.pass_rate is not None else ""
    return [
        label,
        f.tasks,
        f.inspected,
        f.percent,
        f.hazards,
        f.on_time,
        f.open_notices,
        f.reinspected,
        f.passed,
        rate,
    ]


def _sheet(book, name, head, rows, bold):
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, head, bold)
    for n, row in enumerate(rows, start=1):
        sheet.write_row(n, 0, row)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, len(head) - 1, 12)
    sheet.freeze_panes(1, 1)
    return sheet


def campaign_workbook(user, campaign) -> bytes:
    """轮次 / 网格 / 场所类别 sheets of the report, one per round's grids and categories,
    and the tasks with their outcome."""
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    progress = selectors.progress(user, campaign)
    _sheet(
        book,
        "轮次",
        ["轮次", *REPORT_HEAD[1:]],
        [_row(f"第{r.number}轮", f) for r, f in progress.rounds],
        bold,
    )
    for r, _f in progress.rounds:
        per = selectors.progress(user, campaign, round_number=r.number)
        _sheet(
            book,
            f"第{r.number}轮-网格",
            ["网格", *REPORT_HEAD[1:]],
            [_row(f.label, f) for f in per.by_grid],
            bold,
        )
        _sheet(
            book,
            f"第{r.number}轮-类别",
            ["场所类别", *REPORT_HEAD[1:]],
            [_row(f.label, f) for f in per.by_category],
            bold,
        )
    tasks = (
        selectors.tasks_visible_to(user)
        .filter(round__campaign=campaign)
        .select_related("round", "premises", "premises__category", "result", "result__hazard")
        .order_by("round__number", "org_code", "premises__name")[:MAX_ROWS]
    )
    _sheet(
        book,
        "检查任务",
        [
            "轮次",
            "场所",
            "类别",
            "地址",
            "网格编码",
            "截止日期",
            "状态",
            "检查结果",
            "不合格项",
            "隐患事件",
            "检查时间",
        ],
        (_task_row(t) for t in tasks),
        bold,
    )
    book.close()
    return out.getvalue()


def _task_row(t: InspectionTask) -> list:
    result = getattr(t, "result", None)
    received = timezone.localtime(result.received_at).strftime("%Y-%m-%d %H:%M") if result else ""
    return [
        t.round.number,
        t.premises.name,
        t.premises.category.name,
        t.premises.address,
        t.org_code,
        t.due_on.isoformat(),
        t.get_state_display(),
        result.get_outcome_display() if result else "",
        len(result.failed_keys) if result else "",
        result.hazard.number if result and result.hazard_id else "",
        received,
    ]


def notices_workbook(user, *, overdue: bool) -> bytes:
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    rows = selectors.notices_list(user, overdue=overdue)[:MAX_ROWS]
    _sheet(
        book,
        "逾期整改通知书" if overdue else "整改中的通知书",
        ["编号", "场所", "隐患事件", "第几次", "不合格项", "整改期限", "送达", "状态"],
        (
            [
                n.number,
                n.premises.name,
                n.hazard.number,
                n.seq,
                "；".join(i["text"] for i in n.items),
                n.deadline.isoformat(),
                n.get_service_display() or "未送达",
                str(NoticeState(n.state).label),
            ]
            for n in rows
        ),
        bold,
    )
    book.close()
    return out.getvalue()
