"""The sections other apps add to the dashboard and the monthly report
(core.manifest.ReportSection): each app's figures for the unit and period, next to the
case loop's — the campaigns and hazards of inspections, the disputes' screening …"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gongzhi.core import manifest


@dataclass(frozen=True)
class Section:
    name: str
    title: Any
    template: str
    s: dict
    rows: list[tuple[str, Any, Any]]  # (key, label, value)


def app_sections(user, unit, start: dt.date, end: dt.date) -> list[Section]:
    """The registered sections with something to show for `unit` (an OrgUnit the user
    commands) and the period."""
    out = []
    for section in manifest.report_sections():
        s = section.context(user, unit, start, end)
        if s is not None:
            rows = section.rows(s) if section.rows else []
            out.append(Section(section.name, section.title, section.template, s, rows))
    return out
