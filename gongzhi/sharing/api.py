"""Sharing over the API, mounted at /api/v1/sharing (registered in SharingConfig.ready()).

    GET  /rooms                                the rooms the caller sees
    GET  /rooms/{id}/availability?start=&days= each day's opening, bookings, free stretches (≤ 31)
    GET  /bookings?room=                       bookings, newest first (keyset)
    POST /bookings                             book (sharing.book; a closure needs sharing.manage)
    POST /bookings/{id}/change                 move one date (of a series: that date only)
    POST /bookings/{id}/cancel                 cancel with a reason
    POST /bookings/{id}/decide                 approve or deny a request
    POST /bookings/{id}/check-in               checked in
    POST /bookings/{id}/no-show                nobody came
    POST /series                               every week for a season (all or nothing)
    POST /series/{id}/change                   the coming dates to a new time
    POST /series/{id}/cancel                   the coming dates cancelled
    GET  /huts                                 the tool huts the caller sees or keeps
    GET  /huts/{id}/items                      the catalogue with availability
    GET  /loans?hut=                           loans, newest first (keyset; borrowers masked)
    POST /huts/{id}/check-out                  the counter: item number and the resident's card
    POST /huts/{id}/check-in                   back, with its condition
    POST /items/{id}/repair                    to repair or back

Setting up (sharing.manage over the community; api_manage.py):

    POST  /rooms                a new room           PATCH /rooms/{id}        edit, close or open it
    POST  /huts                 a new tool hut       PATCH /huts/{id}         edit it (keepers too)
    POST  /huts/{id}/categories a category's rules   PATCH /categories/{id}   edit them
    POST  /huts/{id}/items      a new item           PATCH /items/{id}        edit it
    POST  /items/{id}/photo     its photo            POST  /items/{id}/retire out of the catalogue

Errors: 404 not_found (also outside the caller's area), 403 forbidden, 400 invalid /
outside_hours / closed_day / too_far_ahead / too_long / too_short / in_the_past /
not_allowed / too_many / deposit_needed / training_needed / unknown_card, 409 clash (the
booking in the way in `details.booking`) / item_taken / in_repair / overdue / too_many /
not_lent / no_renewals / has_bookings / on_loan; 400 duplicate (a name or number taken),
invalid_image; 422 validation_error (a value beyond the schema's bounds).
"""

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Field, Router, Schema

from gongzhi.core.dates import parse_day
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, DayText, Id, Limit, Text, Word
from gongzhi.sharing import selectors, services

router = Router(tags=["sharing"])
Days = Annotated[int, Field(ge=1, le=31, description="Days, 1–31")]
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class RoomOut(Schema):
    id: int
    org_code: str
    name: str
    capacity: int
    equipment: str
    opens_at: dt.time
    closes_at: dt.time
    weekdays: str
    max_days_ahead: int
    min_minutes: int
    max_minutes: int
    buffer_minutes: int
    needs_approval: bool


@router.get("/rooms", response={200: list[RoomOut], **ERRORS})
def room_list(request):
    return list(selectors.rooms_visible(request.auth).order_by("org_code", "name")[:200])


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime


class DayBookingOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str
    state: str


class DayOut(Schema):
    day: dt.date
    open: bool
    bookings: list[DayBookingOut]
    free: list[SlotOut]


@router.get("/rooms/{room_id}/availability", response={200: list[DayOut], **ERRORS})
def room_availability(request, room_id: Id, start: DayText | None = None, days: Days = 7):
    room = selectors.room_for(request.auth, room_id)
    first = parse_day(start, "start", code="invalid") if start else timezone.localdate()
    out = selectors.availability([room], first, days)[room.pk]
    return [
        {
            "day": d.day,
            "open": d.opening is not None,
            "bookings": d.bookings,
            "free": [{"starts_at": a, "ends_at": b} for a, b in d.free],
        }
        for d in out
    ]


