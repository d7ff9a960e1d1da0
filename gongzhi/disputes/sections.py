"""Disputes on the command center's dashboard and monthly report (core.manifest.
ReportSection): for the unit and period, 调解成功率 (settled / concluded), disputes
registered, settled within the community (矛盾不出小区), and — for the period's last
month — the screening board's counts (on time, late, not filed of the units due, zero
reports). Figures only, no party: shown to holders of disputes.stats over the unit."""

from django.utils.translation import gettext as _

from gongzhi.core.permissions import scope_for
from gongzhi.disputes import perms, selectors


def command_section(user, unit, start, end) -> dict | None:
    if not scope_for(user, perms.STATS).covers_code(unit.code):
        return None
    k = selectors.kpis(unit, start, end)
    board = selectors.board(unit, end.replace(day=1))
    c = board.counts
    if not (k["registered"] or k["success"].denominator or c.get("on_time") or c.get("late")):
        return None
    return {"k": k, "board": board, "c": c}


def section_rows(s: dict) -> list[tuple[str, str, object]]:
    k, c = s["k"], s["c"]
    month = s["board"].month.strftime("%Y-%m")
    return [
        ("registered", _("Disputes registered"), k["registered"]),
        ("settled", _("Settled"), k["success"].numerator),
        ("concluded", _("Concluded (settled, failed, referred)"), k["success"].denominator),
        ("success_rate", _("Mediation success rate"), k["success"].percent),
        ("withdrawn", _("Withdrawn"), k["withdrawn"]),
        ("settled_locally", _("Settled within the community"), k["local"].numerator),
        ("screening_units", _("Units due to file (%(month)s)") % {"month": month}, c["units"]),
        ("screening_on_time", _("Filed on time"), c["on_time"]),
        ("screening_late", _("Filed late"), c["late"]),
        ("screening_missing", _("Not filed"), c["missing"] + c["overdue"]),
        ("screening_zero", _("Zero reports"), c["zero"]),
    ]
