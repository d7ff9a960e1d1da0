"""Every write of disputes: the register (through the case loop's intake), mediators and
their assignment, sessions, agreements, the outcome, follow-ups, screening reports and the
audited reads of party data.

The moves on the dispute's case (a session, an agreement drafted or signed, the outcome)
go through `cases.services.transition`: the case's row lock, the state table (only while
the case is in progress), the permission (the assigned mediator handles it), the timeline
row and the audit row. What they record of their own (minutes, terms, photos) is written
by their `change` under that lock; the timeline shows none of it.
"""

import datetime as dt
import hashlib
import json
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from gongzhi.cases import services as cases
from gongzhi.cases.models import Case, Category, Channel
from gongzhi.core import crypto, images
from gongzhi.core.audit import audit_record
from gongzhi.core.dates import parse_moment
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.permissions import can
from gongzhi.core.roles import Level, Perm
from gongzhi.disputes import perms, seed, selectors
from gongzhi.disputes.models import (
    Agreement,
    Dispute,
    DisputeType,
    FollowUp,
    MediationSession,
    Mediator,
    MediatorKind,
    Outcome,
    Party,
    Performance,
    Referral,
    Risk,
    ScreeningReport,
    ScreeningRevision,
    SessionMode,
    Source,
)
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Resident
from gongzhi.registry.validation import FieldError, clean_id_number, clean_phone

ACCOUNT_PURPOSE = "dispute.account"
MINUTES_PURPOSE = "dispute.minutes"
MIN_PARTIES, MAX_PARTIES = 2, 20
FOLLOW_UP_DAYS = (30, 90)  # 履行回访 after signing: a month, then a quarter
# The source a dispute came from, as the loop's channel.
CHANNEL_OF = {
    Source.SCREENING: Channel.VISIT,
    Source.VISIT: Channel.WALK_IN,
    Source.HOTLINE: Channel.HOTLINE,
    Source.POLICE: Channel.PHONE,
    Source.PETITION: Channel.OTHER,
    Source.GRID_WORKER: Channel.GRID_WORKER,
}
# Outcomes that conclude a mediation (调解成功率's denominator); withdrawn does not.
CONCLUDING = (Outcome.SETTLED, Outcome.FAILED, Outcome.REFERRED)


def _text(value, limit: int, name: str, errors, *, required=False) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if value not in (None, "") and not isinstance(value, str):
        errors.setdefault(name, []).append(_("Give this as text."))
    elif required and not text:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(text) > limit:
        errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})
    elif "\x00" in text:
        errors.setdefault(name, []).append(_("The text holds a character that is not allowed."))
    return text


def _choice(value, choices, name: str, errors) -> str:
    if value not in dict(choices):
        errors.setdefault(name, []).append(_("Choose one of the options."))
        return ""
    return value


def seal(text: str, purpose: str) -> str:
    return crypto.encrypt(text, purpose=purpose) if text else ""


def unseal(token: str, purpose: str) -> str:
    return crypto.decrypt(token, purpose=purpose) if token else ""


# -- the register -----------------------------------------------------------------------


