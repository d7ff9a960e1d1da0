"""The places of sharing as staff set them up: rooms (their rules, opening hours, closing
one), tool huts (keepers, opening hours), the loan rules of a hut's categories, and the
hut's items (photo, condition, retiring one).

    room_create(*, actor, org_unit_id, **fields) -> Room
    room_update(*, actor, room_id, **changes) -> Room
    hut_create(*, actor, org_unit_id, **fields) -> Hut
    hut_update(*, actor, hut_id, **changes) -> Hut
    category_create(*, actor, hut_id, **fields) -> ToolCategory
    category_update(*, actor, category_id, **changes) -> ToolCategory
    item_create(*, actor, hut_id, photo=None, **fields) -> Item
    item_update(*, actor, item_id, photo=None, **changes) -> Item
    item_retire(*, actor, item_id, reason="") -> Item

`sharing.manage` over the community the place belongs to (a community worker there, or
anyone above in the tree). A place outside the actor's area is 404, one they see but may
not manage 403. Fields arrive as the page's text or the API's values; every field is
checked before anything is written, and a refusal (Invalid with each field's messages in
`details`; `duplicate` for a name or number taken; 409 `has_bookings`, `on_loan`)
changes nothing. An update merges `changes` into the stored values, so the API's PATCH
and the page's full form go the same way. Each write is one audit row with the fields
that changed.
"""

import datetime as dt
import re
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.models import User
from gongzhi.core import images
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, PermissionDenied, raise_if
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import scope_for
from gongzhi.orgs.models import Level, OrgUnit
from gongzhi.sharing import perms
from gongzhi.sharing.models import (
    HOLDING,
    Booking,
    Condition,
    Hut,
    Item,
    Loan,
    LoanState,
    Room,
    ToolCategory,
)
from gongzhi.sharing.services.tools import holds_cancel_all

HOURS = ("opens_at", "closes_at", "weekdays", "closed_on_holidays")
ROOM_FIELDS = (
    "name",
    "location",
    "capacity",
    "equipment",
    "description",
    *HOURS,
    "residents_may_book",
    "teams_may_book",
    "partners_may_book",
    "max_days_ahead",
    "min_minutes",
    "max_minutes",
    "buffer_minutes",
    "needs_approval",
    "no_show_points",
    "is_active",
)
HUT_FIELDS = ("name", "address", *HOURS, "hold_days", "keepers")
CATEGORY_FIELDS = (
    "name",
    "loan_days",
    "renewals",
    "max_at_once",
    "needs_approval",
    "deposit_yuan",
    "needs_training",
    "late_points",
)
ITEM_FIELDS = ("category", "number", "name", "condition", "serial", "safety_notes")
MAX_KEEPERS = 20
WEEK = 7 * 24 * 60  # the longest booking there is (rooms.MAX_SPAN), in minutes
# Each number's range (the API's schemas state the same).
RANGES = {
    "capacity": (1, 10000),
    "max_days_ahead": (0, 365),
    "min_minutes": (5, WEEK),
    "max_minutes": (5, WEEK),
    "buffer_minutes": (0, 240),
    "no_show_points": (0, 1000),
    "hold_days": (1, 30),
    "loan_days": (1, 365),
    "renewals": (0, 20),
    "max_at_once": (1, 50),
    "deposit_yuan": (0, 100000),
    "late_points": (0, 1000),
}


class _Fields:
    """Reads the fields of one form, page text or API values alike, collecting every
    field's message; `done()` raises them all at once."""

    def __init__(self, data: dict):
        self.data, self.errors = data, {}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def text(self, field: str, limit: int, *, required=False) -> str:
        value = str(self.data.get(field) or "").strip()
        if required and not value:
            self.error(field, _("This field is required."))
        elif len(value) > limit:
            self.error(field, _("At most %(n)s characters.") % {"n": limit})
        return value

    def number(self, field: str) -> int:
        low, high = RANGES[field]
        value = self.data.get(field)
        text = str(value if value is not None else "").strip()
        if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]{1,9}", text):
            number = None
        else:
            number = int(text)
        if number is None or not low <= number <= high:
            self.error(
                field,
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            )
            return low
        return number

    def flag(self, field: str) -> bool:
        value = self.data.get(field)
        return value is True or str(value).lower() in ("on", "1", "true")

    def time(self, field: str) -> dt.time | None:
        value = self.data.get(field)
        if isinstance(value, str):
            try:
                value = dt.time.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, dt.time):
            self.error(field, _("Enter a valid time."))
            return None
        return value.replace(second=0, microsecond=0, tzinfo=None)

    def weekdays(self, field: str) -> str:
        value = self.data.get(field)
        if isinstance(value, list | tuple):
            value = "".join(str(v) for v in value)
        text = str(value or "").strip()
        if not text or not all(c in "0123456" for c in text):
            self.error(field, _("Choose the days of the week it is open."))
            return ""
        return "".join(sorted(set(text)))

    def hours(self) -> dict:
        out = {
            "opens_at": self.time("opens_at"),
            "closes_at": self.time("closes_at"),
            "weekdays": self.weekdays("weekdays"),
            "closed_on_holidays": self.flag("closed_on_holidays"),
        }
        if out["opens_at"] and out["closes_at"] and out["closes_at"] <= out["opens_at"]:
            self.error("closes_at", _("The closing time must be after the opening time."))
        return out

    def done(self) -> None:
        raise_if(self.errors)


