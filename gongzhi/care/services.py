"""Every write of care: visit plans and their scheduled visits, visits, micro-wishes and
their claims.

Each service checks its permission over the resident's place, validates, writes in one
transaction with an audit row, and changes nothing when it refuses. What the actor may
not see is NotFound, the same as what does not exist. The resident's own and the
claimer's writes (/my/) take the verified phone instead of a user.
"""

import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.care import perms, windows
from gongzhi.care.models import (
    ANSWERS,
    CHECKLIST,
    CarePhoto,
    ClaimerKind,
    ClaimState,
    Finding,
    Period,
    ScheduledState,
    ScheduledVisit,
    Visit,
    Visitor,
    VisitPlan,
    VisitType,
    Wish,
    WishClaim,
    WishSource,
    WishState,
)
from gongzhi.cases import services as case_services
from gongzhi.cases.models import Channel
from gongzhi.core import crypto, dates, images
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import clean_client_id, parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.core.pii_text import mask_personal_text
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Resident, Tag
from gongzhi.registry.services import clean_float, clean_text

MAX_NOTE = 500
MAX_WISH = 200
MAX_PHOTOS = 9
# A phone's clock may run a little ahead of the server's; more than this is the future.
CLOCK_SKEW = dates.CLOCK_SKEW


def _community_code(code: str) -> str:
    return code[: CODE_LENGTH[Level.COMMUNITY]]


def _resident(actor, perm, resident_id) -> Resident:
    resident = Resident.objects.filter(pk=parse_id(resident_id)).select_related("grid").first()
    if resident is None or not scope_for(actor, perm).covers_code(resident.org_code):
        raise NotFound(_("The resident does not exist or is outside your area."))
    return resident


def _photos(photos) -> list[images.CleanImage]:
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise Invalid(
            _("At most %(n)d photos.") % {"n": MAX_PHOTOS},
            details={"photos": [_("At most %(n)d photos.") % {"n": MAX_PHOTOS}]},
        )
    return [images.clean_image(p) for p in photos]


def _save_photos(cleaned, now, **owner) -> None:
    for n, image in enumerate(cleaned, start=1):
        photo = CarePhoto(content_type=image.content_type, size=image.size, created_at=now, **owner)
        key = "-".join(f"{k}{v.pk}" for k, v in owner.items())
        photo.file.save(
            f"{key}-{now:%H%M%S}-{n}.{image.extension}", ContentFile(image.data), save=False
        )
        photo.save()


# -- visit plans -----------------------------------------------------------------------