def clean_parties(actor, parties, errors) -> list[dict]:
    """The parties as rows to store: each a registry resident the actor may see, or a name
    with a phone and a 身份证号 (either may be missing, not both); two or more; each once."""
    if not isinstance(parties, list | tuple) or not MIN_PARTIES <= len(parties) <= MAX_PARTIES:
        errors.setdefault("parties", []).append(
            _("A dispute has at least two parties (at most %(n)d).") % {"n": MAX_PARTIES}
        )
        return []
    rows, seen = [], set()
    for i, given in enumerate(parties):
        name_key = f"parties.{i}"
        if not isinstance(given, dict):
            errors.setdefault(name_key, []).append(_("Give each party as an object."))
            continue
        resident_id = given.get("resident_id")
        if resident_id not in (None, ""):
            try:
                resident = Resident.objects.get(pk=int(resident_id))
            except (Resident.DoesNotExist, TypeError, ValueError, OverflowError):
                resident = None
            if resident is None or not can(actor, Perm.REGISTRY_VIEW, resident):
                errors.setdefault(f"{name_key}.resident_id", []).append(
                    _("The resident does not exist or is outside your area.")
                )
                continue
            key = ("resident", resident.pk)
            row = {
                "resident": resident,
                "name": resident.name,
                "phone_enc": resident.phone_enc,
                "phone_hash": resident.phone_hash,
                "phone_masked": resident.phone_masked,
                "id_number_enc": resident.id_number_enc,
                "id_number_hash": resident.id_number_hash,
                "id_number_masked": resident.id_number_masked,
            }
        else:
            name = _text(given.get("name"), 50, f"{name_key}.name", errors, required=True)
            phone = id_number = ""
            try:
                phone = clean_phone(given.get("phone") or "")
            except FieldError as exc:
                errors.setdefault(f"{name_key}.phone", []).append(str(exc))
            try:
                raw = given.get("id_number") or ""
                id_number = clean_id_number(raw)[0] if raw else ""
            except FieldError as exc:
                errors.setdefault(f"{name_key}.id_number", []).append(str(exc))
            if not name:
                continue
            if not phone and not id_number and not errors.get(f"{name_key}.phone"):
                errors.setdefault(f"{name_key}.phone", []).append(
                    _("Give the party's phone or ID number.")
                )
                continue
            row = {"resident": None, "name": name, **pii.seal_phone(phone)}
            row.update(pii.seal_id_number(id_number))
            key = ("id", row["id_number_hash"]) if id_number else ("phone", row["phone_hash"])
        same_person = {key}
        if row["id_number_hash"]:
            same_person.add(("id", row["id_number_hash"]))
        if seen & same_person:
            errors.setdefault(name_key, []).append(_("This party is already in the dispute."))
            continue
        seen |= same_person
        rows.append(row)
    return rows


def _fingerprint(fields: dict) -> str:
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def dispute_register(
    *,
    actor,
    grid_id,
    type_id,
    source: str,
    risk: str,
    summary: str,
    account: str = "",
    parties,
    place: str = "",
    source_ref: str = "",
    idempotency_key: str | None = None,
    lng=None,
    lat=None,
):
    """登记: a dispute becomes a case of kind "dispute" through intake (one transaction:
    the case, the dispute, its parties, the audit row). A retried request with the same
    Idempotency-Key returns the first one's case. Returns (case, created)."""
    from gongzhi.disputes.kind import CODE, DisputeDetails

    errors: dict[str, list[str]] = {}
    source = _choice(source, Source.choices, "source", errors)
    risk = _choice(risk, Risk.choices, "risk", errors)
    summary = _text(summary, 200, "summary", errors, required=True)
    account = _text(account, 4000, "account", errors)
    place = _text(place, 100, "place", errors)
    source_ref = _reference(source_ref, source, errors)
    dispute_type = None
    try:
        dispute_type = DisputeType.objects.get(pk=int(type_id), is_active=True)
    except (DisputeType.DoesNotExist, TypeError, ValueError, OverflowError):
        errors.setdefault("type_id", []).append(_("Choose one of the options."))
    grid = _report_grid(actor, grid_id, errors)
    rows = clean_parties(actor, parties, errors)
    raise_if(errors)
    category = seed.ensure(Category, DisputeType)
    details = DisputeDetails(
        type_id=dispute_type.pk,
        source=source,
        risk=risk,
        summary=summary,
        place=place,
        source_ref=source_ref,
        account_enc=seal(account, ACCOUNT_PURPOSE),
        parties=rows,
    )
    fingerprint = _fingerprint(
        {"grid": grid.pk, "type": dispute_type.pk, "source": source, "risk": risk,
         "summary": summary, "account": account, "place": place, "ref": source_ref,
         "parties": [(r["name"], r["phone_hash"], r["id_number_hash"]) for r in rows]}
    )  # fmt: skip
    return cases.case_report(
        actor=actor,
        category_id=category.pk,
        title=_("Dispute: %(type)s") % {"type": dispute_type.name},
        description=summary,
        grid_id=grid.pk,
        lng=lng,
        lat=lat,
        address=place,
        urgency="urgent" if risk == Risk.MAJOR else "normal",
        kind=CODE,
        details=details,
        via=CHANNEL_OF[source],
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        also=lambda case: escalate_by_risk(case, risk, dispute_type.name),
    )


