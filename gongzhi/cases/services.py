"""Writes on cases: intake and every step of the lifecycle.

Each action is one transaction. It reads the case through the actor's scope (missing and
not yours are the same 404), locks the row, refuses a stale `version` (someone else has
changed the case since the page was loaded: "already changed"), asks the transition table
(cases.workflow) and the case kind whether the move is allowed, then writes the case, a
timeline row, the photos, an audit row and the notifications, all or nothing.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from gongzhi.accounts.models import Position
from gongzhi.cases import policies, repeats, rollups, selectors
from gongzhi.cases.kinds import get_kind
from gongzhi.cases.models import (
    Case,
    CaseAttachment,
    CaseCounter,
    CaseEvent,
    Category,
    Channel,
    ExtensionRequest,
    Rating,
    RequestStatus,
    State,
    Supervision,
    Urgency,
)
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.core import crypto, images, permissions
from gongzhi.core.audit import audit_record
from gongzhi.core.calendar import work_calendar
from gongzhi.core.deadlines import add_working_days, resume_deadline, working_seconds_between
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.roles import CODE_LENGTH, Level, Perm, Role
from gongzhi.core.workflow import GuardFailed
from gongzhi.notifications.services import notify
from gongzhi.orgs import locator
from gongzhi.orgs.models import Department, OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Building, Resident
from gongzhi.registry.services import clean_location, clean_text
from gongzhi.registry.validation import FieldError, clean_phone

MAX_PHOTOS = 9
MAX_DESCRIPTION = 2000
MAX_NOTE = 1000
MAX_EXTENSION_DAYS = 30


class Stale(Conflict):
    code = "stale"


# -- helpers -----------------------------------------------------------------------


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


def _clean_photos(photos: Iterable) -> list[images.CleanImage]:
    photos = [p for p in photos or () if p]
    if len(photos) > MAX_PHOTOS:
        raise Invalid(
            _("At most %(n)d photos.") % {"n": MAX_PHOTOS}, details={"photos": ["too_many"]}
        )
    return [images.clean_image(p) for p in photos]


def _store_photos(case: Case, event: CaseEvent | None, cleaned, actor) -> list[CaseAttachment]:
    saved = []
    for img in cleaned:
        name = get_random_string(16).lower()
        att = CaseAttachment(
            case=case,
            event=event,
            content_type=img.content_type,
            size=img.size,
            width=img.width,
            height=img.height,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        att.file.save(f"{name}.{img.extension}", ContentFile(img.data), save=False)
        att.thumb.save(f"{name}_t.jpg", ContentFile(img.thumb), save=False)
        att.save()
        saved.append(att)
    return saved


@contextmanager
def _files_removed_on_failure(stored: list[CaseAttachment]):
    """Photo files are written before their rows commit; when the transaction fails, the
    rows are gone and so must the files be (no orphans in the media store)."""
    try:
        yield
    except BaseException:
        for att in stored:
            for f in (att.file, att.thumb):
                if f.name:
                    f.storage.delete(f.name)
        raise


def _event(
    case, actor, action, from_state, note="", data=None, at=None, actor_name=None
) -> CaseEvent:
    """`actor_name` names an actor without an account (a resident: "居民（尾号1234）")."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return CaseEvent.objects.create(
        case=case,
        at=at or timezone.now(),
        actor=user,
        actor_name=(actor_name or (user.get_display_name() if user else _("System")))[:150],
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data or {},
    )


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """`value` in the installation's time zone. Working days are days of the calendar
    there: the deadline maths counts days in the zone of the datetime it is given, and
    datetimes come from the database (and timezone.now()) in UTC."""
    return timezone.localtime(value, timezone.get_default_timezone()) if value else value


def _set_deadlines(case: Case, start: dt.datetime) -> None:
    start = _local(start)
    limits = policies.limits_for(case.category, case.urgency)
    cal = work_calendar()
    respond_by, due = policies.deadlines(start, limits, cal)
    case.respond_by = case.respond_by or respond_by
    case.due_at = due
    case.due_soon_at = _due_soon(start, due, limits.due_soon_share, cal, limits)


def _due_soon(start, due, share, cal, limits=None) -> dt.datetime:
    """The moment `share` of the time allowed from `start` to `due` is used."""
    if limits is not None and limits.handling_hours:
        return start + (due - start) * share
    allowed = working_seconds_between(start, due, cal)
    from gongzhi.core.deadlines import add_working_seconds

    return add_working_seconds(start, allowed * share, cal)


def _users_at(codes: Iterable[str], roles: Iterable[str]) -> list:
    """Active holders of `roles` at exactly these org codes."""
    return [
        p.user
        for p in Position.objects.filter(
            is_active=True, role__in=list(roles), org_code__in=list(codes)
        ).select_related("user")
        if p.user.is_active
    ]


def _ancestor_codes(code: str) -> list[str]:
    return [code[:n] for n in sorted(set(CODE_LENGTH.values())) if n <= len(code)]


