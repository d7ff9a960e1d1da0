"""What every case service shares: limits, the stale-version error, photos, text and
choice cleaning, local time."""

import datetime as dt
from collections.abc import Iterable
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from gongzhi.cases.models import Case, CaseAttachment, CaseEvent
from gongzhi.core import images
from gongzhi.core.errors import Conflict, Invalid
from gongzhi.registry.services import clean_text

MAX_PHOTOS = 9
MAX_DESCRIPTION = 2000
MAX_NOTE = 1000
MAX_EXTENSION_DAYS = 30


class Stale(Conflict):
    code = "stale"


# -- helpers -----------------------------------------------------------------------


def clean_photos(photos: Iterable) -> list[images.CleanImage]:
    photos = [p for p in photos or () if p]
    if len(photos) > MAX_PHOTOS:
        raise Invalid(
            _("At most %(n)d photos.") % {"n": MAX_PHOTOS}, details={"photos": ["too_many"]}
        )
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


def clean_note(note, errors, *, required=False, name="note") -> str:
    return clean_text(note, MAX_NOTE, name, errors, required=required)


def iso(value):
    """A moment for the timeline's data, in local time like every deadline there."""
    return local(value).isoformat() if value else None
