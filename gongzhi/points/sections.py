"""The points bank's section of the command center's dashboard and monthly report
(core.manifest.ReportSection): for a unit and a period, points issued, redeemed,
deducted and expired, outstanding now, the top earners and the merchants' redemptions
(points.selectors.figures). Shown to those who view points over the whole unit."""

import datetime as dt

from django.utils.translation import gettext as _

from gongzhi.core.permissions import scope_for
from gongzhi.points import perms, selectors


def command_section(user, unit, start: dt.date, end: dt.date) -> dict | None:
    if not scope_for(user, perms.VIEW).covers_code(unit.code):
        return None
    figures = selectors.figures(unit.code, start, end)
    if not (figures["issued"] or figures["outstanding"] or figures["redeemed"]):
        return None
    return figures


def section_rows(s: dict) -> list[tuple[str, str, object]]:
    rows = [
        ("issued", _("Points issued"), s["issued"]),
        ("redeemed", _("Points redeemed"), s["redeemed"]),
        ("deducted", _("Points deducted"), s["deducted"]),
        ("expired", _("Points expired"), s["expired"]),
        ("outstanding", _("Points outstanding"), s["outstanding"]),
        ("holders", _("Residents holding points"), s["holders"]),
    ]
    for i, t in enumerate(s["top"][:3], start=1):
        rows.append(
            (f"top_{i}", _("Top earner %(n)d") % {"n": i}, f"{t['account__name']} {t['earned']}")
        )
    return rows
