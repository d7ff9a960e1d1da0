"""Every write of patrols: start a patrol, visit a checkpoint (GPS, what was seen, a
finding made a case of the loop through its intake), end it.

Each service checks the actor's permission over the patrol's area, validates, writes in
one transaction with an audit row, and changes nothing when it refuses. A patrol asked
for by another module names it in `source` / `source_key` (one patrol per source)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases.models import Channel
from gongzhi.cases.services import case_report
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.core.roles import Level
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols import perms
from gongzhi.patrols.models import Patrol, PatrolKind, PatrolPoint
from gongzhi.registry.services import clean_float, clean_text

MAX_CHECKPOINTS = 30
CLOCK_SKEW = dt.timedelta(minutes=5)


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
) -> Patrol:
    """Start a patrol in an area (a community or a grid). With a source, the patrol that
    source already started is returned instead of a second one."""
    unit = OrgUnit.objects.filter(code=str(unit_code or "")).first()
    if unit is None or not can(actor, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    if not can(actor, perms.PATROL, unit):
        raise PermissionDenied(_("You may not patrol here."))
    if source:
        earlier = Patrol.objects.filter(source=source, source_key=str(source_key)).first()
        if earlier is not None:
            return earlier
    errors: dict[str, list[str]] = {}
    if kind not in PatrolKind.values:
        errors.setdefault("kind", []).append(_("Choose one of the options."))
    names = clean_route(route, errors)
    patrollers = clean_text(patrollers, 200, "patrollers", errors)
    people = parse_id(people)
    if people is None or people > 500:
        errors.setdefault("people", []).append(_("From 1 to 500 people."))
    raise_if(errors)
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
            started_at=started_at or timezone.now(),
        )
        audit_record(
            actor=actor,
            action="patrols.start",
            obj=patrol,
            changes={"kind": kind, "area": unit.code},
        )
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
) -> PatrolPoint:
    """A checkpoint visited (GPS from the phone, what was seen). With a category, what was
    seen is a finding: a case of the loop (channel 巡查) made in the same transaction."""
    errors: dict[str, list[str]] = {}
    name = clean_text(name, 50, "name", errors, required=True)
    note = clean_text(note, 500, "note", errors)
    lng = clean_float(lng, "lng", errors, -180, 180)
    lat = clean_float(lat, "lat", errors, -90, 90)
    if category_id not in (None, "") and not note:
        errors.setdefault("note", []).append(_("Describe what was found."))
    raise_if(errors)
    with transaction.atomic():
        patrol = _patrol(actor, patrol_id, lock=True)
        if patrol.ended_at is not None:
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
        point = PatrolPoint.objects.create(
            patrol=patrol,
            name=name,
            at=timezone.now(),
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


def patrol_end(*, actor, patrol_id, note: str = "") -> Patrol:
    errors: dict[str, list[str]] = {}
    note = clean_text(note, 500, "note", errors)
    raise_if(errors)
    with transaction.atomic():
        patrol = _patrol(actor, patrol_id, lock=True)
        if patrol.ended_at is not None:
            raise Conflict(_("This patrol has ended."), code="patrol_ended")
        now = timezone.now()
        if now < patrol.started_at:
            raise Invalid(_("A patrol cannot end before it starts."), code="end_before_start")
        patrol.ended_at = now
        patrol.note = note or patrol.note
        patrol.save(update_fields=["ended_at", "note"])
        audit_record(actor=actor, action="patrols.end", obj=patrol, changes={})
    return patrol
