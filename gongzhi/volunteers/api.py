"""Volunteers over the API, mounted at /api/v1/volunteers (registered in
VolunteersConfig.ready(); the api app assembles it with the others).

    GET  /volunteers                         volunteers of the caller's area (masked, keyset)
    POST /volunteers                         add a volunteer (a resident, or a partner's person)
    POST /volunteers/{id}/approve            approve a registration
    GET  /activities                         activities of the caller's area (keyset)
    POST /activities                         create one (volunteers.manage)
    POST /activities/{id}/signups            sign a volunteer up (confirmed, waiting, requested)
    POST /activities/{id}/checks             a scanned card: check-in or check-out
    POST /participations/{id}/cancel         cancel a sign-up (the waiting list moves up)
    POST /participations/{id}/decide         accept or refuse a sign-up awaiting approval
    POST /hours                              hours by hand, or a correction (awaits approval)
    POST /hours/{id}/decide                  approve (immutable, points paid) or reject
    GET  /partners                           partners of the caller's area
    POST /partners                           register a partner (code checked, unique)
    GET  /figures?unit=&start=&end=          activities, 人次, hours … of the unit and children

Errors: 404 not_found (also outside the caller's area), 403 forbidden / own_request,
400 invalid, 409 full / overlap / already_signed_up / closed / deadline / team_only /
too_young / not_confirmed / not_checked_in / checked_in / checked_out / immutable /
uscc_taken.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.dates import parse_period
from gongzhi.core.errors import NotFound
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, DayText, Id, Limit, Text, UnitCode, Word
from gongzhi.core.permissions import can
from gongzhi.orgs.models import OrgUnit
from gongzhi.volunteers import perms, selectors, services

router = Router(tags=["volunteers"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class VolunteerOut(Schema):
    id: int
    org_code: str
    name: str
    phone_masked: str
    state: str
    skills: str
    availability: str
    team_id: int | None
    partner_id: int | None
    resident_id: int | None


class VolunteerPage(Schema):
    items: list[VolunteerOut]
    next_cursor: str | None


@router.get("/volunteers", response={200: VolunteerPage, **ERRORS})
def volunteer_list(
    request, state: Word = "", limit: Limit | None = None, cursor: Cursor | None = None
):
    """The volunteers of the caller's area, newest first; phones masked."""
    rows, next_cursor = keyset_page(
        selectors.volunteer_list(request.auth, state=state),
        ordering=["-id"],
        cursor=cursor,
        limit=limit or 50,
    )
    return {"items": rows, "next_cursor": next_cursor}


class VolunteerIn(Schema):
    unit: UnitCode = ""
    resident_id: Id | None = None
    partner_id: Id | None = None
    name: Text[50] = ""
    phone: Text[20] = ""
    birth_date: dt.date | None = None
    skills: Text[200] = ""
    availability: Text[100] = ""
    team_id: Id | None = None


@router.post("/volunteers", response={201: VolunteerOut, **ERRORS})
def volunteer_create(request, payload: VolunteerIn):
    data = payload.dict()
    return Status(
        201, services.volunteer_add(actor=request.auth, unit_code=data.pop("unit"), **data)
    )


@router.post("/volunteers/{volunteer_id}/approve", response={200: VolunteerOut, **ERRORS})
def volunteer_approve(request, volunteer_id: Id):
    return services.volunteer_approve(actor=request.auth, volunteer_id=volunteer_id)


class ActivityReasonIn(Schema):
    reason: Text[200] = ""


@router.post("/volunteers/{volunteer_id}/leave", response={200: VolunteerOut, **ERRORS})
def volunteer_leave(request, volunteer_id: Id, payload: ActivityReasonIn):
    """The volunteer has left: sign-ups for what has not started are cancelled."""
    return services.volunteer_leave(
        actor=request.auth, volunteer_id=volunteer_id, reason=payload.reason
    )


class ActivityOut(Schema):
    id: int
    org_code: str
    title: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    capacity: int
    confirmed: int
    rule: str
    team_id: int | None
    partner_id: int | None
    deadline: dt.datetime | None
    min_age: int | None
    checkpoints: list[str]
    is_cancelled: bool


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


@router.get("/activities", response={200: ActivityPage, **ERRORS})
def activity_list(
    request, kind: Word = "", limit: Limit | None = None, cursor: Cursor | None = None
):
    """The activities of the caller's area, latest start first."""
    rows, next_cursor = keyset_page(
        selectors.activities(request.auth, kind=kind),
        ordering=["-starts_at", "-id"],
        cursor=cursor,
        limit=limit or 50,
    )
    return {"items": rows, "next_cursor": next_cursor}


class ActivityIn(Schema):
    unit: UnitCode
    title: Text[100]
    kind: Word
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: Text[100]
    capacity: int = Field(..., ge=1, le=10000)
    rule: Word = "open"
    team_id: Id | None = None
    partner_id: Id | None = None
    deadline: dt.datetime | None = None
    min_age: int | None = Field(None, ge=1, le=100)
    checkpoints: list[Text[50]] = Field(default_factory=list, max_length=30)


@router.post("/activities", response={201: ActivityOut, **ERRORS})
def activity_create(request, payload: ActivityIn):
    data = payload.dict()
    return Status(
        201, services.activity_create(actor=request.auth, unit_code=data.pop("unit"), **data)
    )


class ActivityChangeIn(Schema):
    title: Text[100]
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: Text[100]
    capacity: int = Field(..., ge=1, le=10000)
    deadline: dt.datetime | None = None
    min_age: int | None = Field(None, ge=1, le=100)


