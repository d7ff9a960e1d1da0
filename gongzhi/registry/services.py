"""Writes for buildings, households, residents and premises.

Each checks REGISTRY_EDIT against the grid the row is placed in (a grid outside the
actor's area is the same NotFound as a missing one), validates, writes in one
transaction and appends an audit row. Audit rows carry masked personal data only.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.core import permissions
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs import locator
from gongzhi.orgs.geo import Crs, to_wgs84
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import (
    Building,
    BuildingRole,
    Household,
    Premises,
    PremisesCategory,
    Relationship,
    ResidenceType,
    Resident,
    Tag,
)
from gongzhi.registry.validation import FieldError, clean_id_number, clean_phone, clean_uscc


def editable_grid(actor, grid_id) -> OrgUnit:
    """The grid or micro-grid `grid_id`, if the actor may keep data there. None chosen is a
    field error; one outside the actor's area is NotFound naming the field (a form shows
    it on the field, the API answers 404)."""
    if grid_id in (None, ""):
        message = _("Choose a grid.")
        raise Invalid(message, details={"grid_id": [message]})
    try:
        grid = OrgUnit.objects.get(pk=int(grid_id), level__in=(Level.GRID, Level.MICROGRID))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        grid = None
    if grid is None or not permissions.can(actor, Perm.REGISTRY_VIEW, grid):
        message = _("The grid does not exist or is outside your area.")
        raise NotFound(message, details={"grid_id": [message]})
    if not permissions.can(actor, Perm.REGISTRY_EDIT, grid):
        raise PermissionDenied(_("You may not change the data of this grid."))
    return grid


def _check_edit(actor, obj) -> None:
    if not permissions.can(actor, Perm.REGISTRY_EDIT, obj):
        raise PermissionDenied(_("You may not change the data of this grid."))


def clean_location(lng, lat, crs, errors) -> tuple[float | None, float | None]:
    """A WGS-84 point from what the phone gave (GCJ-02 or BD-09 converted), or (None, None)."""
    if lng in (None, "") and lat in (None, ""):
        return None, None
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        errors.setdefault("location", []).append(_("Longitude and latitude must be numbers."))
        return None, None
    if crs not in Crs.values:
        errors.setdefault("location", []).append(_("Unknown coordinate system."))
        return None, None
    # China spans about 73–135°E and 3–54°N; anything else is a typo or swapped axes.
    if not (70.0 <= lng <= 140.0 and 0.0 <= lat <= 56.0):
        errors.setdefault("location", []).append(_("The location is not in China."))
        return None, None
    ((lng, lat),) = to_wgs84([[lng, lat]], crs)
    return round(float(lng), 7), round(float(lat), 7)


def _grid_at(actor, grid_id, lng, lat) -> OrgUnit:
    """The chosen grid, or, when none is chosen, the grid (or micro-grid) the point is in."""
    if grid_id in (None, "") and lng is not None:
        code = locator.locate(lng, lat)
        unit = OrgUnit.objects.filter(code=code).first() if code else None
        if unit is None:
            raise Invalid(
                _("The location is in no grid; choose the grid."), details={"grid_id": ["required"]}
            )
        grid_id = unit.pk
    return editable_grid(actor, grid_id)


def _placed(actor, existing, grid_id, lng, lat, crs) -> tuple[OrgUnit, float | None, float | None]:
    """Where a building or premises goes: the existing row must be the actor's to change,
    the location is converted to WGS-84, and the grid is the chosen one or the one at the
    location."""
    if existing is not None:
        _check_edit(actor, existing)
    errors: dict[str, list[str]] = {}
    lng, lat = clean_location(lng, lat, crs, errors)
    raise_if(errors)
    return _grid_at(actor, grid_id, lng, lat), lng, lat


def clean_text(value, limit, name, errors, *, required=False) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(value) > limit:
        errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})
    return value


def clean_float(value, name, errors, low, high) -> float | None:
    """A number within [low, high], or None when empty; an error under `name` otherwise."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors.setdefault(name, []).append(_("Not a valid value."))
        return None
    return number


# Buildings and households ----------------------------------------------------------


def building_save(
    *,
    actor,
    building: Building | None = None,
    grid_id=None,
    name: str,
    address: str = "",
    floors=None,
    lng=None,
    lat=None,
    crs: str = "wgs84",
) -> Building:
    grid, lng, lat = _placed(actor, building, grid_id, lng, lat, crs)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, 100, "name", errors, required=True)
    address = clean_text(address, 200, "address", errors)
    if floors not in (None, ""):
        try:
            floors = int(floors)
            if not 1 <= floors <= 200:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault("floors", []).append(_("Floors must be a number from 1 to 200."))
    else:
        floors = None
    raise_if(errors)
    with transaction.atomic():
        clash = Building.objects.filter(grid=grid, name=name)
        if building is not None:
            clash = clash.exclude(pk=building.pk)
        if clash.exists():
            raise Conflict(
                _("A building with this name already exists in the grid."),
                code="duplicate_building",
            )
        obj = building or Building()
        obj.grid, obj.org_code, obj.name, obj.address = grid, grid.code, name, address
        obj.floors, obj.lng, obj.lat = floors, lng, lat
        obj.save()
        # A building moved to another grid takes its households and their residents along,
        # so each row's org_code (the scope filter) stays where the people live.
        Household.objects.filter(building=obj).exclude(org_code=grid.code).update(
            org_code=grid.code
        )
        Resident.objects.filter(household__building=obj).exclude(org_code=grid.code).update(
            grid=grid, org_code=grid.code
        )
        audit_record(
            actor=actor,
            action="registry.building_saved",
            obj=obj,
            changes={"name": name, "grid": grid.code},
        )
    return obj


