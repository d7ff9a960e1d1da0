"""Care on the command center's dashboard and monthly report (core.manifest.ReportSection):
the unit's figures for the period from selectors.figures — visits made, scheduled visits
due and done, overdue now, cared-for residents not visited in 30 days, and the micro-wishes
collected, claimed, fulfilled and followed up — each with its denominator where it has
one. Shown to those who view care over the whole unit."""

from django.utils.translation import gettext as _

from gongzhi.care import perms, selectors
from gongzhi.core.permissions import scope_for

NOT_VISITED_DAYS = 30


def command_section(user, unit, start, end) -> dict | None:
    if not scope_for(user, perms.VIEW).covers_code(unit.code):
        return None
    total, _children = selectors.figures(user, unit, start, end, days=NOT_VISITED_DAYS)
    shown = ("visits", "due", "overdue", "not_visited", "collected", "claimed", "fulfilled")
    if not any(getattr(total, name) for name in shown):
        return None
    done_pct = round(100 * total.due_done / total.due, 1) if total.due else None
    return {"f": total, "done_pct": done_pct, "days": NOT_VISITED_DAYS}


def section_rows(s: dict) -> list[tuple[str, str, object]]:
    f = s["f"]
    return [
        ("visits", _("Visits made"), f.visits),
        ("due", _("Scheduled visits due"), f.due),
        ("due_done", _("… of them visited"), f.due_done),
        ("overdue", _("Scheduled visits overdue now"), f.overdue),
        ("not_visited", _("Cared-for residents not visited in 30 days"), f.not_visited),
        ("wishes_collected", _("Micro-wishes collected"), f.collected),
        ("wishes_claimed", _("Micro-wishes claimed"), f.claimed),
        ("wishes_fulfilled", _("Micro-wishes fulfilled"), f.fulfilled),
        ("wishes_followed_up", _("Micro-wishes followed up"), f.followed_up),
    ]