@router.put("/activities/{activity_id}", response={200: ActivityOut, **ERRORS})
def activity_update(request, activity_id: Id, payload: ActivityChangeIn):
    """Change an activity before it starts (every field given). 409 `started`,
    `cancelled`, or `overlap` (a confirmed volunteer has another activity at the new time);
    fewer places than confirmed is 422 on `capacity`."""
    return services.activity_update(actor=request.auth, activity_id=activity_id, **payload.dict())


@router.post("/activities/{activity_id}/cancel", response={200: ActivityOut, **ERRORS})
def activity_cancel(request, activity_id: Id, payload: ActivityReasonIn):
    """Call the activity off before it starts (a reason is required); every sign-up is
    cancelled and told by text."""
    return services.activity_cancel(
        actor=request.auth, activity_id=activity_id, reason=payload.reason
    )


class ParticipationOut(Schema):
    id: int
    activity_id: int
    volunteer_id: int
    state: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    auto_closed: bool


class SignupIn(Schema):
    volunteer_id: Id


@router.post("/activities/{activity_id}/signups", response={201: ParticipationOut, **ERRORS})
def signup(request, activity_id: Id, payload: SignupIn):
    """Confirmed while places are left, else on the waiting list (or awaiting approval)."""
    return Status(
        201,
        services.signup_for(
            actor=request.auth, activity_id=activity_id, volunteer_id=payload.volunteer_id
        ),
    )


class CheckIn(Schema):
    card: Text[32]
    direction: Word = Field("", description="in, out, or empty: in when not yet, else out")


@router.post("/activities/{activity_id}/checks", response={200: ParticipationOut, **ERRORS})
def check(request, activity_id: Id, payload: CheckIn):
    """The organiser scanned a volunteer's card."""
    return services.check_by_card(
        actor=request.auth,
        activity_id=activity_id,
        card_token=payload.card,
        direction=payload.direction,
    )


@router.post(
    "/participations/{participation_id}/cancel", response={200: ParticipationOut, **ERRORS}
)
def cancel(request, participation_id: Id):
    return services.cancel_for(actor=request.auth, participation_id=participation_id)


class VolunteerDecideIn(Schema):
    approve: bool


@router.post(
    "/participations/{participation_id}/decide", response={200: ParticipationOut, **ERRORS}
)
def decide(request, participation_id: Id, payload: VolunteerDecideIn):
    return services.participation_decide(
        actor=request.auth, participation_id=participation_id, approve=payload.approve
    )


class HourOut(Schema):
    id: int
    volunteer_id: int
    activity_id: int | None
    kind: str
    state: str
    minutes: int
    raw_minutes: int | None
    served_on: dt.date
    flagged: bool
    note: str
    corrects_id: int | None


class HourIn(Schema):
    volunteer_id: Id
    minutes: int = Field(..., ge=-1440, le=1440)
    served_on: dt.date
    note: Text[200]
    activity_id: Id | None = None
    corrects_id: Id | None = None


@router.post("/hours", response={201: HourOut, **ERRORS})
def hours_request(request, payload: HourIn):
    """Hours by hand, or a correction naming an approved record: they await an approver."""
    return Status(201, services.hours_request(actor=request.auth, **payload.dict()))


@router.post("/hours/{record_id}/decide", response={200: HourOut, **ERRORS})
def hours_decide(request, record_id: Id, payload: VolunteerDecideIn):
    return services.hours_decide(actor=request.auth, record_id=record_id, approve=payload.approve)


class PartnerOut(Schema):
    id: int
    org_code: str
    kind: str
    name: str
    uscc: str | None
    agreement: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    offers: str
    contact_name: str
    contact_phone_masked: str


@router.get("/partners", response={200: list[PartnerOut], **ERRORS})
def partner_list(request, kind: Word = ""):
    return list(selectors.partners(request.auth, kind=kind)[:500])


class PartnerIn(Schema):
    unit: UnitCode
    kind: Word
    name: Text[100]
    uscc: Text[18] = ""
    agreement: Text[200] = ""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    offers: Text[300] = ""
    contact_name: Text[50] = ""
    contact_phone: Text[20] = ""


@router.post("/partners", response={201: PartnerOut, **ERRORS})
def partner_create(request, payload: PartnerIn):
    """A partner by kind; an organisation's unified social credit code is checked and
    unique (409 uscc_taken)."""
    data = payload.dict()
    return Status(
        201, services.partner_save(actor=request.auth, unit_code=data.pop("unit"), **data)
    )


class VolunteerFiguresQuery(Schema):
    unit: UnitCode
    start: DayText
    end: DayText


class FigureOut(Schema):
    code: str
    name: str
    activities: int = Field(..., description="activities that started in the period")
    turns: int = Field(..., description="人次: sign-ups checked in at those activities")
    hours: float = Field(..., description="approved hour records served in the period")
    attendance: int = Field(..., description="non-volunteers counted at those activities")
    patrols: int = Field(..., description="patrols started in the period")
    volunteers: int = Field(..., description="approved volunteers now")


class VolunteerFiguresOut(Schema):
    unit: str
    start: dt.date
    end: dt.date
    total: FigureOut
    children: list[FigureOut]


@router.get("/figures", response={200: VolunteerFiguresOut, **ERRORS})
def figures(request, q: Query[VolunteerFiguresQuery]):
    """The unit's figures and each child's, from the records."""
    start, end = parse_period(q.start, q.end)
    unit = OrgUnit.objects.filter(code=q.unit).first()
    if unit is None or not can(request.auth, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    total, children = selectors.figures(request.auth, unit, start, end)
    return {"unit": unit.code, "start": start, "end": end, "total": total, "children": children}
