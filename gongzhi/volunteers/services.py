"""Every write of volunteers: volunteers and teams, activities and sign-ups (with the
waiting list), QR check-in and check-out, hour records and their approval (points paid
through the points bank), attendance, and the register of partners.

Each service checks its permission over the record's area, validates, writes in one
transaction with an audit row, and changes nothing when it refuses. What the actor may
not see is NotFound, the same as what does not exist. The resident's own writes (/my/)
take the verified phone (`held`) instead of a user.

Seats: a sign-up locks the activity's row (then the volunteer's: always in that order),
counts `confirmed` against `capacity` under the lock, and a check constraint backs it.
"""

import datetime as dt
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc

from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols import services as patrol_services
from gongzhi.patrols.models import PatrolKind
from gongzhi.registry import pii
from gongzhi.registry.models import Resident
from gongzhi.registry.services import clean_text
from gongzhi.registry.validation import FieldError, clean_phone
from gongzhi.volunteers import perms
from gongzhi.volunteers.models import (
    ORGANISATIONS,
    Activity,
    ActivityKind,
    Attendance,
    HourKind,
    HourRecord,
    HourState,
    Participation,
    ParticipationState,
    Partner,
    PartnerKind,
    PartnerRole,
    SignupRule,
    Team,
    Volunteer,
    VolunteerState,
)

P = ParticipationState
# A volunteer may check in this long before the activity starts.
EARLY_CHECK_IN = dt.timedelta(hours=1)
MAX_ACTIVITY = dt.timedelta(hours=24)
MAX_MANUAL_MINUTES = 24 * 60


def new_token() -> str:
    return secrets.token_urlsafe(18)[:24]