def plan_save(
    *, actor, name: str, tag_id, unit_code: str, period: str, grace_days=0, is_active=True,
    plan_id=None,
) -> VisitPlan:  # fmt: skip
    """A plan for a cared-for group in an area (走访计划), or an edit of one. Saving
    generates the current window's scheduled visits (and ends those no longer wanted)."""
    unit = OrgUnit.objects.filter(code=str(unit_code or "")).first()
    if unit is None or not can(actor, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    if not can(actor, perms.PLAN, unit):
        raise PermissionDenied(_("You may not edit visit plans here."))
    plan = None
    if plan_id is not None:
        plan = VisitPlan.objects.filter(pk=parse_id(plan_id)).first()
        if plan is None or not scope_for(actor, perms.PLAN).covers_code(plan.unit_code):
            raise NotFound(_("The visit plan does not exist or is outside your area."))
    errors: dict[str, list[str]] = {}
    name = clean_text(name, 50, "name", errors, required=True)
    tag = Tag.objects.filter(pk=parse_id(tag_id), is_care=True, is_active=True).first()
    if tag is None:
        errors.setdefault("tag_id", []).append(_("Choose a cared-for group."))
    if period not in Period.values:
        errors.setdefault("period", []).append(_("Choose one of the options."))
    grace = parse_id(grace_days) if grace_days not in (0, "0") else 0
    if grace is None or not 0 <= grace <= 60:
        errors.setdefault("grace_days", []).append(_("From 0 to 60 days."))
    if (
        tag is not None
        and VisitPlan.objects.filter(tag=tag, unit_code=unit.code)
        .exclude(pk=getattr(plan, "pk", None))
        .exists()
    ):
        errors.setdefault("tag_id", []).append(_("This area already has a plan for this group."))
    raise_if(errors)
    with transaction.atomic():
        fields = {
            "name": name, "tag": tag, "unit_code": unit.code, "period": period,
            "grace_days": grace, "is_active": bool(is_active),
        }  # fmt: skip
        if plan is None:
            plan = VisitPlan.objects.create(created_by=actor, **fields)
            action = "care.plan_create"
        else:
            plan = VisitPlan.objects.select_for_update().get(pk=plan.pk)
            for key, value in fields.items():
                setattr(plan, key, value)
            plan.save()
            action = "care.plan_edit"
        audit_record(
            actor=actor, action=action, obj=plan,
            changes={"tag": tag.name, "unit": unit.code, "period": period,
                     "active": plan.is_active},
        )  # fmt: skip
    plan_generate(plan)
    return plan


def plan_generate(plan: VisitPlan, *, today: dt.date | None = None) -> dict[str, int]:
    """Bring one plan's scheduled visits up to date for the window holding `today`:

    - make one for every active resident with the plan's tag in its area (INSERT …
      SELECT … ON CONFLICT DO NOTHING on (plan, resident, window_start): running again,
      or two runs at once, make nothing twice);
    - move open ones to the resident's place now (a move within the area: the new grid's
      workers visit);
    - end open ones whose resident moved out or died (`is_active` False), left the area,
      lost the tag, or whose plan is no longer active.

    Returns {"made", "moved", "ended"}. A system job (tasks.py) and plan_save call it."""
    today = today or timezone.localdate()
    start, end = windows.window(plan.period, today)
    overdue = windows.overdue_after(end, plan.grace_days)
    now = timezone.now()
    q = connection.ops.quote_name
    sv, res = ScheduledVisit._meta.db_table, Resident._meta.db_table
    through = Resident.tags.through._meta.db_table
    made = 0
    with transaction.atomic():
        if plan.is_active:
            sql = (
                f"INSERT INTO {q(sv)} (plan_id, resident_id, org_code, window_start, due_on, "
                "overdue_on, state, end_reason, created_at) "
                "SELECT %s, r.id, r.org_code, %s, %s, %s, %s, '', %s "
                f"FROM {q(res)} r JOIN {q(through)} t ON t.resident_id = r.id "
                "WHERE t.tag_id = %s AND r.is_active AND r.org_code >= %s AND r.org_code < %s "
                "ON CONFLICT (plan_id, resident_id, window_start) DO NOTHING"
            )
            params = [
                plan.pk, start, end, overdue, ScheduledState.OPEN, now, plan.tag_id,
                plan.unit_code, plan.unit_code + ":",  # core.fields: ':' follows '9'
            ]  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                made = max(cursor.rowcount, 0)
        open_ = ScheduledVisit.objects.filter(plan=plan, state=ScheduledState.OPEN)
        moved = open_.exclude(org_code=F("resident__org_code")).filter(
            resident__org_code__startswith=plan.unit_code
        )
        moved_count = 0
        for row in moved.values("pk", "resident__org_code"):  # rare: residents who moved
            moved_count += ScheduledVisit.objects.filter(pk=row["pk"]).update(
                org_code=row["resident__org_code"]
            )
        ended = 0
        tagged = Resident.tags.through.objects.filter(tag_id=plan.tag_id).values("resident_id")
        reasons = (
            (~Q(resident__is_active=True), _("Moved out or died")),
            (~Q(resident__org_code__startswith=plan.unit_code), _("Moved out of the area")),
            (~Q(resident_id__in=tagged), _("No longer in the group")),
        )
        if not plan.is_active:
            reasons = ((Q(), _("The plan ended")),)
        for condition, reason in reasons:  # in turn: each ends only what is still open
            ended += (
                ScheduledVisit.objects.filter(plan=plan, state=ScheduledState.OPEN)
                .filter(condition)
                .update(state=ScheduledState.ENDED, end_reason=str(reason), closed_at=now)
            )
        # Windows past their overdue day that were never visited stay open (they are the
        # overdue ones) until a visit closes them or the resident leaves the plan.
        VisitPlan.objects.filter(pk=plan.pk).update(generated_at=now)
        if made or moved_count or ended:
            audit_record(
                actor=None, action="care.plan_generate", obj=plan,
                changes={"made": made, "moved": moved_count, "ended": ended, "window": str(start)},
            )  # fmt: skip
    return {"made": made, "moved": moved_count, "ended": ended}


def plans_generate_all(*, today: dt.date | None = None) -> dict[str, int]:
    """Every plan (the daily job): active ones made current, inactive ones ended."""
    total = {"made": 0, "moved": 0, "ended": 0}
    for plan in VisitPlan.objects.order_by("pk"):
        for key, value in plan_generate(plan, today=today).items():
            total[key] += value
    return total


# -- visits ------------------------------------------------------------------------------


def _checklist(answers, errors) -> dict:
    answers = answers if isinstance(answers, dict) else {}
    keys = {k for k, _label in CHECKLIST}
    out = {}
    for key, value in answers.items():
        if key not in keys or value not in ANSWERS:
            errors.setdefault(f"checklist.{key}"[:40], []).append(_("Choose one of the options."))
        elif value:
            out[key] = value
    return out


def visit_record(
    *,
    actor,
    resident_id,
    client_id: str,
    kind: str = VisitType.HOME,
    visited_at=None,
    visitor_role: str = Visitor.WORKER,
    companions: str = "",
    lng=None,
    lat=None,
    accuracy_m=None,
    checklist=None,
    notes: str = "",
    finding: str = "",
    finding_text: str = "",
    category_id=None,
    next_note: str = "",
    photos=None,
) -> tuple[Visit, bool]:
    """Record a visit to a resident of the actor's area. It closes the resident's oldest
    open scheduled visit that has begun (the earliest day passed), if any; a visit in no
    plan is recorded all the same. A finding becomes a case (through the loop's intake,
    channel 走访), a micro-wish (collected on this visit) or a note for next time.

    `client_id` is made by the phone once a submission: a resent one returns the visit
    it made (created False). A visit in the future is refused."""
    client_id = clean_client_id(client_id)
    earlier = Visit.objects.filter(client_id=client_id).first()
    if earlier is not None:
        if earlier.visitor_id != actor.pk or earlier.resident_id != parse_id(resident_id):
            raise Conflict(_("This submission id is taken."), code="client_id_taken")
        return earlier, False
    resident = _resident(actor, perms.VISIT, resident_id)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if kind not in VisitType.values:
        errors.setdefault("kind", []).append(_("Choose one of the options."))
    if visitor_role not in Visitor.values:
        errors.setdefault("visitor_role", []).append(_("Choose one of the options."))
    if finding not in Finding.values:
        errors.setdefault("finding", []).append(_("Choose one of the options."))
    if isinstance(visited_at, dt.datetime):
        visited_at = visited_at.isoformat()
    try:
        when = dates.parse_moment(str(visited_at or ""), "visited_at") or now
    except Invalid as exc:
        errors.setdefault("visited_at", []).append(exc.message)
        when = now
    if when > now + CLOCK_SKEW:
        errors.setdefault("visited_at", []).append(_("A visit cannot be in the future."))
    companions = clean_text(companions, 100, "companions", errors)
    notes = clean_text(notes, MAX_NOTE, "notes", errors)
    next_note = clean_text(next_note, 200, "next_note", errors, required=finding == Finding.NOTE)
    finding_text = clean_text(
        finding_text, MAX_WISH, "finding_text", errors,
        required=finding in (Finding.CASE, Finding.WISH),
    )  # fmt: skip
    lng = clean_float(lng, "lng", errors, -180, 180)
    lat = clean_float(lat, "lat", errors, -90, 90)
    accuracy_m = clean_float(accuracy_m, "accuracy_m", errors, 0, 100_000)
    answers = _checklist(checklist, errors)
    raise_if(errors)
    cleaned = _photos(photos)
    try:
        with transaction.atomic():
            scheduled = (
                ScheduledVisit.objects.select_for_update()
                .filter(resident=resident, state=ScheduledState.OPEN, window_start__lte=when.date())
                .order_by("due_on", "pk")
                .first()
            )
            visit = Visit.objects.create(
                client_id=client_id, resident=resident, org_code=resident.org_code,
                scheduled=scheduled, kind=kind, visitor=actor, visitor_role=visitor_role,
                companions=companions, visited_at=when, received_at=now, lng=lng, lat=lat,
                accuracy_m=accuracy_m, checklist=answers, notes=notes, finding=finding,
                next_note=next_note,
            )  # fmt: skip
            if scheduled is not None:
                scheduled.state, scheduled.closed_at = ScheduledState.DONE, now
                scheduled.save(update_fields=["state", "closed_at"])
            _save_photos(cleaned, now, visit=visit)
            if finding == Finding.CASE:
                visit.case = _finding_case(actor, resident, visit, finding_text, category_id)
                visit.save(update_fields=["case"])
            elif finding == Finding.WISH:
                _wish_create(
                    actor=actor, resident=resident, text=finding_text,
                    source=WishSource.VISIT, visit=visit, now=now,
                )  # fmt: skip
            audit_record(
                actor=actor, action="care.visit_record", obj=visit,
                changes={"resident": resident.pk, "kind": kind, "planned": scheduled is not None,
                         "finding": finding},
            )  # fmt: skip
    except IntegrityError:
        # The same client_id raced another request of the same phone: that one won.
        earlier = Visit.objects.filter(client_id=client_id).first()
        if earlier is not None and earlier.visitor_id == actor.pk:
            return earlier, False
        raise
    return visit, True


def _finding_case(actor, resident, visit, text, category_id):
    """A problem found on a visit becomes a case of the loop (channel 走访), in the
    visit's transaction: both land or neither."""
    building = resident.household.building if resident.household_id else None
    case, _created = case_services.case_report(
        actor=actor,
        category_id=category_id,
        description=text,
        grid_id=resident.grid_id,
        building_id=getattr(building, "pk", None),
        lng=visit.lng,
        lat=visit.lat,
        address=getattr(building, "address", "") or "",
        reporter_resident_id=resident.pk,
        via=Channel.VISIT,
    )
    return case


# -- micro-wishes ------------------------------------------------------------------------


def _wish_create(*, actor, resident, text, source, visit=None, now=None) -> Wish:
    now = now or timezone.now()
    wish = Wish.objects.create(
        resident=resident, org_code=resident.org_code,
        community_code=_community_code(resident.org_code), source=source, visit=visit,
        text=text, collected_by=actor if getattr(actor, "is_authenticated", False) else None,
        collected_at=now,
    )  # fmt: skip
    audit_record(actor=actor, action="care.wish_collect", obj=wish, changes={"source": source})
    return wish


def wish_collect(*, actor, resident_id, text: str, source: str = WishSource.DESK) -> Wish:
    """A wish taken by staff: by phone, at the desk (or on a visit: visit_record)."""
    resident = _resident(actor, perms.VISIT, resident_id)
    errors: dict[str, list[str]] = {}
    text = clean_text(text, MAX_WISH, "text", errors, required=True)
    if source not in (WishSource.PHONE, WishSource.DESK, WishSource.VISIT):
        errors.setdefault("source", []).append(_("Choose one of the options."))
    raise_if(errors)
    with transaction.atomic():
        return _wish_create(actor=actor, resident=resident, text=text, source=source)


def wish_submit_by_resident(*, held: dict, text: str) -> Wish:
    """A wish sent by a resident from /my/: the verified phone must be a resident's in the
    registry (the community then knows whose it is); otherwise NotFound with a message to
    ask the community."""
    errors: dict[str, list[str]] = {}
    text = clean_text(text, MAX_WISH, "text", errors, required=True)
    raise_if(errors)
    resident = (
        Resident.objects.filter(phone_hash=held["hash"], is_active=True).order_by("pk").first()
    )
    if resident is None:
        raise NotFound(
            _("This phone number is not in the community's records. Please ask your community.")
        )
    with transaction.atomic():
        return _wish_create(actor=None, resident=resident, text=text, source=WishSource.ONLINE)


def _wish_for(actor, wish_id, perm=perms.WISHES, *, lock=False) -> Wish:
    qs = Wish.objects.select_for_update() if lock else Wish.objects
    wish = qs.filter(pk=parse_id(wish_id)).first()
    if wish is None or not scope_for(actor, perms.VIEW).covers_code(wish.org_code):
        raise NotFound(_("The wish does not exist or is outside your area."))
    if not scope_for(actor, perm).covers_code(wish.org_code):
        raise PermissionDenied(_("You may not handle this wish."))
    return wish


def _stale(wish, version):
    if version is not None and parse_id(version) != wish.version:
        raise Conflict(_("Someone else has already changed this wish."), code="stale")


def _state(wish, *allowed):
    if wish.state not in allowed:
        raise Conflict(_("The wish is not in a state that allows this."), code="wrong_state")


def public_title_errors(resident: Resident, title: str) -> list[str]:
    """What makes a board title give the resident away: their name, a phone or 身份证号,
    their building or room, or the name of one of their tags (独居, 残疾人 …)."""
    found = []
    if mask_personal_text(title, public=True) != title:
        found.append(_("a phone or ID number"))
    # The full name, and a given name of two characters or more (秀英); a one-character
    # given name is too common a character to refuse (想, 明).
    given = resident.name[1:] if len(resident.name) >= 3 else ""
    if resident.name and (resident.name in title or (given and given in title)):
        found.append(_("the resident's name"))
    household = resident.household if resident.household_id else None
    if household and (household.building.name in title or household.room in title):
        found.append(_("the address"))
    tags = [t.name for t in resident.tags.all()] + [
        t.name for t in Tag.objects.filter(is_care=True)
    ]
    if any(part and part in title for name in tags for part in name.replace("/", " ").split()):
        found.append(_("a cared-for group"))
    return found


def wish_review(
    *, actor, wish_id, publish: bool, public_title: str = "", plan: str = "", target_on=None,
    note: str = "", version=None,
) -> Wish:  # fmt: skip
    """The community's review of a collected wish (征集清单): publish it on the board with
    a title that does not give the resident away, a plan and a target date, or not take
    it up (a note saying why)."""
    wish = _wish_for(actor, wish_id)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, 200, "note", errors, required=not publish)
    if publish:
        public_title = clean_text(public_title, 60, "public_title", errors, required=True)
        plan = clean_text(plan, 200, "plan", errors, required=True)
        try:
            target = dates.parse_day(str(target_on or ""), "target_on", code="invalid")
            if target < timezone.localdate():
                errors.setdefault("target_on", []).append(_("The target date is in the past."))
        except Invalid as exc:
            errors.setdefault("target_on", []).append(exc.message)
            target = None
        if public_title:
            leaks = public_title_errors(wish.resident, public_title)
            if leaks:
                errors.setdefault("public_title", []).append(
                    _("The board title must not show %(what)s.") % {"what": "、".join(leaks)}
                )
    raise_if(errors)
    with transaction.atomic():
        wish = _wish_for(actor, wish_id, lock=True)
        _stale(wish, version)
        _state(wish, WishState.COLLECTED)
        if publish:
            wish.state, wish.public_title, wish.plan = WishState.PUBLISHED, public_title, plan
            wish.target_on, wish.published_at = target, timezone.now()
        else:
            wish.state = WishState.REJECTED
        wish.review_note = note
        wish.version += 1
        wish.save()
        audit_record(
            actor=actor, action="care.wish_review", obj=wish,
            changes={"state": wish.state, "target_on": str(wish.target_on or "")},
        )  # fmt: skip
    return wish


