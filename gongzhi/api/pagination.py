"""The API's list convention: keyset (cursor) pagination.

    GET /api/v1/things?limit=50&cursor=<opaque>
    → {"items": [...], "next_cursor": "<opaque>" | null}

A cursor holds the sort key of the last item, so the next page is one indexed
range read however deep the client goes; there is no total count (counting
millions of rows for every page is what makes lists slow).
"""

import base64
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def _encode(values: list[Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def _decode(cursor: str, n: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        values = None
    if not isinstance(values, list) or len(values) != n:
        raise DomainError(_("The cursor is not valid."), code="invalid_cursor")
    return values


def keyset_page(
    qs: QuerySet, *, ordering: tuple[str, ...], cursor: str | None, limit: int | None
) -> tuple[list[Any], str | None]:
    """One page of `qs` ordered by `ordering` (a "-field" descends; the last field must be
    unique)."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(
            _("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}, code="invalid_limit"
        )
    qs = qs.order_by(*ordering)
    if cursor:
        values = _decode(cursor, len(ordering))
        after = Q(pk__in=[])
        names = [f.removeprefix("-") for f in ordering]
        for i, field in enumerate(ordering):
            op = "lt" if field.startswith("-") else "gt"
            cond = Q(**{f"{names[i]}__{op}": values[i]})
            for prev_field, prev_value in zip(names[:i], values[:i], strict=True):
                cond &= Q(**{prev_field: prev_value})
            after |= cond
        qs = qs.filter(after)
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([getattr(last, f.removeprefix("-")) for f in ordering])
    return rows, next_cursor