def _unit(actor, perm, unit_code) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=str(unit_code or "")).first()
    if unit is None or not can(actor, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    if not can(actor, perm, unit):
        raise PermissionDenied(_("You may not do this here."))
    return unit


def _scoped(actor, perm, model, pk, message, *, lock=False):
    qs = model.objects.select_for_update() if lock else model.objects
    obj = qs.filter(pk=parse_id(pk)).first()
    if obj is None or not scope_for(actor, perms.VIEW).covers_code(obj.org_code):
        raise NotFound(message)
    if not scope_for(actor, perm).covers_code(obj.org_code):
        raise PermissionDenied(_("You may not do this here."))
    return obj


def _activity(actor, activity_id, *, lock=False) -> Activity:
    return _scoped(
        actor,
        perms.MANAGE,
        Activity,
        activity_id,
        _("The activity does not exist or is outside your area."),
        lock=lock,
    )


def _volunteer(actor, volunteer_id, *, lock=False) -> Volunteer:
    return _scoped(
        actor,
        perms.MANAGE,
        Volunteer,
        volunteer_id,
        _("The volunteer does not exist or is outside your area."),
        lock=lock,
    )


def _day(value, name, errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        errors.setdefault(name, []).append(_("A date like 2026-05-01."))
        return None


def _moment(value, name, errors, *, required=False) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    text = str(value or "").strip()
    if not text:
        if required:
            errors.setdefault(name, []).append(_("This field is required."))
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        errors.setdefault(name, []).append(_("A date and time like 2026-05-01 09:00."))
        return None
    if not dt.date(2000, 1, 1) <= moment.date() <= dt.date(2100, 12, 31):
        errors.setdefault(name, []).append(_("A date and time like 2026-05-01 09:00."))
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _phone(value, errors, name="phone") -> str:
    try:
        return clean_phone(value or "")
    except FieldError as exc:
        errors.setdefault(name, []).append(str(exc))
        return ""


# -- volunteers and teams ----------------------------------------------------------------


def _team_in(unit_code: str, team_id, errors) -> Team | None:
    if team_id in (None, ""):
        return None
    team = Team.objects.filter(pk=parse_id(team_id)).first()
    if team is None or not unit_code.startswith(team.org_code[: len(unit_code)]):
        errors.setdefault("team_id", []).append(_("Choose a team of this community."))
        return None
    return team


def _person_of(resident: Resident) -> dict:
    """A resident volunteer's name, birth date and sealed phone: the registry's."""
    fields = ("name", "birth_date", "phone_enc", "phone_hash", "phone_masked")
    return {f: getattr(resident, f) for f in fields}


def volunteer_add(
    *,
    actor,
    unit_code: str = "",
    resident_id=None,
    partner_id=None,
    name: str = "",
    phone: str = "",
    birth_date=None,
    skills: str = "",
    availability: str = "",
    team_id=None,
    approve: bool = True,
) -> Volunteer:
    """A worker registers a volunteer: a registry resident (their name, birth date and
    phone are the registry's), or a person a partner sends (name and phone given here).
    Approved at once unless `approve` is False."""
    errors: dict[str, list[str]] = {}
    resident = partner = None
    if resident_id not in (None, ""):
        resident = Resident.objects.filter(pk=parse_id(resident_id), is_active=True).first()
        if resident is None or not can(actor, perms.VIEW, resident):
            raise NotFound(_("The resident does not exist or is outside your area."))
        unit_code = resident.org_code
    elif partner_id not in (None, ""):
        partner = _scoped(
            actor,
            perms.MANAGE,
            Partner,
            partner_id,
            _("The partner does not exist or is outside your area."),
        )
        unit_code = unit_code or partner.org_code
    unit = _unit(actor, perms.MANAGE, unit_code)
    if resident is None:
        name = clean_text(name, 50, "name", errors, required=True)
        phone = _phone(phone, errors)
        birth = _day(birth_date, "birth_date", errors)
    skills = clean_text(skills, 200, "skills", errors)
    availability = clean_text(availability, 100, "availability", errors)
    team = _team_in(unit.code, team_id, errors)
    if resident is not None and Volunteer.objects.filter(resident=resident).exists():
        errors.setdefault("resident_id", []).append(_("This resident is a volunteer already."))
    raise_if(errors)
    now = timezone.now()
    if resident is not None:
        person = _person_of(resident)
    else:
        person = {"name": name, "birth_date": birth, **pii.seal_phone(phone)}
    with transaction.atomic():
        volunteer = Volunteer.objects.create(
            org_code=unit.code,
            resident=resident,
            partner=partner,
            skills=skills,
            availability=availability,
            team=team,
            card_token=new_token(),
            registered_at=now,
            state=VolunteerState.APPROVED if approve else VolunteerState.REGISTERED,
            approved_at=now if approve else None,
            approved_by=actor if approve else None,
            **person,
        )
        audit_record(
            actor=actor,
            action="volunteers.volunteer_add",
            obj=volunteer,
            changes={"approved": approve, "team": getattr(team, "pk", None)},
        )
    return volunteer


def volunteer_register_by_resident(
    *, held: dict, skills: str = "", availability: str = ""
) -> Volunteer:
    """A resident signs up as a volunteer in /my/ with their verified phone: the registry
    must know the phone (their community approves them). Registering again returns the
    registration."""
    errors: dict[str, list[str]] = {}
    skills = clean_text(skills, 200, "skills", errors)
    availability = clean_text(availability, 100, "availability", errors)
    raise_if(errors)
    resident = (
        Resident.objects.filter(phone_hash=held["hash"], is_active=True).order_by("pk").first()
    )
    if resident is None:
        raise Invalid(
            _("Your phone is not in the residents' register: ask your community to add you."),
            code="not_a_resident",
        )
    earlier = Volunteer.objects.filter(resident=resident).first()
    if earlier is not None and earlier.state == VolunteerState.LEFT:
        with transaction.atomic():
            earlier.state, earlier.approved_at, earlier.approved_by = (
                VolunteerState.REGISTERED, None, None,
            )  # fmt: skip
            earlier.save(update_fields=["state", "approved_at", "approved_by"])
            audit_record(
                actor=None, action="volunteers.volunteer_register", obj=earlier, changes={},
                object_repr=resident.name,
            )  # fmt: skip
    if earlier is not None:
        return earlier
    with transaction.atomic():
        volunteer = Volunteer.objects.create(
            org_code=resident.org_code,
            resident=resident,
            **_person_of(resident),
            skills=skills,
            availability=availability,
            card_token=new_token(),
            registered_at=timezone.now(),
        )
        audit_record(
            actor=None,
            action="volunteers.volunteer_register",
            obj=volunteer,
            changes={},
            object_repr=resident.name,
        )
    return volunteer


def volunteer_approve(*, actor, volunteer_id, team_id=None) -> Volunteer:
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        volunteer = _volunteer(actor, volunteer_id, lock=True)
        if volunteer.state != VolunteerState.REGISTERED:
            raise Conflict(_("This volunteer is not awaiting approval."), code="not_registered")
        team = _team_in(volunteer.org_code, team_id, errors)
        raise_if(errors)
        volunteer.state = VolunteerState.APPROVED
        volunteer.approved_at, volunteer.approved_by = timezone.now(), actor
        volunteer.team = team or volunteer.team
        volunteer.save(update_fields=["state", "approved_at", "approved_by", "team"])
        audit_record(actor=actor, action="volunteers.volunteer_approve", obj=volunteer, changes={})
    return volunteer


def team_save(*, actor, unit_code: str, name: str, leader_id=None) -> Team:
    unit = _unit(actor, perms.MANAGE, unit_code)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, 50, "name", errors, required=True)
    leader = None
    if leader_id not in (None, ""):
        leader = Volunteer.objects.filter(pk=parse_id(leader_id)).first()
        if leader is None or not leader.org_code.startswith(unit.code):
            errors.setdefault("leader_id", []).append(_("Choose a volunteer of this community."))
    if Team.objects.filter(org_code=unit.code, name=name).exists():
        errors.setdefault("name", []).append(_("This community has a team of this name."))
    raise_if(errors)
    with transaction.atomic():
        team = Team.objects.create(
            org_code=unit.code, name=name, leader=leader, created_at=timezone.now()
        )
        if leader is not None and leader.team_id is None:
            Volunteer.objects.filter(pk=leader.pk).update(team=team)
        audit_record(actor=actor, action="volunteers.team_save", obj=team, changes={"name": name})
    return team


# -- activities ----------------------------------------------------------------------------


def _activity_fields(errors, title, place, starts_at, ends_at, capacity, deadline, min_age):
    """What an activity's form gives and its editing changes, checked alike."""
    title = clean_text(title, 100, "title", errors, required=True)
    place = clean_text(place, 100, "place", errors, required=True)
    start = _moment(starts_at, "starts_at", errors, required=True)
    end = _moment(ends_at, "ends_at", errors, required=True)
    if start and end and not start < end <= start + MAX_ACTIVITY:
        errors.setdefault("ends_at", []).append(_("Ends after it starts, within 24 hours."))
    until = _moment(deadline, "deadline", errors)
    if until and start and until > start:
        errors.setdefault("deadline", []).append(_("Sign-up closes before the start."))
    seats = parse_id(capacity)
    if seats is None or seats > 10000:
        errors.setdefault("capacity", []).append(_("From 1 to 10000 places."))
    age = None
    if min_age not in (None, ""):
        age = parse_id(min_age)
        if age is None or age > 100:
            errors.setdefault("min_age", []).append(_("From 1 to 100 years."))
    return title, place, start, end, until, seats, age


def activity_create(
    *,
    actor,
    unit_code: str,
    title: str,
    kind: str,
    starts_at,
    ends_at,
    place: str,
    capacity,
    rule: str = SignupRule.OPEN,
    team_id=None,
    partner_id=None,
    deadline=None,
    min_age=None,
    checkpoints=(),
) -> Activity:
    """An activity of a community, a team or a partner, on the resident board at once."""
    unit = _unit(actor, perms.MANAGE, unit_code)
    errors: dict[str, list[str]] = {}
    title, place, start, end, until, seats, age = _activity_fields(
        errors, title, place, starts_at, ends_at, capacity, deadline, min_age
    )
    if kind not in ActivityKind.values:
        errors.setdefault("kind", []).append(_("Choose one of the options."))
    if rule not in SignupRule.values:
        errors.setdefault("rule", []).append(_("Choose one of the options."))
    team = _team_in(unit.code, team_id, errors)
    if rule == SignupRule.TEAM and team is None:
        errors.setdefault("team_id", []).append(_("A team-only activity names its team."))
    partner = None
    if partner_id not in (None, ""):
        partner = Partner.objects.filter(pk=parse_id(partner_id)).first()
        if partner is None or not scope_for(actor, perms.VIEW).covers_code(partner.org_code):
            errors.setdefault("partner_id", []).append(_("Choose a partner of your area."))
    route = patrol_services.clean_route(checkpoints, errors)
    raise_if(errors)
    with transaction.atomic():
        activity = Activity.objects.create(
            org_code=unit.code,
            title=title,
            kind=kind,
            starts_at=start,
            ends_at=end,
            place=place,
            capacity=seats,
            rule=rule,
            team=team,
            partner=partner,
            deadline=until,
            min_age=age,
            checkpoints=route,
            code=new_token(),
            created_at=timezone.now(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="volunteers.activity_create",
            obj=activity,
            changes={"kind": kind, "capacity": seats},
        )
    return activity


OPEN_STATES = (P.REQUESTED, P.CONFIRMED, P.WAITING)


def _when(activity: Activity) -> str:
    start, end = timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)
    return f"{start.month}月{start.day}日 {start:%H:%M}–{end:%H:%M}"


def _tell(parts, text: str) -> None:
    """A text message to each signed-up volunteer, sent after the commit."""
    from gongzhi.notifications import sms

    phones = [pii.open_phone(part.volunteer) for part in parts]
    phones = [phone for phone in phones if phone]

    def send():
        backend = sms.get_backend()
        for phone in phones:
            backend.send(phone=phone, text="【共治】" + text)

    if phones:
        transaction.on_commit(send)


def activity_update(
    *,
    actor,
    activity_id,
    title: str,
    place: str,
    starts_at,
    ends_at,
    capacity,
    deadline=None,
    min_age=None,
) -> Activity:
    """Change an activity before it starts: its title, place, time, places, deadline and age.
    Fewer places than are confirmed is refused (cancel sign-ups first); more places confirm
    the waiting list in order. A new time is refused while a confirmed volunteer has another
    activity then. Those signed up get a text when the time or the place changes."""
    errors: dict[str, list[str]] = {}
    title, place, start, end, until, seats, age = _activity_fields(
        errors, title, place, starts_at, ends_at, capacity, deadline, min_age
    )
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        activity = _activity(actor, activity_id, lock=True)
        if activity.is_cancelled:
            raise Conflict(_("The activity is cancelled."), code="cancelled")
        if now >= activity.starts_at:
            raise Conflict(
                _("The activity has started: it can no longer be changed."), code="started"
            )
        if start <= now:
            errors["starts_at"] = [_("The new time has passed.")]
        if seats < activity.confirmed:
            errors["capacity"] = [
                _("%(n)d volunteers are confirmed: cancel sign-ups before removing places.")
                % {"n": activity.confirmed}
            ]
        raise_if(errors)
        before = {
            "title": activity.title,
            "place": activity.place,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "capacity": activity.capacity,
            "deadline": activity.deadline,
            "min_age": activity.min_age,
        }
        moved = (start, end) != (activity.starts_at, activity.ends_at)
        activity.title, activity.place, activity.capacity = title, place, seats
        activity.starts_at, activity.ends_at = start, end
        activity.deadline, activity.min_age = until, age
        if moved:
            confirmed = list(
                Participation.objects.filter(activity=activity, state=P.CONFIRMED)
                .select_related("volunteer")
                .order_by("volunteer_id")
            )
            list(
                Volunteer.objects.select_for_update()
                .filter(pk__in=[p.volunteer_id for p in confirmed])
                .order_by("pk")
            )
            busy = [p.volunteer.name for p in confirmed if _overlaps(p.volunteer, activity)]
            if busy:
                raise Conflict(
                    _("%(n)d confirmed volunteers have another activity at the new time: %(names)s")
                    % {"n": len(busy), "names": "、".join(busy[:5])},
                    code="overlap",
                )
            Participation.objects.filter(activity=activity).update(starts_at=start, ends_at=end)
        activity.save(update_fields=[*before])
        while activity.confirmed < activity.capacity and _promote(activity, now):
            pass
        after = {field: getattr(activity, field) for field in before}
        changes = {
            field: [str(before[field]), str(after[field])]
            for field in before
            if before[field] != after[field]
        }
        audit_record(
            actor=actor, action="volunteers.activity_update", obj=activity, changes=changes
        )
        if moved or "place" in changes:
            _tell(
                Participation.objects.filter(
                    activity=activity, state__in=OPEN_STATES
                ).select_related("volunteer"),
                _("The activity %(title)s is now %(when)s at %(place)s.")
                % {
                    "title": activity.title,
                    "when": _when(activity),
                    "place": activity.place,
                },
            )
    return activity


def activity_cancel(*, actor, activity_id, reason: str) -> Activity:
    """Call an activity off before it starts, with the reason: every sign-up is cancelled
    and told by text; it leaves the residents' board. Hours already approved stay."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, 200, "reason", errors, required=True)
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        activity = _activity(actor, activity_id, lock=True)
        if activity.is_cancelled:
            raise Conflict(_("The activity is cancelled already."), code="cancelled")
        if now >= activity.starts_at:
            raise Conflict(
                _("The activity has started: it can no longer be cancelled."), code="started"
            )
        told = list(
            Participation.objects.filter(activity=activity, state__in=OPEN_STATES).select_related(
                "volunteer"
            )
        )
        Participation.objects.filter(pk__in=[p.pk for p in told]).update(state=P.CANCELLED)
        activity.is_cancelled, activity.confirmed = True, 0
        activity.save(update_fields=["is_cancelled", "confirmed"])
        audit_record(
            actor=actor,
            action="volunteers.activity_cancel",
            obj=activity,
            changes={"reason": reason, "sign_ups": len(told)},
        )
        _tell(
            told,
            _("The activity %(title)s on %(when)s is cancelled: %(reason)s")
            % {
                "title": activity.title,
                "when": _when(activity),
                "reason": reason,
            },
        )
    return activity


def volunteer_leave(*, actor, volunteer_id, reason: str = "") -> Volunteer:
    """Mark a volunteer as left (已退出): their card and sign-ups stop; sign-ups for what has
    not started are cancelled (the waiting lists move up); their hours stay theirs. A
    resident who registers again awaits approval anew."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, 200, "reason", errors)
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        volunteer = _volunteer(actor, volunteer_id, lock=True)
        if volunteer.state == VolunteerState.LEFT:
            raise Conflict(_("This volunteer has left already."), code="left")
        volunteer.state = VolunteerState.LEFT
        volunteer.save(update_fields=["state"])
        ahead = list(
            Participation.objects.filter(
                volunteer=volunteer, state__in=OPEN_STATES, starts_at__gt=now
            ).values_list("pk", flat=True)
        )
        for pk in ahead:
            _cancel(pk, actor=actor)
        audit_record(
            actor=actor,
            action="volunteers.volunteer_leave",
            obj=volunteer,
            changes={"reason": reason, "sign_ups_cancelled": len(ahead)},
        )
    return volunteer


def _refuse_overlap(volunteer: Volunteer, activity: Activity) -> None:
    if _overlaps(volunteer, activity):
        raise Conflict(
            _("This volunteer is confirmed on another activity at the same time."), code="overlap"
        )


def _overlaps(volunteer: Volunteer, activity: Activity) -> bool:
    return (
        Participation.objects.filter(
            volunteer=volunteer,
            state=P.CONFIRMED,
            starts_at__lt=activity.ends_at,
            ends_at__gt=activity.starts_at,
        )
        .exclude(activity=activity)
        .exists()
    )


def _confirm(activity: Activity, participation: Participation, now) -> None:
    """Confirm under the activity's lock (the caller holds it); seat and overlap checked."""
    if activity.confirmed >= activity.capacity:
        raise Conflict(_("The activity is full."), code="full")
    _refuse_overlap(participation.volunteer, activity)
    Activity.objects.filter(pk=activity.pk).update(confirmed=F("confirmed") + 1)
    activity.confirmed += 1
    participation.state = P.CONFIRMED


def _signup(activity_pk: int, volunteer_pk: int, *, actor=None) -> Participation:
    now = timezone.now()
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity_pk)
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer_pk)
        if volunteer.state != VolunteerState.APPROVED:
            raise Conflict(_("Only approved volunteers sign up."), code="not_approved")
        if activity.is_cancelled or now >= activity.starts_at:
            raise Conflict(_("Sign-up for this activity is closed."), code="closed")
        if activity.deadline and now > activity.deadline:
            raise Conflict(_("The sign-up deadline has passed."), code="deadline")
        if activity.rule == SignupRule.TEAM and volunteer.team_id != activity.team_id:
            raise Conflict(_("This activity is for its team's members only."), code="team_only")
        if activity.min_age:
            birth = volunteer.birth_date
            age = (
                None
                if birth is None
                else (
                    activity.starts_at.date().year
                    - birth.year
                    - (
                        (activity.starts_at.month, activity.starts_at.day)
                        < (birth.month, birth.day)
                    )
                )
            )
            if age is None or age < activity.min_age:
                raise Conflict(
                    _("This activity is for people aged %(n)d or more.") % {"n": activity.min_age},
                    code="too_young",
                )
        part = Participation.objects.filter(activity=activity, volunteer=volunteer).first()
        if part is not None and part.state not in (P.CANCELLED, P.REJECTED):
            raise Conflict(_("Already signed up for this activity."), code="already_signed_up")
        if part is None:
            part = Participation(
                activity=activity,
                volunteer=volunteer,
                org_code=activity.org_code,
                starts_at=activity.starts_at,
                ends_at=activity.ends_at,
            )
        part.volunteer = volunteer
        part.created_at = now  # back of the queue
        if activity.rule == SignupRule.APPROVAL:
            part.state = P.REQUESTED
        elif activity.confirmed >= activity.capacity:
            _refuse_overlap(volunteer, activity)
            part.state = P.WAITING
        else:
            _confirm(activity, part, now)
        part.save()
        audit_record(
            actor=actor,
            action="volunteers.signup",
            obj=part,
            changes={"state": part.state},
            object_repr=volunteer.name,
        )
    return part


