"""What every case service shares: limits, the stale-version error, photos, text and
choice cleaning, idempotency keys and request fingerprints, local time."""

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.cases.models import Case, CaseAttachment, CaseEvent
from gongzhi.core import images
from gongzhi.core.errors import Conflict, DomainError, Invalid
from gongzhi.registry.services import clean_text

MAX_PHOTOS = 9
MAX_DESCRIPTION = 2000
MAX_NOTE = 1000
MAX_EXTENSION_DAYS = 30


class Stale(Conflict):
    code = "stale"


class IdempotencyConflict(DomainError):
    """An Idempotency-Key already used with a different request: the first request's case
    is not this one's, and this one is not stored (the client must not believe it is)."""

    code = "idempotency_conflict"
    status = 422

    def __init__(self, message: str | None = None, **kwargs):
        super().__init__(
            message
            or _(
                "This Idempotency-Key was already used for a different request, which was "
                "stored; this one was not. Send it with a new key."
            ),
            **kwargs,
        )

    # What a page says: its form carries the key, unseen by the person, and gets a new one.
    page_message = gettext_lazy(
        "A report with other content was already received from this form. To send this "
        "one as a new report, submit it again."
    )


# -- helpers -----------------------------------------------------------------------


def clean_photos(photos: Iterable, limit: int = MAX_PHOTOS) -> list[images.CleanImage]:
    photos = [p for p in photos or () if p]
    if len(photos) > limit:
        raise Invalid(_("At most %(n)d photos.") % {"n": limit}, details={"photos": ["too_many"]})
    return [images.clean_image(p) for p in photos]


def store_photos(case: Case, event: CaseEvent | None, cleaned, actor) -> list[CaseAttachment]:
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
def files_removed_on_failure(stored: list[CaseAttachment]):
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


def local(value: dt.datetime | None) -> dt.datetime | None:
    """`value` in the installation's time zone. Working days are days of the calendar
    there: the deadline maths counts days in the zone of the datetime it is given, and
    datetimes come from the database (and timezone.now()) in UTC."""
    return timezone.localtime(value, timezone.get_default_timezone()) if value else value


def clean_choice(value, choices, name, errors, default=None):
    value = value or default
    if value not in dict(choices):
        errors.setdefault(name, []).append(_("Choose one of the options."))
    return value


def clean_idempotency_key(key) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > 64 or not key.isascii() or not key.isprintable():
        raise Invalid(
            _("The Idempotency-Key must be at most 64 printable ASCII characters."),
            code="invalid_idempotency_key",
        )
    return key


def request_fingerprint(fields: dict, files: Iterable = ()) -> str:
    """SHA-256 of a request as it would be stored: `fields` with their names sorted, text
    stripped, numbers compared as numbers ("31.20" is 31.2), an empty value the same as a
    missing one; `files` (photos) by their bytes, in order. A resent request has the same
    fingerprint; a request changed in anything that would be stored has another."""
    normal = {name: _normal(value) for name, value in fields.items()}
    normal = {name: value for name, value in normal.items() if value is not None}
    digest = hashlib.sha256(json.dumps(normal, sort_keys=True, ensure_ascii=False).encode())
    for f in files or ():
        if f:
            digest.update(b"\0file\0" + _file_digest(f))
    return digest.hexdigest()


def _normal(value):
    if hasattr(value, "model_dump"):  # a pydantic model: a kind's details
        value = value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else str(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _file_digest(f) -> bytes:
    """SHA-256 of an uploaded file's bytes, read from the start; the file is left at its
    start for whoever reads it next."""
    if hasattr(f, "seek"):
        f.seek(0)
    digest = hashlib.sha256()
    for chunk in f.chunks() if hasattr(f, "chunks") else iter(lambda: f.read(65536), b""):
        digest.update(chunk)
    if hasattr(f, "seek"):
        f.seek(0)
    return digest.digest()


def replayed(earlier: Case, fingerprint: str | None) -> Case:
    """The case a request with an already-used key made, when this request is the same
    one resent; IdempotencyConflict when it differs. A case stored before fingerprints
    were kept (none) is taken as the same request."""
    stored = earlier.idempotency_fingerprint
    if stored and fingerprint and stored != fingerprint:
        raise IdempotencyConflict()
    return earlier


def clean_note(note, errors, *, required=False, name="note") -> str:
    return clean_text(note, MAX_NOTE, name, errors, required=required)


def iso(value):
    """A moment for the timeline's data, in local time like every deadline there."""
    return local(value).isoformat() if value else None
