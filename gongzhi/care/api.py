"""Care over the API, mounted at /api/v1/care (registered in CareConfig.ready()).

    GET  /plans                          the visit plans the caller sees
    POST /plans                          a plan for a cared-for group in an area (care.plan)
    POST /plans/{id}                     edit a plan (and bring its visits up to date)
    GET  /due?lng=&lat=                  the caller's due and overdue visits, nearest first
    GET  /residents/{id}/visits          a resident's visits, "第 N 次" this year
    POST /visits                         record a visit (client_id: a resend is 200)
    POST /visits-with-photos             the same, multipart, with photos
    GET  /wishes?state=                  wishes of the caller's area, newest first
    POST /wishes                         a wish taken by phone or at the desk
    GET  /wishes/{id}                    a wish with its claim
    POST /wishes/{id}/review             publish on the board, or decline
    POST /wishes/{id}/claim              claim on a partner's behalf
    POST /wishes/{id}/confirm            record the resident's confirmation
    POST /wishes/{id}/follow-up          回头看
    POST /wishes/{id}/case               turn the wish into a case of the loop
    GET  /board                          the public board (public fields only)
    GET  /figures?unit=&start=&end=      visits done / due, overdue, not visited, wishes

Errors: 404 not_found (also outside the caller's area), 403 forbidden, 400 invalid,
409 already_claimed / not_claimed / wrong_state / stale / client_id_taken.
"""

import datetime as dt
import json

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Form, Query, Router, Schema, Status

from gongzhi.care import selectors, services
from gongzhi.care.models import ClaimState, Period, Visitor, VisitType, WishState
from gongzhi.core import dates
from gongzhi.core.errors import Invalid, NotFound
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Id, Lat, Lng, Text, UnitCode, Version
from gongzhi.orgs.models import OrgUnit