def signup_by_resident(*, held: dict, activity_id) -> Participation:
    """A volunteer signs up on the board (/my/): confirmed while places are left, on the
    waiting list after, or awaiting approval when the activity asks for it."""
    volunteer = my_volunteer(held)
    activity = Activity.objects.filter(pk=parse_id(activity_id), is_cancelled=False).first()
    if activity is None:
        raise NotFound(_("The activity does not exist."))
    return _signup(activity.pk, volunteer.pk)


def signup_for(*, actor, activity_id, volunteer_id) -> Participation:
    """An organiser signs a volunteer of their area up (the same rules)."""
    activity = _activity(actor, activity_id)
    volunteer = _volunteer(actor, volunteer_id)
    return _signup(activity.pk, volunteer.pk, actor=actor)


def my_volunteer(held: dict) -> Volunteer:
    volunteer = (
        Volunteer.objects.filter(phone_hash=held["hash"], state=VolunteerState.APPROVED)
        .order_by("pk")
        .first()
    )
    if volunteer is None:
        raise PermissionDenied(
            _("Only approved volunteers do this: register and wait for your community."),
            code="not_a_volunteer",
        )
    return volunteer


def _promote(activity: Activity, now) -> Participation | None:
    """The first on the waiting list who has no overlapping confirmed activity is
    confirmed (the caller holds the activity's lock)."""
    for part in (
        Participation.objects.filter(activity=activity, state=P.WAITING)
        .select_related("volunteer")
        .order_by("created_at", "id")
    ):
        Volunteer.objects.select_for_update().filter(pk=part.volunteer_id).first()
        if _overlaps(part.volunteer, activity):
            continue
        _confirm(activity, part, now)
        part.save(update_fields=["state"])
        audit_record(
            actor=None,
            action="volunteers.promote",
            obj=part,
            changes={},
            object_repr=part.volunteer.name,
        )
        return part
    return None


