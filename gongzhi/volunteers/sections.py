"""Volunteers on the command center's dashboard and monthly report
(core.manifest.ReportSection): the unit's activities, 人次 and hours from the records
(selectors.figures), the people who came, and the patrols — each with what it counts.
Shown to those who view volunteers over the whole unit."""

from django.utils.translation import gettext as _

from gongzhi.core.permissions import scope_for
from gongzhi.volunteers import perms, selectors


def command_section(user, unit, start, end) -> dict | None:
    if not scope_for(user, perms.VIEW).covers_code(unit.code):
        return None
    total, _children = selectors.figures(user, unit, start, end)
    if not (total.activities or total.turns or total.minutes or total.patrols):
        return None
    return {"f": total}


def section_rows(s: dict) -> list[tuple[str, str, object]]:
    f = s["f"]
    return [
        ("activities", _("Volunteer activities"), f.activities),
        ("turns", _("Volunteer turns (人次, checked in)"), f.turns),
        ("hours", _("Service hours (approved records)"), f.hours),
        ("attendance", _("People reached (non-volunteers counted)"), f.attendance),
        ("patrols", _("Patrols"), f.patrols),
        ("volunteers", _("Approved volunteers"), f.volunteers),
    ]
