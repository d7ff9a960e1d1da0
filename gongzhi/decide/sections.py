"""Residents' decisions on the command center's dashboard and in the monthly report
(core.manifest.ReportSection): resolutions done, polls' turnout, 满意率 with its N,
suggestions and replies — counted from records, every rate with its denominator."""

import datetime as dt

from django.utils.translation import gettext as _

from gongzhi.core.permissions import scope_for
from gongzhi.decide import perms, selectors


def command_section(user, unit, start: dt.date, end: dt.date) -> dict | None:
    if not scope_for(user, perms.VIEW).covers_code(unit.code):
        return None
    f = selectors.figures(unit.code, start, end)
    if not (f["resolutions_done"] or f["polls"] or f["satisfaction"]["whole"] or f["suggestions"]):
        return None
    return f


def _rate(r: dict) -> str:
    return f"{r['percent']}% ({r['part']}/{r['whole']})" if r["whole"] else "—"


def section_rows(s: dict) -> list[tuple[str, str, object]]:
    return [
        ("resolutions_done", _("Resolutions done"), s["resolutions_done"]),
        (
            "resolutions_done_rate",
            _("Resolutions done of those open"),
            _rate(s["resolutions_done_rate"]),
        ),
        ("meetings", _("Deliberation meetings held"), s["meetings"]),
        ("polls", _("Polls closed"), s["polls"]),
        ("turnout", _("Turnout"), _rate(s["turnout"])),
        ("satisfaction", _("Satisfaction"), _rate(s["satisfaction"])),
        ("suggestions", _("Suggestions received"), s["suggestions"]),
        ("replied", _("Suggestions answered"), _rate(s["replied"])),
    ]