def handlers_of(case: Case) -> list:
    """Who handles the case now: the department's handlers, or the workers of the unit."""
    if case.department_id:
        return [
            p.user
            for p in Position.objects.filter(
                is_active=True, role=Role.DEPARTMENT_HANDLER, department_id=case.department_id
            ).select_related("user")
            if p.user.is_active
        ]
    if case.assignee_code:
        return _users_at([case.assignee_code], [Role.GRID_WORKER, Role.COMMUNITY_WORKER])
    return []


def operators_over(case: Case) -> list:
    return _users_at(_ancestor_codes(case.org_code), [Role.OPERATOR])


def leaders_over(code: str) -> list:
    return _users_at(_ancestor_codes(code), [Role.LEADER])


def _notify_case(case: Case, recipients, kind: str, title: str, body: str = "", dedupe=None) -> int:
    """Queue an inbox notification about `case`; returns how many rows were new."""
    recipients = [u for u in dict.fromkeys(recipients) if u is not None]
    if recipients:
        return notify(
            recipients=recipients,
            kind=kind,
            title=title,
            body=body or case.title,
            link=f"/cases/{case.pk}/",
            dedupe_key=dedupe,
        )
    return 0


# -- intake ------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    grid: OrgUnit
    building: Building | None
    lng: float | None
    lat: float | None
    address: str


def _grid(pk) -> OrgUnit | None:
    try:
        return OrgUnit.objects.get(pk=int(pk), level__in=(Level.GRID, Level.MICROGRID))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        return None


def _place(actor, perm, *, grid_id, building_id, lng, lat, crs, address, public=False) -> Place:
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
        grid = _grid(grid_id)
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


def _category(category_id) -> Category:
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


def _choice(value, choices, name, errors, default=None):
    value = value or default
    if value not in dict(choices):
        errors.setdefault(name, []).append(_("Choose one of the options."))
    return value


def _idempotency_key(key) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > 64 or not key.isascii() or not key.isprintable():
        raise Invalid(
            _("The Idempotency-Key must be at most 64 printable ASCII characters."),
            code="invalid_idempotency_key",
        )
    return key


def case_report(
    *,
    actor,
    category_id,
    title: str = "",
    description: str = "",
    channel: str = Channel.GRID_WORKER,
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
) -> tuple[Case, bool]:
    """Take in a problem. Returns (case, created): a retried request with the same
    Idempotency-Key returns the case the first one made, and created=False."""
    if not permissions.can(actor, Perm.CASE_REPORT):
        raise PermissionDenied(_("You may not report cases."))
    key = _idempotency_key(idempotency_key)
    if key:
        earlier = Case.objects.filter(reported_by=actor, idempotency_key=key).first()
        if earlier is not None:
            return earlier, False
    get_kind(kind)
    errors: dict[str, list[str]] = {}
    category = _category(category_id)
    channel = _choice(channel, Channel.choices, "channel", errors)
    urgency = _choice(urgency, Urgency.choices, "urgency", errors, Urgency.NORMAL)
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
    raise_if(errors)
    place = _place(
        actor,
        Perm.CASE_REPORT,
        grid_id=grid_id,
        building_id=building_id,
        lng=lng,
        lat=lat,
        crs=crs,
        address=address,
    )
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
    cleaned = _clean_photos(photos)
    title = title or f"{category.name}：{(description or place.address)[:30]}"

    stored: list[CaseAttachment] = []
    try:
        with _files_removed_on_failure(stored), transaction.atomic():
            case = _create(
                stored=stored,
                actor=actor,
                key=key,
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
                cleaned=cleaned,
                self_handle=self_handle,
                result=result,
            )
    except IntegrityError:
        # The same key raced another request of the same client: that one won.
        earlier = (
            Case.objects.filter(reported_by=actor, idempotency_key=key).first() if key else None
        )
        if earlier is None:
            raise
        return earlier, False
    return case, True


def _create(*, stored, actor, key, kind, category, channel, urgency, title, description, place,
            resident, reporter_name, phone, cleaned, self_handle, result,
            actor_name=None) -> Case:  # fmt: skip
    now = timezone.now()
    sealed = pii.seal_phone(phone)
    case = Case(
        number=next_number(timezone.localdate(now)),
        kind=kind,
        channel=channel,
        category=category,
        urgency=urgency,
        title=title,
        description=description,
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
        reported_at=now,
        idempotency_key=key,
    )
    if self_handle:
        # 自行处置: found and fixed on the spot; the command center still verifies it.
        case.state = State.HANDLED
        case.registered_at = case.accepted_at = case.handled_at = case.responded_at = now
        case.assignee_code = place.grid.code
        case.handler = actor
        case.self_handled = True
        case.result = result
        _set_deadlines(case, now)
    case.save()
    event = _event(
        case,
        actor,
        "self_handle" if self_handle else "report",
        "",
        note=result if self_handle else "",
        data={"channel": channel},
        at=now,
        actor_name=actor_name,
    )
    stored += _store_photos(case, event, cleaned, actor)
    repeats.flag(case)
    audit_record(actor=actor, action="case.report", obj=case, changes={"state": case.state})
    rollups.added(case)
    get_kind(kind)
    return case