def _merged(obj, fields, changes: dict) -> dict:
    """`changes` over the stored values (or a new row's defaults)."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    stored = {f: getattr(obj, f, None) for f in fields if f not in changes}
    return {**stored, **changes}


def _apply(obj, values: dict) -> dict:
    """Set `values` on `obj`; the changed ones as {field: [old, new]} for the audit row."""
    changes = {}
    for field, new in values.items():
        old = getattr(obj, field, None)  # None: a new row's relation
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changes


def _plain(value):
    return value if isinstance(value, bool | int | str | type(None)) else str(value)


def _duplicate(field: str, message: str):
    raise Invalid(message, code="duplicate", details={field: [message]})


ROOM_NAME_TAKEN = gettext_lazy("A room of this name exists.")


def _save_unique(row, field: str, message: str) -> None:
    """Save a row whose name (or number) the check before found free: two requests with
    the same name at once both find it free, and the unique constraint decides; the loser
    gets the same `duplicate` refusal instead of a server error."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        _duplicate(field, message)


# -- who may ---------------------------------------------------------------------------


def _community(actor, org_unit_id, form: _Fields) -> OrgUnit | None:
    """The community a new room or hut belongs to: one of the actor's area."""
    scope = scope_for(actor, perms.MANAGE)
    if scope.is_empty:
        raise PermissionDenied(_("You may not do this."))
    pk = parse_id(org_unit_id)
    unit = (
        OrgUnit.objects.filter(pk=pk, level=Level.COMMUNITY, is_active=True).first() if pk else None
    )
    if unit is None or not scope.covers_code(unit.code):
        form.error("org_unit", _("Choose a community of your area."))
        return None
    return unit


def _hut_managed(actor, hut_id) -> Hut:
    return perms.managed(actor, Hut.objects.select_for_update().filter(pk=hut_id).first())


# -- rooms -----------------------------------------------------------------------------


def _room_values(form: _Fields) -> dict:
    out = {
        "name": form.text("name", 50, required=True),
        "location": form.text("location", 100),
        "capacity": form.number("capacity"),
        "equipment": form.text("equipment", 200),
        "description": form.text("description", 500),
        **form.hours(),
        "residents_may_book": form.flag("residents_may_book"),
        "teams_may_book": form.flag("teams_may_book"),
        "partners_may_book": form.flag("partners_may_book"),
        "max_days_ahead": form.number("max_days_ahead"),
        "min_minutes": form.number("min_minutes"),
        "max_minutes": form.number("max_minutes"),
        "buffer_minutes": form.number("buffer_minutes"),
        "needs_approval": form.flag("needs_approval"),
        "no_show_points": form.number("no_show_points"),
        "is_active": form.flag("is_active"),
    }
    ok = "min_minutes" not in form.errors and "max_minutes" not in form.errors
    if ok and out["min_minutes"] > out["max_minutes"]:
        form.error("min_minutes", _("The shortest booking cannot be longer than the longest."))
    return out


def _room_name_free(room: Room, name: str) -> None:
    taken = Room.objects.filter(org_unit_id=room.org_unit_id, name=name).exclude(pk=room.pk)
    if taken.exists():
        _duplicate("name", ROOM_NAME_TAKEN)


def room_create(*, actor, org_unit_id, **fields) -> Room:
    """A new room of a community of the actor's area."""
    form = _Fields(_merged(Room(), ROOM_FIELDS, fields))
    unit = _community(actor, org_unit_id, form)
    values = _room_values(form)
    form.done()
    with transaction.atomic():
        room = Room(org_unit=unit, org_code=unit.code, **values)
        _room_name_free(room, values["name"])
        _save_unique(room, "name", ROOM_NAME_TAKEN)
        audit_record(
            actor=actor,
            action="sharing.room_create",
            obj=room,
            changes={k: _plain(v) for k, v in values.items()},
        )
        return room