def wish_to_case(*, actor, wish_id, category_id, version=None) -> Wish:
    """A wish that is really a problem for the loop (a broken heating pipe) becomes a
    case reported for the resident; the wish leaves the board and points to the case."""
    wish = _wish_for(actor, wish_id)
    _state(wish, WishState.COLLECTED, WishState.PUBLISHED)
    with transaction.atomic():
        wish = _wish_for(actor, wish_id, lock=True)
        _stale(wish, version)
        _state(wish, WishState.COLLECTED, WishState.PUBLISHED)
        resident = wish.resident
        building = resident.household.building if resident.household_id else None
        case, _created = case_services.case_report(
            actor=actor,
            category_id=category_id,
            description=wish.text,
            grid_id=resident.grid_id,
            building_id=getattr(building, "pk", None),
            address=getattr(building, "address", "") or "",
            reporter_resident_id=resident.pk,
            via=Channel.VISIT if wish.source == WishSource.VISIT else None,
        )
        wish.state, wish.case = WishState.CASE, case
        wish.version += 1
        wish.save()
        audit_record(
            actor=actor, action="care.wish_to_case", obj=wish, changes={"case": case.number}
        )
    return wish


def claim_hours() -> int:
    return int(getattr(settings, "CARE_WISH_CLAIM_HOURS", 72))


