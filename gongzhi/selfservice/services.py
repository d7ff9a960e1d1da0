"""Resident self-service: proving a phone by an SMS code, and the limits of anonymous steps.

A resident has no account. They prove a phone number by a 6-digit code sent to it; the
session then holds the phone sealed (keyed hash, encrypted number, masked form) for
SELFSERVICE_VERIFIED_MINUTES. Every anonymous step (send a code, check it, report) is
counted per phone and per client IP in RateCounter rows: the database is shared by
every app process, so a limit holds however many processes serve the site.
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from gongzhi.cases import services as case_services
from gongzhi.cases.models import OPEN_STATES, Case, CaseAttachment, CaseEvent, Rating, State
from gongzhi.core import crypto
from gongzhi.core.errors import DomainError, Invalid, NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.notifications import sms
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.validation import FieldError, clean_phone
from gongzhi.selfservice.models import PhoneCode, RateCounter

CODE_PURPOSE = "selfservice.code"
KEY_PURPOSE = "selfservice.rate"
SESSION_KEY = "selfservice.phone"
PENDING_KEY = "selfservice.pending"
HOUR = 3600


class RateLimited(DomainError):
    """Too many requests: HTTP 429 with a message saying when to try again."""

    code = "rate_limited"
    status = 429


class CodeRefused(DomainError):
    code = "code_refused"
    status = 400


@dataclass(frozen=True)
class Limit:
    bucket: str  # the step and what is counted: "send:phone", "report:ip" …
    value: str  # the phone hash or the client IP (hashed again into the key)
    count: int
    seconds: int


# -- rate limits ---------------------------------------------------------------------


def _window_start(now: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def _key(limit: Limit) -> str:
    digest = crypto.keyed_hash(limit.value or "-", purpose=KEY_PURPOSE)[:40]
    return f"{limit.bucket}:{limit.seconds}:{digest}"[:80]


def _wait_message(limit: Limit, now: dt.datetime) -> str:
    start = _window_start(now, limit.seconds)
    left = max(1, int((start + dt.timedelta(seconds=limit.seconds) - now).total_seconds()))
    if left < 120:
        return ngettext(
            "Too many requests. Please try again in %(n)d second.",
            "Too many requests. Please try again in %(n)d seconds.",
            left,
        ) % {"n": left}
    minutes = (left + 59) // 60
    return ngettext(
        "Too many requests. Please try again in %(n)d minute.",
        "Too many requests. Please try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}


def take(limits: list[Limit]) -> None:
    """Count one use against every limit, or none when any is used up (RateLimited).

    Fixed windows: a counter row per key and window. The row is created if missing (a
    conflict with another process is ignored), then incremented only while under the
    limit; an update that matches no row is a refusal. All or nothing in one
    transaction, so a refusal by one limit leaves the others uncounted."""
    now = timezone.now()
    with transaction.atomic():
        for limit in limits:
            key, start = _key(limit), _window_start(now, limit.seconds)
            RateCounter.objects.bulk_create(
                [RateCounter(key=key, window_start=start, count=0)], ignore_conflicts=True
            )
            taken = RateCounter.objects.filter(
                key=key, window_start=start, count__lt=limit.count
            ).update(count=F("count") + 1)
            if not taken:
                raise RateLimited(_wait_message(limit, now), details={"retry": limit.bucket})


def purge_counters(older_than_hours: int = 24) -> int:
    """Drop counters of windows long past (a periodic job may call it)."""
    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    return RateCounter.objects.filter(window_start__lt=cutoff).delete()[0]


# -- phones and codes ----------------------------------------------------------------


def clean_mobile(phone: str) -> str:
    """A mainland mobile number (a code goes by SMS), or Invalid on the "phone" field."""
    try:
        phone = clean_phone(phone)
    except FieldError:
        phone = ""
    if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        message = _("Enter an 11-digit mobile number.")
        raise Invalid(message, details={"phone": [message]})
    return phone


def _code_hash(phone_hash: str, code: str) -> str:
    return crypto.keyed_hash(f"{phone_hash}\0{code}", purpose=CODE_PURPOSE)


def send_code(*, phone: str, ip: str | None) -> str:
    """Send a new 6-digit code to `phone`; earlier codes of the phone stop working.
    Returns the phone as cleaned. Refused (RateLimited) when the phone asked less than a
    minute ago, more than 5 times this hour, or the IP more than 20 times this hour."""
    phone = clean_mobile(phone)
    phone_hash = pii.phone_hash(phone)
    take(
        [
            Limit("send:phone", phone_hash, 1, settings.SELFSERVICE_CODE_INTERVAL_SECONDS),
            Limit("send:phone", phone_hash, settings.SELFSERVICE_CODES_PER_PHONE_HOUR, HOUR),
            Limit("send:ip", ip or "", settings.SELFSERVICE_PER_IP_HOUR, HOUR),
        ]
    )
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        PhoneCode.objects.filter(phone_hash=phone_hash, used_at__isnull=True, dead=False).update(
            dead=True
        )
        row = PhoneCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone_hash, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.SELFSERVICE_CODE_TTL_MINUTES),
        )
    text = "【共治】" + _(
        "Your verification code is %(code)s. It is valid for %(minutes)d minutes; "
        "do not tell it to anyone."
    ) % {"code": code, "minutes": settings.SELFSERVICE_CODE_TTL_MINUTES}
    try:
        sms.get_backend().send(phone=phone, text=text)
    except Exception:
        PhoneCode.objects.filter(pk=row.pk).update(dead=True)
        raise DomainError(
            _("The text message could not be sent. Please try again later."), code="sms_failed"
        ) from None
    return phone


def verify_code(*, phone: str, code: str, ip: str | None) -> dict[str, str]:
    """Check the code sent to `phone`. Returns the phone sealed (hash, enc, masked) for
    the session. A wrong code counts an attempt; after the last one the code is dead."""
    phone = clean_mobile(phone)
    code = (code or "").strip()
    phone_hash = pii.phone_hash(phone)
    take([Limit("verify:ip", ip or "", settings.SELFSERVICE_PER_IP_HOUR, HOUR)])
    now = timezone.now()
    refusal = None
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, used_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None:
            refusal = _("No code was sent to this number. Ask for a code first.")
        elif row.dead:
            refusal = _("This code no longer works (too many wrong attempts). Ask for a new one.")
        elif now >= row.expires_at:
            refusal = _("The code has expired. Ask for a new one.")
        elif not (len(code) == 6 and code.isdigit()) or not secrets.compare_digest(
            row.code_hash, _code_hash(phone_hash, code)
        ):
            # The attempt is written (committed) before the refusal is raised.
            row.attempts += 1
            left = settings.SELFSERVICE_CODE_MAX_ATTEMPTS - row.attempts
            if left <= 0:
                row.dead = True
                refusal = _(
                    "This code no longer works (too many wrong attempts). Ask for a new one."
                )
            else:
                refusal = ngettext(
                    "The code is wrong. %(n)d attempt left.",
                    "The code is wrong. %(n)d attempts left.",
                    left,
                ) % {"n": left}
            row.save(update_fields=["attempts", "dead"])
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
    if refusal:
        raise CodeRefused(refusal, details={"code": [refusal]})
    return pii.seal_phone(phone)


# -- the verified phone in the session --------------------------------------------------


def remember(session, sealed: dict[str, str]) -> None:
    """Hold the verified phone in the session: its hash, the number encrypted (the case
    keeps it for the callback), the masked form. Never the number in clear."""
    until = timezone.now() + dt.timedelta(minutes=settings.SELFSERVICE_VERIFIED_MINUTES)
    session.cycle_key()  # a new session id once the phone is proven (no fixation)
    session[SESSION_KEY] = {
        "hash": sealed["phone_hash"],
        "enc": sealed["phone_enc"],
        "masked": sealed["phone_masked"],
        "until": until.timestamp(),
    }
    session.pop(PENDING_KEY, None)


def verified(session) -> dict[str, str] | None:
    """The verified phone {hash, enc, masked}, or None when none or expired."""
    held = session.get(SESSION_KEY)
    if not held or held.get("until", 0) <= timezone.now().timestamp():
        return None
    return held


def forget(session) -> None:
    session.pop(SESSION_KEY, None)
    session.pop(PENDING_KEY, None)


def phone_of(held: dict[str, str]) -> str:
    return crypto.decrypt(held["enc"], purpose=pii.PHONE_PURPOSE)


# -- reporting, through the case services -----------------------------------------------


def report(*, held: dict[str, str], ip: str | None, **fields) -> tuple[Case, bool]:
    """A resident's report, counted against the phone's and the IP's limits."""
    take(
        [
            Limit("report:phone", held["hash"], settings.SELFSERVICE_REPORTS_PER_PHONE_HOUR, HOUR),
            Limit("report:ip", ip or "", settings.SELFSERVICE_PER_IP_HOUR, HOUR),
        ]
    )
    return case_services.case_report_by_resident(phone=phone_of(held), **fields)


