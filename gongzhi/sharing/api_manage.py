"""Setting sharing up over the API (sharing.manage over the community): rooms, tool huts,
their categories' loan rules and their items. On sharing's router (api.py imports this module).
Values past a schema's bounds are 422 `validation_error`; the rules between fields (the
shortest booking no longer than the longest, closing after opening, open on some day),
a community outside the caller's area, a category of another hut, a name or number
taken are the service's 400 (`invalid` with each field's messages, `duplicate`)."""

import datetime as dt
from typing import Annotated

from ninja import Field, File, Schema, UploadedFile

from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Id, Text, Word
from gongzhi.sharing import services
from gongzhi.sharing.api import router
from gongzhi.sharing.services.places import RANGES

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _number(field: str):
    low, high = RANGES[field]
    return Annotated[int, Field(ge=low, le=high, description=f"{low}–{high}")]


Weekdays = Annotated[
    str, Field(max_length=7, description="The weekdays it is open, digits, Monday 0: 0123456")
]


class RoomDetailOut(Schema):
    id: int
    org_code: str
    name: str
    location: str
    capacity: int
    equipment: str
    description: str
    opens_at: dt.time
    closes_at: dt.time
    weekdays: str
    closed_on_holidays: bool
    residents_may_book: bool
    teams_may_book: bool
    partners_may_book: bool
    max_days_ahead: int
    min_minutes: int
    max_minutes: int
    buffer_minutes: int
    needs_approval: bool
    no_show_points: int
    is_active: bool


class RoomPatch(Schema):
    """Only the fields sent change."""

    name: Text[50] | None = None
    location: Text[100] | None = None
    capacity: _number("capacity") | None = None
    equipment: Text[200] | None = None
    description: Text[500] | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    weekdays: Weekdays | None = None
    closed_on_holidays: bool | None = None
    residents_may_book: bool | None = None
    teams_may_book: bool | None = None
    partners_may_book: bool | None = None
    max_days_ahead: _number("max_days_ahead") | None = None
    min_minutes: _number("min_minutes") | None = None
    max_minutes: _number("max_minutes") | None = None
    buffer_minutes: _number("buffer_minutes") | None = None
    needs_approval: bool | None = None
    no_show_points: _number("no_show_points") | None = None
    is_active: bool | None = Field(None, description="false closes the room")


class RoomIn(Schema):
    org_unit_id: Id
    name: Text[50]
    location: Text[100] = ""
    capacity: _number("capacity") = 20
    equipment: Text[200] = ""
    description: Text[500] = ""
    opens_at: dt.time = dt.time(8, 30)
    closes_at: dt.time = dt.time(21)
    weekdays: Weekdays = "0123456"
    closed_on_holidays: bool = True
    residents_may_book: bool = True
    teams_may_book: bool = True
    partners_may_book: bool = True
    max_days_ahead: _number("max_days_ahead") = 30
    min_minutes: _number("min_minutes") = 30
    max_minutes: _number("max_minutes") = 240
    buffer_minutes: _number("buffer_minutes") = 0
    needs_approval: bool = False
    no_show_points: _number("no_show_points") = 0


def _set(payload: Schema) -> dict:
    return payload.dict(exclude_unset=True)


@router.post("/rooms", response={200: RoomDetailOut, **ERRORS})
def room_create(request, payload: RoomIn):
    fields = payload.dict()
    unit = fields.pop("org_unit_id")
    return services.room_create(actor=request.auth, org_unit_id=unit, **fields)


@router.patch("/rooms/{room_id}", response={200: RoomDetailOut, **ERRORS})
def room_update(request, room_id: Id, payload: RoomPatch):
    """Edit a room; `is_active: false` closes it (409 `has_bookings` while coming bookings
    hold it)."""
    return services.room_update(actor=request.auth, room_id=room_id, **_set(payload))


class HutDetailOut(Schema):
    id: int
    org_code: str
    name: str
    address: str
    opens_at: dt.time
    closes_at: dt.time
    weekdays: str
    closed_on_holidays: bool
    hold_days: int
    keepers: list[str]


Keepers = Annotated[list[Text[150]], Field(max_length=20, description="User names")]


class HutIn(Schema):
    org_unit_id: Id
    name: Text[50]
    address: Text[100] = ""
    opens_at: dt.time = dt.time(9)
    closes_at: dt.time = dt.time(18)
    weekdays: Weekdays = "0123456"
    closed_on_holidays: bool = True
    hold_days: _number("hold_days") = 2
    keepers: Keepers = []


class HutPatch(Schema):
    name: Text[50] | None = None
    address: Text[100] | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    weekdays: Weekdays | None = None
    closed_on_holidays: bool | None = None
    hold_days: _number("hold_days") | None = None
    keepers: Keepers | None = None