def _take(wish_pk, now) -> bool:
    """The conditional update that decides who claims: a wish on the board, or one whose
    claim has run out (the job may not have returned it yet). One row, one winner."""
    return bool(
        Wish.objects.filter(pk=wish_pk)
        .filter(Q(state=WishState.PUBLISHED) | Q(state=WishState.CLAIMED, claim_until__lt=now))
        .update(
            state=WishState.CLAIMED,
            claim_until=now + dt.timedelta(hours=claim_hours()),
            version=F("version") + 1,
        )
    )


def _claim(wish, *, kind, name, staff=None, sealed=None) -> WishClaim:
    now = timezone.now()
    try:
        with transaction.atomic():
            if not _take(wish.pk, now):
                raise Conflict(_("Someone has already claimed this wish."), code="already_claimed")
            WishClaim.objects.filter(wish_id=wish.pk, state=ClaimState.HELD).update(
                state=ClaimState.EXPIRED, ended_at=now
            )
            sealed = sealed or {}
            claim = WishClaim.objects.create(
                wish_id=wish.pk, kind=kind, name=name, staff=staff, claimed_at=now,
                until=now + dt.timedelta(hours=claim_hours()),
                phone_hash=sealed.get("hash", ""), phone_enc=sealed.get("enc", ""),
                phone_masked=sealed.get("masked", ""),
            )  # fmt: skip
            audit_record(
                actor=staff, action="care.wish_claim", obj=wish,
                changes={"by": kind, "name": name, "until": claim.until.isoformat()},
            )  # fmt: skip
            _tell_resident(wish, _("someone has claimed your micro-wish “%(wish)s”."))
    except IntegrityError:
        # The partial unique index (one held claim a wish) caught a race the update
        # did not (it cannot, but the index is the last word).
        raise Conflict(
            _("Someone has already claimed this wish."), code="already_claimed"
        ) from None
    return claim