# -- what a resident sees of their own cases ----------------------------------------------

# The states in plain words (the status a resident reads on "My reports").
STATUS_WORDS = {
    State.REPORTED: pgettext_lazy("resident", "Awaiting acceptance"),  # 待受理
    State.REGISTERED: pgettext_lazy("resident", "Accepted, being assigned"),  # 已受理
    State.DISPATCHED: pgettext_lazy("resident", "Being handled"),  # 处理中
    State.IN_PROGRESS: pgettext_lazy("resident", "Being handled"),
    State.SUSPENDED: pgettext_lazy("resident", "On hold"),  # 暂缓处理
    State.HANDLED: pgettext_lazy("resident", "Handled, being checked"),  # 已处理，待核查
    State.CLOSED: pgettext_lazy("resident", "Completed"),  # 已办结
    State.REJECTED: pgettext_lazy("resident", "Not accepted"),  # 不予受理
    State.MERGED: pgettext_lazy("resident", "Handled together with the same problem"),  # 合并办理
}

# The public part of the timeline: action → (what it says, the note shown, photos shown).
# Internal notes (return, verify_fail, supervise, contact …) and staff names never appear;
# a unit is named by its department or org unit.
PUBLIC_ACTIONS = {
    "report": (pgettext_lazy("resident", "Problem reported"), True, True),
    "self_handle": (
        pgettext_lazy("resident", "Handled on the spot by the grid worker"),
        True,
        True,
    ),
    "register": (pgettext_lazy("resident", "Accepted"), False, False),
    "reject": (pgettext_lazy("resident", "Not accepted"), False, False),
    "dispatch": (pgettext_lazy("resident", "Sent to %(unit)s for handling"), False, False),
    "accept": (pgettext_lazy("resident", "%(unit)s took it on"), False, False),
    "handle": (pgettext_lazy("resident", "%(unit)s reported it handled"), True, True),
    "verify_pass": (pgettext_lazy("resident", "Checked and completed"), False, False),
    "escalate": (pgettext_lazy("resident", "Raised to a higher level for handling"), False, False),
    "callback": (pgettext_lazy("resident", "Rated"), True, False),
    "reopen": (pgettext_lazy("resident", "Reopened"), False, False),
    "merge": (pgettext_lazy("resident", "Handled together with the same problem"), False, False),
    case_services.RESIDENT_INFO: (pgettext_lazy("resident", "You added information"), True, True),
}
PHOTO_ACTIONS = frozenset(a for a, (_label, _note, photos) in PUBLIC_ACTIONS.items() if photos)
REPORTER_OPEN_STATES = (State.REPORTED, *OPEN_STATES)


