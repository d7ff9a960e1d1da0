"""Workbooks of volunteers (core.xlsx: text stays text): the volunteers (phones masked),
their hours in a period, and the partners. Read through the same scoped selectors as
the pages."""

import io

from gongzhi.core import xlsx


def _book(title: str, head: list[str], rows, widths=16) -> bytes:
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    sheet = book.add_worksheet(title)
    sheet.write_row(0, 0, head, bold)
    for n, row in enumerate(rows, start=1):
        sheet.write_row(n, 0, ["" if v is None else v for v in row])
    sheet.set_column(0, len(head) - 1, widths)
    sheet.freeze_panes(1, 1)
    book.close()
    return out.getvalue()


def volunteers_workbook(volunteers) -> bytes:
    head = [
        "姓名",
        "手机（脱敏）",
        "区划代码",
        "状态",
        "队伍",
        "来自合伙人",
        "技能",
        "可服务时间",
        "登记时间",
    ]
    rows = (
        [
            v.name,
            v.phone_masked,
            v.org_code,
            v.get_state_display(),
            getattr(v.team, "name", ""),
            getattr(v.partner, "name", ""),
            v.skills,
            v.availability,
            v.registered_at.strftime("%Y-%m-%d"),
        ]
        for v in volunteers
    )
    return _book("志愿者", head, rows)


def hours_workbook(people, start, end) -> bytes:
    head = [
        "姓名",
        "队伍",
        f"服务人次（{start}至{end}，已签到）",
        "服务时长（小时，已审核记录之和）",
    ]
    rows = (
        [p["volunteer"].name, getattr(p["volunteer"].team, "name", ""), p["turns"], p["hours"]]
        for p in people
    )
    return _book("服务时长", head, rows, 22)


def partners_workbook(partners) -> bytes:
    head = [
        "名称",
        "类别",
        "统一社会信用代码",
        "区划代码",
        "协议",
        "有效期自",
        "有效期至",
        "提供资源",
        "联系人",
        "联系电话（脱敏）",
    ]
    rows = (
        [
            p.name,
            p.get_kind_display(),
            p.uscc or "",
            p.org_code,
            p.agreement,
            p.valid_from.isoformat() if p.valid_from else "",
            p.valid_until.isoformat() if p.valid_until else "",
            p.offers,
            p.contact_name,
            p.contact_phone_masked,
        ]
        for p in partners
    )
    return _book("合伙人", head, rows)
