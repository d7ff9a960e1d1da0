"""Disputes over the API, mounted at /api/v1/disputes (registered in DisputesConfig.ready()).

    GET  /disputes                          the register the caller may see (no party data)
    POST /disputes                          register a dispute (Idempotency-Key)
    GET  /disputes/{id}                     with its parties (masked), account, sessions,
                                            agreements and follow-ups — an audited read
    POST /disputes/{id}/parties/{pid}/reveal one party's phone or 身份证号 in full (audited)
    POST /disputes/{id}/mediator            assign a mediator (a party is refused)
    POST /disputes/{id}/sessions            a mediation session with its minutes
    POST /disputes/{id}/agreements          draft (or change the draft of) the agreement
    POST /agreements/{id}/sign              multipart: the photo of the signed paper
    GET  /agreements/{id}/photo             that photo
    POST /follow-ups/{id}                   履行回访
    GET  /mediators  POST /mediators        the roster
    GET  /types      POST /types            the dispute types
    POST /screening                         file (or amend) a month's screening report
    GET  /screening/board?unit=&month=      who has reported, on time or late
    GET  /screening/summary?unit=&month=    the month's summary from the register
    GET  /kpis?unit=&start=&end=            调解成功率 and the counts, with denominators

The outcome is the case loop's: POST /cases/{id}/actions/mediation_conclude.
Errors: 404 not_found (also outside the caller's area), 403 forbidden, 400 invalid (field
errors in `details`), mediator_is_party, not_zero, future_month; 409 agreement_signed,
already_signed, already_recorded.
"""

import dataclasses
import datetime as dt

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.core.dates import parse_month
from gongzhi.core.errors import NotFound
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import DayText, Id, Limit, Text, Version, Word
from gongzhi.disputes import selectors, services
from gongzhi.disputes.models import Dispute