def wish_claim_by_volunteer(*, held: dict, wish_id, name: str) -> WishClaim:
    """A volunteer claims a wish from the board. Volunteers are not registered yet: a
    volunteer is a resident with a verified phone (/my/); they give the name the
    community may call them by."""
    errors: dict[str, list[str]] = {}
    name = clean_text(name, 50, "name", errors, required=True)
    raise_if(errors)
    wish = Wish.objects.filter(pk=parse_id(wish_id)).first()
    if wish is None or wish.state not in (WishState.PUBLISHED, WishState.CLAIMED):
        raise NotFound(_("The wish is not on the board."))
    if Resident.objects.filter(pk=wish.resident_id, phone_hash=held.get("hash")).exists():
        raise Conflict(_("A wish is for someone else to claim."), code="own_wish")
    return _claim(wish, kind=ClaimerKind.RESIDENT, name=name, sealed=held)


def wish_claim_for_partner(*, actor, wish_id, partner: str) -> WishClaim:
    """Staff claim a wish on a partner's behalf (社区合伙人, 共建单位: partners are not
    registered yet; their name is kept)."""
    wish = _wish_for(actor, wish_id)
    errors: dict[str, list[str]] = {}
    partner = clean_text(partner, 50, "partner", errors, required=True)
    raise_if(errors)
    if wish.state not in (WishState.PUBLISHED, WishState.CLAIMED):
        raise Conflict(_("The wish is not on the board."), code="wrong_state")
    return _claim(wish, kind=ClaimerKind.PARTNER, name=partner, staff=actor)