class BookingOut(Schema):
    id: int
    room_id: int
    series_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    state: str
    booker_kind: str
    title: str
    booker_name: str
    phone_masked: str
    people: int
    purpose: str
    reason: str


class BookingPage(Schema):
    items: list[BookingOut]
    next_cursor: str | None


@router.get("/bookings", response={200: BookingPage, **ERRORS})
def booking_list(
    request, room: Id | None = None, limit: Limit | None = None, cursor: Cursor | None = None
):
    qs = selectors.bookings_visible(request.auth)
    if room:
        qs = qs.filter(room_id=room)
    rows, next_cursor = keyset_page(qs, ordering=["-starts_at", "-id"], cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


class BookingIn(Schema):
    room_id: Id
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str = Field(..., min_length=1, max_length=100)
    booker_kind: Word = "staff"
    booker_name: Text[50] = ""
    people: int = Field(1, ge=1, le=10000)
    note: Text[200] = ""


@router.post("/bookings", response={200: BookingOut, **ERRORS})
def booking_create(request, payload: BookingIn):
    """Book for staff, a team or a partner (sharing.book over the room), or close the room
    for an event (`booker_kind` closure, sharing.manage)."""
    return services.book_room(actor=request.auth, **payload.dict())


class BookingChangeIn(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime


@router.post("/bookings/{booking_id}/change", response={200: BookingOut, **ERRORS})
def booking_change(request, booking_id: Id, payload: BookingChangeIn):
    return services.booking_change(actor=request.auth, booking_id=booking_id, **payload.dict())


class BookingReasonIn(Schema):
    reason: Text[200] = ""


@router.post("/bookings/{booking_id}/cancel", response={200: BookingOut, **ERRORS})
def booking_cancel(request, booking_id: Id, payload: BookingReasonIn):
    return services.booking_cancel(actor=request.auth, booking_id=booking_id, reason=payload.reason)


class BookingDecideIn(Schema):
    approve: bool
    reason: Text[200] = ""


@router.post("/bookings/{booking_id}/decide", response={200: BookingOut, **ERRORS})
def booking_decide(request, booking_id: Id, payload: BookingDecideIn):
    return services.booking_decide(actor=request.auth, booking_id=booking_id, **payload.dict())


@router.post("/bookings/{booking_id}/check-in", response={200: BookingOut, **ERRORS})
def booking_check_in(request, booking_id: Id):
    return services.booking_check_in(actor=request.auth, booking_id=booking_id)


@router.post("/bookings/{booking_id}/no-show", response={200: BookingOut, **ERRORS})
def booking_no_show(request, booking_id: Id):
    return services.booking_no_show(actor=request.auth, booking_id=booking_id)


class SeriesIn(Schema):
    room_id: Id
    title: str = Field(..., min_length=1, max_length=100)
    first_date: dt.date
    last_date: dt.date
    starts: dt.time
    ends: dt.time
    booker_kind: Word = "team"
    booker_name: Text[50] = ""


class SeriesOut(Schema):
    id: int
    room_id: int
    title: str
    first_date: dt.date
    last_date: dt.date
    starts: dt.time
    ends: dt.time
    skipped: list[str]
    cancel_reason: str


@router.post("/series", response={200: SeriesOut, **ERRORS})
def series_create(request, payload: SeriesIn):
    return services.series_book(actor=request.auth, **payload.dict())


class SeriesChangeIn(Schema):
    starts: dt.time
    ends: dt.time


@router.post("/series/{series_id}/change", response={200: SeriesOut, **ERRORS})
def series_change(request, series_id: Id, payload: SeriesChangeIn):
    return services.series_change(actor=request.auth, series_id=series_id, **payload.dict())


class SeriesCancelIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


@router.post("/series/{series_id}/cancel", response={200: SeriesOut, **ERRORS})
def series_cancel(request, series_id: Id, payload: SeriesCancelIn):
    return services.series_cancel(actor=request.auth, series_id=series_id, reason=payload.reason)


class HutOut(Schema):
    id: int
    org_code: str
    name: str
    address: str
    opens_at: dt.time
    closes_at: dt.time
    weekdays: str


@router.get("/huts", response={200: list[HutOut], **ERRORS})
def hut_list(request):
    return list(selectors.huts_visible(request.auth).order_by("pk")[:200])


class ItemOut(Schema):
    id: int
    number: str
    name: str
    category: str
    condition: str
    serial: str
    safety_notes: str
    in_repair: bool
    available: bool


@router.get("/huts/{hut_id}/items", response={200: list[ItemOut], **ERRORS})
def item_list(request, hut_id: Id, q: Text[50] = ""):
    hut = selectors.hut_for(request.auth, hut_id)
    return [
        _item(i, i.category_name, available=not i.in_repair and not i.open_loans)
        for i in selectors.catalogue([hut.pk], query=q)
    ]


def _item(i, category: str, *, available: bool) -> dict:
    """An item of the catalogue (a selectors.CatalogueItem) or a model Item."""
    fields = ("number", "name", "condition", "serial", "safety_notes", "in_repair")
    return {"id": i.pk, "category": category, "available": available,
            **{name: getattr(i, name) for name in fields}}  # fmt: skip


class LoanOut(Schema):
    id: int
    item_id: int
    item: str
    state: str
    borrower: str
    phone_masked: str
    out_at: dt.datetime | None
    due_at: dt.datetime | None
    returned_at: dt.datetime | None
    renewals: int
    condition_back: str


class LoanPage(Schema):
    items: list[LoanOut]
    next_cursor: str | None


@router.get("/loans", response={200: LoanPage, **ERRORS})
def loan_list(
    request, hut: Id | None = None, limit: Limit | None = None, cursor: Cursor | None = None
):
    qs = selectors.loans_visible(request.auth).select_related("resident", "item")
    if hut:
        qs = qs.filter(hut_id=hut)
    rows, next_cursor = keyset_page(qs, ordering=["-created_at", "-id"], cursor=cursor, limit=limit)
    return {"items": [_loan(r) for r in rows], "next_cursor": next_cursor}


def _loan(r):
    return {
        "id": r.pk,
        "item_id": r.item_id,
        "item": r.item.name,
        "state": r.state,
        "borrower": r.resident.name,
        "phone_masked": r.resident.phone_masked,
        "out_at": r.out_at,
        "due_at": r.due_at,
        "returned_at": r.returned_at,
        "renewals": r.renewals,
        "condition_back": r.condition_back,
    }


class CheckOutIn(Schema):
    item_number: str = Field(..., min_length=1, max_length=20)
    card: str = Field(..., min_length=1, max_length=300)
    deposit_paid: bool = False
    trained: bool = False


@router.post("/huts/{hut_id}/check-out", response={200: LoanOut, **ERRORS})
def check_out(request, hut_id: Id, payload: CheckOutIn):
    """The keeper's counter: the item's number (its QR) and the resident's card (its QR, or
    the full mobile number)."""
    return _loan(services.check_out(actor=request.auth, hut_id=hut_id, **payload.dict()))


class CheckInIn(Schema):
    item_number: str = Field(..., min_length=1, max_length=20)
    condition: Word
    note: Text[200] = ""
    repair: bool = False


@router.post("/huts/{hut_id}/check-in", response={200: LoanOut, **ERRORS})
def check_in(request, hut_id: Id, payload: CheckInIn):
    return _loan(services.check_in(actor=request.auth, hut_id=hut_id, **payload.dict()))


class RepairIn(Schema):
    in_repair: bool
    note: Text[200] = ""


@router.post("/items/{item_id}/repair", response={200: ItemOut, **ERRORS})
def item_repair(request, item_id: Id, payload: RepairIn):
    i = services.item_repair(actor=request.auth, item_id=item_id, **payload.dict())
    return _item(i, i.category.name, available=False)


# The set-up endpoints share this router (one router a path: POST /rooms beside GET /rooms).
from gongzhi.sharing import api_manage  # noqa: E402, F401
