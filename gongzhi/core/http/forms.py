"""The pages' side of the bounded input (`core/http/types.py` is the API's): integers
read from a query string or a form are ids a 64-bit primary key can hold, or nothing.
A larger number would reach the database and overflow SQLite's INTEGER.
"""

from django import forms
from django.contrib import messages
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Invalid
from gongzhi.core.http.types import INT64_MAX

MAX_ID_DIGITS = len(str(INT64_MAX))


def parse_id(value) -> int | None:
    """An id given as text (ASCII digits, 1 … 2**63 - 1), or None for anything else
    (empty, signed, "²", "１２", too large)."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None
    number = int(text)
    return number if 1 <= number <= INT64_MAX else None


class IdField(forms.IntegerField):
    """An id in a form: a whole number from 1 to 2**63 - 1."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)


class VersionField(forms.IntegerField):
    """The version of a record the form was shown with (optimistic locking)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)


class IdConverter:
    """`<id:pk>` in a URL pattern: an id as `parse_id` reads it. Anything else matches no
    pattern, so it is the 404 of a missing page rather than a number past 64 bits."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(value)


def parse_float(value, low: float, high: float) -> float | None:
    """A number given as text within [low, high] (a longitude, a latitude), or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def attempt(request, call):
    """(what `call()` returned, 200), or (None, the status) with the refusal's message on
    the page, when the service refuses: a page's form shown again with its message."""
    try:
        return call(), 200
    except DomainError as exc:
        messages.error(request, exc.message)
        return None, exc.status


def clean_client_id(client_id) -> str:
    """The id a phone makes once per submission (an offline resend carries it again):
    1 to 64 ASCII characters, or Invalid naming `client_id`."""
    client_id = str(client_id or "").strip()
    if not client_id or len(client_id) > 64 or not client_id.isascii():
        raise Invalid(
            _("client_id is required: at most 64 ASCII characters."),
            details={"client_id": [_("This field is required.")]},
        )
    return client_id