# Who is told of a dispute by its risk (the levels of Risk): 较大 — the subdistrict's
# operators and leaders, who follow it; 重大 — they lead it, and the district's are told.
RISK_TOLD = {
    Risk.SERIOUS: (Level.SUBDISTRICT,),
    Risk.MAJOR: (Level.SUBDISTRICT, Level.DISTRICT),
}


def escalate_by_risk(case: Case, risk: str, type_name: str) -> int:
    """In the registration's transaction: tell the levels above the dispute of a serious
    or major one — its type, place and risk, never a party or the account. Operators get
    the dispute's page; leaders (figures only) the inbox line."""
    from gongzhi.cases.recipients import users_at
    from gongzhi.core.roles import CODE_LENGTH, Role
    from gongzhi.notifications.services import notify

    levels = RISK_TOLD.get(risk)
    if not levels:
        return 0
    codes = [case.org_code[: CODE_LENGTH[level]] for level in levels]
    place = OrgUnit.objects.filter(code=case.org_code).values_list("name", flat=True).first()
    title = _("%(risk)s dispute registered: %(type)s (%(place)s)") % {
        "risk": Risk(risk).label,
        "type": type_name,
        "place": place or case.org_code,
    }
    told = 0
    for roles, link in (
        ([Role.OPERATOR], f"/disputes/{case.pk}/"),
        ([Role.LEADER], ""),
    ):
        told += notify(
            recipients=users_at(codes, roles),
            kind="disputes.risk",
            title=title,
            body=_("Case %(number)s, registered %(at)s.")
            % {
                "number": case.number,
                "at": timezone.localtime(case.reported_at).strftime("%Y-%m-%d %H:%M"),
            },
            link=link,
            dedupe_key=f"disputes.risk:{case.pk}",
        )
    return told


# The offices a dispute comes from with a number of their own (访调对接, 110 联动, 12345).
REFERENCED_SOURCES = (Source.PETITION, Source.POLICE, Source.HOTLINE)
REFERENCE = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-_/]{0,39}")


def _reference(value, source: str, errors) -> str:
    """The other office's number (信访件号, 警情号, 12345 工单号): letters, digits and - _ /,
    40 at most, and only for a dispute that came from such an office."""
    ref = _text(value, 40, "source_ref", errors)
    if not ref:
        return ""
    if source and source not in REFERENCED_SOURCES:
        message = _("Only a dispute from the petition office, 110 or 12345 has their number.")
        errors.setdefault("source_ref", []).append(message)
    elif not REFERENCE.fullmatch(ref):
        errors.setdefault("source_ref", []).append(
            _("Give the number as letters, digits, - _ or /.")
        )
    return ref


def _report_grid(actor, grid_id, errors):
    try:
        grid = OrgUnit.objects.get(pk=int(grid_id), level__in=(Level.GRID, Level.MICROGRID))
    except (OrgUnit.DoesNotExist, TypeError, ValueError, OverflowError):
        grid = None
    if grid is None or not can(actor, perms.REPORT, grid):
        if grid is None and grid_id in (None, ""):
            errors.setdefault("grid_id", []).append(_("Choose the grid."))
            return None
        raise NotFound(_("The unit does not exist or is outside your area."))
    return grid


def create_details(*, case, details, actor):
    """In intake's transaction, after the case row: the dispute and its parties."""
    dispute = Dispute.objects.create(
        case=case,
        org_code=case.org_code,
        registered_at=case.reported_at,
        type_id=details.type_id,
        source=details.source,
        risk=details.risk,
        summary=case.description[:200],
        place=details.place,
        source_ref=details.source_ref,
        account_enc=details.account_enc,
    )
    Party.objects.bulk_create(
        Party(dispute=dispute, seq=i + 1, **row) for i, row in enumerate(details.parties)
    )
    audit_record(
        actor=actor,
        action="disputes.register",
        obj=dispute,
        changes={"parties": len(details.parties), "risk": details.risk},
    )


# -- reads of party data (audited) ------------------------------------------------------


