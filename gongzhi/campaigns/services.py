"""Every write on special campaigns (专项治理): open, add and remove cases, close.

Each service checks Perm.CAMPAIGN_MANAGE over the campaign's area, validates, changes
the rows in one transaction and writes an audit row. A campaign or unit the actor cannot
see is NotFound (the same as a missing one); one the actor sees (COMMAND_VIEW) but may not
manage is PermissionDenied. A closed campaign refuses every change (Conflict, code
"campaign_closed"). A refused call changes nothing.
"""

import datetime as dt
import re
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.campaigns import hotspots
from gongzhi.campaigns.models import Campaign, CampaignCase, CampaignState
from gongzhi.cases.kpis import period_bounds
from gongzhi.cases.models import Category
from gongzhi.cases.selectors import cases_visible_to
from gongzhi.core import dates
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import Perm
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Building

MAX_NAME = 100
MAX_TEXT = 2000
NUMBER_SPLIT = re.compile(r"[\s,，;；、]+")


def max_cases() -> int:
    """How many cases a campaign may hold (GONGZHI_CAMPAIGN_MAX_CASES, 5000)."""
    return int(getattr(settings, "GONGZHI_CAMPAIGN_MAX_CASES", 5000))


def _text(value, limit: int, name: str, errors: dict, *, required=False) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(value) > limit:
        errors.setdefault(name, []).append(
            _("At most %(n)d characters.") % {"n": limit},
        )
    return value


def _may_manage(actor, code: str) -> None:
    if not scope_for(actor, Perm.COMMAND_VIEW).covers_code(code) and not scope_for(
        actor, Perm.CAMPAIGN_MANAGE
    ).covers_code(code):
        raise NotFound(_("The unit does not exist or is outside your area."))
    if not scope_for(actor, Perm.CAMPAIGN_MANAGE).covers_code(code):
        raise PermissionDenied(_("You may not manage special campaigns here."))


def _locked(actor, campaign_id) -> Campaign:
    """The campaign, row-locked, if the actor may manage it and it is still open.
    Call inside a transaction."""
    try:
        campaign = Campaign.objects.select_for_update().get(pk=int(campaign_id))
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("The campaign does not exist or is outside your area.")) from None
    if not scope_for(actor, Perm.COMMAND_VIEW).covers_code(campaign.unit_code):
        raise NotFound(_("The campaign does not exist or is outside your area."))
    if not scope_for(actor, Perm.CAMPAIGN_MANAGE).covers_code(campaign.unit_code):
        raise PermissionDenied(_("You may not manage special campaigns here."))
    if not campaign.is_open:
        raise Conflict(
            _("The campaign is closed and can no longer be changed."), code="campaign_closed"
        )
    return campaign


def _in_area(campaign: Campaign, case) -> bool:
    if campaign.building_id:
        return case.building_id == campaign.building_id
    return case.org_code.startswith(campaign.unit_code)


def _link(campaign: Campaign, case_ids: Iterable[int], actor, now) -> int:
    rows = [
        CampaignCase(campaign=campaign, case_id=i, added_by=actor, added_at=now) for i in case_ids
    ]
    CampaignCase.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _recent_case_ids(actor, campaign: Campaign, today: dt.date) -> list[int]:
    """The cases of the campaign's combination in the hotspot window that the actor sees."""
    window = hotspots.window_of(
        today, int(hotspots.setting("WINDOW_DAYS")), int(hotspots.setting("HISTORY_WEEKS"))
    )
    lower, upper = period_bounds(window.start, window.today)
    qs = (
        cases_visible_to(actor)
        .filter(org_code__within=campaign.unit_code, reported_at__gte=lower, reported_at__lt=upper)
        .exclude(state__in=hotspots.NOT_RECEIVED)
    )
    if campaign.category_id:
        qs = qs.filter(category_id=campaign.category_id)
    if campaign.building_id:
        qs = qs.filter(building_id=campaign.building_id)
    ids = list(qs.order_by("reported_at", "id").values_list("pk", flat=True)[: max_cases() + 1])
    if len(ids) > max_cases():
        raise Invalid(
            _("A campaign holds at most %(n)d cases.") % {"n": max_cases()}, code="too_many_cases"
        )
    return ids


def campaign_open(
    *,
    actor,
    name: str,
    unit_code: str,
    category_id=None,
    building_id=None,
    hotspot: str = "",
    target_date: dt.date | None = None,
    with_recent_cases: bool = False,
) -> Campaign:
    """Open a campaign on `unit_code` (a unit of the actor's CAMPAIGN_MANAGE scope), for a
    category (or any) and optionally one building of the area. With `with_recent_cases`
    the cases of that combination reported in the hotspot window are taken in."""
    code = (unit_code or "").strip()
    _may_manage(actor, code)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound(_("The unit does not exist or is outside your area."))
    errors: dict[str, list[str]] = {}
    name = _text(name, MAX_NAME, "name", errors, required=True)
    hotspot = _text(hotspot, MAX_TEXT, "hotspot", errors)
    category = None
    if category_id not in (None, "", 0):
        try:
            category = Category.objects.get(pk=int(category_id))
        except (Category.DoesNotExist, TypeError, ValueError):
            errors.setdefault("category_id", []).append(_("Choose one of the categories."))
    building = None
    if building_id not in (None, "", 0):
        try:
            building = Building.objects.get(pk=int(building_id), org_code__within=code)
        except (Building.DoesNotExist, TypeError, ValueError):
            errors.setdefault("building_id", []).append(
                _("The building is not in the campaign's area.")
            )
    now = timezone.now()
    if target_date is not None and target_date < timezone.localdate(now):
        errors.setdefault("target_date", []).append(_("The target date has already passed."))
    elif target_date is not None and not dates.in_bounds(target_date):
        errors.setdefault("target_date", []).append(dates.bounds_message())
    raise_if(errors)

    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            unit_code=unit.code,
            category=category,
            building=building,
            hotspot=hotspot,
            target_date=target_date,
            opened_by=actor,
            opened_at=now,
        )
        ids = (
            _recent_case_ids(actor, campaign, timezone.localdate(now)) if with_recent_cases else []
        )
        added = _link(campaign, ids, actor, now)
        audit_record(
            actor=actor,
            action="campaign.open",
            obj=campaign,
            changes={
                "name": [None, name],
                "unit_code": [None, unit.code],
                "category": [None, category.pk if category else None],
                "building": [None, building.pk if building else None],
                "target_date": [None, target_date.isoformat() if target_date else None],
                "cases": [0, added],
            },
        )
    return campaign