def room_update(*, actor, room_id, **changes) -> Room:
    """Edit a room; closing it (`is_active` false) takes it off every page and booking,
    so it is refused while coming bookings hold it (409 `has_bookings`)."""
    with transaction.atomic():
        room = perms.managed(actor, Room.objects.select_for_update().filter(pk=room_id).first())
        form = _Fields(_merged(room, ROOM_FIELDS, changes))
        values = _room_values(form)
        form.done()
        _room_name_free(room, values["name"])
        if room.is_active and not values["is_active"]:
            coming = Booking.objects.filter(
                room=room, state__in=HOLDING, ends_at__gt=timezone.now()
            ).count()
            if coming:
                message = _(
                    "%(n)s coming bookings hold the room: cancel them first, or close the "
                    "room for an event instead."
                ) % {"n": coming}
                raise Conflict(message, code="has_bookings", details={"is_active": [message]})
        diff = _apply(room, values)
        if diff:
            _save_unique(room, "name", ROOM_NAME_TAKEN)
            audit_record(actor=actor, action="sharing.room_update", obj=room, changes=diff)
        return room


# -- huts ------------------------------------------------------------------------------


def _keepers(form: _Fields, unit_code: str, kept=()) -> list[User]:
    """The keepers by username: people holding a position in the hut's community (a
    resident volunteer, a worker), or keeping the hut already (`kept`: ids; one set in
    the admin stays); anyone else is refused without saying whether the name exists."""
    value = form.data.get("keepers")
    if isinstance(value, str):
        names = [n for n in re.split(r"[\s,，、;；]+", value) if n]
    else:
        names = [getattr(v, "username", v) for v in (value or ())]
    names = list(dict.fromkeys(str(n).strip() for n in names if str(n).strip()))
    if len(names) > MAX_KEEPERS:
        form.error("keepers", _("At most %(n)s keepers.") % {"n": MAX_KEEPERS})
        return []
    users = list(
        User.objects.filter(
            Q(positions__is_active=True, positions__org_code__within=unit_code)
            | Q(pk__in=list(kept)),
            username__in=names,
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )
    unknown = [n for n in names if n not in {u.username for u in users}]
    if unknown:
        form.error(
            "keepers",
            _("Not a user of this community: %(names)s.") % {"names": "、".join(unknown)},
        )
    return users


def _hut_values(form: _Fields, unit_code: str, kept=()) -> dict:
    return {
        "name": form.text("name", 50, required=True),
        "address": form.text("address", 100),
        **form.hours(),
        "hold_days": form.number("hold_days"),
        "keepers": _keepers(form, unit_code, kept),
    }


def _hut_save(actor, hut: Hut, values: dict, action: str, *, created: bool) -> Hut:
    keepers = values.pop("keepers")
    taken = Hut.objects.filter(org_unit_id=hut.org_unit_id, name=values["name"])
    if taken.exclude(pk=hut.pk).exists():
        _duplicate("name", _("A tool hut of this name exists."))
    diff = _apply(hut, values)
    old = [] if created else sorted(hut.keepers.values_list("username", flat=True))
    new = [u.username for u in keepers]
    if old != new:
        diff["keepers"] = [old, new]
    if diff or created:
        _save_unique(hut, "name", _("A tool hut of this name exists."))
        hut.keepers.set(keepers)
        audit_record(actor=actor, action=action, obj=hut, changes=diff)
    return hut


def hut_create(*, actor, org_unit_id, **fields) -> Hut:
    form = _Fields(_merged(Hut(), HUT_FIELDS, {"keepers": [], **fields}))
    unit = _community(actor, org_unit_id, form)
    values = _hut_values(form, unit.code if unit else "-")
    form.done()
    with transaction.atomic():
        hut = Hut(org_unit=unit, org_code=unit.code)
        return _hut_save(actor, hut, values, "sharing.hut_create", created=True)


def hut_update(*, actor, hut_id, **changes) -> Hut:
    with transaction.atomic():
        hut = _hut_managed(actor, hut_id)
        current = {f: getattr(hut, f) for f in HUT_FIELDS if f != "keepers"}
        current["keepers"] = kept = list(hut.keepers.all())
        if set(changes) - set(HUT_FIELDS):
            raise TypeError(f"unknown fields: {sorted(set(changes) - set(HUT_FIELDS))}")
        form = _Fields({**current, **changes})
        values = _hut_values(form, hut.org_code, [u.pk for u in kept])
        form.done()
        return _hut_save(actor, hut, values, "sharing.hut_update", created=False)


# -- the loan rules of a category ------------------------------------------------------


def _category_values(form: _Fields) -> dict:
    return {
        "name": form.text("name", 30, required=True),
        "loan_days": form.number("loan_days"),
        "renewals": form.number("renewals"),
        "max_at_once": form.number("max_at_once"),
        "needs_approval": form.flag("needs_approval"),
        "deposit_yuan": form.number("deposit_yuan"),
        "needs_training": form.flag("needs_training"),
        "late_points": form.number("late_points"),
    }


def _category_save(actor, category: ToolCategory, values: dict, action: str) -> ToolCategory:
    taken = ToolCategory.objects.filter(hut_id=category.hut_id, name=values["name"])
    if taken.exclude(pk=category.pk).exists():
        _duplicate("name", _("A category of this name exists."))
    created = category.pk is None
    diff = _apply(category, values)
    if diff or created:
        _save_unique(category, "name", _("A category of this name exists."))
        audit_record(actor=actor, action=action, obj=category, changes=diff)
    return category


def category_create(*, actor, hut_id, **fields) -> ToolCategory:
    with transaction.atomic():
        hut = _hut_managed(actor, hut_id)
        form = _Fields(_merged(ToolCategory(), CATEGORY_FIELDS, fields))
        values = _category_values(form)
        form.done()
        return _category_save(actor, ToolCategory(hut=hut), values, "sharing.category_create")


def category_update(*, actor, category_id, **changes) -> ToolCategory:
    with transaction.atomic():
        category = ToolCategory.objects.select_related("hut").filter(pk=category_id).first()
        _hut_managed(actor, category.hut_id if category else None)
        form = _Fields(_merged(category, CATEGORY_FIELDS, changes))
        values = _category_values(form)
        form.done()
        return _category_save(actor, category, values, "sharing.category_update")


# -- items -----------------------------------------------------------------------------


def _item_values(form: _Fields, hut: Hut) -> dict:
    category = form.data.get("category")
    category = getattr(category, "pk", category)
    pk = parse_id(category)
    found = ToolCategory.objects.filter(hut=hut, pk=pk).first() if pk else None
    if found is None:
        form.error("category", _("Choose a category of this hut."))
    condition = str(form.data.get("condition") or "")
    if condition not in Condition.values:
        form.error("condition", _("Choose a condition."))
    return {
        "category": found,
        "number": form.text("number", 20, required=True),
        "name": form.text("name", 50, required=True),
        "condition": condition,
        "serial": form.text("serial", 50),
        "safety_notes": form.text("safety_notes", 200),
    }


def _photo(form: _Fields, photo) -> images.CleanImage | None:
    if not photo:
        return None
    try:
        return images.clean_image(photo)
    except images.ImageRejected as exc:
        form.error("photo", exc.message)
        return None


def _item_save(actor, item: Item, values: dict, cleaned, action: str) -> Item:
    taken = Item.objects.filter(hut_id=item.hut_id, number=values["number"])
    if taken.exclude(pk=item.pk).exists():
        _duplicate("number", _("An item of this number exists in the hut."))
    created = item.pk is None
    diff = _apply(item, values)
    if cleaned is not None:
        item.photo.save(
            f"{item.hut_id}-{uuid.uuid4().hex[:12]}.{cleaned.extension}",
            ContentFile(cleaned.data),
            save=False,
        )
        diff["photo"] = [None, item.photo.name]
    if diff or created:
        _save_unique(item, "number", _("An item of this number exists in the hut."))
        audit_record(actor=actor, action=action, obj=item, changes=diff)
    return item


def item_create(*, actor, hut_id, photo=None, **fields) -> Item:
    """A new item of a hut (its number is the one on its QR label)."""
    with transaction.atomic():
        hut = _hut_managed(actor, hut_id)
        form = _Fields(_merged(Item(), ITEM_FIELDS, fields))
        values = _item_values(form, hut)
        cleaned = _photo(form, photo)
        form.done()
        item = Item(hut=hut, org_code=hut.org_code)
        return _item_save(actor, item, values, cleaned, "sharing.item_create")


def _item_managed(actor, item_id) -> Item:
    item = (
        Item.objects.select_for_update()
        .select_related("hut", "category")
        .filter(pk=item_id, is_active=True)
        .first()
    )
    return perms.managed(actor, item)


def item_update(*, actor, item_id, photo=None, **changes) -> Item:
    with transaction.atomic():
        item = _item_managed(actor, item_id)
        form = _Fields(_merged(item, ITEM_FIELDS, changes))
        values = _item_values(form, item.hut)
        cleaned = _photo(form, photo)
        form.done()
        return _item_save(actor, item, values, cleaned, "sharing.item_update")


def item_retire(*, actor, item_id, reason="") -> Item:
    """An item leaves the catalogue for good (its loans stay on record: no item is deleted).
    Refused while it is lent (409 `on_loan`); its holds are cancelled."""
    with transaction.atomic():
        item = _item_managed(actor, item_id)
        form = _Fields({"reason": reason})
        reason = form.text("reason", 200)
        form.done()
        if Loan.objects.filter(item=item, state=LoanState.OUT).exists():
            message = _("The item is lent: check it in first.")
            raise Conflict(message, code="on_loan", details={"item": [message]})
        cancelled = holds_cancel_all(item)
        item.is_active = False
        item.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="sharing.item_retire",
            obj=item,
            changes={"reason": reason, "holds_cancelled": cancelled},
        )
        return item