def dispute_read(*, actor, dispute_id) -> Dispute:
    """The dispute with its confidential part, for those allowed; the read is audited."""
    dispute = selectors.dispute_for(actor, dispute_id)
    audit_record(actor=actor, action="disputes.read", obj=dispute)
    return dispute


def account_of(dispute: Dispute) -> str:
    return unseal(dispute.account_enc, ACCOUNT_PURPOSE)


def minutes_of(session: MediationSession) -> str:
    return unseal(session.minutes_enc, MINUTES_PURPOSE)


def party_reveal(*, actor, party_id, field: str) -> str:
    """One party's phone or 身份证号 in full; audited with the masked value only."""
    party = selectors.party_for(actor, party_id)
    if field == "phone":
        value = pii.open_phone(party)
    elif field == "id_number":
        value = pii.open_id_number(party)
    else:
        raise Invalid(_("Unknown field."), details={"field": [field]})
    audit_record(
        actor=actor,
        action="disputes.party_revealed",
        obj=party,
        object_repr=party.dispute.case.number,
        changes={"field": field, "masked": getattr(party, f"{field}_masked", "")},
    )
    return value


# -- mediators and their assignment -----------------------------------------------------


def mediator_add(*, actor, user_id, unit_id, kind: str, team: str = "", resident_id=None):
    """A person joins the roster of mediators of a unit (MANAGE over it)."""
    from gongzhi.accounts.models import User

    errors: dict[str, list[str]] = {}
    kind = _choice(kind, MediatorKind.choices, "kind", errors)
    team = _text(team, 30, "team", errors)
    try:
        user = User.objects.get(pk=int(user_id), is_active=True)
    except (User.DoesNotExist, TypeError, ValueError, OverflowError):
        user = None
        errors.setdefault("user_id", []).append(_("Choose one of the options."))
    try:
        unit = OrgUnit.objects.get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError, OverflowError):
        unit = None
    if unit is None or not can(actor, perms.MANAGE, unit):
        raise NotFound(_("The unit does not exist or is outside your area."))
    resident = None
    if resident_id not in (None, ""):
        resident = Resident.objects.filter(pk=resident_id).first()
        if resident is None or not can(actor, Perm.REGISTRY_VIEW, resident):
            raise NotFound(_("The resident does not exist or is outside your area."))
    raise_if(errors)
    with transaction.atomic():
        mediator, _created = Mediator.objects.update_or_create(
            user=user,
            defaults={
                "org_unit": unit,
                "org_code": unit.code,
                "kind": kind,
                "team": team,
                "resident": resident,
                "id_number_hash": resident.id_number_hash or "" if resident else "",
                "is_active": True,
            },
        )
        audit_record(
            actor=actor,
            action="disputes.mediator_save",
            obj=mediator,
            changes={"unit": unit.code, "kind": kind, "team": team},
        )
    return mediator


def is_party(mediator: Mediator, dispute: Dispute) -> bool:
    """A mediator who is a party, or of a party's household, may not mediate."""
    for party in dispute.parties.select_related("resident"):
        if mediator.resident_id and party.resident_id == mediator.resident_id:
            return True
        if mediator.id_number_hash and party.id_number_hash == mediator.id_number_hash:
            return True
        if (
            mediator.resident_id
            and party.resident_id
            and party.resident.household_id
            and party.resident.household_id == mediator.resident.household_id
        ):
            return True
    return False


def may_mediate(user, case) -> bool:
    """CaseKind.assignable: an active mediator of the dispute's subdistrict, not a party."""
    mediator = (
        Mediator.objects.select_related("user", "resident")
        .filter(user=user, is_active=True)
        .first()
    )
    if mediator is None:
        return False
    dispute = Dispute.objects.filter(case=case).first()
    if dispute is None or not _serves(mediator, dispute):
        return False
    return not is_party(mediator, dispute)


def _serves(mediator: Mediator, dispute: Dispute) -> bool:
    # A mediator serves their unit's subdistrict (or the whole area above it): the
    # subdistrict calls in a community's 智囊团 for a dispute next door.
    reach = mediator.org_code[:9] if len(mediator.org_code) > 9 else mediator.org_code
    return dispute.org_code.startswith(reach)