def _cancel(part_pk: int, *, actor=None) -> Participation:
    now = timezone.now()
    with transaction.atomic():
        activity_pk = Participation.objects.values_list("activity_id", flat=True).get(pk=part_pk)
        activity = Activity.objects.select_for_update().get(pk=activity_pk)
        part = Participation.objects.select_related("volunteer").get(pk=part_pk)
        if part.state in (P.CANCELLED, P.REJECTED):
            raise Conflict(_("This sign-up is cancelled already."), code="cancelled")
        if part.checked_in_at is not None:
            raise Conflict(_("Checked in already: it cannot be cancelled."), code="checked_in")
        was = part.state
        part.state = P.CANCELLED
        part.save(update_fields=["state"])
        if was == P.CONFIRMED:
            Activity.objects.filter(pk=activity.pk).update(confirmed=F("confirmed") - 1)
            activity.confirmed -= 1
            if now < activity.starts_at:
                _promote(activity, now)
        audit_record(
            actor=actor,
            action="volunteers.cancel",
            obj=part,
            changes={"was": was},
            object_repr=part.volunteer.name,
        )
    return part


def cancel_by_resident(*, held: dict, activity_id) -> Participation:
    volunteer = my_volunteer(held)
    part = Participation.objects.filter(
        activity_id=parse_id(activity_id), volunteer=volunteer
    ).first()
    if part is None:
        raise NotFound(_("You have not signed up for this activity."))
    return _cancel(part.pk)