def claims_expire(*, now=None) -> int:
    """Return the wishes whose claim ran out to the board (the job, every 10 minutes)."""
    now = now or timezone.now()
    returned = 0
    for pk in Wish.objects.filter(state=WishState.CLAIMED, claim_until__lt=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            done = Wish.objects.filter(pk=pk, state=WishState.CLAIMED, claim_until__lt=now).update(
                state=WishState.PUBLISHED, claim_until=None, version=F("version") + 1
            )
            if done:
                WishClaim.objects.filter(wish_id=pk, state=ClaimState.HELD).update(
                    state=ClaimState.EXPIRED, ended_at=now
                )
                audit_record(
                    actor=None, action="care.claim_expire", object_type="care.wish",
                    object_id=str(pk), object_repr=str(pk),
                )  # fmt: skip
                returned += done
    return returned


def _held_claim(wish_pk, now) -> WishClaim | None:
    return WishClaim.objects.filter(wish_id=wish_pk, state=ClaimState.HELD, until__gte=now).first()


def wish_fulfil(*, wish_id, photos, actor=None, held: dict | None = None, note: str = "") -> Wish:
    """实现: the claimer (by the verified phone that claimed it, or the staff who claimed for
    a partner, or staff of the area) brings the wish, with a photo. No claim, no
    fulfilment. The resident then confirms (wish_confirm)."""
    now = timezone.now()
    wish = Wish.objects.filter(pk=parse_id(wish_id)).first()
    if wish is None:
        raise NotFound(_("The wish does not exist or is outside your area."))
    claim = _held_claim(wish.pk, now)
    if held is not None:
        if claim is None or claim.phone_hash != held.get("hash"):
            raise NotFound(_("The wish does not exist or is outside your area."))
    else:
        wish = _wish_for(actor, wish_id)
    if wish.state != WishState.CLAIMED or claim is None:
        raise Conflict(_("A wish is fulfilled only by the one who claimed it."), code="not_claimed")
    errors: dict[str, list[str]] = {}
    note = clean_text(note, 200, "note", errors)
    raise_if(errors)
    cleaned = _photos(photos)
    if not cleaned:
        raise Invalid(
            _("Add a photo of the fulfilled wish."),
            details={"photos": [_("Add a photo of the fulfilled wish.")]},
        )
    with transaction.atomic():
        done = Wish.objects.filter(pk=wish.pk, state=WishState.CLAIMED).update(
            state=WishState.FULFILLED, fulfilled_at=now, version=F("version") + 1
        )
        if not done:
            raise Conflict(
                _("A wish is fulfilled only by the one who claimed it."), code="not_claimed"
            )
        WishClaim.objects.filter(pk=claim.pk).update(state=ClaimState.FULFILLED, ended_at=now)
        _save_photos(cleaned, now, wish=wish)
        audit_record(
            actor=actor, action="care.wish_fulfil", obj=wish,
            changes={"claim": claim.pk, "photos": len(cleaned), "note": note},
        )  # fmt: skip
        _tell_resident(wish, _("your micro-wish “%(wish)s” has been fulfilled. Please confirm."))
    wish.refresh_from_db()
    return wish


def _points_for_the_claimer(wish: Wish, actor):
    """绿币 for the volunteer who made the wish come true, when the resident confirms it:
    once a wish (the points bank's source key), to the registry resident with the
    claimer's verified phone; a partner's claim earns no resident's points, nor does a
    phone the registry does not know (no passbook to pay into)."""
    from gongzhi.points.models import RuleKind
    from gongzhi.points.services import points_award

    claim = wish.claims.filter(state=ClaimState.FULFILLED).order_by("-claimed_at").first()
    if claim is None or claim.kind != ClaimerKind.RESIDENT or not claim.phone_hash:
        return None
    volunteer = (
        Resident.objects.filter(phone_hash=claim.phone_hash, is_active=True).order_by("pk").first()
    )
    if volunteer is None:
        return None
    return points_award(
        source="care.wish", key=str(wish.pk), kind=RuleKind.WISH_FULFILLED,
        resident=volunteer, actor=actor, note=wish.public_title,  # never the private text
    )  # fmt: skip


def followup_days() -> int:
    return int(getattr(settings, "CARE_WISH_FOLLOWUP_DAYS", 30))


def wish_confirm(*, wish_id, actor=None, held: dict | None = None, how: str = "") -> Wish:
    """The resident confirms the wish came true: in /my/ by their verified phone, or
    staff record the confirmation (on a visit, by phone). The follow-up (回头看) is
    scheduled CARE_WISH_FOLLOWUP_DAYS later."""
    now = timezone.now()
    if held is not None:
        wish = Wish.objects.filter(pk=parse_id(wish_id), resident__phone_hash=held["hash"]).first()
        if wish is None:
            raise NotFound(_("The wish does not exist or is outside your area."))
        how = "resident"
    else:
        wish = _wish_for(actor, wish_id)
        how = how if how in ("visit", "phone") else "phone"
    with transaction.atomic():
        done = Wish.objects.filter(pk=wish.pk, state=WishState.FULFILLED).update(
            state=WishState.CONFIRMED, confirmed_at=now, confirmed_how=how,
            followup_on=timezone.localdate() + dt.timedelta(days=followup_days()),
            version=F("version") + 1,
        )  # fmt: skip
        if not done:
            raise Conflict(_("The wish is not awaiting confirmation."), code="wrong_state")
        audit_record(actor=actor, action="care.wish_confirm", obj=wish, changes={"how": how})
        _points_for_the_claimer(wish, actor)
    wish.refresh_from_db()
    return wish


def wish_follow_up(*, actor, wish_id, note: str) -> Wish:
    """回头看: the community goes back after a fulfilled wish and notes how it is."""
    wish = _wish_for(actor, wish_id)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, 200, "note", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        done = Wish.objects.filter(
            pk=wish.pk, state=WishState.CONFIRMED, followed_up_at__isnull=True
        ).update(followed_up_at=timezone.now(), followup_note=note, version=F("version") + 1)
        if not done:
            raise Conflict(_("The wish has no follow-up to record."), code="wrong_state")
        audit_record(actor=actor, action="care.wish_follow_up", obj=wish, changes={"note": note})
    wish.refresh_from_db()
    return wish


# -- notifications -----------------------------------------------------------------------


def _sms(phone: str, text: str) -> None:
    from gongzhi.notifications import sms

    if phone:
        transaction.on_commit(
            lambda: sms.get_backend().send(phone=phone, text="【共治】" + mask_personal_text(text))
        )


def _tell_resident(wish: Wish, template: str) -> None:
    """A text message to the resident whose wish it is, once the change is committed."""
    resident = Resident.objects.filter(pk=wish.resident_id).first()
    phone = pii.open_phone(resident) if resident else ""
    title = wish.public_title or wish.text[:20]
    _sms(phone, _("Hello, ") + template % {"wish": title})


def remind_due_visits(*, today: dt.date | None = None) -> int:
    """Tell each grid worker how many visits they have due this week and overdue (the
    daily job): one inbox row a worker a day (deduplicated by day)."""
    from gongzhi.cases.recipients import users_at
    from gongzhi.core.roles import Role
    from gongzhi.notifications.services import notify

    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=7)
    rows = ScheduledVisit.objects.filter(
        state=ScheduledState.OPEN, window_start__lte=today, due_on__lte=soon
    ).values_list("org_code", "overdue_on")
    by_grid: dict[str, list[int]] = {}
    for code, overdue_on in rows:
        grid = code[: CODE_LENGTH[Level.GRID]]
        counts = by_grid.setdefault(grid, [0, 0])
        counts[0] += 1
        counts[1] += overdue_on < today
    sent = 0
    with transaction.atomic():
        for grid, (due, overdue) in sorted(by_grid.items()):
            workers = users_at([grid], [Role.GRID_WORKER])
            if not workers:
                continue
            sent += notify(
                recipients=workers, kind="care.visits_due",
                title=_("%(due)d visits due, %(overdue)d overdue")
                % {"due": due, "overdue": overdue},
                link="/care/", dedupe_key=f"care.due:{grid}:{today}",
            )  # fmt: skip
    return sent