def mediator_assign(*, actor, dispute_id, mediator_id, version=None, note: str = ""):
    """指派调解员: refused (400 mediator_is_party) for a party or a party's household;
    the case is dispatched to the mediator's person through the loop."""
    dispute = selectors.dispute_for(actor, dispute_id)
    if not can(actor, perms.MANAGE, dispute):
        raise PermissionDenied(_("You may not assign mediators here."))
    mediator = (
        Mediator.objects.select_related("user", "resident")
        .filter(pk=mediator_id if isinstance(mediator_id, int) else -1, is_active=True)
        .first()
    )
    if mediator is None or not _serves(mediator, dispute):
        raise NotFound(_("The mediator does not exist or does not serve this area."))
    if is_party(mediator, dispute):
        message = _(
            "A party to the dispute, or a member of a party's household, may not mediate it."
        )
        raise Invalid(message, code="mediator_is_party", details={"mediator_id": [message]})
    return cases.case_dispatch(
        actor=actor, case_id=dispute.pk, version=version, user_id=mediator.user_id, note=note
    )


# -- sessions, agreements, the outcome (moves on the case) ----------------------------


SESSION = "mediation_session"
DRAFT = "agreement_draft"
SIGN = "agreement_sign"
CONCLUDE = "mediation_conclude"


ROOM_PURPOSE = "disputes.session"


def session_room_book(*, actor, dispute_id, room_id, starts_at, ends_at):
    """Book a room (the community's 调解室) for a coming session, through the one booking
    service (sharing.services.book_room): the dispute's staff or its mediator; the room's
    hours and every other booking hold. The booking's title names no party. The same
    dispute and start again returns the first booking (its key)."""
    from gongzhi.sharing.services import book_room

    dispute = selectors.dispute_for(actor, dispute_id)
    if not (can(actor, perms.MANAGE, dispute) or dispute.case.assignee_user_id == actor.pk):
        raise PermissionDenied(_("You may not do this."))
    starts = parse_moment(
        starts_at if isinstance(starts_at, str) else starts_at.isoformat(), "starts_at"
    )
    ends = parse_moment(ends_at if isinstance(ends_at, str) else ends_at.isoformat(), "ends_at")
    if starts is None or ends is None:
        raise Invalid(
            _("This field is required."), details={"starts_at": [_("This field is required.")]}
        )
    return book_room(
        actor=actor, room_id=room_id, starts_at=starts, ends_at=ends, title=_("Mediation"),
        purpose=ROOM_PURPOSE, purpose_key=f"{dispute.pk}:{starts:%Y%m%d%H%M}",
        within=dispute.case.org_code[:12],
    )  # fmt: skip


def session_room_bookings(dispute):
    """The rooms booked for the dispute's sessions."""
    from gongzhi.sharing.models import Booking

    return Booking.objects.filter(
        purpose=ROOM_PURPOSE, purpose_key__startswith=f"{dispute.pk}:"
    ).select_related("room").order_by("starts_at")  # fmt: skip


def session_rooms(dispute):
    """The rooms of the dispute's community that a session may book (调解室 first)."""
    from gongzhi.sharing.models import Room

    rooms = Room.objects.filter(org_code__within=dispute.case.org_code[:12], is_active=True)
    return sorted(rooms, key=lambda r: ("调解" not in r.name, r.name))


