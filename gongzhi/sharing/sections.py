"""Sharing on the command center's dashboard and monthly report (core.manifest.ReportSection):
the unit's bookings and loans in the period, counted from the records, each with its
denominator. Shown to those who view sharing over the whole unit."""

from django.utils.translation import gettext as _

from gongzhi.core.permissions import scope_for
from gongzhi.sharing import perms, selectors


def _pct(n, d):
    return round(100 * n / d, 1) if d else None


def command_section(user, unit, start, end) -> dict | None:
    if not scope_for(user, perms.VIEW).covers_code(unit.code):
        return None
    f = selectors.figures(unit.code, start, end)
    if not (f.bookings or f.loans or f.items):
        return None
    return {
        "f": f,
        "check_in_pct": _pct(f.checked_in, f.bookings_held),
        "on_time_pct": _pct(f.returned - f.returned_late, f.returned),
    }


def section_rows(s: dict) -> list[tuple[str, str, object]]:
    f = s["f"]
    return [
        ("bookings", _("Room bookings"), f.bookings),
        ("bookings_held", _("… held (not cancelled or denied)"), f.bookings_held),
        ("checked_in", _("… checked in"), f.checked_in),
        ("no_shows", _("… no-shows"), f.no_shows),
        ("loans", _("Tool loans"), f.loans),
        ("returned", _("… returned"), f.returned),
        ("returned_late", _("… returned late"), f.returned_late),
        ("overdue_now", _("Tool loans overdue now"), f.overdue_now),
        ("in_repair", _("Tools in repair now"), f.in_repair),
    ]