def parse_numbers(text: str) -> list[str]:
    """Case numbers from what was typed or pasted (spaces, commas, new lines)."""
    return [n.upper() for n in NUMBER_SPLIT.split(text or "") if n]


def campaign_add_cases(*, actor, campaign_id, numbers: Iterable[str] = (), case_ids=()) -> int:
    """Take cases into an open campaign, by number or id, all or none: each must be a case
    the actor sees (CASE_VIEW), in the campaign's area, and not in the campaign yet.
    Returns how many were added."""
    numbers = [str(n).strip().upper() for n in numbers if str(n).strip()]
    try:
        ids = [int(i) for i in case_ids]
    except (TypeError, ValueError):
        message = _("Case ids are numbers.")
        raise Invalid(message, code="invalid", details={"case_ids": [message]}) from None
    if not numbers and not ids:
        message = _("Give the numbers of the cases to add.")
        raise Invalid(message, code="no_cases", details={"numbers": [message]})
    if len(numbers) + len(ids) > max_cases():
        raise Invalid(
            _("A campaign holds at most %(n)d cases.") % {"n": max_cases()}, code="too_many_cases"
        )
    with transaction.atomic():
        campaign = _locked(actor, campaign_id)
        visible = (
            cases_visible_to(actor)
            .select_related(None)
            .only("pk", "number", "org_code", "building_id")
        )
        found = {c.number: c for c in visible.filter(number__in=numbers)} if numbers else {}
        by_id = {c.pk: c for c in visible.filter(pk__in=ids)} if ids else {}
        missing = [n for n in numbers if n not in found] + [str(i) for i in ids if i not in by_id]
        if missing:
            message = _("No such case in your area: %(n)s.") % {"n": "、".join(missing[:10])}
            raise Invalid(message, code="unknown_case", details={"numbers": [message]})
        cases = {c.pk: c for c in [*found.values(), *by_id.values()]}
        outside = [c.number for c in cases.values() if not _in_area(campaign, c)]
        if outside:
            message = _("Not in the campaign's area: %(n)s.") % {"n": "、".join(outside[:10])}
            raise Invalid(message, code="case_outside_area", details={"numbers": [message]})
        already = set(
            CampaignCase.objects.filter(campaign=campaign, case_id__in=cases).values_list(
                "case_id", flat=True
            )
        )
        if already:
            listed = "、".join(sorted(cases[i].number for i in already)[:10])
            message = _("Already in the campaign: %(n)s.") % {"n": listed}
            raise Invalid(message, code="duplicate_case", details={"numbers": [message]})
        held = CampaignCase.objects.filter(campaign=campaign).count()
        if held + len(cases) > max_cases():
            raise Invalid(
                _("A campaign holds at most %(n)d cases.") % {"n": max_cases()},
                code="too_many_cases",
            )
        added = _link(campaign, sorted(cases), actor, timezone.now())
        audit_record(
            actor=actor,
            action="campaign.add_cases",
            obj=campaign,
            changes={"cases": [None, sorted(c.number for c in cases.values())]},
        )
    return added


def campaign_remove_case(*, actor, campaign_id, case_id) -> None:
    """Take one case out of an open campaign."""
    with transaction.atomic():
        campaign = _locked(actor, campaign_id)
        try:
            link = CampaignCase.objects.select_related("case").get(
                campaign=campaign, case_id=int(case_id)
            )
        except (CampaignCase.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("The case is not in this campaign.")) from None
        number = link.case.number
        link.delete()
        audit_record(
            actor=actor,
            action="campaign.remove_case",
            obj=campaign,
            changes={"cases": [number, None]},
        )


def campaign_close(*, actor, campaign_id, summary: str) -> Campaign:
    """Close an open campaign with a summary of what was done (required)."""
    errors: dict[str, list[str]] = {}
    summary = _text(summary, MAX_TEXT, "summary", errors, required=True)
    with transaction.atomic():
        campaign = _locked(actor, campaign_id)
        raise_if(errors)
        campaign.state = CampaignState.CLOSED
        campaign.summary = summary
        campaign.closed_by = actor
        campaign.closed_at = timezone.now()
        campaign.save(update_fields=["state", "summary", "closed_by", "closed_at"])
        audit_record(
            actor=actor,
            action="campaign.close",
            obj=campaign,
            changes={
                "state": [CampaignState.OPEN, CampaignState.CLOSED],
                "summary": [None, summary],
            },
        )
    return campaign