# -- the lifecycle -----------------------------------------------------------------


def _version(version) -> int | None:
    if version in (None, ""):
        return None
    try:
        return int(version)
    except (TypeError, ValueError):
        message = _("The version must be a whole number.")
        raise Invalid(message, details={"version": [message]}) from None


def _locked(actor, case_id, version) -> Case:
    version = _version(version)
    case = selectors.case_for(actor, case_id)
    # OF self: the nullable join to the category's group cannot be locked on PostgreSQL.
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category__parent")
        .get(pk=case.pk)
    )
    if version is not None and version != case.version:
        raise Stale(
            _("Someone else has already changed this case; reload it and try again."),
            details={"version": case.version},
        )
    return case


def _note(note, errors, *, required=False, name="note") -> str:
    return clean_text(note, MAX_NOTE, name, errors, required=required)


def _transition(
    actor,
    case_id,
    action: str,
    *,
    version=None,
    note: str = "",
    photos: Iterable = (),
    inputs: dict[str, Any] | None = None,
    change: Callable[[Case, dt.datetime], dict[str, Any] | None] | None = None,
    after: Callable[[Case, CaseEvent], None] | None = None,
    reporter_phone_hash: str | None = None,
) -> Case:
    """Check and take one action on a case, in one transaction.

    With `reporter_phone_hash` the actor is the reporter (a resident without an account,
    actor None): the case is found by the verified phone's hash instead of a scope, and
    the table is asked with authorized=True (state and guards still hold)."""
    inputs = inputs or {}
    by_reporter = reporter_phone_hash is not None

    def find(lock_version):
        if by_reporter:
            return _reporter_case(reporter_phone_hash, case_id)
        return _locked(actor, case_id, lock_version)

    cleaned = []
    if photos:
        # Photos are decoded before the row is locked (it takes a while), but not for
        # someone who may not take the action at all: a case out of sight stays a 404
        # and an illegal move a 409, whatever was uploaded. Checked again under the lock.
        with transaction.atomic():
            seen = find(None) if by_reporter else selectors.case_for(actor, case_id)
            CASE_FLOW.check(seen, action, actor, authorized=by_reporter, **inputs)
        cleaned = _clean_photos(photos)
    stored: list[CaseAttachment] = []
    with _files_removed_on_failure(stored), transaction.atomic():
        case = find(version)
        t = CASE_FLOW.check(case, action, actor, authorized=by_reporter, **inputs)
        tracked = rollups.track(case)
        kind = get_kind(case.kind)
        for guard in kind.guards.get(action, ()):
            reason = guard(case, inputs)
            if reason:
                raise GuardFailed(reason, details={"action": action})
        now = timezone.now()
        before = case.state
        data = (change(case, now) if change else None) or {}
        if t.target:
            case.state = t.target
        case.version += 1
        case.save()
        event = _event(
            case,
            actor,
            action,
            before,
            note=note,
            data=data,
            at=now,
            actor_name=resident_name(case.reporter_phone_masked) if by_reporter else None,
        )
        stored += _store_photos(case, event, cleaned, actor)
        audit_record(
            actor=actor,
            action=f"case.{action}",
            obj=case,
            changes={
                "state": [before, case.state],
                **({"note": note} if note else {}),
                **({"by": "reporter"} if by_reporter else {}),
            },
        )
        if after:
            after(case, event)
        if kind.on_transition:
            kind.on_transition(case, action, actor, inputs)
        tracked.apply(case)
    return case


