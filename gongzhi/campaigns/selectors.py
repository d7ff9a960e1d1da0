"""Scoped reads of special campaigns, their progress numbers and their effect.

A user sees the campaigns whose area lies in their COMMAND_VIEW scope; a campaign
outside it is the same NotFound as a missing one.

Progress is counted live from the campaign's own cases (at most
GONGZHI_CAMPAIGN_MAX_CASES, one aggregate). The effect — is the problem receding? — is
the weekly count of the campaign's combination (area × category) before and since it
was opened: from the daily rollups for an org unit, from the building's cases (index
case_building_recent) for a building campaign.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.campaigns import hotspots
from gongzhi.campaigns.models import Campaign, CampaignCase
from gongzhi.cases.kpis import Rate, period_bounds
from gongzhi.cases.models import OPEN_STATES, Case, CaseRollup, RollupDims, State
from gongzhi.cases.statistics import satisfied_ratings
from gongzhi.core.errors import NotFound
from gongzhi.core.permissions import can, scope_for
from gongzhi.core.roles import Perm
from gongzhi.orgs.models import OrgUnit

MAX_EFFECT_WEEKS = 52


def may_view(user) -> bool:
    return can(user, Perm.COMMAND_VIEW)


def may_manage(user, campaign_or_code) -> bool:
    code = getattr(campaign_or_code, "unit_code", campaign_or_code)
    return scope_for(user, Perm.CAMPAIGN_MANAGE).covers_code(code)


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
        scope_for(user, Perm.COMMAND_VIEW).q("unit_code")
    ).select_related("category", "building", "opened_by", "closed_by")


def campaign_for(user, pk) -> Campaign:
    try:
        return campaigns_visible_to(user).get(pk=int(pk))
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("The campaign does not exist or is outside your area.")) from None


def unit_names(codes) -> dict[str, str]:
    return dict(OrgUnit.objects.filter(code__in=set(codes)).values_list("code", "name"))


# -- progress ----------------------------------------------------------------------


def _progress_aggregates(now, prefix: str = "") -> dict:
    p = prefix
    open_ = Q(**{f"{p}state__in": [State.REPORTED, *OPEN_STATES]})
    overdue = Q(**{f"{p}state__in": OPEN_STATES, f"{p}due_at__lt": now}) & (
        ~Q(**{f"{p}state": State.SUSPENDED}) | Q(**{f"{p}suspended_at__gt": F(f"{p}due_at")})
    )
    closed = Q(**{f"{p}state": State.CLOSED})
    return {
        "total": Count("pk"),
        "open": Count("pk", filter=open_),
        "overdue": Count("pk", filter=overdue),
        "closed": Count("pk", filter=closed),
        "closed_on_time": Count("pk", filter=closed & Q(**{f"{p}closed_on_time": True})),
        "callbacks": Count("pk", filter=Q(**{f"{p}callback_at__isnull": False})),
        "satisfied": Count(
            "pk",
            filter=Q(**{f"{p}callback_at__isnull": False})
            & Q(**{f"{p}callback_rating__in": list(satisfied_ratings())}),
        ),
    }


@dataclass(frozen=True)
class Progress:
    total: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    closed_on_time: int = 0
    callbacks: int = 0
    satisfied: int = 0
    new_since: int | None = None  # new cases of the combination since it was opened

    @property
    def on_time(self) -> Rate:
        return Rate.of(
            "on_time_closure", _("On-time closure rate"), self.closed_on_time, self.closed
        )

    @property
    def satisfaction(self) -> Rate:
        return Rate.of("satisfaction", _("Satisfaction rate"), self.satisfied, self.callbacks)


def progress_and_effect(campaign: Campaign, *, now=None) -> tuple[Progress, list[dict]]:
    """The numbers of one campaign, live (one aggregate over its cases), with its effect
    (`effect`); `new_since` counts the new cases of its combination since it opened."""
    now = now or timezone.now()
    counts = CampaignCase.objects.filter(campaign=campaign).aggregate(
        **_progress_aggregates(now, "case__")
    )
    weeks = effect(campaign, today=timezone.localdate(now))
    new_since = sum(w["count"] for w in weeks if w["after"])
    return Progress(**{k: int(v or 0) for k, v in counts.items()}, new_since=new_since), weeks


def progress_of_many(campaigns, *, now=None) -> dict[int, Progress]:
    """Progress (without the effect) of several campaigns, in one grouped aggregate."""
    now = now or timezone.now()
    rows = (
        CampaignCase.objects.filter(campaign__in=[c.pk for c in campaigns])
        .values("campaign_id")
        .annotate(**_progress_aggregates(now, "case__"))
        .order_by()
    )
    out = {c.pk: Progress() for c in campaigns}
    for r in rows:
        pk = r.pop("campaign_id")
        out[pk] = Progress(**{k: int(v or 0) for k, v in r.items()})
    return out


# -- effect --------------------------------------------------------------------------


def effect(campaign: Campaign, *, today: dt.date | None = None) -> list[dict]:
    """Weekly counts of the campaign's combination: the `history_weeks` weeks up to the
    day it was opened (after=False; that day's cases are the hotspot's own) and the weeks
    from the next day on (after=True, at most 52, up to today or the day it was closed).
    [{"start", "end", "count", "after"}], oldest first; the last week may be partial."""
    today = today or timezone.localdate()
    anchor = timezone.localdate(campaign.opened_at) + dt.timedelta(days=1)
    until = timezone.localdate(campaign.closed_at) if campaign.closed_at else today
    until = min(until, today)
    before = int(hotspots.setting("HISTORY_WEEKS"))
    after_weeks = min((until - anchor).days // 7 + 1, MAX_EFFECT_WEEKS) if until >= anchor else 0
    first = anchor - dt.timedelta(weeks=before)
    last = anchor + dt.timedelta(weeks=after_weeks) - dt.timedelta(days=1)
    last = min(last, until) if after_weeks else anchor - dt.timedelta(days=1)
    per_day = _daily_counts(campaign, first, last)
    weeks = []
    for i in range(-before, after_weeks):
        start = anchor + dt.timedelta(weeks=i)
        end = min(start + dt.timedelta(days=6), last)
        count = sum(n for d, n in per_day.items() if start <= d <= end)
        weeks.append({"start": start, "end": end, "count": count, "after": i >= 0})
    return weeks


def _daily_counts(campaign: Campaign, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    if campaign.building_id:
        lower, upper = period_bounds(first, last)
        qs = (
            Case.objects.filter(
                building_id=campaign.building_id, reported_at__gte=lower, reported_at__lt=upper
            )
            .exclude(state__in=hotspots.NOT_RECEIVED)
            .values_list("reported_at", flat=True)
        )
        if campaign.category_id:
            qs = qs.filter(category_id=campaign.category_id)
        out: dict[dt.date, int] = {}
        for moment in qs:
            day = timezone.localdate(moment)
            out[day] = out.get(day, 0) + 1
        return out
    rows = CaseRollup.objects.filter(
        grain="d", unit_code=campaign.unit_code, day__gte=first, day__lte=last
    )
    if campaign.category_id:
        rows = rows.filter(dims=RollupDims.FULL, category_id=campaign.category_id)
    else:
        rows = rows.filter(dims=RollupDims.TOTAL)
    return {
        r["day"]: int(r["n"] or 0)
        for r in rows.values("day").annotate(n=Sum("received")).order_by()
    }


def campaign_cases(campaign: Campaign, *, limit: int = 200) -> tuple[list[Case], int]:
    """The campaign's cases, newest first (at most `limit`), and how many there are."""
    links = CampaignCase.objects.filter(campaign=campaign)
    cases = list(
        Case.objects.filter(campaign_links__campaign=campaign)
        .select_related("category", "grid")
        .order_by("-reported_at", "-id")[:limit]
    )
    total = len(cases) if len(cases) < limit else links.count()
    return cases, total