def my_cases(phone_hash: str):
    """The cases reported with this phone, newest first."""
    if not phone_hash:
        return Case.objects.none()
    return (
        Case.objects.filter(reporter_phone_hash=phone_hash)
        .select_related("category")
        .order_by("-reported_at", "-pk")
    )


def my_case(phone_hash: str, case_id) -> Case:
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        pk = None
    case = my_cases(phone_hash).filter(pk=pk).first() if pk is not None else None
    if case is None:
        raise NotFound(_("The case does not exist."))
    return case


def my_photo(phone_hash: str, case_id, attachment_id) -> CaseAttachment:
    """A photo of the resident's own case, attached to a public timeline row."""
    case = my_case(phone_hash, case_id)
    att = (
        CaseAttachment.objects.filter(
            case=case, pk=_int(attachment_id), event__action__in=PHOTO_ACTIONS
        ).first()
        if _int(attachment_id) is not None
        else None
    )
    if att is None:
        raise NotFound(_("The photo does not exist."))
    return att


_int = parse_id


@dataclass
class PublicEvent:
    at: dt.datetime
    text: str
    who: str
    note: str
    photos: list


def _unit_name(code: str) -> str:
    unit = OrgUnit.objects.filter(code=code).only("name").first() if code else None
    return unit.name if unit else ""


def public_timeline(case: Case) -> list[PublicEvent]:
    """The rows of the timeline a reporter may read, oldest first."""
    events = list(
        CaseEvent.objects.filter(case=case, action__in=list(PUBLIC_ACTIONS))
        .prefetch_related("attachments")
        .order_by("at", "pk")
    )
    unit = ""
    rows = []
    for event in events:
        label, show_note, show_photos = PUBLIC_ACTIONS[event.action]
        data = event.data or {}
        if event.action == "dispatch":
            unit = data.get("department") or _unit_name(data.get("unit", ""))
        handling_unit = unit or pgettext("resident", "The handling unit")
        text = str(label) % {"unit": handling_unit} if "%(unit)s" in str(label) else str(label)
        mine = event.action in ("report", case_services.RESIDENT_INFO) or (
            event.action == "callback" and data.get("by") == "reporter"
        )
        # A callback's note is the resident's own words only when they rated it here.
        note = event.note if show_note and (event.action != "callback" or mine) else ""
        if event.action == "callback":
            solved = _("Solved") if data.get("solved") else _("Not solved")
            rating = dict(Rating.choices).get(data.get("rating"), "")
            text = f"{text}：{solved}，{rating}"
        if mine:
            who = pgettext("resident", "You")
        elif event.action in ("accept", "handle"):
            who = handling_unit
        elif event.action == "self_handle":
            who = pgettext("resident", "Grid worker")
        else:
            who = pgettext("resident", "Service center")
        rows.append(
            PublicEvent(
                at=event.at,
                text=text,
                who=who,
                note=note,
                photos=list(event.attachments.all()) if show_photos else [],
            )
        )
    return rows


def choose_solved_message() -> str:
    return _("Say whether the problem was solved.")


def photo_missing_message() -> str:
    return _("The photo does not exist.")


# -- 我的网格员 -----------------------------------------------------------------------------


def my_places(held) -> list[dict]:
    """The service contacts of the homes the registry has for the verified phone (its
    residents living here): accounts.contacts.service_places."""
    from gongzhi.accounts.contacts import service_places
    from gongzhi.registry.models import Resident

    codes = Resident.objects.filter(phone_hash=held["hash"], is_active=True).values_list(
        "org_code", flat=True
    )
    return service_places(list(codes)[:20])


def places_of_building(building) -> list[dict]:
    from gongzhi.accounts.contacts import service_places

    return service_places([building.org_code])