def case_register(
    *, actor, case_id, version=None, note="", category_id=None, urgency=None, grid_id=None
):
    """立案: the report is a case; its deadlines start now. The category, the urgency and
    the grid (when the point fell in the wrong one) may be corrected in the same step."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    category = _category(category_id) if category_id not in (None, "") else None
    if urgency:
        _choice(urgency, Urgency.choices, "urgency", errors)
    raise_if(errors)
    grid = None
    if grid_id not in (None, ""):
        grid = _grid(grid_id)
        if grid is None or not permissions.can(actor, Perm.CASE_TRIAGE, grid):
            raise NotFound(_("The grid does not exist or is outside your area."))

    def change(case, now):
        data = {}
        if grid is not None and grid.pk != case.grid_id:
            data["grid"] = [case.org_code, grid.code]
            case.grid = grid
            case.org_code = grid.code
        if category is not None and category.pk != case.category_id:
            data["category"] = [str(case.category), str(category)]
            case.category = category
        if urgency and urgency != case.urgency:
            data["urgency"] = [case.urgency, urgency]
            case.urgency = urgency
        case.registered_at = now
        _set_deadlines(case, now)
        data["due_at"] = _iso(case.due_at)
        return data

    return _transition(actor, case_id, "register", version=version, note=note, change=change)


def case_reject(*, actor, case_id, version=None, reason=""):
    """不予立案, with the reason (told to the reporter)."""
    errors: dict[str, list[str]] = {}
    reason = _note(reason, errors, required=True, name="reason")
    raise_if(errors)
    return _transition(actor, case_id, "reject", version=version, note=reason)


def _dispatch_target(actor, case: Case, department_id, unit_id):
    if (department_id in (None, "")) == (unit_id in (None, "")):
        raise Invalid(
            _("Choose one handling unit: a department or a community or grid."),
            details={"department_id": [_("Choose a handling unit.")]},
        )
    if department_id not in (None, ""):
        try:
            dept = Department.objects.select_related("district").get(
                pk=int(department_id), is_active=True
            )
        except (Department.DoesNotExist, TypeError, ValueError):
            dept = None
        if dept is None or not case.org_code.startswith(dept.district.code):
            raise NotFound(_("The department does not exist or is outside your area."))
        return dept, ""
    try:
        unit = OrgUnit.objects.get(
            pk=int(unit_id), level__in=(Level.COMMUNITY, Level.GRID, Level.MICROGRID)
        )
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        unit = None
    if unit is None or not permissions.can(actor, Perm.CASE_TRIAGE, unit):
        raise NotFound(_("The unit does not exist or is outside your area."))
    if not case.org_code.startswith(unit.code):
        raise Invalid(
            _("A community or grid handles only the cases in its own area."),
            details={"unit_id": [_("A community or grid handles only the cases in its own area.")]},
        )
    return None, unit.code


def case_dispatch(*, actor, case_id, version=None, department_id=None, unit_id=None, note=""):
    """派遣 to a department, or to the community or grid the case is in. A report not yet
    registered is registered in the same step."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    raise_if(errors)
    visible = selectors.case_for(actor, case_id)
    dept, code = _dispatch_target(actor, visible, department_id, unit_id)

    def change(case, now):
        if case.registered_at is None:
            case.registered_at = now
            _set_deadlines(case, now)
        case.department = dept
        case.assignee_code = code
        case.handler = None
        case.dispatched_at = now
        case.accepted_at = None
        return {"department": str(dept) if dept else "", "unit": code}

    def after(case, event):
        _notify_case(
            case,
            handlers_of(case),
            "case.dispatched",
            _("A case for you: %(n)s") % {"n": case.number},
        )

    return _transition(
        actor, case_id, "dispatch", version=version, note=note, change=change, after=after
    )


def case_accept(*, actor, case_id, version=None, note=""):
    """签收: the handling unit takes the case on."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    raise_if(errors)

    def change(case, now):
        case.handler = actor
        case.accepted_at = now

    return _transition(actor, case_id, "accept", version=version, note=note, change=change)


def case_return(*, actor, case_id, version=None, reason=""):
    """退回: not ours (or not possible), with the reason; back to the dispatcher."""
    errors: dict[str, list[str]] = {}
    reason = _note(reason, errors, required=True, name="reason")
    raise_if(errors)

    def change(case, now):
        data = {"department": str(case.department or ""), "unit": case.assignee_code}
        case.department = None
        case.assignee_code = ""
        case.handler = None
        case.accepted_at = None
        return data

    def after(case, event):
        dispatcher = case.events.filter(action="dispatch").order_by("-at", "-id").first()
        who = [dispatcher.actor] if dispatcher and dispatcher.actor else operators_over(case)
        _notify_case(
            case, who, "case.returned", _("Case %(n)s was returned") % {"n": case.number}, reason
        )

    return _transition(
        actor, case_id, "return", version=version, note=reason, change=change, after=after
    )


def case_progress(*, actor, case_id, version=None, note="", photos=()):
    """A progress note (with photos) while handling."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors, required=True)
    raise_if(errors)
    return _transition(actor, case_id, "progress", version=version, note=note, photos=photos)


def case_contact(*, actor, case_id, version=None, note=""):
    """The first contact with the reporter (the one-hour rule) — later ones are notes."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    raise_if(errors)

    def change(case, now):
        if case.responded_at is None:
            case.responded_at = now
            return {"first": True, "on_time": bool(case.respond_by and now <= case.respond_by)}
        return {"first": False}

    return _transition(actor, case_id, "contact", version=version, note=note, change=change)


def case_handle(*, actor, case_id, version=None, result="", photos=()):
    """处置完毕: the result and the evidence; the command center verifies it next."""
    errors: dict[str, list[str]] = {}
    result = clean_text(result, MAX_DESCRIPTION, "result", errors, required=True)
    raise_if(errors)

    def change(case, now):
        case.result = result
        case.handled_at = now

    return _transition(
        actor, case_id, "handle", version=version, note=result, photos=photos, change=change
    )


def case_verify(*, actor, case_id, version=None, passed: bool, note=""):
    """核查: passed → 结案; not passed → back to the handling unit (返工)."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors, required=not passed)
    raise_if(errors)
    if passed:

        def change(case, now):
            case.closed_at = now
            case.closed_on_time = bool(case.due_at is None or now <= case.due_at)
            return {"on_time": case.closed_on_time}

        return _transition(actor, case_id, "verify_pass", version=version, note=note, change=change)

    def rework(case, now):
        case.rework_count += 1
        return {"rework": case.rework_count}

    def after(case, event):
        _notify_case(
            case,
            handlers_of(case),
            "case.rework",
            _("Case %(n)s sent back") % {"n": case.number},
            note,
        )

    return _transition(
        actor, case_id, "verify_fail", version=version, note=note, change=rework, after=after
    )