def _participation(actor, participation_id) -> Participation:
    return _scoped(
        actor,
        perms.MANAGE,
        Participation,
        participation_id,
        _("The sign-up does not exist or is outside your area."),
    )


def cancel_for(*, actor, participation_id) -> Participation:
    return _cancel(_participation(actor, participation_id).pk, actor=actor)


def participation_decide(*, actor, participation_id, approve: bool) -> Participation:
    """Accept a sign-up awaiting approval (confirmed, or waiting when full) or refuse it."""
    part = _participation(actor, participation_id)
    now = timezone.now()
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=part.activity_id)
        part = Participation.objects.select_related("volunteer").get(pk=part.pk)
        if part.state != P.REQUESTED:
            raise Conflict(_("This sign-up is not awaiting approval."), code="not_requested")
        Volunteer.objects.select_for_update().filter(pk=part.volunteer_id).first()
        if not approve:
            part.state = P.REJECTED
        elif activity.confirmed >= activity.capacity:
            part.state = P.WAITING
        else:
            _confirm(activity, part, now)
        part.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="volunteers.decide",
            obj=part,
            changes={"state": part.state},
            object_repr=part.volunteer.name,
        )
    return part


# -- check-in, check-out and hours -----------------------------------------------------------


def _attending(activity: Activity, volunteer: Volunteer, now) -> Participation:
    if not activity.starts_at - EARLY_CHECK_IN <= now <= activity.ends_at:
        raise Conflict(
            _("Check-in is open from an hour before the start until the end."), code="not_open"
        )
    part = (
        Participation.objects.select_for_update()
        .filter(activity=activity, volunteer=volunteer)
        .first()
    )
    if part is None or part.state != P.CONFIRMED:
        raise Conflict(_("Not confirmed for this activity."), code="not_confirmed")
    return part


