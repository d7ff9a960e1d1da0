"""The 12345 exchange: work orders in (webhook and xlsx), status changes out (the outbox).

An order becomes a case of kind "hotline_order", reported and registered by the system
user "hotline-gateway" through the case loop's own services, so it runs the same loop
as every other case. The gateway holds an operator position at the district the order
lies in, created the first time an order arrives there: its reach is exactly the
districts the hotline has sent us something for, and every step it takes is audited
under its name.
"""

import datetime as dt
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema

from gongzhi.accounts.models import Position, User
from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, Category, Channel, State, Urgency
from gongzhi.core import dates
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError, Invalid
from gongzhi.core.pii_text import mask_personal_text
from gongzhi.core.roles import CODE_LENGTH, Level, Role
from gongzhi.hotline import signing
from gongzhi.hotline.models import HotlineNonce, HotlineOrder, OutboundEvent, OutboundStatus
from gongzhi.orgs import locator
from gongzhi.orgs.geo import Crs
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Building
from gongzhi.registry.validation import FieldError, clean_phone

log = logging.getLogger(__name__)

KIND = "hotline_order"
GATEWAY_USERNAME = "hotline-gateway"
GATEWAY_NAME = "12345热线接口"
DEFAULT_CATEGORY_CODE = "0899"  # 民生诉求 / 其他 (hotline migration 0002)
MAX_ORDER_NO = 40
MAX_DESCRIPTION = case_services.MAX_DESCRIPTION
MAX_ATTEMPTS = 8
BACKOFF_CAP_MINUTES = 60
DELIVERY_TIMEOUT = 10
CLAIM_SECONDS = 120  # a delivery in flight is not picked up again for this long
GRID_LEVELS = (Level.GRID, Level.MICROGRID)


class Refused(DomainError):
    """A request the exchange does not accept: bad signature, stale, replayed (401)."""

    code = "bad_signature"
    status = 401


class OutOfArea(DomainError):
    code = "out_of_area"
    status = 422


# -- inbound: the signature ----------------------------------------------------------


def max_skew() -> int:
    return int(getattr(settings, "HOTLINE_MAX_SKEW_SECONDS", 300))


def signature_check(headers, body: bytes, *, now: float | None = None) -> str:
    """Refuse a request that is not signed with our secret, is too old or too new, or
    reuses a nonce; returns the nonce. Call inside the transaction that takes in the
    order: the nonce is recorded with it (a refused order leaves no nonce behind)."""
    secret = getattr(settings, "HOTLINE_SHARED_SECRET", "")
    timestamp = (headers.get(signing.TIMESTAMP_HEADER) or "").strip()
    nonce = (headers.get(signing.NONCE_HEADER) or "").strip()
    given = headers.get(signing.SIGNATURE_HEADER) or ""
    if not (timestamp and signing.valid_nonce(nonce)) or not signing.valid_signature(
        secret, timestamp, nonce, body, given
    ):
        raise Refused(_("The request is not signed correctly."), code="bad_signature")
    try:
        ts = int(timestamp)
    except ValueError:
        raise Refused(_("The timestamp is not unix seconds."), code="bad_timestamp") from None
    now = time.time() if now is None else now
    if abs(now - ts) > max_skew():
        raise Refused(
            _("The timestamp is too far from our clock; sign the request again."),
            code="stale_timestamp",
        )
    try:
        with transaction.atomic():
            HotlineNonce.objects.create(nonce=nonce)
    except IntegrityError:
        raise Refused(_("The nonce has been used already."), code="replayed_nonce") from None
    return nonce


