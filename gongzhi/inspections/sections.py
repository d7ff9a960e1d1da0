"""The inspections' section of the command center's dashboard and monthly report
(core.manifest.ReportSection): for a unit and a period, what the campaigns have done and
what became of the hazards — each figure counted from the records, with its denominator.

- Hazards found: hazard cases reported in the period in the unit.
- Notices issued in the period; notices due in the period (deadline in the period and
  not after today) and, of them, rectified by their deadline (按期整改).
- Re-inspections done in the period, and passed.
- Now: notices still open in the unit, and overdue among them.
- Campaigns whose dates meet the period and whose area meets the unit (at most
  MAX_CAMPAIGNS, the latest first): their latest round within the unit — premises to
  inspect, inspected, hazards found.

Shown to those who view inspections over the whole unit; a handful of small queries.
"""

import datetime as dt

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases.models import Case
from gongzhi.core import dates
from gongzhi.core.permissions import Scope, scope_for
from gongzhi.inspections import kind, perms
from gongzhi.inspections.models import (
    InspectionCampaign,
    InspectionResult,
    NoticeState,
    Outcome,
    RectificationNotice,
)
from gongzhi.inspections.selectors import Figures, fold_figures, prefixes, report_rows

MAX_CAMPAIGNS = 3


def command_section(user, unit, start: dt.date, end: dt.date) -> dict | None:
    if not scope_for(user, perms.VIEW).covers_code(unit.code):
        return None
    code = unit.code
    today = timezone.localdate()
    lower, upper = dates.period_bounds(start, end)
    notices = RectificationNotice.objects.filter(hazard__org_code__within=code).aggregate(
        issued=Count("id", filter=Q(issued_at__gte=lower, issued_at__lt=upper)),
        due=Count("id", filter=Q(deadline__gte=start, deadline__lte=min(end, today))),
        on_time=Count(
            "id",
            filter=Q(
                deadline__gte=start,
                deadline__lte=min(end, today),
                state=NoticeState.RECTIFIED,
                closed_at__date__lte=F("deadline"),
            ),
        ),
        open=Count("id", filter=Q(state=NoticeState.OPEN)),
        overdue=Count("id", filter=Q(state=NoticeState.OPEN, deadline__lt=today)),
    )
    reinspected = InspectionResult.objects.filter(
        task__reinspects__isnull=False,
        task__org_code__within=code,
        outcome=Outcome.INSPECTED,
        received_at__gte=lower,
        received_at__lt=upper,
    ).aggregate(done=Count("id"), passed=Count("id", filter=Q(passed=True)))
    figures = {
        "hazards": Case.objects.filter(
            kind=kind.CODE, org_code__within=code, reported_at__gte=lower, reported_at__lt=upper
        ).count(),
        "issued": notices["issued"],
        "due": notices["due"],
        "on_time": notices["on_time"],
        "reinspected": reinspected["done"],
        "passed": reinspected["passed"],
        "open": notices["open"],
        "overdue": notices["overdue"],
    }
    campaigns = _campaigns(code, start, end)
    if not any(figures.values()) and not campaigns:
        return None
    figures["on_time_pct"] = _percent(figures["on_time"], figures["due"])
    figures["passed_pct"] = _percent(figures["passed"], figures["reinspected"])
    return {"unit": unit, "start": start, "end": end, "figures": figures, "campaigns": campaigns}


def _percent(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None


def _campaigns(code: str, start: dt.date, end: dt.date) -> list[dict]:
    """The latest campaigns meeting the period and the unit, each with its latest round's
    figures within the unit."""
    within = Scope(org_codes=(code,))
    found = (
        InspectionCampaign.objects.filter(starts_on__lte=end, ends_on__gte=start)
        .filter(Q(unit_code__within=code) | Q(unit_code__in=prefixes(within)))
        .order_by("-starts_on", "-id")[:MAX_CAMPAIGNS]
    )
    out = []
    for campaign in found:
        rounds = {r.pk: r for r in campaign.rounds.all()}
        if not rounds:
            continue
        latest = max(rounds.values(), key=lambda r: r.number)
        rows = [r for r in report_rows(within, campaign) if r["round_id"] == latest.pk]
        total = fold_figures(rows, lambda r: "all", lambda k: k)
        out.append(
            {
                "campaign": campaign,
                "round": latest,
                "rounds": len(rounds),
                "figures": total[0] if total else Figures("all", ""),
            }
        )
    return out


def section_rows(s: dict) -> list[tuple[str, str, object]]:
    """The section as (key, label, value) rows for the monthly workbook and API."""
    f = s["figures"]
    rows = [
        ("hazards", _("Hazards found"), f["hazards"]),
        ("issued", _("Rectification notices issued"), f["issued"]),
        ("due", _("Notices due in the period"), f["due"]),
        ("on_time", _("Rectified by the deadline"), f["on_time"]),
        ("reinspected", _("Re-inspections done"), f["reinspected"]),
        ("passed", _("Re-inspections passed"), f["passed"]),
        ("open", _("Notices still open now"), f["open"]),
        ("overdue", _("Of which overdue"), f["overdue"]),
    ]
    for c in s["campaigns"]:
        fig = c["figures"]
        label = _("%(campaign)s, round %(round)s: inspected / premises") % {
            "campaign": c["campaign"].name,
            "round": c["round"].number,
        }
        rows.append((f"campaign:{c['campaign'].pk}", label, f"{fig.inspected} / {fig.tasks}"))
    return rows