def _check(part: Participation, activity: Activity, direction: str, now, actor) -> Participation:
    if direction == "in":
        if part.checked_in_at is not None:
            raise Conflict(_("Checked in already."), code="checked_in")
        part.checked_in_at = now
        part.save(update_fields=["checked_in_at"])
    else:
        if part.checked_in_at is None:
            raise Conflict(_("Check in before checking out."), code="not_checked_in")
        if part.checked_out_at is not None:
            raise Conflict(_("Checked out already."), code="checked_out")
        part.checked_out_at = max(now, part.checked_in_at)
        part.save(update_fields=["checked_out_at"])
        _attended_hours(part, activity, actor=actor)
    audit_record(
        actor=actor,
        action=f"volunteers.check_{direction}",
        obj=part,
        changes={},
        object_repr=part.volunteer.name,
    )
    return part


def _direction(part: Participation, direction: str) -> str:
    """'in', 'out', or '' (a scan: in when not yet, out after)."""
    if direction in ("in", "out"):
        return direction
    return "out" if part.checked_in_at is not None else "in"


def check_by_card(*, actor, activity_id, card_token: str, direction: str = "") -> Participation:
    """The organiser scans a volunteer's card: check-in, or check-out when checked in."""
    now = timezone.now()
    with transaction.atomic():
        activity = _activity(actor, activity_id)
        volunteer = Volunteer.objects.filter(card_token=str(card_token or "")[:32]).first()
        if volunteer is None:
            raise NotFound(_("This volunteer card is not valid."), code="card_invalid")
        part = _attending(activity, volunteer, now)
        part.volunteer = volunteer
        return _check(part, activity, _direction(part, direction), now, actor)


def check_by_code(*, held: dict, code: str, direction: str = "") -> Participation:
    """The volunteer scans the activity's code on the spot (/my/)."""
    volunteer = my_volunteer(held)
    now = timezone.now()
    with transaction.atomic():
        activity = Activity.objects.filter(code=str(code or "")[:32]).first()
        if activity is None:
            raise NotFound(_("This activity code is not valid."), code="code_invalid")
        part = _attending(activity, volunteer, now)
        part.volunteer = volunteer
        return _check(part, activity, _direction(part, direction), now, None)