def _hut(hut) -> dict:
    fields = ("id", "org_code", "name", "address", "opens_at", "closes_at", "weekdays",
              "closed_on_holidays", "hold_days")  # fmt: skip
    keepers = sorted(hut.keepers.values_list("username", flat=True))
    return {**{f: getattr(hut, f) for f in fields}, "keepers": keepers}


@router.post("/huts", response={200: HutDetailOut, **ERRORS})
def hut_create(request, payload: HutIn):
    fields = payload.dict()
    unit = fields.pop("org_unit_id")
    return _hut(services.hut_create(actor=request.auth, org_unit_id=unit, **fields))


@router.patch("/huts/{hut_id}", response={200: HutDetailOut, **ERRORS})
def hut_update(request, hut_id: Id, payload: HutPatch):
    return _hut(services.hut_update(actor=request.auth, hut_id=hut_id, **_set(payload)))


class ToolCategoryOut(Schema):
    id: int
    hut_id: int
    name: str
    loan_days: int
    renewals: int
    max_at_once: int
    needs_approval: bool
    deposit_yuan: int
    needs_training: bool
    late_points: int


class ToolCategoryIn(Schema):
    name: Text[30]
    loan_days: _number("loan_days") = 7
    renewals: _number("renewals") = 1
    max_at_once: _number("max_at_once") = 2
    needs_approval: bool = False
    deposit_yuan: _number("deposit_yuan") = 0
    needs_training: bool = False
    late_points: _number("late_points") = 0


class ToolCategoryPatch(Schema):
    name: Text[30] | None = None
    loan_days: _number("loan_days") | None = None
    renewals: _number("renewals") | None = None
    max_at_once: _number("max_at_once") | None = None
    needs_approval: bool | None = None
    deposit_yuan: _number("deposit_yuan") | None = None
    needs_training: bool | None = None
    late_points: _number("late_points") | None = None


@router.post("/huts/{hut_id}/categories", response={200: ToolCategoryOut, **ERRORS})
def category_create(request, hut_id: Id, payload: ToolCategoryIn):
    return services.category_create(actor=request.auth, hut_id=hut_id, **payload.dict())


@router.patch("/categories/{category_id}", response={200: ToolCategoryOut, **ERRORS})
def category_update(request, category_id: Id, payload: ToolCategoryPatch):
    return services.category_update(actor=request.auth, category_id=category_id, **_set(payload))


class ItemDetailOut(Schema):
    id: int
    hut_id: int
    category_id: int
    number: str
    name: str
    condition: str
    serial: str
    safety_notes: str
    in_repair: bool
    is_active: bool
    has_photo: bool

    @staticmethod
    def resolve_has_photo(obj) -> bool:
        return bool(obj.photo)


class ItemIn(Schema):
    category_id: Id
    number: Text[20]
    name: Text[50]
    condition: Word = "good"
    serial: Text[50] = ""
    safety_notes: Text[200] = ""


class ItemPatch(Schema):
    category_id: Id | None = None
    number: Text[20] | None = None
    name: Text[50] | None = None
    condition: Word | None = None
    serial: Text[50] | None = None
    safety_notes: Text[200] | None = None


def _item_fields(fields: dict) -> dict:
    if "category_id" in fields:
        fields["category"] = fields.pop("category_id")
    return fields


@router.post("/huts/{hut_id}/items", response={200: ItemDetailOut, **ERRORS})
def item_create(request, hut_id: Id, payload: ItemIn):
    """A new item (`condition`: good, fair, worn, broken); its photo is a second call."""
    fields = _item_fields(payload.dict())
    return services.item_create(actor=request.auth, hut_id=hut_id, **fields)


@router.patch("/items/{item_id}", response={200: ItemDetailOut, **ERRORS})
def item_update(request, item_id: Id, payload: ItemPatch):
    fields = _item_fields(_set(payload))
    return services.item_update(actor=request.auth, item_id=item_id, **fields)


@router.post("/items/{item_id}/photo", response={200: ItemDetailOut, **ERRORS})
def item_photo(request, item_id: Id, photo: UploadedFile = File(..., description="JPEG or PNG")):
    return services.item_update(actor=request.auth, item_id=item_id, photo=photo)


class ItemRetireIn(Schema):
    reason: Text[200] = ""


@router.post("/items/{item_id}/retire", response={200: ItemDetailOut, **ERRORS})
def item_retire(request, item_id: Id, payload: ItemRetireIn):
    """Out of the catalogue for good (409 `on_loan` while lent); its holds are cancelled."""
    return services.item_retire(actor=request.auth, item_id=item_id, reason=payload.reason)