def session_record(
    *, actor, dispute_id, mode: str, party_id=None, held_at, place: str = "", attendees: str,
    minutes: str, next_step: str = "", booking_id=None,
) -> MediationSession:  # fmt: skip
    """A mediation session (调解笔录): 背对背 with one party, or 面对面 together; by the
    assigned mediator while the case is in progress. Not in the future. Held in a room
    booked for the dispute (`booking_id`: its place is the room's name unless given), or
    at a place given as text."""
    dispute = selectors.dispute_for(actor, dispute_id)
    errors: dict[str, list[str]] = {}
    booking = None
    if booking_id is not None:
        booking = (
            session_room_bookings(dispute)
            .filter(pk=booking_id if isinstance(booking_id, int) else -1)
            .first()
        )
        if booking is None:
            errors.setdefault("booking_id", []).append(_("Choose a room booked for this dispute."))
        elif not str(place or "").strip():
            place = booking.room.name
    mode = _choice(mode, SessionMode.choices, "mode", errors)
    place = _text(place, 100, "place", errors, required=True)
    attendees = _text(attendees, 200, "attendees", errors, required=True)
    minutes = _text(minutes, 8000, "minutes", errors, required=True)
    next_step = _text(next_step, 200, "next_step", errors)
    moment = None
    try:
        moment = parse_moment(held_at if isinstance(held_at, str) else "", "held_at")
        if moment is None:
            errors.setdefault("held_at", []).append(_("This field is required."))
        elif moment > timezone.now() + dt.timedelta(minutes=5):
            errors.setdefault("held_at", []).append(_("A session cannot be in the future."))
    except Invalid as exc:
        errors.update(exc.details or {})
    party = None
    if mode == SessionMode.SEPARATE:
        party = dispute.parties.filter(pk=party_id if isinstance(party_id, int) else -1).first()
        if party is None:
            errors.setdefault("party_id", []).append(_("A back-to-back session is with one party."))
    raise_if(errors)
    made = {}

    def change(case, now):
        made["session"] = MediationSession.objects.create(
            dispute=dispute, mode=mode, party=party, held_at=moment, place=place, booking=booking,
            attendees=attendees, minutes_enc=seal(minutes, MINUTES_PURPOSE),
            next_step=next_step, recorded_by=actor,
        )  # fmt: skip
        return {"mode": mode, "held_at": moment.isoformat()}

    cases.transition(actor, dispute.pk, SESSION, change=change)
    return made["session"]


def agreement_save(*, actor, dispute_id, terms: str, agreement_id=None) -> Agreement:
    """起草 / 修改 the draft 调解协议书. A signed one is never changed (409
    agreement_signed): drafting again makes the next version."""
    dispute = selectors.dispute_for(actor, dispute_id)
    errors: dict[str, list[str]] = {}
    terms = _text(terms, 4000, "terms", errors, required=True)
    raise_if(errors)
    made = {}

    def change(case, now):
        if agreement_id is not None:
            target = dispute.agreements.select_for_update().filter(pk=agreement_id).first()
            if target is None:
                raise NotFound(_("The agreement does not exist."))
            if target.signed_at is not None:
                raise Conflict(
                    _("A signed agreement cannot be changed: draft a new version."),
                    code="agreement_signed",
                )
        else:
            target = dispute.agreements.select_for_update().filter(signed_at__isnull=True).first()
        if target is None:
            last = dispute.agreements.order_by("-version").values_list("version", flat=True)
            target = Agreement(
                dispute=dispute, version=(last.first() or 0) + 1, drafted_by=actor, drafted_at=now
            )
        target.terms = terms
        target.drafted_by = actor
        target.drafted_at = now
        target.save()
        made["agreement"] = target
        return {"version": target.version}

    cases.transition(actor, dispute.pk, DRAFT, change=change)
    return made["agreement"]


def agreement_sign(*, actor, agreement_id, photo) -> Agreement:
    """签署: the parties signed the paper; its photo is kept. Once only (409
    already_signed): from then on the agreement is immutable."""
    agreement = selectors.agreement_for(actor, agreement_id)
    if photo is None:
        message = _("Add the photo of the signed agreement.")
        raise Invalid(message, details={"photo": [message]})
    image = images.clean_image(photo)
    signed = {}

    def change(case, now):
        row = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if row.signed_at is not None:
            raise Conflict(_("This agreement is already signed."), code="already_signed")
        name = get_random_string(16).lower()
        row.photo.save(f"{name}.{image.extension}", ContentFile(image.data), save=False)
        row.photo_type = image.content_type
        row.signed_at = now
        row.signed_by = actor
        row.save()
        signed["agreement"] = row
        return {"version": row.version}

    cases.transition(actor, agreement.dispute_id, SIGN, change=change)
    return signed["agreement"]


def signed_agreement(dispute) -> Agreement | None:
    return dispute.agreements.filter(signed_at__isnull=False).order_by("-version").first()