def household_get_or_create(*, actor, building: Building, unit_name: str, room: str) -> Household:
    _check_edit(actor, building)
    errors: dict[str, list[str]] = {}
    unit_name = clean_text(unit_name, 20, "unit_name", errors)
    room = clean_text(room, 20, "room", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        household, created = Household.objects.get_or_create(
            building=building,
            unit_name=unit_name,
            room=room,
            defaults={"org_code": building.org_code},
        )
        if created:
            audit_record(actor=actor, action="registry.household_saved", obj=household)
    return household


# Residents --------------------------------------------------------------------------


# Built once: the choices' `.values` are rebuilt on every access.
_RELATIONSHIPS = frozenset(Relationship.values)
_RESIDENCE_TYPES = frozenset(ResidenceType.values)


@dataclass
class ResidentInput:
    name: str
    grid_id: int | None = None
    id_number: str = ""
    phone: str = ""
    household_id: int | None = None
    # Or name the room: the household is found or created with the resident.
    building_id: int | None = None
    unit_name: str = ""
    room: str = ""
    relationship: str = ""
    residence_type: str = ResidenceType.REGISTERED
    tag_ids: list[int] = field(default_factory=list)
    note: str = ""


def resident_clean(data: ResidentInput) -> tuple[dict, dict[str, list[str]]]:
    """Validated, normalised fields (personal data sealed) and the errors. No DB writes."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    out["name"] = clean_text(data.name, 50, "name", errors, required=True)
    out["note"] = clean_text(data.note, 200, "note", errors)
    out["gender"], out["birth_date"] = "", None
    if (data.id_number or "").strip():
        try:
            number, birth, gender = clean_id_number(data.id_number)
        except FieldError as exc:
            errors.setdefault("id_number", []).append(str(exc))
        else:
            out.update(pii.seal_id_number(number), birth_date=birth, gender=gender)
    else:
        out.update(pii.seal_id_number(""))
    try:
        out.update(pii.seal_phone(clean_phone(data.phone)))
    except FieldError as exc:
        errors.setdefault("phone", []).append(str(exc))
    out["phone_last4"] = out.get("phone_masked", "")[-4:]
    if data.relationship and data.relationship not in _RELATIONSHIPS:
        errors.setdefault("relationship", []).append(_("Unknown relationship."))
    out["relationship"] = data.relationship or ""
    if data.residence_type not in _RESIDENCE_TYPES:
        errors.setdefault("residence_type", []).append(_("Unknown residence type."))
    out["residence_type"] = data.residence_type
    return out, errors


def resident_save(*, actor, data: ResidentInput, resident: Resident | None = None) -> Resident:
    """Create or change a resident. A 身份证号 already registered is a conflict.

    The resident lives in `household_id`, or in the room named by building, unit and
    room (created if new), or only in a grid. With a home, the grid is the building's.
    """
    if resident is not None:
        _check_edit(actor, resident)
    fields, errors = resident_clean(data)
    household = building = None
    if data.household_id:
        household = (
            Household.objects.select_related("building").filter(pk=data.household_id).first()
        )
        if household is None or not permissions.can(actor, Perm.REGISTRY_EDIT, household):
            message = _("The household does not exist or is outside your area.")
            raise NotFound(message, details={"household_id": [message]})
        building = household.building
    elif data.building_id:
        building = Building.objects.filter(pk=data.building_id).first()
        if building is None or not permissions.can(actor, Perm.REGISTRY_EDIT, building):
            message = _("The building does not exist or is outside your area.")
            raise NotFound(message, details={"building_id": [message]})
        unit_name = clean_text(data.unit_name, 20, "unit_name", errors)
        room = clean_text(data.room, 20, "room", errors, required=True)
    if building is not None:
        if data.grid_id and int(data.grid_id) != building.grid_id:
            errors.setdefault("grid_id", []).append(_("The building is not in the chosen grid."))
        grid = building.grid
    else:
        grid = editable_grid(actor, data.grid_id)
    tags = list(Tag.objects.filter(pk__in=data.tag_ids or [], is_active=True))
    if len(tags) != len(set(data.tag_ids or [])):
        errors.setdefault("tags", []).append(_("Unknown tag."))
    raise_if(errors)
    if resident is not None and not data.id_number and resident.id_number_hash:
        # An edit that leaves the ID blank keeps the stored one (the form never shows it).
        for key in ("id_number_enc", "id_number_hash", "id_number_masked", "birth_date", "gender"):
            fields.pop(key, None)
    if resident is not None and not data.phone and resident.phone_hash:
        for key in ("phone_enc", "phone_hash", "phone_masked", "phone_last4"):
            fields.pop(key, None)
    with transaction.atomic():
        if household is None and building is not None:
            household, _created = Household.objects.get_or_create(
                building=building,
                unit_name=unit_name,
                room=room,
                defaults={"org_code": building.org_code},
            )
        obj = resident or Resident()
        for key, value in fields.items():
            setattr(obj, key, value)
        obj.grid, obj.org_code, obj.household = grid, grid.code, household
        if fields.get("id_number_hash"):
            dup = Resident.objects.filter(id_number_hash=fields["id_number_hash"])
            if resident is not None:
                dup = dup.exclude(pk=resident.pk)
            if dup.exists():
                raise Conflict(
                    _("This ID number is already registered."), code="duplicate_id_number"
                )
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError:
            raise Conflict(
                _("This ID number is already registered."), code="duplicate_id_number"
            ) from None
        obj.tags.set(tags)
        audit_record(
            actor=actor,
            action="registry.resident_saved",
            obj=obj,
            changes={
                "grid": grid.code,
                "id_number": obj.id_number_masked,
                "phone": obj.phone_masked,
                "new": resident is None,
            },
        )
    return obj


def building_role_set(*, actor, building: Building, resident: Resident, role: str) -> BuildingRole:
    _check_edit(actor, building)
    if role not in BuildingRole.Role.values:
        raise Invalid(_("Unknown building position."), details={"role": ["unknown"]})
    if not permissions.can(actor, Perm.REGISTRY_VIEW, resident):
        raise NotFound(_("The resident does not exist or is outside your area."))
    with transaction.atomic():
        obj, created = BuildingRole.objects.get_or_create(
            building=building, resident=resident, role=role
        )
        if created:
            audit_record(actor=actor, action="registry.building_role_set", obj=obj)
    return obj


def pii_reveal(*, actor, obj: Resident | Premises, field_name: str) -> str:
    """The full value of one personal field, for those allowed; every reveal is audited."""
    if not permissions.can(actor, Perm.PII_REVEAL, obj):
        raise PermissionDenied(_("You may not see this in full."))
    if field_name == "id_number" and isinstance(obj, Resident):
        value = pii.open_id_number(obj)
    elif field_name == "phone":
        value = pii.open_phone(obj)
    else:
        raise Invalid(_("Unknown field."), details={"field": [field_name]})
    audit_record(
        actor=actor,
        action="registry.pii_revealed",
        obj=obj,
        changes={"field": field_name, "masked": getattr(obj, f"{field_name}_masked", "")},
    )
    return value


# Premises ---------------------------------------------------------------------------


def premises_save(
    *,
    actor,
    premises: Premises | None = None,
    grid_id=None,
    name: str,
    category_id,
    address: str = "",
    responsible_name: str = "",
    phone: str = "",
    uscc: str = "",
    lng=None,
    lat=None,
    crs: str = "wgs84",
) -> Premises:
    grid, lng, lat = _placed(actor, premises, grid_id, lng, lat, crs)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, 100, "name", errors, required=True)
    address = clean_text(address, 200, "address", errors)
    responsible_name = clean_text(responsible_name, 50, "responsible_name", errors)
    category = (
        PremisesCategory.objects.filter(pk=category_id, is_active=True).first()
        if category_id
        else None
    )
    if category is None:
        errors.setdefault("category", []).append(_("Choose a category."))
    sealed = {}
    try:
        sealed = pii.seal_phone(clean_phone(phone))
    except FieldError as exc:
        errors.setdefault("phone", []).append(str(exc))
    try:
        uscc = clean_uscc(uscc) or None
    except FieldError as exc:
        errors.setdefault("uscc", []).append(str(exc))
    raise_if(errors)
    if premises is not None and not phone and premises.phone_hash:
        sealed = {}
    with transaction.atomic():
        if (
            uscc
            and Premises.objects.filter(uscc=uscc)
            .exclude(pk=getattr(premises, "pk", None))
            .exists()
        ):
            raise Conflict(_("This credit code is already registered."), code="duplicate_uscc")
        obj = premises or Premises()
        obj.grid, obj.org_code, obj.name, obj.category = grid, grid.code, name, category
        obj.address, obj.responsible_name, obj.uscc, obj.lng, obj.lat = (
            address,
            responsible_name,
            uscc,
            lng,
            lat,
        )
        for key, value in sealed.items():
            setattr(obj, key, value)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError:
            raise Conflict(
                _("This premises is already registered in the grid."), code="duplicate_premises"
            ) from None
        audit_record(
            actor=actor,
            action="registry.premises_saved",
            obj=obj,
            changes={"grid": grid.code, "phone": obj.phone_masked, "uscc": uscc or ""},
        )
    return obj
