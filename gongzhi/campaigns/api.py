"""Hotspots and special campaigns over the API, mounted at /api/v1/campaigns.

    GET  /hotspots?unit=990101001         ranked hotspots of a unit (COMMAND_VIEW)
    GET  /?state=open|closed              campaigns the caller sees
    POST /                                open a campaign (CAMPAIGN_MANAGE)
    GET  /{id}                            a campaign with its progress and effect
    POST /{id}/cases                      add cases by number or id
    POST /{id}/cases/{case_id}/remove     take a case out
    POST /{id}/close                      close with a summary

Errors: 404 not_found (also for a unit or campaign outside the caller's area, and for a
caller without COMMAND_VIEW), 403 forbidden (sees it, may not manage it), 400 invalid /
no_cases / unknown_case / case_outside_area / duplicate_case / too_many_cases, 409
campaign_closed.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from gongzhi.campaigns import hotspots as hs
from gongzhi.campaigns import selectors, services
from gongzhi.campaigns.models import Campaign, CampaignState
from gongzhi.core.errors import NotFound
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Id, Text, UnitCode, Word

router = Router(tags=["campaigns"])
MAX_NAME, MAX_TEXT = services.MAX_NAME, services.MAX_TEXT
# Case numbers or ids one request adds (a campaign holds at most GONGZHI_CAMPAIGN_MAX_CASES).
MAX_LISTED = 5000
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class HotspotOut(Schema):
    key: str
    level: str
    area_code: str
    building_id: int | None
    area_name: str
    category_id: int
    category_name: str
    recent: int
    history: int
    expected: float
    ratio: float
    score: float
    case_ids: list[int]
    case_total: int
    campaign_id: Id | None
    campaign_name: str


class HotspotListOut(Schema):
    unit_code: str
    window_start: dt.date
    window_end: dt.date
    history_start: dt.date
    items: list[HotspotOut]


class ProgressOut(Schema):
    total: int
    open: int
    overdue: int
    closed: int
    closed_on_time: int
    callbacks: int
    satisfied: int
    on_time_rate: float | None
    satisfaction_rate: float | None
    new_since: int | None = None


class WeekOut(Schema):
    start: dt.date
    end: dt.date
    count: int
    after: bool


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    unit_code: str
    area_name: str
    category_id: int | None
    category_name: str | None
    building_id: int | None
    building_name: str | None
    hotspot: str
    target_date: dt.date | None
    opened_by: str
    opened_at: dt.datetime
    closed_by: str | None
    closed_at: dt.datetime | None
    summary: str
    progress: ProgressOut


class CampaignDetailOut(CampaignOut):
    case_numbers: list[str]
    case_total: int
    effect: list[WeekOut]


class CampaignIn(Schema):
    name: Text[MAX_NAME] = ""
    unit: UnitCode
    category_id: Id | None = None
    building_id: Id | None = None
    hotspot: Text[MAX_TEXT] = ""
    target_date: dt.date | None = None
    with_recent_cases: bool = False


class CasesIn(Schema):
    numbers: list[Text[32]] = Field([], max_length=MAX_LISTED)
    case_ids: list[Id] = Field([], max_length=MAX_LISTED)


class AddedOut(Schema):
    added: int
    campaign: CampaignOut


class CloseIn(Schema):
    summary: Text[MAX_TEXT] = ""


def _reader(request):
    if not selectors.may_view(request.auth):
        raise NotFound(_("Not found."))


def _progress(p: selectors.Progress) -> dict:
    return {
        "total": p.total,
        "open": p.open,
        "overdue": p.overdue,
        "closed": p.closed,
        "closed_on_time": p.closed_on_time,
        "callbacks": p.callbacks,
        "satisfied": p.satisfied,
        "on_time_rate": p.on_time.value,
        "satisfaction_rate": p.satisfaction.value,
        "new_since": p.new_since,
    }


def _out(c: Campaign, area: str, p: selectors.Progress) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "state": c.state,
        "unit_code": c.unit_code,
        "area_name": area,
        "category_id": c.category_id,
        "category_name": c.category.name if c.category_id else None,
        "building_id": c.building_id,
        "building_name": c.building.name if c.building_id else None,
        "hotspot": c.hotspot,
        "target_date": c.target_date,
        "opened_by": c.opened_by.get_display_name(),
        "opened_at": c.opened_at,
        "closed_by": c.closed_by.get_display_name() if c.closed_by_id else None,
        "closed_at": c.closed_at,
        "summary": c.summary,
        "progress": _progress(p),
    }


def _detail(user, pk) -> dict:
    c = selectors.campaign_for(user, pk)
    p, weeks = selectors.progress_and_effect(c)
    cases, total = selectors.campaign_cases(c)
    area = selectors.unit_names([c.unit_code]).get(c.unit_code, c.unit_code)
    return {
        **_out(c, area, p),
        "case_numbers": [x.number for x in cases],
        "case_total": total,
        "effect": weeks,
    }


@router.get("/hotspots", response={200: HotspotListOut, **ERRORS})
def hotspot_list(request, unit: UnitCode):
    """高频共性问题: category × area combinations (grid, community, building) whose count
    in the recent window rises well above their own history, ranked by score."""
    _reader(request)
    found = hs.hotspots(request.auth, unit)
    w = hs.window_of(
        timezone.localdate(),
        int(hs.setting("WINDOW_DAYS")),
        int(hs.setting("HISTORY_WEEKS")),
    )
    return {
        "unit_code": unit.strip(),
        "window_start": w.start,
        "window_end": w.today,
        "history_start": w.history_start,
        "items": [{**h.__dict__, "key": h.key} for h in found],
    }


@router.get("", response={200: list[CampaignOut], **ERRORS})
def campaign_list(request, state: Word = ""):
    """专项治理 the caller sees, newest first (at most 100); `state` open or closed."""
    _reader(request)
    qs = selectors.campaigns_visible_to(request.auth)
    if state in CampaignState.values:
        qs = qs.filter(state=state)
    campaigns = list(qs[:100])
    numbers = selectors.progress_of_many(campaigns)
    names = selectors.unit_names(c.unit_code for c in campaigns)
    return [_out(c, names.get(c.unit_code, c.unit_code), numbers[c.pk]) for c in campaigns]


@router.post("", response={201: CampaignDetailOut, **ERRORS})
def campaign_open(request, payload: CampaignIn):
    """Open a campaign on a unit (and optionally one building) for a category; with
    `with_recent_cases` the cases of the hotspot window are taken in."""
    _reader(request)
    c = services.campaign_open(
        actor=request.auth,
        name=payload.name,
        unit_code=payload.unit,
        category_id=payload.category_id,
        building_id=payload.building_id,
        hotspot=payload.hotspot,
        target_date=payload.target_date,
        with_recent_cases=payload.with_recent_cases,
    )
    return Status(201, _detail(request.auth, c.pk))


@router.get("/{int:campaign_id}", response={200: CampaignDetailOut, **ERRORS})
def campaign_get(request, campaign_id: Id):
    """A campaign: its progress numbers (live), its newest 200 case numbers and its effect
    (weekly counts of its combination before and since it opened)."""
    _reader(request)
    return _detail(request.auth, campaign_id)


@router.post("/{int:campaign_id}/cases", response={200: AddedOut, **ERRORS})
def campaign_add_cases(request, campaign_id: Id, payload: CasesIn):
    """Add cases, all or none: each must be in the caller's area and the campaign's."""
    _reader(request)
    selectors.campaign_for(request.auth, campaign_id)
    added = services.campaign_add_cases(
        actor=request.auth,
        campaign_id=campaign_id,
        numbers=payload.numbers,
        case_ids=payload.case_ids,
    )
    c = selectors.campaign_for(request.auth, campaign_id)
    area = selectors.unit_names([c.unit_code]).get(c.unit_code, c.unit_code)
    return {"added": added, "campaign": _out(c, area, selectors.progress_of_many([c])[c.pk])}


@router.post("/{int:campaign_id}/cases/{int:case_id}/remove", response={200: CampaignOut, **ERRORS})
def campaign_remove_case(request, campaign_id: Id, case_id: Id):
    """Take one case out of an open campaign."""
    _reader(request)
    selectors.campaign_for(request.auth, campaign_id)
    services.campaign_remove_case(actor=request.auth, campaign_id=campaign_id, case_id=case_id)
    c = selectors.campaign_for(request.auth, campaign_id)
    area = selectors.unit_names([c.unit_code]).get(c.unit_code, c.unit_code)
    return _out(c, area, selectors.progress_of_many([c])[c.pk])


@router.post("/{int:campaign_id}/close", response={200: CampaignDetailOut, **ERRORS})
def campaign_close(request, campaign_id: Id, payload: CloseIn):
    """Close with a summary of what was done (required); a closed campaign refuses changes."""
    _reader(request)
    selectors.campaign_for(request.auth, campaign_id)
    services.campaign_close(actor=request.auth, campaign_id=campaign_id, summary=payload.summary)
    return _detail(request.auth, campaign_id)