def settled_needs_agreement(case, inputs) -> str | None:
    """The guard of the outcome: 调解成功 needs a signed agreement."""
    if inputs.get("outcome") != Outcome.SETTLED:
        return None
    dispute = Dispute.objects.filter(case=case).first()
    if dispute is not None and signed_agreement(dispute) is not None:
        return None
    return _("A settlement needs a signed mediation agreement.")


MAX_FOLLOW_UPS = 4
FOLLOW_UP_HORIZON = dt.timedelta(days=3 * 366)  # the latest a 履行回访 may be set


def _follow_up_dates(value, outcome: str, today: dt.date, errors) -> list[dt.date]:
    """The 履行回访 dates the mediator sets for a settlement (after today, at most four, no
    date twice); none given, a month and a quarter after (FOLLOW_UP_DAYS)."""
    dates = list(value or [])
    if not dates:
        if outcome == Outcome.SETTLED:
            return [today + dt.timedelta(days=d) for d in FOLLOW_UP_DAYS]
        return []
    if outcome != Outcome.SETTLED:
        errors.setdefault("follow_up_on", []).append(
            _("Follow-up dates are set only for a settlement.")
        )
        return []
    if not all(isinstance(d, dt.date) for d in dates):
        errors.setdefault("follow_up_on", []).append(_("Give dates as YYYY-MM-DD."))
        return []
    if len(dates) > MAX_FOLLOW_UPS or len(set(dates)) != len(dates):
        errors.setdefault("follow_up_on", []).append(
            _("Give at most %(n)d different dates.") % {"n": MAX_FOLLOW_UPS}
        )
    if any(d <= today or d > today + FOLLOW_UP_HORIZON for d in dates):
        errors.setdefault("follow_up_on", []).append(
            _("A follow-up is after today and within three years.")
        )
    return sorted(set(dates))


def mediation_conclude(
    *, actor, case_id, version=None, outcome="", referred_to="", note="", follow_up_on=None
):
    """调解结果: settled (with the signed agreement; its 履行回访 are scheduled at the dates
    given, or a month and a quarter on), failed, withdrawn or referred (to whom). The case
    is handled; the loop verifies and closes it."""
    errors: dict[str, list[str]] = {}
    outcome = _choice(outcome, Outcome.choices, "outcome", errors)
    if outcome == Outcome.REFERRED:
        referred_to = _choice(referred_to, Referral.choices, "referred_to", errors)
    else:
        referred_to = ""
    note = _text(note, 1000, "note", errors)
    follow_ups = _follow_up_dates(follow_up_on, outcome, timezone.localdate(), errors)
    raise_if(errors)

    def change(case, now):
        dispute = Dispute.objects.select_for_update().get(case=case)
        dispute.outcome = outcome
        dispute.referred_to = referred_to
        dispute.concluded_at = now
        mediator = Mediator.objects.filter(user_id=case.assignee_user_id).first()
        dispute.settled_locally = (
            outcome == Outcome.SETTLED
            and mediator is not None
            and len(mediator.org_code) >= 12
            and dispute.org_code.startswith(mediator.org_code[:12])
        )
        dispute.save()
        if outcome == Outcome.SETTLED:
            agreement = signed_agreement(dispute)
            FollowUp.objects.bulk_create(
                FollowUp(agreement=agreement, due_on=day) for day in follow_ups
            )
        case.result = str(Outcome(outcome).label) + (f"：{note}" if note else "")
        case.handled_at = now
        return {
            "outcome": outcome, "referred_to": referred_to,
            "follow_up_on": [d.isoformat() for d in follow_ups],
        }  # fmt: skip

    return cases.transition(
        actor, case_id, CONCLUDE, version=version, note=note,
        inputs={"outcome": outcome}, change=change,
    )  # fmt: skip


FOLLOW_UP = "follow_up"


