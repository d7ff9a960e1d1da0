"""The API's list convention: keyset (cursor) pagination.

    GET /api/v1/things?limit=50&cursor=<opaque>
    → {"items": [...], "next_cursor": "<opaque>" | null}

A cursor holds the sort key of the last item, so the next page is one indexed
range read however deep the client goes; there is no total count (counting
millions of rows for every page is what makes lists slow). Orderings may hold datetimes
(the cursor carries ISO text, read back through the model field) and nullable fields
(NULLs sort last whichever the direction, the same on SQLite and PostgreSQL).
"""

import base64
import json

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def _encode_cursor(values) -> str:
    plain = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid_cursor() -> DomainError:
    return DomainError(_("The cursor is not valid."), code="invalid_cursor")


def _decode_cursor(cursor: str, fields) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, TypeError, RecursionError):  # a forged cursor nested past the stack
        raise _invalid_cursor() from None
    if not isinstance(values, list) or len(values) != len(fields):
        raise _invalid_cursor()
    try:
        return [None if v is None else f.to_python(v) for f, v in zip(fields, values, strict=True)]
    except (ValidationError, TypeError, ValueError):
        raise _invalid_cursor() from None


def keyset_page(qs: QuerySet, *, ordering, cursor: str | None, limit: int | None):
    """One page of `qs` ordered by `ordering` (a "-field" descends; the last field must be
    unique). `qs` may be a .values() read that includes the ordering's fields."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(
            _("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}, code="invalid_limit"
        )
    names = [o.removeprefix("-") for o in ordering]
    descending = [o.startswith("-") for o in ordering]
    fields = [qs.model._meta.get_field(n) for n in names]
    order_by = []
    for name, desc, field in zip(names, descending, fields, strict=True):
        if field.null:
            expr = F(name)
            order_by.append(expr.desc(nulls_last=True) if desc else expr.asc(nulls_last=True))
        else:
            order_by.append(f"-{name}" if desc else name)
    qs = qs.order_by(*order_by)
    if cursor:
        values = _decode_cursor(cursor, fields)
        after = Q(pk__in=[])
        for i, (name, desc) in enumerate(zip(names, descending, strict=True)):
            if values[i] is None:
                continue  # nothing sorts after NULL but more NULLs, matched by the next field
            cond = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
            if fields[i].null:
                cond |= Q(**{f"{name}__isnull": True})
            for prev, value in zip(names[:i], values[:i], strict=True):
                cond &= Q(**{f"{prev}__isnull": True} if value is None else {prev: value})
            after |= cond
        qs = qs.filter(after)
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        # Model instances, or the dicts of a .values() read (a list that builds no objects).
        get = last.__getitem__ if isinstance(last, dict) else lambda n: getattr(last, n)
        next_cursor = _encode_cursor([get(n) for n in names])
    return rows, next_cursor