router = Router(tags=["care"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
MAX_WISHES = 500


class VisitPlanIn(Schema):
    name: str = Field(..., max_length=50)
    tag_id: Id
    unit_code: UnitCode
    period: Period
    grace_days: int = Field(0, ge=0, le=60)
    is_active: bool = True


class VisitPlanOut(Schema):
    id: int
    name: str
    tag_id: int
    tag: str
    unit_code: str
    period: str
    grace_days: int
    is_active: bool


def plan_out(plan) -> dict:
    return {
        "id": plan.pk, "name": plan.name, "tag_id": plan.tag_id, "tag": plan.tag.name,
        "unit_code": plan.unit_code, "period": plan.period, "grace_days": plan.grace_days,
        "is_active": plan.is_active,
    }  # fmt: skip


@router.get("/plans", response={200: list[VisitPlanOut], **ERRORS})
def plan_list(request):
    """The plans over the caller's area or a part of it."""
    return [plan_out(p) for p in selectors.plans_visible_to(request.auth)[:500]]


@router.post("/plans", response={201: VisitPlanOut, **ERRORS})
def plan_create(request, payload: VisitPlanIn):
    """A plan: the residents with the tag living in the area are visited once a period;
    the current window's scheduled visits are made at once."""
    return Status(201, plan_out(services.plan_save(actor=request.auth, **payload.dict())))


@router.post("/plans/{plan_id}", response={200: VisitPlanOut, **ERRORS})
def plan_edit(request, plan_id: Id, payload: VisitPlanIn):
    """Edit a plan; an inactive plan ends its open scheduled visits."""
    return plan_out(services.plan_save(actor=request.auth, plan_id=plan_id, **payload.dict()))


class DueVisitOut(Schema):
    id: int
    resident_id: int
    resident: str
    plan: str
    window_start: dt.date
    due_on: dt.date
    overdue: bool
    distance_m: float | None


class DueListOut(Schema):
    visits_this_year: int
    items: list[DueVisitOut]


@router.get("/due", response={200: DueListOut, **ERRORS})
def due(request, lng: Lng | None = Query(None), lat: Lat | None = Query(None)):
    """The open scheduled visits the caller may make whose window has begun: nearest first
    when `lng`/`lat` (WGS-84) are given, else the earliest due first; at most 500. With
    the caller's count of visits this year."""
    rows = selectors.due_list(request.auth, lng=lng, lat=lat)
    items = [
        {
            "id": r.scheduled.pk,
            "resident_id": r.scheduled.resident_id,
            "resident": r.scheduled.resident.name,
            "plan": r.scheduled.plan.name,
            "window_start": r.scheduled.window_start,
            "due_on": r.scheduled.due_on,
            "overdue": r.overdue,
            "distance_m": r.distance_m,
        }
        for r in rows
    ]
    return {"visits_this_year": selectors.worker_count_this_year(request.auth), "items": items}


class VisitOut(Schema):
    id: int
    client_id: str
    resident_id: int
    kind: str
    visitor_name: str
    visitor_role: str
    companions: str
    visited_at: dt.datetime
    received_at: dt.datetime
    planned: bool
    nth_this_year: int | None
    checklist: dict[str, str]
    notes: str
    finding: str
    next_note: str
    case_id: int | None
    lng: float | None
    lat: float | None


def visit_out(v, nth=None) -> dict:
    return {
        "id": v.pk, "client_id": v.client_id, "resident_id": v.resident_id, "kind": v.kind,
        "visitor_name": v.visitor.get_display_name(), "visitor_role": v.visitor_role,
        "companions": v.companions, "visited_at": v.visited_at, "received_at": v.received_at,
        "planned": v.scheduled_id is not None, "nth_this_year": nth, "checklist": v.checklist,
        "notes": v.notes, "finding": v.finding, "next_note": v.next_note,
        "case_id": v.case_id, "lng": v.lng, "lat": v.lat,
    }  # fmt: skip


class ResidentVisitsOut(Schema):
    resident_id: int
    visits_this_year: int
    items: list[VisitOut]


@router.get("/residents/{resident_id}/visits", response={200: ResidentVisitsOut, **ERRORS})
def resident_visits(request, resident_id: Id):
    """A resident's visits, newest first; `nth_this_year` numbers this year's (第 N 次)."""
    resident = selectors.resident_for(request.auth, resident_id)
    rows = selectors.history(resident)
    return {
        "resident_id": resident.pk,
        "visits_this_year": sum(1 for r in rows if r.nth),
        "items": [visit_out(r.visit, r.nth) for r in rows[:200]],
    }


class VisitIn(Schema):
    client_id: str = Field(..., min_length=1, max_length=64)
    resident_id: Id
    kind: VisitType = VisitType.HOME
    visited_at: dt.datetime | None = None
    visitor_role: Visitor = Visitor.WORKER
    companions: str = Field("", max_length=100)
    lng: Lng | None = None
    lat: Lat | None = None
    accuracy_m: float | None = Field(None, ge=0, le=100_000)
    checklist: dict[Text[16], Text[8]] = Field(default_factory=dict, max_length=8)
    notes: str = Field("", max_length=500)
    finding: str = Field("", max_length=8, description="'', case, wish or note")
    finding_text: str = Field("", max_length=200)
    category_id: Id | None = None
    next_note: str = Field("", max_length=200)


@router.post(
    "/visits",
    response={200: VisitOut, 201: VisitOut, **ERRORS},
    description=(
        "`client_id` is made by the phone once per visit (e.g. a UUID): sending it again "
        "answers 200 with the visit it made. `visited_at` in the future is refused (400). "
        "`checklist` maps health, safety, heating, needs to ok, concern or na. A finding "
        "`case` (with `category_id`) is reported to the case loop, `wish` is collected as a "
        "micro-wish, `note` is kept for next time (`next_note`)."
    ),
)
def visit_create(request, payload: VisitIn):
    """Record a visit; it closes the resident's open scheduled visit, if one has begun."""
    visit, created = services.visit_record(actor=request.auth, **payload.dict())
    return Status(201 if created else 200, visit_out(visit))


class VisitPhotosForm(Schema):
    payload: str = Field(..., max_length=20_000)


@router.post(
    "/visits-with-photos",
    response={200: VisitOut, 201: VisitOut, 413: ErrorOut, **ERRORS},
    description=(
        "The same as POST /visits, multipart: `payload` is the JSON of /visits and each "
        "photo is a file field `photos` (at most 9)."
    ),
)
def visit_create_with_photos(request, form: Form[VisitPhotosForm]):
    """Record a visit with its photos."""
    try:
        data = VisitIn.model_validate(json.loads(form.payload)).dict()
    except (ValueError, TypeError, RecursionError) as exc:
        raise Invalid(_("The payload is not valid JSON of a visit."), code="invalid") from exc
    photos = request.FILES.getlist("photos")
    visit, created = services.visit_record(actor=request.auth, photos=photos, **data)
    return Status(201 if created else 200, visit_out(visit))


class WishOut(Schema):
    id: int
    resident_id: int
    resident: str
    org_code: str
    source: str
    text: str
    state: str
    public_title: str
    plan: str
    target_on: dt.date | None
    claimed_by: str
    claim_until: dt.datetime | None
    case_id: int | None
    collected_at: dt.datetime
    fulfilled_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    followup_on: dt.date | None
    followed_up_at: dt.datetime | None
    version: int


def wish_out(w) -> dict:
    held = [c for c in w.claims.all() if c.state == ClaimState.HELD]  # prefetched in lists
    claim = held[0] if held and w.state == WishState.CLAIMED else None
    return {
        "id": w.pk, "resident_id": w.resident_id, "resident": w.resident.name,
        "org_code": w.org_code, "source": w.source, "text": w.text, "state": w.state,
        "public_title": w.public_title, "plan": w.plan, "target_on": w.target_on,
        "claimed_by": claim.name if claim else "", "claim_until": w.claim_until,
        "case_id": w.case_id, "collected_at": w.collected_at, "fulfilled_at": w.fulfilled_at,
        "confirmed_at": w.confirmed_at, "followup_on": w.followup_on,
        "followed_up_at": w.followed_up_at, "version": w.version,
    }  # fmt: skip


def _wish(request, wish_id) -> dict:
    return wish_out(selectors.wish_for(request.auth, wish_id))


@router.get("/wishes", response={200: list[WishOut], **ERRORS})
def wish_list(request, state: WishState | None = Query(None)):
    """The wishes of the caller's area, newest first, at most 500 (the 征集清单 with
    `state=collected`)."""
    qs = selectors.wishes_visible_to(request.auth).select_related("resident")
    if state:
        qs = qs.filter(state=state)
    return [wish_out(w) for w in qs.prefetch_related("claims")[:MAX_WISHES]]


class WishIn(Schema):
    resident_id: Id
    text: str = Field(..., max_length=200)
    source: str = Field("desk", max_length=8, description="phone, desk or visit")


@router.post("/wishes", response={201: WishOut, **ERRORS})
def wish_create(request, payload: WishIn):
    """A wish taken by phone or at the desk, for a resident of the caller's area."""
    wish = services.wish_collect(actor=request.auth, **payload.dict())
    return Status(201, _wish(request, wish.pk))


@router.get("/wishes/{wish_id}", response={200: WishOut, **ERRORS})
def wish_detail(request, wish_id: Id):
    return _wish(request, wish_id)


class WishReviewIn(Schema):
    publish: bool
    public_title: str = Field("", max_length=60)
    plan: str = Field("", max_length=200)
    target_on: dt.date | None = None
    note: str = Field("", max_length=200)
    version: Version | None = None


@router.post("/wishes/{wish_id}/review", response={200: WishOut, **ERRORS})
def wish_review(request, wish_id: Id, payload: WishReviewIn):
    """Publish on the board (a title without the resident's name, address, phone or
    groups; a plan; a target date) or decline (a note)."""
    services.wish_review(actor=request.auth, wish_id=wish_id, **payload.dict())
    return _wish(request, wish_id)


class WishClaimIn(Schema):
    partner: str = Field(..., max_length=50)


@router.post("/wishes/{wish_id}/claim", response={200: WishOut, **ERRORS})
def wish_claim(request, wish_id: Id, payload: WishClaimIn):
    """Claim on a partner's behalf; the claim is held CARE_WISH_CLAIM_HOURS (409
    already_claimed when someone holds it)."""
    services.wish_claim_for_partner(actor=request.auth, wish_id=wish_id, partner=payload.partner)
    return _wish(request, wish_id)


class WishConfirmIn(Schema):
    how: str = Field("phone", max_length=8, description="phone or visit")


@router.post("/wishes/{wish_id}/confirm", response={200: WishOut, **ERRORS})
def wish_confirm(request, wish_id: Id, payload: WishConfirmIn):
    """Record that the resident confirmed the fulfilment; schedules the follow-up."""
    services.wish_confirm(actor=request.auth, wish_id=wish_id, how=payload.how)
    return _wish(request, wish_id)


class WishNoteIn(Schema):
    note: str = Field(..., max_length=200)


@router.post("/wishes/{wish_id}/follow-up", response={200: WishOut, **ERRORS})
def wish_follow_up(request, wish_id: Id, payload: WishNoteIn):
    services.wish_follow_up(actor=request.auth, wish_id=wish_id, note=payload.note)
    return _wish(request, wish_id)


class WishCaseIn(Schema):
    category_id: Id
    version: Version | None = None


@router.post("/wishes/{wish_id}/case", response={200: WishOut, **ERRORS})
def wish_case(request, wish_id: Id, payload: WishCaseIn):
    """A wish that is a problem for the loop becomes a case reported for the resident."""
    services.wish_to_case(actor=request.auth, wish_id=wish_id, **payload.dict())
    return _wish(request, wish_id)


class PublicWishOut(Schema):
    id: int
    title: str
    community: str
    target_on: dt.date | None
    status: str


@router.get("/board", response={200: list[PublicWishOut], **ERRORS})
def board(request):
    """The public board: a title, the community, the target date, the status; never the
    resident."""
    return [
        {"id": w.id, "title": w.title, "community": w.community, "target_on": w.target_on,
         "status": w.status}
        for w in selectors.board()
    ]  # fmt: skip


class FiguresRowOut(Schema):
    code: str
    name: str
    visits: int
    due: int
    due_done: int
    overdue: int
    not_visited: int
    collected: int
    claimed: int
    fulfilled: int
    followed_up: int


class FiguresOut(Schema):
    start: dt.date
    end: dt.date
    days: int
    total: FiguresRowOut
    children: list[FiguresRowOut]


@router.get("/figures", response={200: FiguresOut, **ERRORS})
def figures(
    request,
    unit: UnitCode,
    start: Text[10] | None = Query(None),
    end: Text[10] | None = Query(None),
    days: int = Query(30, ge=1, le=366),
):
    """Visits done and due (and due ones done), overdue now, cared-for residents not
    visited in `days` days, wishes collected / claimed / fulfilled / followed up, for
    `unit` and each unit under it, over [start, end] (default: this year so far)."""
    org = OrgUnit.objects.filter(code=unit).first()
    if org is None:
        raise NotFound(_("The org unit does not exist or is outside your area."))
    today = timezone.localdate()
    first, last = dates.parse_period(start or f"{today.year}-01-01", end or str(today))
    total, children = selectors.figures(request.auth, org, first, last, days=days)
    return {"start": first, "end": last, "days": days, "total": vars(total),
            "children": [vars(c) for c in children]}  # fmt: skip