def satisfied_ratings() -> tuple[str, ...]:
    """The ratings counted as satisfied (满意率): 满意 and 基本满意 unless configured."""
    return tuple(getattr(settings, "GONGZHI_SATISFIED_RATINGS", ("satisfied", "basically")))


def case_callback(*, actor, case_id, solved: bool, rating: str, note="", version=None):
    """回访: did it get solved, and how satisfied is the reporter. An unsatisfied rating
    escalates the case one level up (不满意件提级办理)."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    _choice(rating, Rating.choices, "rating", errors)
    raise_if(errors)

    def change(case, now):
        case.callback_at = now
        case.callback_solved = bool(solved)
        case.callback_rating = rating
        return {"solved": bool(solved), "rating": rating}

    # The callback and the escalation it calls for land together or not at all.
    with transaction.atomic():
        case = _transition(
            actor,
            case_id,
            "callback",
            version=version,
            note=note,
            change=change,
            inputs={"solved": solved, "rating": rating},
        )
        if rating == Rating.UNSATISFIED:
            case = _escalate_unchecked(case.pk, note or _("The reporter is not satisfied."))
    return case


def _reopen_fields(case: Case, now) -> None:
    case.closed_at = None
    case.closed_on_time = None
    case.callback_at = None
    case.callback_solved = None
    case.callback_rating = ""
    case.department = None
    case.assignee_code = ""
    case.handler = None
    case.accepted_at = None
    case.suspended_at = None
    _set_deadlines(case, now)


def _escalation_unit_code(case: Case, level: int) -> str:
    """Level 1: the subdistrict; level 2 and above: the district."""
    length = CODE_LENGTH[Level.SUBDISTRICT] if level <= 1 else CODE_LENGTH[Level.DISTRICT]
    return case.org_code[:length]


def _escalate_change(note):
    def change(case, now):
        case.escalation_level += 1
        case.supervision_level = max(case.supervision_level, Supervision.RAISED)
        unit_code = _escalation_unit_code(case, case.escalation_level)
        leaders = _users_at([unit_code], [Role.LEADER])
        case.supervisor = leaders[0] if leaders else case.supervisor
        case.supervision_note = note[:200]
        _reopen_fields(case, now)
        return {"level": case.escalation_level, "unit": unit_code}

    return change


def _escalate_after(case, event):
    unit_code = _escalation_unit_code(case, case.escalation_level)
    recipients = _users_at([unit_code], [Role.LEADER, Role.OPERATOR])
    _notify_case(
        case,
        recipients,
        "case.escalated",
        _("Case %(n)s escalated to you") % {"n": case.number},
        event.note,
    )


def _escalate_unchecked(case_id, note) -> Case:
    """Escalation that follows from the system's own rule (an unsatisfied callback)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        tracked = rollups.track(case)
        now = timezone.now()
        before = case.state
        data = _escalate_change(note)(case, now)
        case.state = State.REGISTERED
        case.version += 1
        case.save()
        event = _event(case, None, "escalate", before, note=note, data=data, at=now)
        audit_record(
            actor=None,
            action="case.escalate",
            obj=case,
            changes={"state": [before, case.state], "note": note, **data},
        )
        _escalate_after(case, event)
        kind = get_kind(case.kind)
        if kind.on_transition:
            kind.on_transition(case, "escalate", None, {})
        tracked.apply(case)
    return case


def case_escalate(*, actor, case_id, version=None, note=""):
    """提级办理 by the command center or a leader: reopened one level up, supervised."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors, required=True)
    raise_if(errors)
    return _transition(
        actor,
        case_id,
        "escalate",
        version=version,
        note=note,
        change=_escalate_change(note),
        after=_escalate_after,
    )


def case_supervise(*, actor, case_id, level, note="", version=None):
    """督办: 1 跟进办, 2 提级办, 3 高位推 (0 lifts it)."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors, required=True)
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = -1
    if level not in Supervision.values:
        errors.setdefault("level", []).append(_("Choose one of the options."))
    raise_if(errors)

    def change(case, now):
        data = {"level": [case.supervision_level, level]}
        case.supervision_level = level
        case.supervision_note = note[:200]
        case.supervisor = actor if level else None
        return data

    def after(case, event):
        if level:
            _notify_case(
                case,
                handlers_of(case),
                "case.supervised",
                _("Case %(n)s is supervised: %(level)s")
                % {"n": case.number, "level": Supervision(level).label},
                note,
            )

    return _transition(
        actor, case_id, "supervise", version=version, note=note, change=change, after=after
    )


