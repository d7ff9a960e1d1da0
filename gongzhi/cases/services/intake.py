"""Intake: a problem becomes a case (number, place, category, reporter, photos, the
repeat check, the kind's details), once per Idempotency-Key."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from gongzhi.cases import repeats, rollups
from gongzhi.cases.kinds import get_kind
from gongzhi.cases.models import (
    Case,
    CaseAttachment,
    CaseCounter,
    Category,
    Channel,
    State,
    Urgency,
)
from gongzhi.cases.services.clock import set_deadlines
from gongzhi.cases.services.common import (
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    clean_choice,
    clean_idempotency_key,
    clean_photos,
    files_removed_on_failure,
    replayed,
    request_fingerprint,
    store_photos,
)
from gongzhi.cases.services.transition import new_event
from gongzhi.cases.text import default_title, sealed_text
from gongzhi.core import dates, permissions
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.roles import Level, Perm, Role
from gongzhi.orgs import locator
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Building, Resident
from gongzhi.registry.services import clean_location, clean_text
from gongzhi.registry.validation import FieldError, clean_phone


def next_number(day: dt.date) -> str:
    """SJ + yyyymmdd + a 6-digit sequence of the day. Call inside a transaction.

    The first case of a day creates the day's row. Two first reports at once may both
    try: the insert ignores the conflict (no error, no aborted transaction on
    PostgreSQL), and the update then waits for the other's row lock, so each gets its
    own number."""
    last = _bump_counter(day)
    if last is None:
        CaseCounter.objects.bulk_create([CaseCounter(day=day, last=0)], ignore_conflicts=True)
        last = _bump_counter(day)
    return f"SJ{day:%Y%m%d}{last:06d}"


def _bump_counter(day: dt.date) -> int | None:
    """The day's next sequence number, or None when the day has no row yet: one
    UPDATE … RETURNING (PostgreSQL, SQLite ≥ 3.35), not an update and a read."""
    table, day_, last = map(connection.ops.quote_name, (CaseCounter._meta.db_table, "day", "last"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 WHERE {day_} = %s RETURNING {last}",
            [connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Place:
    grid: OrgUnit
    building: Building | None
    lng: float | None
    lat: float | None
    address: str


def grid_of(pk) -> OrgUnit | None:
    try:
        return OrgUnit.objects.get(pk=int(pk), level__in=(Level.GRID, Level.MICROGRID))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        return None


def place_of(actor, perm, *, grid_id, building_id, lng, lat, crs, address, public=False) -> Place:
    """Where the problem is: the grid is chosen, or the building's, or found from the point.
    A grid or building outside the actor's area is the same 404 as a missing one.

    public=True (a resident's report): no actor and no scope; any grid of the tree is
    allowed, and a point outside every grid is still refused."""

    def allowed(obj) -> bool:
        return public or permissions.can(actor, perm, obj)

    errors: dict[str, list[str]] = {}
    lng, lat = clean_location(lng, lat, crs, errors)
    address = clean_text(address, 200, "address", errors)
    raise_if(errors)
    building = None
    if building_id not in (None, ""):
        try:
            building = Building.objects.select_related("grid").get(pk=int(building_id))
        except (Building.DoesNotExist, TypeError, ValueError):
            building = None
        if building is None or not allowed(building):
            raise NotFound(_("The building does not exist or is outside your area."))
    if grid_id not in (None, ""):
        grid = grid_of(grid_id)
        if grid is None or not allowed(grid):
            raise NotFound(_("The grid does not exist or is outside your area."))
    elif building is not None:
        grid = building.grid
    elif lng is not None:
        code = locator.locate(lng, lat)
        grid = OrgUnit.objects.filter(code=code).first() if code else None
        if grid is None:
            raise Invalid(
                _("The location is in no grid; choose the grid."),
                code="outside_grids",
                details={"location": [_("The location is in no grid; choose the grid.")]},
            )
        if not allowed(grid):
            raise Invalid(
                _("The location is outside your area."),
                code="outside_area",
                details={"location": [_("The location is outside your area.")]},
            )
    else:
        raise Invalid(
            _("Give the location: a point, a building or the grid."),
            details={"location": [_("Give the location: a point, a building or the grid.")]},
        )
    if building is not None:
        if lng is None and building.lng is not None:
            lng, lat = building.lng, building.lat
        address = address or building.address or building.name
    return Place(grid, building, lng, lat, address)


def clean_category(category_id) -> Category:
    try:
        category = Category.objects.select_related("parent").get(
            pk=int(category_id), is_active=True
        )
    except (Category.DoesNotExist, TypeError, ValueError):
        raise Invalid(
            _("Choose a category."), details={"category_id": [_("Choose a category.")]}
        ) from None
    if category.parent_id is None:
        raise Invalid(
            _("Choose a category within the group."),
            details={"category_id": [_("Choose a category within the group.")]},
        )
    return category


def case_report(
    *,
    actor,
    category_id,
    title: str = "",
    description: str = "",
    channel: str = "",
    urgency: str = Urgency.NORMAL,
    lng=None,
    lat=None,
    crs: str = "wgs84",
    building_id=None,
    grid_id=None,
    address: str = "",
    reporter_resident_id=None,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Iterable = (),
    idempotency_key: str | None = None,
    self_handle: bool = False,
    result: str = "",
    kind: str = "general",
    details: dict | None = None,
    via: str | None = None,
    fingerprint: str | None = None,
    also: Callable[[Case], object] | None = None,
    observed_at=None,
) -> tuple[Case, bool]:
    """Take in a problem. Returns (case, created): a retried request with the same
    Idempotency-Key returns the case the first one made, and created=False; the same key
    with a different request is refused (IdempotencyConflict, 422).

    `fingerprint`: the request's, from an entry point that takes more than these fields
    (Open311); by default these fields' own. `also(case)` writes an entry point's own rows
    in the case's transaction."""
    if not permissions.can(actor, Perm.CASE_REPORT):
        raise PermissionDenied(_("You may not report cases."))
    key = clean_idempotency_key(idempotency_key)
    if key and fingerprint is None:
        fingerprint = request_fingerprint(
            {
                "category_id": category_id, "title": title, "description": description,
                "channel": channel, "urgency": urgency, "lng": lng, "lat": lat, "crs": crs,
                "building_id": building_id, "grid_id": grid_id, "address": address,
                "reporter_resident_id": reporter_resident_id, "reporter_name": reporter_name,
                "reporter_phone": reporter_phone, "self_handle": self_handle,
                "result": result, "kind": kind, "details": details,
                **({"observed_at": str(observed_at)} if observed_at else {}),
            },
            photos,
        )  # fmt: skip
    if key:
        earlier = _reported_with(actor, key)
        if earlier is not None:
            return replayed(earlier, fingerprint), False
    kind_ = get_kind(kind)
    if not kind_.reportable and via is None:
        message = _("Cases of this kind come in through their own way in.")
        raise Invalid(message, code="unknown_kind", details={"kind": [message]})
    errors: dict[str, list[str]] = {}
    category = clean_category(category_id)
    # A channel that does not exist is refused whoever sends it; a real one is then
    # decided from the reporter's role (channel_for).
    if channel:
        clean_choice(channel, Channel.choices, "channel", errors)
    channel = via or channel_for(actor, channel)
    urgency = clean_choice(urgency, Urgency.choices, "urgency", errors, Urgency.NORMAL)
    description = clean_text(description, MAX_DESCRIPTION, "description", errors)
    title = clean_text(title, 100, "title", errors)
    reporter_name = clean_text(reporter_name, 50, "reporter_name", errors)
    try:
        phone = clean_phone(reporter_phone)
    except FieldError as exc:
        errors.setdefault("reporter_phone", []).append(str(exc))
        phone = ""
    if self_handle:
        result = clean_text(result, MAX_DESCRIPTION, "result", errors, required=True)
    if not (title or description):
        errors.setdefault("description", []).append(_("Describe the problem."))
    observed_at = dates.clean_phone_time(observed_at, "observed_at", errors)
    # Where, and the photos, are checked before any error is raised, so a form shows all
    # of its errors in one round, not the place's after the text's.
    place = None
    try:
        place = place_of(
            actor,
            Perm.CASE_REPORT,
            grid_id=grid_id,
            building_id=building_id,
            lng=lng,
            lat=lat,
            crs=crs,
            address=address,
        )
    except Invalid as exc:
        if not errors:
            raise
        for field, messages in (exc.details or {"location": [exc.message]}).items():
            errors.setdefault(field, []).extend(messages)
    limit = kind_.max_photos if via is not None and kind_.max_photos else MAX_PHOTOS
    try:
        cleaned = clean_photos(photos, limit)
    except Invalid as exc:
        if not errors:
            raise
        for field, messages in (exc.details or {"photos": [exc.message]}).items():
            errors.setdefault(field, []).extend(messages)
    raise_if(errors)
    cleaned_details = clean_details(kind_, details, trusted=via is not None)
    if self_handle and not permissions.can(actor, Perm.CASE_SELF_HANDLE, place.grid):
        raise PermissionDenied(_("You may not handle cases on the spot here."))
    resident = None
    if reporter_resident_id not in (None, ""):
        try:
            resident = Resident.objects.get(pk=int(reporter_resident_id))
        except (Resident.DoesNotExist, TypeError, ValueError):
            resident = None
        if resident is None or not permissions.can(actor, Perm.REGISTRY_VIEW, resident):
            raise NotFound(_("The resident does not exist or is outside your area."))
        reporter_name = reporter_name or resident.name
    title = title or default_title(category.name, description or place.address)

    case = draft(
        actor=actor,
        key=key,
        fingerprint=fingerprint,
        kind=kind,
        category=category,
        channel=channel,
        urgency=urgency,
        title=title,
        description=description,
        place=place,
        resident=resident,
        reporter_name=reporter_name,
        phone=phone,
    )
    case.observed_at = observed_at
    repeated = repeats.earlier_of(case)
    stored: list[CaseAttachment] = []
    try:
        with files_removed_on_failure(stored), transaction.atomic():
            create(
                case,
                stored=stored,
                actor=actor,
                repeated=repeated,
                cleaned=cleaned,
                self_handle=self_handle,
                result=result,
                details=cleaned_details,
                also=also,
            )
    except IntegrityError:
        # The same key raced another request of the same client: that one won.
        earlier = _reported_with(actor, key) if key else None
        if earlier is None:
            raise
        return replayed(earlier, fingerprint), False
    return case, True


def _reported_with(actor, key: str) -> Case | None:
    return Case.objects.filter(reported_by=actor, idempotency_key=key).first()


def taken_in(case: Case, actor, *, at, self_handle=False, result="", actor_name=None):
    """A new case as intake takes it in at `at`, in memory, and its first timeline row
    (not saved): reported, or (自行处置) found and fixed on the spot by `actor`, which the
    command center still verifies."""
    if self_handle:
        case.state = State.HANDLED
        case.registered_at = case.accepted_at = case.handled_at = case.responded_at = at
        case.assignee_code = case.org_code
        case.handler = actor
        case.self_handled = True
        case.result = result
        set_deadlines(case, at)
    return new_event(
        case,
        actor,
        "self_handle" if self_handle else "report",
        "",
        note=result if self_handle else "",
        data={"channel": case.channel},
        at=at,
        actor_name=actor_name,
    )


def draft(*, actor, key, fingerprint, kind, category, channel, urgency, title, description,
          place, resident, reporter_name, phone) -> Case:  # fmt: skip
    """The new case in memory, before its transaction: everything but its number and
    moment, so that the repeat check (repeats.earlier_of) compares it outside the write
    lock and the transaction only writes."""
    sealed = pii.seal_phone(phone)
    return Case(
        kind=kind,
        channel=channel,
        category=category,
        urgency=urgency,
        **sealed_text(title, description),
        state=State.REPORTED,
        org_code=place.grid.code,
        grid=place.grid,
        building=place.building,
        address=place.address,
        lng=place.lng,
        lat=place.lat,
        reporter_resident=resident,
        reporter_name=reporter_name,
        reporter_phone_enc=sealed["phone_enc"],
        reporter_phone_hash=sealed["phone_hash"],
        reporter_phone_masked=sealed["phone_masked"],
        reported_by=actor,
        reported_at=timezone.now(),
        idempotency_key=key,
        idempotency_fingerprint=fingerprint if key else None,
    )


def create(case: Case, *, stored, actor, repeated, cleaned, self_handle, result,
           actor_name=None, details=None, also=None) -> Case:  # fmt: skip
    """Inside the transaction: the drafted case numbered and written with its first
    timeline row, photos, repeat count (`repeated`: what repeats.earlier_of found), audit
    row, the kind's details, the entry point's own rows (`also`) and the rollups."""
    now = timezone.now()
    case.reported_at = now
    case.number = next_number(timezone.localdate(now))
    event = taken_in(
        case, actor, at=now, self_handle=self_handle, result=result, actor_name=actor_name
    )
    first = repeats.count_repeat(case, repeated)  # before the INSERT, which carries them
    case.save()
    event.save(force_insert=True)
    stored += store_photos(case, event, cleaned, actor)
    repeats.tell(case, first)
    audit_record(actor=actor, action="case.report", obj=case, changes={"state": case.state})
    kind_ = get_kind(case.kind)
    if kind_.create_details is not None:
        kind_.create_details(case=case, details=details, actor=actor)
    if also is not None:
        also(case)
    rollups.added(case)
    return case


# The channels a field worker may name (a report from a patrol or a door-to-door visit);
# anything else they send is their role's own channel.
FIELD_CHANNELS = (Channel.GRID_WORKER, Channel.PATROL, Channel.VISIT)


def channel_for(actor, requested: str) -> str:
    """How the report came in, decided here from the reporter's role, not by the client:
    the command center registers calls, walk-ins and the hotline and says which; a grid
    or community worker reports from the grid (or a patrol, a visit); a building head
    passes on residents' reports; anyone else is "other". Entry points that know the
    channel themselves (Open311, the 12345 exchange) pass `via` to case_report."""
    if permissions.can(actor, Perm.CASE_TRIAGE):
        return requested or Channel.PHONE
    roles = permissions.roles_of(actor)
    if roles & {Role.GRID_WORKER, Role.COMMUNITY_WORKER}:
        return requested if requested in FIELD_CHANNELS else Channel.GRID_WORKER
    if Role.BUILDING_HEAD in roles:
        return Channel.RESIDENT
    return Channel.OTHER


def clean_details(kind, details, *, trusted: bool = False):
    """The kind's details checked against its schema before anything is written: a
    missing or malformed field is a 400 naming it. A kind without details takes none.
    `trusted` callers (an entry point of our own) may pass the schema instance itself."""
    schema = kind.details_schema
    if schema is None:
        if details:
            message = _("This kind of case takes no details.")
            raise Invalid(message, details={"details": [message]})
        return None
    if trusted and isinstance(details, schema):
        return details
    try:
        return schema.model_validate(details or {})
    except PydanticValidationError as exc:
        fields: dict[str, list[str]] = {}
        for e in exc.errors():
            name = ".".join(str(p) for p in e.get("loc", ())) or "details"
            fields.setdefault(f"details.{name}", []).append(str(e.get("msg", "")))
        raise Invalid(_("The details are not valid."), details=fields) from None


# -- the lifecycle -----------------------------------------------------------------