def _attended_hours(part: Participation, activity: Activity, *, actor, flagged=False):
    """The hour record of a check-out: the time in, capped at the activity's length.
    Approved at once (the organiser may approve more by a correction); a forgotten
    check-out closed by the job is flagged and waits for an approver."""
    raw = int((part.checked_out_at - part.checked_in_at).total_seconds() // 60)
    minutes = min(raw, activity.minutes)
    record = HourRecord.objects.create(
        volunteer=part.volunteer,
        activity=activity,
        participation=part,
        org_code=activity.org_code,
        kind=HourKind.ATTENDED,
        state=HourState.PENDING if flagged else HourState.APPROVED,
        minutes=minutes,
        raw_minutes=raw,
        served_on=timezone.localtime(activity.starts_at).date(),
        flagged=flagged,
        created_at=timezone.now(),
        requested_by=actor,
        approved_by=None if flagged else actor,
        decided_at=None if flagged else timezone.now(),
    )
    if not flagged:
        _pay(record, actor)
    return record


def _pay(record: HourRecord, actor):
    """绿币 for approved hours, once a record (the points bank's source key): to the
    registry resident behind the volunteer; a partner's person has no passbook."""
    if record.minutes <= 0 or record.volunteer.resident_id is None:
        return None
    from gongzhi.points.models import RuleKind
    from gongzhi.points.services import points_award

    return points_award(
        source="volunteers.hours",
        key=str(record.pk),
        kind=RuleKind.VOLUNTEER_HOUR,
        resident=record.volunteer.resident,
        quantity=Decimal(record.minutes) / 60,
        actor=actor,
        note=(record.activity.title if record.activity_id else record.note)[:100],
    )


def close_forgotten(*, now=None) -> int:
    """Checked in, never checked out, the activity over: closed at its end and flagged
    (the hours wait for an approver). Run by a job; idempotent."""
    now = now or timezone.now()
    closed = 0
    stale = Participation.objects.filter(
        state=P.CONFIRMED,
        checked_in_at__isnull=False,
        checked_out_at__isnull=True,
        ends_at__lte=now,
    ).values_list("pk", flat=True)
    for pk in list(stale[:1000]):
        with transaction.atomic():
            part = (
                Participation.objects.select_for_update()
                .select_related("activity", "volunteer")
                .filter(pk=pk, checked_out_at__isnull=True)
                .first()
            )
            if part is None:
                continue
            part.checked_out_at = max(part.ends_at, part.checked_in_at)
            part.auto_closed = True
            part.save(update_fields=["checked_out_at", "auto_closed"])
            _attended_hours(part, part.activity, actor=None, flagged=True)
            audit_record(
                actor=None,
                action="volunteers.auto_close",
                obj=part,
                changes={},
                object_repr=part.volunteer.name,
            )
            closed += 1
    return closed


def hours_request(
    *, actor, volunteer_id, minutes, served_on, note: str, activity_id=None, corrects_id=None
) -> HourRecord:
    """Hours entered by hand (补录), or a correction of a record (a signed number of
    minutes, naming it): both wait for an approver other than the one who asked."""
    volunteer = _volunteer(actor, volunteer_id)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, 200, "note", errors, required=True)
    day = _day(served_on, "served_on", errors)
    if day is None and "served_on" not in errors:
        errors.setdefault("served_on", []).append(_("This field is required."))
    try:
        minutes = int(str(minutes).strip())
    except (TypeError, ValueError):
        minutes = None
    corrects = None
    if corrects_id not in (None, ""):
        corrects = HourRecord.objects.filter(
            pk=parse_id(corrects_id), volunteer=volunteer, state=HourState.APPROVED
        ).first()
        if corrects is None:
            errors.setdefault("corrects_id", []).append(_("Choose an approved record to correct."))
    low = -MAX_MANUAL_MINUTES if corrects_id not in (None, "") else 1
    if minutes is None or not low <= minutes <= MAX_MANUAL_MINUTES or minutes == 0:
        errors.setdefault("minutes", []).append(
            _("Minutes from 1 to 1440 (a correction may be negative).")
        )
    activity = None
    if activity_id not in (None, ""):
        activity = Activity.objects.filter(pk=parse_id(activity_id)).first()
        if activity is None or not scope_for(actor, perms.VIEW).covers_code(activity.org_code):
            errors.setdefault("activity_id", []).append(_("Choose an activity of your area."))
    raise_if(errors)
    with transaction.atomic():
        record = HourRecord.objects.create(
            volunteer=volunteer,
            activity=activity or getattr(corrects, "activity", None),
            org_code=volunteer.org_code if activity is None else activity.org_code,
            kind=HourKind.CORRECTION if corrects else HourKind.MANUAL,
            state=HourState.PENDING,
            minutes=minutes,
            served_on=day,
            note=note,
            corrects=corrects,
            requested_by=actor,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="volunteers.hours_request",
            obj=record,
            changes={"minutes": minutes},
            object_repr=volunteer.name,
        )
    return record


def hours_decide(*, actor, record_id, approve: bool) -> HourRecord:
    """Approve (then immutable, points paid) or reject hours awaiting approval; the one
    who asked does not approve their own request."""
    with transaction.atomic():
        record = _scoped(
            actor,
            perms.MANAGE,
            HourRecord,
            record_id,
            _("The hour record does not exist or is outside your area."),
            lock=True,
        )
        if record.state != HourState.PENDING:
            raise Conflict(_("Approved hours are not changed: add a correction."), code="immutable")
        if record.requested_by_id == actor.pk:
            raise PermissionDenied(
                _("Someone else approves the hours you entered."), code="own_request"
            )
        record.state = HourState.APPROVED if approve else HourState.REJECTED
        record.approved_by, record.decided_at = actor, timezone.now()
        record.save()
        audit_record(
            actor=actor,
            action="volunteers.hours_decide",
            obj=record,
            changes={"approve": approve, "minutes": record.minutes},
        )
        if approve:
            record.volunteer = Volunteer.objects.get(pk=record.volunteer_id)
            _pay(record, actor)
    return record