def case_leader_visit(*, actor, case_id, version=None, note="", photos=()):
    """领导到现场: a leader records the on-site visit a repeat problem requires."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors, required=True)
    raise_if(errors)

    def change(case, now):
        case.leader_visited_at = now

    return _transition(
        actor, case_id, "leader_visit", version=version, note=note, photos=photos, change=change
    )


def case_suspend(*, actor, case_id, version=None, reason=""):
    """挂起: the clock stops (waiting for a court, the weather, a third party)."""
    errors: dict[str, list[str]] = {}
    reason = _note(reason, errors, required=True, name="reason")
    raise_if(errors)

    def change(case, now):
        case.suspended_at = now

    return _transition(actor, case_id, "suspend", version=version, note=reason, change=change)


def case_resume(*, actor, case_id, version=None, note=""):
    """The clock runs again: the working time left at suspension is added from now."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    raise_if(errors)

    def change(case, now):
        cal = work_calendar()
        old = case.due_at
        if case.due_at and case.suspended_at:
            if policies.limits_for(case.category, case.urgency).handling_hours:
                # A limit in clock hours (emergencies) moves by the clock time stopped.
                stopped = now - case.suspended_at
                case.due_at += stopped
                if case.due_soon_at:
                    case.due_soon_at += stopped
            else:
                stopped_at, now = _local(case.suspended_at), _local(now)
                case.due_at = resume_deadline(_local(case.due_at), stopped_at, now, cal)
                if case.due_soon_at:
                    case.due_soon_at = resume_deadline(
                        _local(case.due_soon_at), stopped_at, now, cal
                    )
        case.suspended_at = None
        return {"due_at": [_iso(old), _iso(case.due_at)]}

    return _transition(actor, case_id, "resume", version=version, note=note, change=change)


def _iso(value):
    """A moment for the timeline's data, in local time like every deadline there."""
    return _local(value).isoformat() if value else None


def case_request_extension(*, actor, case_id, days, reason="", version=None):
    """延期申请: more working days, for the command center to approve or refuse."""
    errors: dict[str, list[str]] = {}
    reason = _note(reason, errors, required=True, name="reason")
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        errors.setdefault("days", []).append(
            _("Between 1 and %(n)d working days.") % {"n": MAX_EXTENSION_DAYS}
        )
    raise_if(errors)
    made: list[ExtensionRequest] = []

    def after(case, event):
        if case.extension_requests.filter(status=RequestStatus.PENDING).exists():
            raise Conflict(_("An extension request for this case is already waiting."))
        made.append(
            ExtensionRequest.objects.create(
                case=case,
                days=days,
                reason=reason,
                requested_by=actor,
                requested_at=event.at,
            )
        )
        _notify_case(
            case,
            operators_over(case),
            "case.extension_requested",
            _("Extension requested for case %(n)s") % {"n": case.number},
            reason,
        )

    def change(case, now):
        return {"days": days}

    _transition(
        actor,
        case_id,
        "request_extension",
        version=version,
        note=reason,
        change=change,
        after=after,
    )
    return made[0]