def nonces_purge(*, now=None) -> int:
    """Nonces older than twice the skew can no longer be replayed (the timestamp check
    refuses them first)."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=2 * max_skew())
    return HotlineNonce.objects.filter(received_at__lt=cutoff).delete()[0]


# -- inbound: the order --------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    order_no: str
    title: str
    content: str
    category: str
    urgency: str
    address: str
    lng: Any
    lat: Any
    crs: str
    grid_code: str
    contact_name: str
    contact_phone: str
    deadline: dt.datetime | None
    accepted_at: dt.datetime | None


def _text(data, key, errors, *, limit=None, required=False) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors.setdefault(key, []).append(_("Must be text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.setdefault(key, []).append(_("This field is required."))
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def parse_time(value, *, end_of_day=False) -> dt.datetime | None:
    """An ISO 8601 time (a date alone: its end of day when `end_of_day`; "/" may separate
    a date's parts) within core.dates' bounds; local time when no offset is given.
    Raises ValueError."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    try:
        return dates.parse_moment(value.replace("/", "-"), "time", end_of_day=end_of_day)
    except Invalid:
        raise ValueError(value) from None


def clean_order(data) -> Order:
    """The order's fields, or Invalid (400) naming every bad one."""
    if not isinstance(data, dict):
        raise Invalid(_("The body must be a JSON object."), code="malformed")
    errors: dict[str, list[str]] = {}
    order_no = _text(data, "order_no", errors, required=True)
    if len(order_no) > MAX_ORDER_NO or not order_no.isprintable():
        errors.setdefault("order_no", []).append(
            _("At most %(n)d printable characters.") % {"n": MAX_ORDER_NO}
        )
    content = _text(data, "content", errors, limit=MAX_DESCRIPTION, required=True)
    times = {}
    for key in ("deadline", "accepted_at"):
        try:
            times[key] = parse_time(data.get(key), end_of_day=key == "deadline")
        except ValueError:
            errors.setdefault(key, []).append(_("Give a time in ISO 8601 form."))
            times[key] = None
    urgency = _text(data, "urgency", errors) or Urgency.NORMAL
    if urgency not in Urgency.values:
        errors.setdefault("urgency", []).append(_("Choose one of the options."))
    crs = _text(data, "crs", errors) or Crs.WGS84
    if crs not in Crs.values:
        errors.setdefault("crs", []).append(_("Unknown coordinate system."))
    lng, lat = data.get("lng"), data.get("lat")
    if (lng in (None, "")) != (lat in (None, "")):
        errors.setdefault("location", []).append(_("Give both longitude and latitude."))
    order = Order(
        order_no=order_no,
        title=_text(data, "title", errors, limit=100),
        content=content,
        category=_text(data, "category", errors, limit=100),
        urgency=urgency,
        address=_text(data, "address", errors, limit=200),
        lng=lng,
        lat=lat,
        crs=crs,
        grid_code=_text(data, "grid_code", errors),
        contact_name=_text(data, "contact_name", errors, limit=50),
        contact_phone=_text(data, "contact_phone", errors),
        deadline=times["deadline"],
        accepted_at=times["accepted_at"],
    )
    if errors:
        first = next(iter(errors.values()))[0]
        raise Invalid(first, code="invalid", details=errors)
    return order


def resolve_grid(order: Order) -> tuple[OrgUnit, Building | None]:
    """The grid of ours the order lies in: the grid code it names, else the point
    (through the locator), else a building whose address or name is the address."""
    grid = building = None
    if order.grid_code:
        grid = OrgUnit.objects.filter(
            code=order.grid_code, level__in=GRID_LEVELS, is_active=True
        ).first()
    elif order.lng not in (None, ""):
        errors: dict[str, list[str]] = {}
        from gongzhi.registry.services import clean_location

        lng, lat = clean_location(order.lng, order.lat, order.crs, errors)
        if errors:
            raise Invalid(next(iter(errors.values()))[0], details=errors)
        code = locator.locate(lng, lat)
        if code:
            grid = OrgUnit.objects.filter(code=code, level__in=GRID_LEVELS).first()
    if grid is None and order.address:
        building = (
            Building.objects.select_related("grid")
            .filter(Q(address=order.address) | Q(name=order.address))
            .order_by("pk")
            .first()
        )
        grid = building.grid if building else None
    if grid is None:
        raise OutOfArea(
            _("The order's location is not in an area we serve."),
            details={"location": [_("The order's location is not in an area we serve.")]},
        )
    return grid, building


def category_for(name: str) -> Category:
    """Our category for the hotline's: by code, by name, by "group/name"; else 民生诉求/其他."""
    active = Category.objects.filter(is_active=True, parent__isnull=False).order_by("sort", "code")
    name = (name or "").strip()
    if name:
        found = active.filter(Q(code=name) | Q(name=name)).first()
        if found is None:
            for sep in ("/", "-", "—", "－", "／", ">"):
                if sep in name:
                    group, _sep, child = name.rpartition(sep)
                    found = active.filter(parent__name=group.strip(), name=child.strip()).first()
                    found = found or active.filter(name=child.strip()).first()
                    break
        if found is not None:
            return found
    return active.filter(code=DEFAULT_CATEGORY_CODE).first() or active.first()


def gateway_user(district: OrgUnit) -> User:
    """The system user "hotline-gateway", an operator at `district` (made on first use)."""
    # Stored names, not interface text: the timeline shows them as the actor.
    user, created = User.objects.get_or_create(
        username=GATEWAY_USERNAME, defaults={"name": GATEWAY_NAME}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        # The system grants itself an account: audited like any user made by a person.
        audit_record(
            actor=None,
            action="accounts.user_created",
            obj=user,
            changes={"username": user.username, "by": "hotline"},
        )
    if not Position.objects.filter(
        user=user, role=Role.OPERATOR, org_unit=district, is_active=True
    ).exists():
        try:
            with transaction.atomic():
                position = Position.objects.create(
                    user=user,
                    role=Role.OPERATOR,
                    org_unit=district,
                    org_code=district.code,
                    title=GATEWAY_NAME,
                )
                audit_record(
                    actor=None,
                    action="accounts.position_created",
                    obj=position,
                    changes={"user": user.username, "role": Role.OPERATOR, "at": str(district)},
                )
        except IntegrityError:
            pass  # another order made it at the same moment
    return User.objects.get(pk=user.pk)  # fresh: no cached positions


def _district_of(grid: OrgUnit) -> OrgUnit:
    return OrgUnit.objects.get(code=grid.code[: CODE_LENGTH[Level.DISTRICT]])


_FREE_TEXT = ("title", "content", "address", "contact_name")


def _masked_payload(data: dict) -> dict:
    """The order as received, for the admin: the contact phone masked, and any phone or
    身份证号 in its free text (the case holds the text as written, sealed)."""
    payload = {
        k: mask_personal_text(v) if k in _FREE_TEXT and isinstance(v, str) else v
        for k, v in data.items()
    }
    if payload.get("contact_phone"):
        payload["contact_phone"] = pii.seal_phone(str(data["contact_phone"]))["phone_masked"]
    return payload


def _existing(order_no: str) -> Case | None:
    order = HotlineOrder.objects.select_related("case").filter(order_no=order_no).first()
    return order.case if order else None


def order_receive(data, *, source: str = "webhook") -> tuple[Case, bool]:
    """Take in one work order: (case, True) for a new one, (case, False) when the order
    number is known already (the hotline pushed it again). Raises Invalid (400) or
    OutOfArea (422); nothing is written then."""
    order = clean_order(data)
    earlier = _existing(order.order_no)
    if earlier is not None:
        return earlier, False
    grid, building = resolve_grid(order)
    gateway = gateway_user(_district_of(grid))
    category = category_for(order.category)
    try:
        phone = clean_phone(order.contact_phone)
    except FieldError:
        phone = ""
    try:
        with transaction.atomic():
            case, _created = case_services.case_report(
                actor=gateway,
                kind=KIND,
                via=Channel.HOTLINE,
                category_id=category.pk,
                urgency=order.urgency,
                title=order.title,
                description=order.content,
                grid_id=grid.pk,
                building_id=building.pk if building else None,
                lng=order.lng if order.lng not in (None, "") else None,
                lat=order.lat if order.lat not in (None, "") else None,
                crs=order.crs,
                address=order.address,
                reporter_name=order.contact_name,
                reporter_phone=phone,
                details=OrderDetails(
                    order_no=order.order_no,
                    hotline_deadline=order.deadline,
                    hotline_category=order.category,
                    payload=_masked_payload(data),
                    source=source,
                ),
            )
            note = _("12345 work order %(no)s.") % {"no": order.order_no}
            if order.deadline:
                note += " " + _("Hotline deadline: %(at)s.") % {
                    "at": timezone.localtime(order.deadline).strftime("%Y-%m-%d %H:%M")
                }
            if order.contact_phone and not phone:
                note += " " + _("The contact phone was not recognised; see the hotline's order.")
            # Registered at once: the hotline has accepted the order already. The kind's
            # hook queues the "registered" event for the hotline in this transaction.
            case = case_services.case_register(actor=gateway, case_id=case.pk, note=note)
    except IntegrityError:
        # The same order number raced another push of it: that one won.
        earlier = _existing(order.order_no)
        if earlier is None:
            raise
        return earlier, False
    return case, True


# -- outbound: the outbox ------------------------------------------------------------

EVENTS = {
    "register": "registered",
    "reject": "rejected",
    "dispatch": "dispatched",
    "accept": "accepted",
    "return": "returned",
    "progress": "progress",
    "contact": "contacted",
    "handle": "handled",
    "verify_pass": "verified",
    "verify_fail": "rework",
    "callback": "callback",
    "escalate": "escalated",
    "suspend": "suspended",
    "resume": "resumed",
    "request_extension": "extension_requested",
    "decide_extension": "extension_decided",
    "supervise": "supervised",
    "leader_visit": "leader_visit",
    "merge": "merged",
    "reopen": "reopened",
}


def iso(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def event_payload(order: HotlineOrder, case: Case, action: str, event_name: str) -> dict:
    """What the hotline is told: no personal data, only the order's progress."""
    last = case.events.order_by("-at", "-pk").first()
    payload = {
        "event": event_name,
        "action": action,
        "order_no": order.order_no,
        "case_number": case.number,
        "state": case.state,
        "state_label": str(State(case.state).label),
        "at": iso(last.at if last else timezone.now()),
        "note": last.note if last else "",
        "due_at": iso(case.due_at),
        "hotline_deadline": iso(order.hotline_deadline),
    }
    if case.department_id:
        payload["handling_unit"] = case.department.name
    if case.state in (State.HANDLED, State.CLOSED) and case.result:
        payload["result"] = case.result
    if case.state == State.CLOSED:
        payload["closed_at"] = iso(case.closed_at)
        if case.callback_rating:
            payload["rating"] = case.callback_rating
    return payload


# -- the kind's manifest (hotline.apps registers it) ------------------------------------


class OrderDetails(Schema):
    """A 12345 order as the exchange hands it to intake (never from a client: the kind is
    not reportable)."""

    order_no: str = Field(..., max_length=40)
    hotline_deadline: dt.datetime | None = None
    hotline_category: str = Field("", max_length=100)
    payload: dict = Field(default_factory=dict)
    source: str = Field("webhook", max_length=16)


def order_details_create(*, case: Case, details: OrderDetails, actor) -> HotlineOrder:
    """Intake's hook, in its transaction: the order row beside the case (its unique order
    number makes a second push of the same order fail the whole intake)."""
    return HotlineOrder.objects.create(case=case, **details.dict())


def order_details_out(case: Case) -> dict | None:
    """The order on the case page and in the case API; the payload stays with the admin."""
    order = HotlineOrder.objects.filter(case=case).first()
    if order is None:
        return None
    return {
        "order_no": order.order_no,
        "hotline_deadline": iso(order.hotline_deadline),
        "hotline_category": order.hotline_category,
        "source": order.source,
        "received_at": iso(order.received_at),
    }


def on_case_transition(case: Case, action: str, actor, inputs) -> None:
    """The kind's hook, inside the case's transaction: queue the change for the hotline."""
    order = HotlineOrder.objects.filter(case=case).first()
    if order is None:
        return  # not taken in through the exchange (made by hand in the admin)
    write_event(order, case, action)


def write_event(order: HotlineOrder, case: Case, action: str) -> OutboundEvent:
    name = EVENTS.get(action, action)
    event = OutboundEvent.objects.create(
        order=order, event=name, payload=event_payload(order, case, action, name)
    )
    transaction.on_commit(lambda: _enqueue(event.pk))
    return event


def _enqueue(pk: int) -> None:
    if getattr(settings, "HOTLINE_WEBHOOK_URL", ""):
        from gongzhi.hotline.tasks import hotline_deliver_task

        hotline_deliver_task(pk)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most an hour."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_MINUTES))


def _post(url: str, body: bytes, headers: dict) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "not 2xx", response.headers, None)


def event_deliver(pk: int, *, now=None) -> str | None:
    """Send one pending event if it is due; returns its status afterwards, or None when
    it was not ours to send (not due, sent, dead, or claimed by another worker)."""
    url = getattr(settings, "HOTLINE_WEBHOOK_URL", "")
    secret = getattr(settings, "HOTLINE_SHARED_SECRET", "")
    if not url:
        return None
    now = now or timezone.now()
    event = OutboundEvent.objects.filter(pk=pk).first()
    if event is None:
        return None
    if OutboundEvent.objects.filter(
        order_id=event.order_id, status=OutboundStatus.PENDING, pk__lt=pk
    ).exists():
        return None  # an earlier change of the same order goes first
    claimed = OutboundEvent.objects.filter(
        pk=pk, status=OutboundStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return None
    body = json.dumps(
        {"id": event.pk, **event.payload}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Hotline-Event": event.event,
        **signing.signed_headers(secret, body, nonce=secrets.token_hex(16)),
    }
    attempts = event.attempts + 1
    try:
        _post(url, body, headers)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        dead = attempts >= MAX_ATTEMPTS
        OutboundEvent.objects.filter(pk=pk).update(
            attempts=attempts,
            last_error=error,
            status=OutboundStatus.DEAD if dead else OutboundStatus.PENDING,
            next_attempt_at=now + backoff(attempts),
        )
        log.warning("12345 delivery of event %s failed (attempt %s): %s", pk, attempts, error)
        return OutboundStatus.DEAD if dead else OutboundStatus.PENDING
    OutboundEvent.objects.filter(pk=pk).update(
        attempts=attempts, status=OutboundStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return OutboundStatus.SENT


def events_deliver_due(*, now=None, batch: int = 200) -> int:
    """Send every pending event whose time has come, oldest first; returns how many were sent."""
    now = now or timezone.now()
    due = OutboundEvent.objects.filter(
        status=OutboundStatus.PENDING, next_attempt_at__lte=now
    ).order_by("pk")
    sent = 0
    for pk in list(due.values_list("pk", flat=True)[:batch]):
        sent += event_deliver(pk, now=now) == OutboundStatus.SENT
    return sent


def dead_letters_retry(events, *, actor=None) -> int:
    """Put dead letters back in the queue, to be sent at once (audited)."""
    pks = [e.pk for e in events if e.status == OutboundStatus.DEAD]
    count = OutboundEvent.objects.filter(pk__in=pks, status=OutboundStatus.DEAD).update(
        status=OutboundStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if count:
        audit_record(
            actor=actor,
            action="hotline.dead_letters_retried",
            object_type="hotline.outboundevent",
            object_repr=f"{count}",
            changes={"events": pks},
        )
    for pk in pks:
        transaction.on_commit(lambda pk=pk: _enqueue(pk))
    return count