def attendance_record(*, actor, activity_id, people, note: str = "") -> Attendance:
    """People who came without being volunteers (群众 人次), counted by the organiser."""
    activity = _activity(actor, activity_id)
    errors: dict[str, list[str]] = {}
    count = parse_id(people)
    if count is None or count > 100000:
        errors.setdefault("people", []).append(_("From 1 to 100000 people."))
    note = clean_text(note, 100, "note", errors)
    raise_if(errors)
    with transaction.atomic():
        row = Attendance.objects.create(
            activity=activity,
            org_code=activity.org_code,
            people=count,
            note=note,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        audit_record(
            actor=actor, action="volunteers.attendance", obj=activity, changes={"people": count}
        )
    return row


def patrol_for_activity(*, actor, activity_id):
    """A night patrol's activity starts its patrol (one per activity): its checkpoints
    are the route, its confirmed volunteers the patrollers."""
    activity = _activity(actor, activity_id)
    if activity.kind != ActivityKind.PATROL:
        raise Conflict(_("Only a night patrol activity has a patrol."), code="not_a_patrol")
    names = list(
        activity.participations.filter(state=P.CONFIRMED).values_list("volunteer__name", flat=True)[
            :20
        ]
    )
    return patrol_services.patrol_start(
        actor=actor,
        unit_code=activity.org_code,
        kind=PatrolKind.NIGHT,
        route=activity.checkpoints,
        patrollers="、".join(names)[:200],
        people=max(1, activity.confirmed),
        source="volunteers.activity",
        source_key=str(activity.pk),
    )


# -- partners ------------------------------------------------------------------------------


def clean_uscc(value, kind, errors, *, partner_pk=None) -> str | None:
    """The unified social credit code (统一社会信用代码): required for an organisation,
    checked with python-stdnum, one partner per code."""
    code = str(value or "").strip().upper().replace(" ", "")
    if not code:
        if kind in ORGANISATIONS:
            errors.setdefault("uscc", []).append(
                _("An organisation gives its unified social credit code.")
            )
        return None
    if not stdnum_uscc.is_valid(code):
        errors.setdefault("uscc", []).append(_("Not a valid unified social credit code."))
        return None
    if Partner.objects.filter(uscc=code).exclude(pk=partner_pk).exists():
        errors.setdefault("uscc", []).append(_("A partner with this code is registered already."))
    return code


def partner_save(
    *,
    actor,
    unit_code: str,
    kind: str,
    name: str,
    uscc: str = "",
    agreement: str = "",
    valid_from=None,
    valid_until=None,
    offers: str = "",
    contact_name: str = "",
    contact_phone: str = "",
) -> Partner:
    unit = _unit(actor, perms.PARTNERS, unit_code)
    errors: dict[str, list[str]] = {}
    if kind not in PartnerKind.values:
        errors.setdefault("kind", []).append(_("Choose one of the options."))
    name = clean_text(name, 100, "name", errors, required=True)
    code = clean_uscc(uscc, kind, errors)
    agreement = clean_text(agreement, 200, "agreement", errors)
    start = _day(valid_from, "valid_from", errors)
    until = _day(valid_until, "valid_until", errors)
    if start and until and until < start:
        errors.setdefault("valid_until", []).append(_("Ends after it starts."))
    if kind == PartnerKind.COBUILDING and not (agreement and until):
        errors.setdefault("agreement", []).append(
            _("A co-building unit gives its agreement and how long it is valid.")
        )
    offers = clean_text(offers, 300, "offers", errors)
    contact_name = clean_text(contact_name, 50, "contact_name", errors)
    phone = _phone(contact_phone, errors, "contact_phone")
    raise_if(errors)
    sealed = pii.seal_phone(phone)
    try:
        with transaction.atomic():
            partner = Partner.objects.create(
                org_code=unit.code,
                kind=kind,
                name=name,
                uscc=code,
                agreement=agreement,
                valid_from=start,
                valid_until=until,
                offers=offers,
                contact_name=contact_name,
                contact_phone_enc=sealed["phone_enc"],
                contact_phone_hash=sealed["phone_hash"],
                contact_phone_masked=sealed["phone_masked"],
                created_at=timezone.now(),
                created_by=actor,
            )
            audit_record(
                actor=actor, action="volunteers.partner_save", obj=partner, changes={"kind": kind}
            )
    except IntegrityError:
        message = _("A partner with this code is registered already.")
        raise Conflict(message, code="uscc_taken", details={"uscc": [message]}) from None
    return partner


def partner_role_add(*, actor, partner_id, role: str, starts_on, ends_on=None) -> PartnerRole:
    partner = _scoped(
        actor,
        perms.PARTNERS,
        Partner,
        partner_id,
        _("The partner does not exist or is outside your area."),
    )
    errors: dict[str, list[str]] = {}
    role = clean_text(role, 50, "role", errors, required=True)
    start = _day(starts_on, "starts_on", errors)
    if start is None and "starts_on" not in errors:
        errors.setdefault("starts_on", []).append(_("This field is required."))
    end = _day(ends_on, "ends_on", errors)
    if start and end and end < start:
        errors.setdefault("ends_on", []).append(_("Ends after it starts."))
    raise_if(errors)
    with transaction.atomic():
        row = PartnerRole.objects.create(
            partner=partner, role=role, starts_on=start, ends_on=end, created_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="volunteers.partner_role",
            obj=partner,
            changes={"role": role, "from": str(start), "until": str(end)},
        )
    return row


def partner_role_end(*, actor, role_id, ends_on) -> PartnerRole:
    """End a role (never deleted): its end date is set once."""
    errors: dict[str, list[str]] = {}
    end = _day(ends_on, "ends_on", errors)
    if end is None and "ends_on" not in errors:
        errors.setdefault("ends_on", []).append(_("This field is required."))
    raise_if(errors)
    with transaction.atomic():
        row = PartnerRole.objects.select_for_update().filter(pk=parse_id(role_id)).first()
        if row is None or not scope_for(actor, perms.PARTNERS).covers_code(row.partner.org_code):
            raise NotFound(_("The role does not exist or is outside your area."))
        if row.ends_on is not None and row.ends_on <= timezone.localdate():
            raise Conflict(_("This role has ended already."), code="ended")
        if end < row.starts_on:
            raise Invalid(
                _("Ends after it starts."), details={"ends_on": [_("Ends after it starts.")]}
            )
        row.ends_on = end
        row.save(update_fields=["ends_on"])
        audit_record(
            actor=actor,
            action="volunteers.partner_role_end",
            obj=row.partner,
            changes={"role": row.role, "until": str(end)},
        )
    return row