def case_decide_extension(*, actor, request_id, approve: bool, note="", version=None):
    """Approve (the deadline moves by the days asked) or refuse an extension request."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors, required=not approve)
    raise_if(errors)
    request = selectors.extension_request_for(actor, request_id)
    decided: list[ExtensionRequest] = []

    def change(case, now):
        req = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if req.status != RequestStatus.PENDING:
            raise Conflict(_("This request has already been decided."))
        req.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
        req.decided_by = actor
        req.decided_at = now
        req.decision_note = note[:200]
        req.save()
        decided.append(req)
        data = {"approved": bool(approve), "days": req.days}
        if approve and case.due_at:
            cal = work_calendar()
            old = case.due_at
            case.due_at = add_working_days(_local(case.due_at), req.days, cal)
            if case.due_soon_at:
                case.due_soon_at = add_working_days(_local(case.due_soon_at), req.days, cal)
            case.extended_days += req.days
            data["due_at"] = [_iso(old), _iso(case.due_at)]
        return data

    def after(case, event):
        _notify_case(
            case,
            [decided[0].requested_by],
            "case.extension_decided",
            (
                _("Extension approved for case %(n)s")
                if approve
                else _("Extension refused for case %(n)s")
            )
            % {"n": case.number},
            note,
        )

    _transition(
        actor,
        request.case_id,
        "decide_extension",
        version=version,
        note=note,
        change=change,
        after=after,
    )
    return decided[0]


def case_merge(*, actor, case_id, version=None, target_id, note=""):
    """并案: a duplicate joins the case it duplicates and stops there."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    raise_if(errors)
    target = selectors.case_for(actor, target_id)
    source = selectors.case_for(actor, case_id)

    def change(case, now):
        case.merged_into = target
        return {"into": target.number}

    def after(case, event):
        data = {"from": case.number}
        _event(target, actor, "merged_in", target.state, note=note, data=data, at=event.at)

    with transaction.atomic():
        # Both rows are locked in id order, so merging A into B and B into A at once
        # cannot deadlock, and the later one sees the earlier one's result.
        locked = {
            c.pk: c
            for c in Case.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        target = locked[target.pk]
        if target.state in (State.MERGED, State.REJECTED):
            message = _("A case can only be merged into a live case.")
            raise Invalid(message, details={"target_id": [message]})
        return _transition(
            actor,
            case_id,
            "merge",
            version=version,
            note=note,
            change=change,
            after=after,
            inputs={"target": target},
        )


def case_reopen(*, actor, case_id, version=None, reason=""):
    """重新办理: a closed or rejected case is registered again, with a new deadline."""
    errors: dict[str, list[str]] = {}
    reason = _note(reason, errors, required=True, name="reason")
    raise_if(errors)

    def change(case, now):
        if case.registered_at is None:
            case.registered_at = now
        _reopen_fields(case, now)
        return {"due_at": _iso(case.due_at)}

    return _transition(actor, case_id, "reopen", version=version, note=reason, change=change)


def case_reveal_phone(*, actor, case_id) -> str:
    """The reporter's phone in full, for those who must call back; audited."""
    case = selectors.case_for(actor, case_id)
    if not permissions.can(actor, Perm.CASE_REVEAL, case):
        raise PermissionDenied(_("You may not see the full phone number."))
    phone = (
        crypto.decrypt(case.reporter_phone_enc, purpose=pii.PHONE_PURPOSE)
        if case.reporter_phone_enc
        else ""
    )
    if not phone and case.reporter_resident_id:
        phone = pii.open_phone(case.reporter_resident)
    audit_record(actor=actor, action="case.reveal_phone", obj=case, changes={"field": "phone"})
    return phone


# -- reminders ---------------------------------------------------------------------


def remind_due(*, now=None, batch: int = 500) -> int:
    """Tell the handling unit about cases due soon, and the command center too about
    overdue ones (only the command center while a case waits for its verification).
    Idempotent: a reminder is keyed by case, kind and deadline, so running this twice
    sends nothing twice, and a moved deadline earns a new reminder. Returns how many
    notifications were new. Suspended cases are skipped: their clock is stopped."""
    now = now or timezone.now()
    sent = 0
    running = [State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS, State.HANDLED]
    due_soon = Case.objects.filter(
        state__in=running, due_soon_at__lte=now, due_at__gte=now
    ).select_related("department")
    overdue = Case.objects.filter(state__in=running, due_at__lt=now).select_related("department")
    for kind, qs in (("due_soon", due_soon), ("overdue", overdue)):
        last_id = 0
        while True:
            rows = list(qs.filter(pk__gt=last_id).order_by("pk")[:batch])
            if not rows:
                break
            last_id = rows[-1].pk
            for case in rows:
                # Awaiting verification, the handling unit has done its part.
                handlers = handlers_of(case) if case.state != State.HANDLED else []
                who = handlers or operators_over(case)
                if kind == "overdue":
                    who = who + operators_over(case)
                title = (
                    _("Case %(n)s is due soon")
                    if kind == "due_soon"
                    else _("Case %(n)s is overdue")
                ) % {"n": case.number}
                with transaction.atomic():
                    sent += _notify_case(
                        case,
                        who,
                        f"case.{kind}",
                        title,
                        dedupe=f"case:{case.pk}:{kind}:{case.due_at:%Y%m%d%H%M%S}",
                    )
    return sent


# -- residents (self-service) ------------------------------------------------------
#
# A resident has no account: the right to a case is proven by the verified phone whose
# keyed hash the case carries (reporter_phone_hash). These services take that proof
# from the caller (the self-service views verify the phone by an SMS code), so the
# transition table is asked with authorized=True: the state and the guards still hold.

RESIDENT_INFO = "resident_info"  # in the transition table, authorized_only: staff never see it


def resident_name(phone_masked_or_phone: str) -> str:
    """How a resident appears on the timeline: 居民（尾号1234）, never the full number."""
    digits = "".join(c for c in phone_masked_or_phone if c.isdigit())
    return _("Resident (number ending %(last4)s)") % {"last4": digits[-4:]}


@contextmanager
def _serialized(*parts: str):
    """Inside a transaction: one at a time for this key. PostgreSQL takes a transaction
    advisory lock; SQLite's IMMEDIATE transactions already hold the database's write lock."""
    from django.db import connection

    if connection.vendor == "postgresql":
        digest = crypto.keyed_hash("\0".join(parts), purpose="cases.serialize")
        lock_id = int(digest[:15], 16)  # fits a signed bigint
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
    yield


def _resident_earlier(phone_hash: str, key: str | None) -> Case | None:
    if not key:
        return None
    return (
        Case.objects.filter(
            reported_by__isnull=True,
            channel=Channel.RESIDENT,
            reporter_phone_hash=phone_hash,
            idempotency_key=key,
        )
        .order_by("pk")
        .first()
    )


def case_report_by_resident(
    *,
    phone: str,
    name: str = "",
    category_id,
    description: str = "",
    lng=None,
    lat=None,
    crs: str = "wgs84",
    building_id=None,
    address: str = "",
    photos: Iterable = (),
    idempotency_key: str | None = None,
) -> tuple[Case, bool]:
    """A resident's report (channel "resident", reported_by None), the phone verified by
    the caller. Returns (case, created) like case_report.

    Idempotency: the unique constraint (reported_by, idempotency_key) does not hold when
    reported_by is NULL, so the key is scoped to the phone's hash and looked up again
    inside the transaction while holding a lock on (phone hash, key): a retry returns the
    first case, two requests at once make one case."""
    errors: dict[str, list[str]] = {}
    try:
        phone = clean_phone(phone)
    except FieldError as exc:
        errors.setdefault("phone", []).append(str(exc))
        phone = ""
    if not phone and "phone" not in errors:
        errors.setdefault("phone", []).append(_("This field is required."))
    raise_if(errors)
    phone_hash = pii.phone_hash(phone)
    key = _idempotency_key(idempotency_key)
    earlier = _resident_earlier(phone_hash, key)
    if earlier is not None:
        return earlier, False
    category = _category(category_id)
    if not category.is_public or not (category.parent and category.parent.is_active):
        raise Invalid(_("Choose a category."), details={"category_id": [_("Choose a category.")]})
    description = clean_text(description, MAX_DESCRIPTION, "description", errors, required=True)
    name = clean_text(name, 50, "name", errors)
    raise_if(errors)
    place = _place(
        None,
        Perm.CASE_REPORT,
        grid_id=None,
        building_id=building_id,
        lng=lng,
        lat=lat,
        crs=crs,
        address=address,
        public=True,
    )
    cleaned = _clean_photos(photos)
    title = f"{category.name}：{description[:30]}"
    stored: list[CaseAttachment] = []
    with _files_removed_on_failure(stored), transaction.atomic():
        if key:
            with _serialized(phone_hash, key):
                earlier = _resident_earlier(phone_hash, key)
            if earlier is not None:
                return earlier, False
        case = _create(
            stored=stored,
            actor=None,
            key=key,
            kind="general",
            category=category,
            channel=Channel.RESIDENT,
            urgency=Urgency.NORMAL,
            title=title,
            description=description,
            place=place,
            resident=None,
            reporter_name=name,
            phone=phone,
            cleaned=cleaned,
            self_handle=False,
            result="",
            actor_name=resident_name(phone),
        )
    return case, True


def _reporter_case(phone_hash: str, case_id) -> Case:
    """The reporter's own case, locked; another's or a missing one is the same 404."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        pk = None
    case = None
    if phone_hash and pk is not None:
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("category__parent")
            .filter(pk=pk, reporter_phone_hash=phone_hash)
            .first()
        )
    if case is None:
        raise NotFound(_("The case does not exist."))
    return case


def case_callback_by_reporter(*, phone_hash: str, case_id, solved: bool, rating: str, note=""):
    """The reporter's own rating of a closed case: the callback, when the resident answers
    before the command center calls. An unsatisfied rating escalates as in the loop."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors)
    _choice(rating, Rating.choices, "rating", errors)
    raise_if(errors)

    def change(case, now):
        case.callback_at = now
        case.callback_solved = bool(solved)
        case.callback_rating = rating
        return {"solved": bool(solved), "rating": rating, "by": "reporter"}

    with transaction.atomic():
        case = _transition(
            None,
            case_id,
            "callback",
            reporter_phone_hash=phone_hash,
            note=note,
            change=change,
            inputs={"solved": solved, "rating": rating},
        )
        if rating == Rating.UNSATISFIED:
            case = _escalate_unchecked(case.pk, note or _("The reporter is not satisfied."))
    return case


def case_add_info_by_reporter(*, phone_hash: str, case_id, note="", photos=()):
    """More information from the reporter while the case is open (text and photos);
    the handlers and the command center are told."""
    errors: dict[str, list[str]] = {}
    note = _note(note, errors, required=not any(photos or ()))
    raise_if(errors)

    def after(case, event):
        _notify_case(
            case,
            [*handlers_of(case), *operators_over(case)],
            "case.resident_info",
            _("The reporter added information to case %(n)s") % {"n": case.number},
            note,
        )

    return _transition(
        None,
        case_id,
        RESIDENT_INFO,
        reporter_phone_hash=phone_hash,
        note=note,
        photos=photos,
        after=after,
    )