def follow_up_record(*, actor, follow_up_id, performance: str, note: str = "") -> FollowUp:
    """履行回访: once a follow-up (409 already_recorded); a move on the case (handled or
    closed: the state stays) by the mediator or the staff who see the dispute — the
    service proves that right (selectors.follow_up_for), the loop locks and records."""
    errors: dict[str, list[str]] = {}
    performance = _choice(performance, Performance.choices, "performance", errors)
    note = _text(note, 500, "note", errors)
    follow_up = selectors.follow_up_for(actor, follow_up_id)
    raise_if(errors)
    case_id = follow_up.agreement.dispute_id
    done = {}

    def locate(lock_version):
        return Case.objects.select_for_update(of=("self",)).get(pk=case_id)

    def change(case, now):
        row = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if row.done_at is not None:
            raise Conflict(_("This follow-up is already recorded."), code="already_recorded")
        row.done_at = now
        row.performance = performance
        row.note = note
        row.done_by = actor
        row.save()
        done["row"] = row
        return {"performance": performance, "due_on": row.due_on.isoformat()}

    cases.transition(actor, case_id, FOLLOW_UP, change=change, locate=locate)
    return done["row"]


# -- monthly screening (月排查月上报) ------------------------------------------------


def due_day() -> int:
    return int(getattr(settings, "GONGZHI_DISPUTE_REPORT_DAY", 5))


def due_date(month: dt.date) -> dt.date:
    """A month's report is due on the configured day of the next month."""
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt.replace(day=due_day())


def screening_file(*, actor, unit_id, year: int, month: int, is_zero: bool, note: str = ""):
    """File (or amend) the unit's screening report of a month: the disputes found are
    counted from the register; a zero report is refused when the register holds some. One
    report a unit and month: a second filing is an amendment (history kept), also when
    two filings race. A future month is refused."""
    errors: dict[str, list[str]] = {}
    note = _text(note, 500, "note", errors)
    unit = OrgUnit.objects.filter(pk=unit_id, level=selectors.screening_level()).first()
    if unit is None or not can(actor, perms.SCREEN, unit):
        raise NotFound(_("The unit does not exist or is outside your area."))
    first = dt.date(year, month, 1)
    now = timezone.now()
    if first > timezone.localdate(now).replace(day=1):
        message = _("A month that has not begun cannot be reported.")
        raise Invalid(message, code="future_month", details={"month": [message]})
    raise_if(errors)
    found = selectors.found_in(unit.code, first)
    if is_zero and found:
        message = _(
            "The register holds %(n)d disputes of this unit in the month: not a zero report."
        ) % {"n": found}
        raise Invalid(message, code="not_zero", details={"is_zero": [message]})
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _file(actor, unit, first, is_zero, found, note, now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _file(actor, unit, first, is_zero, found, note, now):
    report = ScreeningReport.objects.select_for_update().filter(org_unit=unit, month=first).first()
    if report is None:
        report = ScreeningReport.objects.create(
            org_unit=unit, org_code=unit.code, month=first, is_zero=is_zero, found=found,
            note=note, first_filed_at=now, filed_at=now, filed_by=actor,
            late=timezone.localdate(now) > due_date(first), revision=1,
        )  # fmt: skip
        action = "disputes.screening_file"
    else:
        report.revision += 1
        report.is_zero, report.found, report.note = is_zero, found, note
        report.filed_at, report.filed_by = now, actor
        report.save()
        action = "disputes.screening_amend"
    ScreeningRevision.objects.create(
        report=report, revision=report.revision, is_zero=is_zero, found=found, note=note,
        filed_at=now, filed_by=actor,
    )  # fmt: skip
    audit_record(
        actor=actor, action=action, obj=report, object_repr=f"{unit.name} {first:%Y-%m}",
        changes={"zero": is_zero, "found": found, "revision": report.revision},
    )  # fmt: skip
    return report


# -- the lists ---------------------------------------------------------------------------


def type_save(*, actor, name: str, type_id=None, is_active: bool = True) -> DisputeType:
    if not can(actor, perms.TYPES):
        raise PermissionDenied(_("You may not edit the dispute types."))
    errors: dict[str, list[str]] = {}
    name = _text(name, 30, "name", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        row = DisputeType.objects.filter(pk=type_id).first() if type_id else DisputeType()
        if row is None:
            raise NotFound(_("Not found."))
        if DisputeType.objects.filter(name=name).exclude(pk=row.pk).exists():
            message = _("This name is taken.")
            raise Invalid(message, details={"name": [message]})
        row.name, row.is_active = name, is_active
        row.save()
        audit_record(actor=actor, action="disputes.type_save", obj=row, changes={"name": name})
    return row
