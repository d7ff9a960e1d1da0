"""The reporter's own writes (resident self-service, no account).

A resident has no account: the right to a case is proven by the verified phone whose
keyed hash the case carries (reporter_phone_hash). These services take that proof from
the caller (the self-service views verify the phone by an SMS code), so the transition
table is asked with authorized=True: the state and the guards still hold."""

from collections.abc import Iterable
from contextlib import contextmanager

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.cases import repeats
from gongzhi.cases.models import Case, CaseAttachment, Channel, Rating, Urgency
from gongzhi.cases.recipients import handlers_of, notify_case, operators_over
from gongzhi.cases.services.common import (
    MAX_DESCRIPTION,
    clean_choice,
    clean_idempotency_key,
    clean_note,
    clean_photos,
    files_removed_on_failure,
    replayed,
    request_fingerprint,
)
from gongzhi.cases.services.escalation import escalate_unsatisfied
from gongzhi.cases.services.handling import callback_change
from gongzhi.cases.services.intake import clean_category, create, draft, place_of
from gongzhi.cases.services.transition import resident_name, transition
from gongzhi.cases.text import default_title
from gongzhi.core import crypto
from gongzhi.core.errors import Invalid, raise_if
from gongzhi.core.roles import Perm
from gongzhi.registry import pii
from gongzhi.registry.services import clean_text
from gongzhi.registry.validation import FieldError, clean_phone

RESIDENT_INFO = "resident_info"  # in the transition table, authorized_only: staff never see it


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
    the caller. Returns (case, created) like case_report; the same key with a different
    report is refused (IdempotencyConflict, 422).

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
    key = clean_idempotency_key(idempotency_key)
    fingerprint = None
    if key:
        fingerprint = request_fingerprint(
            {
                "name": name, "category_id": category_id, "description": description,
                "lng": lng, "lat": lat, "crs": crs, "building_id": building_id,
                "address": address,
            },
            photos,
        )  # fmt: skip
    earlier = _resident_earlier(phone_hash, key)
    if earlier is not None:
        return replayed(earlier, fingerprint), False
    category = clean_category(category_id)
    if not category.is_public or not (category.parent and category.parent.is_active):
        raise Invalid(_("Choose a category."), details={"category_id": [_("Choose a category.")]})
    description = clean_text(description, MAX_DESCRIPTION, "description", errors, required=True)
    name = clean_text(name, 50, "name", errors)
    raise_if(errors)
    place = place_of(
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
    cleaned = clean_photos(photos)
    case = draft(
        actor=None,
        key=key,
        fingerprint=fingerprint,
        kind="general",
        category=category,
        channel=Channel.RESIDENT,
        urgency=Urgency.NORMAL,
        title=default_title(category.name, description),
        description=description,
        place=place,
        resident=None,
        reporter_name=name,
        phone=phone,
    )
    repeated = repeats.earlier_of(case)
    stored: list[CaseAttachment] = []
    with files_removed_on_failure(stored), transaction.atomic():
        if key:
            with _serialized(phone_hash, key):
                earlier = _resident_earlier(phone_hash, key)
            if earlier is not None:
                return replayed(earlier, fingerprint), False
        create(
            case,
            stored=stored,
            actor=None,
            repeated=repeated,
            cleaned=cleaned,
            self_handle=False,
            result="",
            actor_name=resident_name(phone),
        )
    return case, True


def case_callback_by_reporter(*, phone_hash: str, case_id, solved: bool, rating: str, note=""):
    """The reporter's own rating of a closed case: the callback, when the resident answers
    before the command center calls. An unsatisfied rating escalates as in the loop."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    clean_choice(rating, Rating.choices, "rating", errors)
    raise_if(errors)

    with transaction.atomic():
        case = transition(
            None,
            case_id,
            "callback",
            reporter_phone_hash=phone_hash,
            note=note,
            change=callback_change(solved, rating, by_reporter=True),
            inputs={"solved": solved, "rating": rating},
        )
        if rating == Rating.UNSATISFIED:
            case = escalate_unsatisfied(case.pk, note or _("The reporter is not satisfied."))
    return case


def case_add_info_by_reporter(*, phone_hash: str, case_id, note="", photos=()):
    """More information from the reporter while the case is open (text and photos);
    the handlers and the command center are told."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors, required=not any(photos or ()))
    raise_if(errors)

    def after(case, event):
        notify_case(
            case,
            [*handlers_of(case), *operators_over(case)],
            "case.resident_info",
            _("The reporter added information to case %(n)s") % {"n": case.number},
            note,
        )

    return transition(
        None,
        case_id,
        RESIDENT_INFO,
        reporter_phone_hash=phone_hash,
        note=note,
        photos=photos,
        after=after,
    )
