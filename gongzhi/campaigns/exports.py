"""The hotspots and the special campaigns as workbooks (a campaign's cases go through
cases.exports like every list of cases). Each download is audited with what it holds."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core import xlsx
from gongzhi.core.audit import audit_record


def _sheet(title: str, heads: list, rows: list[list], widths: list[int]) -> bytes:
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    ws = book.add_worksheet(title[:31])
    ws.write_row(0, 0, [str(h) for h in heads], head)
    for n, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(n, col, value)
            else:
                ws.write_string(n, col, str(value))
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, max(len(rows), 1), len(heads) - 1)
    book.close()
    return out.getvalue()


def hotspots_workbook(actor, rows: list[dict], *, unit_code: str, window_days: int) -> bytes:
    """The hotspots as the page ranks them: where, what, how many in the window against
    the history, the page's sentence, the campaign under way and the case numbers."""
    data = [
        [
            r["rank"], str(r["level_label"]), r["h"].area_name, r["h"].category_name,
            r["h"].recent, _("new") if r["h"].is_new else round(r["h"].ratio, 1),
            r["text"], r["h"].campaign_name, r["h"].case_total,
            " ".join(c["number"] for c in r["cases"]),
        ]
        for r in rows
    ]  # fmt: skip
    heads = [_("Rank"), _("Level"), _("Area"), _("Category"),
             _("Cases in the last %(n)d days") % {"n": window_days}, _("Against usual"),
             _("Description"), _("Campaign under way"), _("Cases"), _("Case numbers")]  # fmt: skip
    audit_record(actor=actor, action="campaigns.hotspots_export", object_type="campaigns.campaign",
                 changes={"rows": len(data), "unit": unit_code})  # fmt: skip
    return _sheet(_("Hotspots"), heads, data, [6, 8, 20, 14, 10, 10, 50, 20, 8, 40])


def campaigns_workbook(actor, rows: list[dict], *, state: str) -> bytes:
    """The campaigns of the list with their progress (cases, open, overdue now, closed,
    closed on time) and the on-time rate with its denominator."""
    data = []
    for r in rows:
        c, p = r["c"], r["p"]
        data.append([
            c.name, r["area"], c.building.name if c.building_id else "",
            c.category.name if c.category_id else _("Any category"), c.get_state_display(),
            timezone.localtime(c.opened_at).strftime("%Y-%m-%d"),
            timezone.localtime(c.closed_at).strftime("%Y-%m-%d") if c.closed_at else "",
            p.total, p.open, p.overdue, p.closed, p.closed_on_time,
            f"{p.on_time.percent}% ({p.closed_on_time}/{p.closed})" if p.closed else "—",
        ])  # fmt: skip
    heads = [_("Name"), _("Area"), _("Building"), _("Category"), _("State"), _("Opened"),
             _("Closed on"), _("Cases"), _("Open cases"), _("Overdue now"), _("Closed"),
             _("Closed on time"), _("On-time closure rate")]  # fmt: skip
    audit_record(actor=actor, action="campaigns.export", object_type="campaigns.campaign",
                 changes={"rows": len(data), "state": state})  # fmt: skip
    return _sheet(
        _("Special campaigns"), heads, data, [24, 16, 14, 14, 8, 11, 11, 7, 8, 8, 7, 9, 16]
    )
