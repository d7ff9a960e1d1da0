"""Every write of patrols: start a patrol, visit a checkpoint (GPS, what was seen, a
finding made a case of the loop through its intake), end it.

Each service checks the actor's permission over the patrol's area, validates, writes in
one transaction with an audit row, and changes nothing when it refuses. A patrol asked
for by another module names it in `source` / `source_key` (one patrol per source)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases.models import Channel
from gongzhi.cases.services import case_report
from gongzhi.core import dates
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import clean_client_id, parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.core.roles import Level
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols import perms, track
from gongzhi.patrols.models import Patrol, PatrolKind, PatrolPoint, PatrolTrack
from gongzhi.registry.services import clean_float, clean_text

MAX_CHECKPOINTS = 30
CLOCK_SKEW = dates.CLOCK_SKEW


def _client_id(value) -> str:
    return clean_client_id(value) if value not in (None, "") else ""


def _replayed(row):
    """The row a retry of the same item finds: stored the first time, returned as it is."""
    row.replayed = True
    return row


def clean_route(route, errors) -> list[str]:
    """Checkpoint names: a list, or a text of one name a line; at most 30 of 50 chars."""
    if isinstance(route, str):
        route = route.splitlines()
    names = [str(n).strip() for n in (route or []) if str(n).strip()]
    if len(names) > MAX_CHECKPOINTS or any(len(n) > 50 for n in names):
        errors.setdefault("route", []).append(
            _("At most %(n)d checkpoints of 50 characters.") % {"n": MAX_CHECKPOINTS}
        )
    return names[:MAX_CHECKPOINTS]


def patrol_start(
    *,
    actor,
    unit_code: str,
    kind: str = PatrolKind.GRID,
    route=(),
    patrollers: str = "",
    people: int = 1,
    source: str = "",
    source_key: str = "",
    started_at=None,
    client_id: str = "",
) -> Patrol:
    """Start a patrol in an area (a community or a grid). With a source, the patrol that
    source already started is returned instead of a second one. From a phone: its
    `client_id` (the same one again returns the patrol it started, `replayed`) and the
    time it started on the phone."""
    unit = OrgUnit.objects.filter(code=str(unit_code or "")).first()
    if unit is None or not can(actor, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    if not can(actor, perms.PATROL, unit):
        raise PermissionDenied(_("You may not patrol here."))
    if source:
        earlier = Patrol.objects.filter(source=source, source_key=str(source_key)).first()
        if earlier is not None:
            return earlier
    client_id = _client_id(client_id)
    if client_id:
        earlier = Patrol.objects.filter(leader=actor, client_id=client_id).first()
        if earlier is not None:
            return _replayed(earlier)
    errors: dict[str, list[str]] = {}
    if not isinstance(started_at, dt.datetime) or client_id:
        started_at = dates.clean_phone_time(started_at, "started_at", errors)
    if kind not in PatrolKind.values:
        errors.setdefault("kind", []).append(_("Choose one of the options."))
    names = clean_route(route, errors)
    patrollers = clean_text(patrollers, 200, "patrollers", errors)
    people = parse_id(people)
    if people is None or people > 500:
        errors.setdefault("people", []).append(_("From 1 to 500 people."))
    raise_if(errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                org_code=unit.code,
                kind=kind,
                leader=actor,
                patrollers=patrollers,
                people=people,
                route=names,
                source=source,
                source_key=str(source_key),
                started_at=started_at or now,
                client_id=client_id,
                received_at=now,
            )
            audit_record(
                actor=actor,
                action="patrols.start",
                obj=patrol,
                changes={"kind": kind, "area": unit.code},
            )
    except IntegrityError:  # the same item sent twice at once: the other one stored it
        earlier = Patrol.objects.filter(leader=actor, client_id=client_id).first()
        if not client_id or earlier is None:
            raise
        return _replayed(earlier)
    return patrol


def _patrol(actor, patrol_id, *, lock=False) -> Patrol:
    qs = Patrol.objects.select_for_update() if lock else Patrol.objects
    patrol = qs.filter(pk=parse_id(patrol_id)).first()
    if patrol is None or not scope_for(actor, perms.VIEW).covers_code(patrol.org_code):
        raise NotFound(_("The patrol does not exist or is outside your area."))
    if not scope_for(actor, perms.PATROL).covers_code(patrol.org_code):
        raise PermissionDenied(_("You may not patrol here."))
    return patrol


def _grid_for(patrol: Patrol, grid_id):
    if grid_id not in (None, ""):
        return grid_id
    unit = OrgUnit.objects.filter(code=patrol.org_code).only("pk", "level").first()
    return unit.pk if unit is not None and unit.level in (Level.GRID, Level.MICROGRID) else None


def patrol_checkpoint(
    *,
    actor,
    patrol_id,
    name: str,
    lng=None,
    lat=None,
    note: str = "",
    category_id=None,
    grid_id=None,
    client_id: str = "",
    at=None,
) -> PatrolPoint:
    """A checkpoint visited (GPS from the phone, what was seen). With a category, what was
    seen is a finding: a case of the loop (channel 巡查) made in the same transaction. From
    a phone: its `client_id` (sent again: the point stored the first time, `replayed`) and
    the time it was visited on the phone (the case's deadline runs from its receipt)."""
    errors: dict[str, list[str]] = {}
    client_id = _client_id(client_id)
    name = clean_text(name, 50, "name", errors, required=True)
    note = clean_text(note, 500, "note", errors)
    lng = clean_float(lng, "lng", errors, -180, 180)
    lat = clean_float(lat, "lat", errors, -90, 90)
    if category_id not in (None, "") and not note:
        errors.setdefault("note", []).append(_("Describe what was found."))
    raise_if(errors)
    with transaction.atomic():
        patrol = _patrol(actor, patrol_id, lock=True)
        if client_id:
            earlier = PatrolPoint.objects.filter(patrol=patrol, client_id=client_id).first()
            if earlier is not None:
                return _replayed(earlier)
        at = dates.clean_phone_time(at, "at", errors)
        if at is not None and at < patrol.started_at - CLOCK_SKEW and not errors:
            errors["at"] = [_("This is before the patrol started.")]
        raise_if(errors)
        if patrol.ended_at is not None and (at is None or at > patrol.ended_at):
            raise Conflict(_("This patrol has ended."), code="patrol_ended")
        case = None
        if category_id not in (None, ""):
            case, _created = case_report(
                actor=actor,
                category_id=category_id,
                description=note,
                grid_id=_grid_for(patrol, grid_id),
                lng=lng,
                lat=lat,
                address=f"{patrol.get_kind_display()} · {name}",
                via=Channel.PATROL,
            )
        now = timezone.now()
        point = PatrolPoint.objects.create(
            patrol=patrol,
            name=name,
            at=at or now,
            received_at=now,
            client_id=client_id,
            lng=lng,
            lat=lat,
            note=note,
            case=case,
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="patrols.checkpoint",
            obj=patrol,
            changes={"checkpoint": name, "case": getattr(case, "pk", None)},
        )
    return point


def patrol_end(*, actor, patrol_id, note: str = "", ended_at=None) -> Patrol:
    """End the patrol (at the phone's time, when it gives one) and measure its track. The
    leader's phone sending the end again gets the ended patrol (`replayed`)."""
    errors: dict[str, list[str]] = {}
    note = clean_text(note, 500, "note", errors)
    raise_if(errors)
    with transaction.atomic():
        patrol = _patrol(actor, patrol_id, lock=True)
        if patrol.ended_at is not None:
            if patrol.leader_id == getattr(actor, "pk", None) and ended_at not in (None, ""):
                return _replayed(patrol)
            raise Conflict(_("This patrol has ended."), code="patrol_ended")
        ended_at = dates.clean_phone_time(ended_at, "ended_at", errors)
        raise_if(errors)
        end = ended_at or timezone.now()
        if end < patrol.started_at:
            raise Invalid(_("A patrol cannot end before it starts."), code="end_before_start")
        patrol.ended_at = end
        patrol.note = note or patrol.note
        _measure(patrol)
        patrol.save(update_fields=["ended_at", "note", "length_m", "area_m2", "track_points"])
        audit_record(
            actor=actor,
            action="patrols.end",
            obj=patrol,
            changes={"length_m": round(patrol.length_m or 0), "points": patrol.track_points},
        )
    return patrol


def track_of(patrol: Patrol) -> list[list[float]]:
    """Every point of the patrol's track, in time order."""
    points = [p for part in patrol.tracks.all() for p in part.points]
    points.sort(key=lambda p: p[0])
    return points


def _measure(patrol: Patrol) -> None:
    points = track_of(patrol)
    patrol.length_m, patrol.area_m2 = track.measure(points) if points else (None, None)
    patrol.track_points = len(points)


def patrol_track(*, actor, patrol_id, client_id, points) -> PatrolTrack:
    """A part of the track, stored once by its `client_id` (sent again: the part stored the
    first time, `replayed`). A part may arrive after the end (a phone that was offline):
    the patrol is measured again."""
    errors: dict[str, list[str]] = {}
    client_id = clean_client_id(client_id)
    with transaction.atomic():
        patrol = _patrol(actor, patrol_id, lock=True)
        earlier = PatrolTrack.objects.filter(patrol=patrol, client_id=client_id).first()
        if earlier is not None:
            return _replayed(earlier)
        latest = (patrol.ended_at or timezone.now()) + CLOCK_SKEW
        points = track.clean_points(
            points,
            errors,
            earliest=(patrol.started_at - CLOCK_SKEW).timestamp(),
            latest=latest.timestamp(),
        )
        raise_if(errors)
        part = PatrolTrack.objects.create(
            patrol=patrol, client_id=client_id, points=points, received_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="patrols.track",
            obj=patrol,
            changes={"part": client_id, "points": len(points)},
        )
        if patrol.ended_at is not None:
            _measure(patrol)
            patrol.save(update_fields=["length_m", "area_m2", "track_points"])
    return part