router = Router(tags=["disputes"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class DisputeRowOut(Schema):
    id: int
    number: str
    state: str
    type: str
    source: str
    source_ref: str
    risk: str
    summary: str
    org_code: str
    grid: str
    registered_at: dt.datetime
    mediator: str
    outcome: str
    concluded_at: dt.datetime | None


def row_out(d: Dispute) -> dict:
    case = d.case
    return {
        "id": d.pk,
        "number": case.number,
        "state": case.state,
        "type": d.type.name,
        "source": d.source,
        "source_ref": d.source_ref,
        "risk": d.risk,
        "summary": d.summary,
        "org_code": d.org_code,
        "grid": case.grid.name if case.grid_id else "",
        "registered_at": d.registered_at,
        "mediator": case.assignee_user.get_display_name() if case.assignee_user_id else "",
        "outcome": d.outcome,
        "concluded_at": d.concluded_at,
    }


@router.get("/disputes", response={200: list[DisputeRowOut], **ERRORS})
def dispute_list(request, open: bool | None = None, limit: Limit = 50):
    """The register, newest first: staff with the dispute permission in their area, a
    mediator their own disputes. No party data."""
    rows = selectors.disputes_list(request.auth, open_only=open)
    return [row_out(d) for d in rows[:limit]]


class DisputePartyIn(Schema):
    resident_id: Id | None = None
    name: Text[50] = ""
    phone: Text[30] = ""
    id_number: Text[30] = ""


class DisputeIn(Schema):
    grid_id: Id
    type_id: Id
    source: Word = Field(
        ..., description="screening | visit | hotline | police | petition | grid_worker"
    )
    risk: Word = Field(..., description="ordinary | serious | major")
    summary: Text[200]
    account: Text[4000] = ""
    place: Text[100] = ""
    source_ref: Text[40] = Field(
        "", description="the petition office's, 110's or 12345's own number (访调对接)"
    )
    parties: list[DisputePartyIn] = Field(..., max_length=20)


class DisputePartyOut(Schema):
    id: int
    seq: int
    name: str
    resident_id: int | None
    phone_masked: str
    id_number_masked: str


class MediationSessionOut(Schema):
    id: int
    mode: str
    party_id: int | None
    held_at: dt.datetime
    place: str
    booking_id: int | None
    attendees: str
    minutes: str
    next_step: str
    recorded_by: str


class MediationAgreementOut(Schema):
    id: int
    version: int
    terms: str
    drafted_at: dt.datetime
    signed_at: dt.datetime | None
    has_photo: bool


class DisputeFollowUpOut(Schema):
    id: int
    agreement_version: int
    due_on: dt.date
    done_at: dt.datetime | None
    performance: str
    note: str


class DisputeDetailOut(DisputeRowOut):
    case_id: int
    case_version: int
    place: str
    account: str
    referred_to: str
    parties: list[DisputePartyOut]
    sessions: list[MediationSessionOut]
    agreements: list[MediationAgreementOut]
    follow_ups: list[DisputeFollowUpOut]


def detail_out(d: Dispute) -> dict:
    full = selectors.dispute_full(d)
    return {
        **row_out(d),
        "case_id": d.pk,
        "case_version": d.case.version,
        "place": d.place,
        "account": services.account_of(d),
        "referred_to": d.referred_to,
        "parties": [
            {"id": p.pk, "seq": p.seq, "name": p.name, "resident_id": p.resident_id,
             "phone_masked": p.phone_masked, "id_number_masked": p.id_number_masked}
            for p in full.parties
        ],
        "sessions": [
            {"id": s.pk, "mode": s.mode, "party_id": s.party_id, "held_at": s.held_at,
             "place": s.place, "booking_id": s.booking_id, "attendees": s.attendees,
             "minutes": services.minutes_of(s),
             "next_step": s.next_step, "recorded_by": s.recorded_by.get_display_name()}
            for s in full.sessions
        ],
        "agreements": [
            {"id": a.pk, "version": a.version, "terms": a.terms, "drafted_at": a.drafted_at,
             "signed_at": a.signed_at, "has_photo": bool(a.photo)}
            for a in full.agreements
        ],
        "follow_ups": [
            {"id": f.pk, "agreement_version": f.agreement.version, "due_on": f.due_on,
             "done_at": f.done_at, "performance": f.performance, "note": f.note}
            for f in full.follow_ups
        ],
    }  # fmt: skip


@router.post("/disputes", response={201: DisputeDetailOut, 200: DisputeDetailOut, **ERRORS})
def dispute_create(request, payload: DisputeIn):
    """登记: two or more parties, each a registry resident or a name with a phone and/or
    身份证号 (stored encrypted, shown masked). Send an `Idempotency-Key` header so a resent
    request makes one dispute (200 with the first one)."""
    data = payload.dict()
    data["parties"] = [p.dict() for p in payload.parties]
    case, created = services.dispute_register(
        actor=request.auth, idempotency_key=request.headers.get("Idempotency-Key"), **data
    )
    dispute = services.dispute_read(actor=request.auth, dispute_id=case.pk)
    return Status(201 if created else 200, detail_out(dispute))


@router.get("/disputes/{dispute_id}", response={200: DisputeDetailOut, **ERRORS})
def dispute_detail(request, dispute_id: Id):
    """The dispute with its confidential part; the read is audited (disputes.read)."""
    return detail_out(services.dispute_read(actor=request.auth, dispute_id=dispute_id))


class PartyRevealIn(Schema):
    field: Word = Field(..., description="phone | id_number")


class PartyRevealOut(Schema):
    field: str
    value: str


@router.post(
    "/disputes/{dispute_id}/parties/{party_id}/reveal", response={200: PartyRevealOut, **ERRORS}
)
def party_reveal(request, dispute_id: Id, party_id: Id, payload: PartyRevealIn):
    """One party's phone or 身份证号 in full; audited (disputes.party_revealed)."""
    selectors.dispute_for(request.auth, dispute_id)
    if not selectors.party_in(dispute_id, party_id):
        raise NotFound(_("Not found."))
    value = services.party_reveal(actor=request.auth, party_id=party_id, field=payload.field)
    return {"field": payload.field, "value": value}


class MediatorAssignIn(Schema):
    mediator_id: Id
    version: Version | None = None
    note: Text[1000] = ""


class DisputeCaseMovedOut(Schema):
    case_id: int
    state: str
    version: int


@router.post("/disputes/{dispute_id}/mediator", response={200: DisputeCaseMovedOut, **ERRORS})
def mediator_assign(request, dispute_id: Id, payload: MediatorAssignIn):
    """指派调解员: the case is dispatched to the mediator, who accepts it (POST
    /cases/{id}/accept). A party, or one of a party's household, is refused
    (400 mediator_is_party)."""
    case = services.mediator_assign(actor=request.auth, dispute_id=dispute_id, **payload.dict())
    return {"case_id": case.pk, "state": case.state, "version": case.version}


class MediationSessionIn(Schema):
    mode: Word = Field(..., description="separate (背对背, with party_id) | joint (面对面)")
    party_id: Id | None = None
    held_at: Text[40]
    place: Text[100] = Field(
        "", description="required unless booking_id names a room booked for the dispute"
    )
    booking_id: Id | None = None
    attendees: Text[200]
    minutes: Text[8000]
    next_step: Text[200] = ""


class SessionRoomIn(Schema):
    room_id: Id
    starts_at: Text[40]
    ends_at: Text[40]


class SessionRoomOut(Schema):
    id: int
    room_id: int
    room: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    state: str


@router.post("/disputes/{dispute_id}/room-bookings", response={200: SessionRoomOut, **ERRORS})
def session_room_book(request, dispute_id: Id, payload: SessionRoomIn):
    """Book a room of the community (调解室) for a coming session, through the rooms'
    booking service (its hours, rules and other bookings hold: 409 `clash` names the
    booking in the way); the same dispute and start again returns the first booking."""
    b = services.session_room_book(actor=request.auth, dispute_id=dispute_id, **payload.dict())
    return {"id": b.pk, "room_id": b.room_id, "room": b.room.name, "starts_at": b.starts_at,
            "ends_at": b.ends_at, "state": b.state}  # fmt: skip


@router.post("/disputes/{dispute_id}/sessions", response={201: MediationSessionOut, **ERRORS})
def session_create(request, dispute_id: Id, payload: MediationSessionIn):
    """A session (调解笔录), by the assigned mediator while the case is in progress."""
    s = services.session_record(actor=request.auth, dispute_id=dispute_id, **payload.dict())
    return Status(
        201,
        {"id": s.pk, "mode": s.mode, "party_id": s.party_id, "held_at": s.held_at,
         "place": s.place, "booking_id": s.booking_id, "attendees": s.attendees,
         "minutes": services.minutes_of(s),
         "next_step": s.next_step, "recorded_by": s.recorded_by.get_display_name()},
    )  # fmt: skip


class MediationAgreementIn(Schema):
    terms: Text[4000]
    agreement_id: Id | None = Field(None, description="the draft to change (default: the draft)")


def agreement_out(a) -> dict:
    return {"id": a.pk, "version": a.version, "terms": a.terms, "drafted_at": a.drafted_at,
            "signed_at": a.signed_at, "has_photo": bool(a.photo)}  # fmt: skip


@router.post("/disputes/{dispute_id}/agreements", response={200: MediationAgreementOut, **ERRORS})
def agreement_save(request, dispute_id: Id, payload: MediationAgreementIn):
    """The draft 调解协议书 (made, or changed while unsigned). A signed one is never changed
    (409 agreement_signed): without agreement_id this drafts the next version."""
    a = services.agreement_save(actor=request.auth, dispute_id=dispute_id, **payload.dict())
    return agreement_out(a)


@router.post("/agreements/{agreement_id}/sign", response={200: MediationAgreementOut, **ERRORS})
def agreement_sign(request, agreement_id: Id, photo: File[UploadedFile]):
    """签署, with the photo of the signed paper (multipart `photo`); once (409
    already_signed)."""
    return agreement_out(
        services.agreement_sign(actor=request.auth, agreement_id=agreement_id, photo=photo)
    )


@router.get("/agreements/{agreement_id}/photo", response={200: None, **ERRORS})
def agreement_photo(request, agreement_id: Id):
    """The photo of the signed agreement (for those who see the dispute's parties)."""
    a = selectors.agreement_for(request.auth, agreement_id)
    if not a.photo:
        raise NotFound(_("Not found."))
    return FileResponse(a.photo.open("rb"), content_type=a.photo_type)


class DisputeFollowUpIn(Schema):
    performance: Word = Field(..., description="performed | partly | not")
    note: Text[500] = ""


@router.post("/follow-ups/{follow_up_id}", response={200: DisputeFollowUpOut, **ERRORS})
def follow_up_record(request, follow_up_id: Id, payload: DisputeFollowUpIn):
    """履行回访: how the agreement is performed; once (409 already_recorded)."""
    f = services.follow_up_record(actor=request.auth, follow_up_id=follow_up_id, **payload.dict())
    return {"id": f.pk, "agreement_version": f.agreement.version, "due_on": f.due_on,
            "done_at": f.done_at, "performance": f.performance, "note": f.note}  # fmt: skip


class DisputeMediatorOut(Schema):
    id: int
    user_id: int
    name: str
    unit: str
    org_code: str
    kind: str
    team: str
    is_active: bool


class DisputeMediatorIn(Schema):
    user_id: Id
    unit_id: Id
    kind: Word = Field(..., description="community | think_tank | police | lawyer | other")
    team: Text[30] = ""
    resident_id: Id | None = None


def mediator_out(m) -> dict:
    return {"id": m.pk, "user_id": m.user_id, "name": m.user.get_display_name(),
            "unit": m.org_unit.name, "org_code": m.org_code, "kind": m.kind, "team": m.team,
            "is_active": m.is_active}  # fmt: skip


@router.get("/mediators", response={200: list[DisputeMediatorOut], **ERRORS})
def mediator_list(request, limit: Limit = 50):
    """The mediators of the caller's area (智囊团, police assistants, lawyers …)."""
    return [mediator_out(m) for m in selectors.mediators_visible(request.auth)[:limit]]


@router.post("/mediators", response={200: DisputeMediatorOut, **ERRORS})
def mediator_save(request, payload: DisputeMediatorIn):
    """A person joins (or changes place in) the roster of mediators."""
    return mediator_out(services.mediator_add(actor=request.auth, **payload.dict()))


class DisputeTypeOut(Schema):
    id: int
    name: str
    is_active: bool


class DisputeTypeIn(Schema):
    name: Text[30]
    id: Id | None = None
    is_active: bool = True


@router.get("/types", response={200: list[DisputeTypeOut], **ERRORS})
def type_list(request):
    """The dispute types (邻里, 物业 …)."""
    return [{"id": t.pk, "name": t.name, "is_active": t.is_active} for t in selectors.types()]


@router.post("/types", response={200: DisputeTypeOut, **ERRORS})
def type_save(request, payload: DisputeTypeIn):
    """Add or rename a dispute type (disputes.types)."""
    t = services.type_save(
        actor=request.auth, name=payload.name, type_id=payload.id, is_active=payload.is_active
    )
    return {"id": t.pk, "name": t.name, "is_active": t.is_active}


class ScreeningIn(Schema):
    unit_id: Id
    month: Text[7] = Field(..., description="YYYY-MM")
    is_zero: bool
    note: Text[500] = ""


class ScreeningOut(Schema):
    id: int
    unit_id: int
    month: str
    is_zero: bool
    found: int
    note: str
    late: bool
    revision: int
    first_filed_at: dt.datetime
    filed_at: dt.datetime


@router.post("/screening", response={200: ScreeningOut, **ERRORS})
def screening_file(request, payload: ScreeningIn):
    """File the unit's report of a month: the disputes found (counted from the register)
    or a zero report (refused when the register holds some: not_zero). Filing again
    amends it (the history is kept). A future month: 400 future_month."""
    year, month = parse_month(payload.month)
    r = services.screening_file(
        actor=request.auth, unit_id=payload.unit_id, year=year, month=month,
        is_zero=payload.is_zero, note=payload.note,
    )  # fmt: skip
    return {"id": r.pk, "unit_id": r.org_unit_id, "month": f"{r.month:%Y-%m}", "is_zero": r.is_zero,
            "found": r.found, "note": r.note, "late": r.late, "revision": r.revision,
            "first_filed_at": r.first_filed_at, "filed_at": r.filed_at}  # fmt: skip


class ScreeningBoardRowOut(Schema):
    unit_id: int
    code: str
    name: str
    state: str = Field(..., description="on_time | late | missing | overdue")
    is_zero: bool
    found: int
    filed_at: dt.datetime | None
    revision: int


class ScreeningBoardOut(Schema):
    unit: str
    month: str
    due: dt.date
    counts: dict[str, int]
    rows: list[ScreeningBoardRowOut]


def _unit_month(request, unit, month):
    u = selectors.unit_for_stats(request.auth, unit)
    if month:
        year, m = parse_month(month)
        first = dt.date(year, m, 1)
    else:
        first = selectors.last_month()
    return u, first


@router.get("/screening/board", response={200: ScreeningBoardOut, **ERRORS})
def screening_board(request, unit: Id | None = None, month: Text[7] = ""):
    """月排查月上报 of a month (default: last month) for every reporting unit under `unit`."""
    u, first = _unit_month(request, unit, month)
    b = selectors.board(u, first)
    return {"unit": u.name, "month": f"{first:%Y-%m}", "due": b.due, "counts": b.counts,
            "rows": [dataclasses.asdict(r) for r in b.rows]}  # fmt: skip


class DisputeFraction(Schema):
    numerator: int
    denominator: int
    value: float | None


class ScreeningSummaryOut(Schema):
    unit: str
    month: str
    new: int
    carried_over: int
    settled: int
    failed: int
    referred: int
    withdrawn: int
    concluded: int
    open_at_end: int
    success: DisputeFraction
    by_type: list[tuple[str, int]]
    by_risk: list[tuple[str, int]]


def _fraction(r) -> dict:
    return {"numerator": r.numerator, "denominator": r.denominator, "value": r.value}


@router.get("/screening/summary", response={200: ScreeningSummaryOut, **ERRORS})
def screening_summary(request, unit: Id | None = None, month: Text[7] = ""):
    """The month's summary from the register (new, concluded by outcome, carried over,
    open at the end; the new by type and risk) — part of the monthly report."""
    u, first = _unit_month(request, unit, month)
    s = selectors.month_summary(u, first)
    return {**s, "unit": u.name, "month": f"{first:%Y-%m}", "success": _fraction(s["success"])}


class DisputeCountOut(Schema):
    key: str
    label: str
    count: int


class DisputeKpiOut(Schema):
    unit: str
    start: dt.date
    end: dt.date
    registered: int
    success: DisputeFraction
    withdrawn: int
    local: DisputeFraction
    days_to_settle: float | None
    by_type: list[tuple[str, int]]
    by_source: list[DisputeCountOut]
    by_risk: list[DisputeCountOut]


@router.get("/kpis", response={200: DisputeKpiOut, **ERRORS})
def dispute_kpis(request, unit: Id | None = None, start: DayText = "", end: DayText = ""):
    """调解成功率 = settled / concluded (settled + failed + referred; withdrawn beside), the
    disputes registered by type, source and risk, the mean days to settle, and 矛盾不出小区
    (settled by a mediator of the dispute's community / settled), for a unit and period
    (default: this year so far)."""
    u = selectors.unit_for_stats(request.auth, unit)
    first, last = selectors.default_period(start, end)
    k = selectors.kpis(u, first, last)
    return {
        **k,
        "unit": u.name,
        "success": _fraction(k["success"]),
        "local": _fraction(k["local"]),
        "by_source": [{"key": v, "label": label, "count": n} for v, label, n in k["by_source"]],
        "by_risk": [{"key": v, "label": label, "count": n} for v, label, n in k["by_risk"]],
    }