def remind_claimers(*, today: dt.date | None = None) -> int:
    """A text message to each claimer whose wish's target date is tomorrow (or today),
    once a claim (the job runs hourly; the claim row remembers it was told)."""
    today = today or timezone.localdate()
    sent = 0
    claims = WishClaim.objects.filter(
        state=ClaimState.HELD, wish__target_on__lte=today + dt.timedelta(days=1),
        wish__target_on__gte=today, reminded_at__isnull=True,
    ).select_related("wish", "staff")  # fmt: skip
    for claim in claims:
        with transaction.atomic():
            if not WishClaim.objects.filter(pk=claim.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            text = _("The micro-wish “%(wish)s” you claimed is due on %(day)s.") % {
                "wish": claim.wish.public_title, "day": f"{claim.wish.target_on:%m-%d}",
            }  # fmt: skip
            if claim.phone_enc:
                _sms(crypto.decrypt(claim.phone_enc, purpose=pii.PHONE_PURPOSE), text)
            elif claim.staff_id:
                from gongzhi.notifications.services import notify

                notify(
                    recipients=[claim.staff], kind="care.claim_due", title=text,
                    link=f"/care/wishes/{claim.wish_id}/", dedupe_key=f"care.claim:{claim.pk}",
                )  # fmt: skip
            sent += 1
    return sent
