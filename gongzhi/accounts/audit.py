"""The audit log as administrators and leaders read it (the in-app audit view): who
revealed whose personal data, who exported what, who changed what.

Scope: a holder of AUDIT_VIEW over the whole installation (the district's administrator)
reads every row; a leader reads the rows of the people who hold a position in their area
(the staff they lead) — a row carries its actor, not a place. Rows written by no one
(jobs, residents at /my/) are the whole installation's.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from gongzhi.accounts.models import Position, User
from gongzhi.core import dates
from gongzhi.core.manifest import audit_action_label
from gongzhi.core.models import AuditLog
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import Perm

# The kinds of action a reader filters by (the action codes' first part).
REVEALS = ("reveal", "pii_revealed")
EXPORTS = ("export",)


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # a username or a name, exact
    action: str = ""  # one action code
    kind: str = ""  # "reveal", "export" or ""
    object_type: str = ""
    object_id: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def audit_visible_to(user) -> QuerySet[AuditLog]:
    """The rows `user` may read (none without AUDIT_VIEW)."""
    scope = scope_for(user, Perm.AUDIT_VIEW)
    if scope.everything:
        return AuditLog.objects.all()
    if scope.is_empty:
        return AuditLog.objects.none()
    within = Q(pk__in=[])
    for code in scope.org_codes:
        within |= Q(org_code__within=code)
    staff = Position.objects.filter(within).values("user_id")
    return AuditLog.objects.filter(actor_id__in=staff)


def may_read_audit(user) -> bool:
    return not scope_for(user, Perm.AUDIT_VIEW).is_empty


def parse_filter(params) -> AuditFilter:
    """The filter from a page's query or the API's; a bad period is Invalid
    ("invalid_period")."""
    start, end = params.get("start") or None, params.get("end") or None
    if start or end:
        start, end = dates.parse_period(start, end)
    return AuditFilter(
        actor=(params.get("actor") or "").strip()[:150],
        action=(params.get("action") or "").strip()[:64],
        kind=(params.get("kind") or "").strip()[:10],
        object_type=(params.get("object_type") or "").strip()[:64],
        object_id=(params.get("object_id") or "").strip()[:64],
        start=start,
        end=end,
    )


def audit_rows(user, f: AuditFilter) -> QuerySet[AuditLog]:
    rows = audit_visible_to(user)
    if f.actor:
        named = User.objects.filter(Q(username=f.actor) | Q(name=f.actor)).values("pk")
        rows = rows.filter(Q(actor_id__in=named) | Q(actor_name=f.actor))
    if f.action:
        rows = rows.filter(action=f.action)
    if f.kind == "reveal":
        rows = rows.filter(_containing(REVEALS))
    elif f.kind == "export":
        rows = rows.filter(_containing(EXPORTS))
    if f.object_type:
        rows = rows.filter(object_type=f.object_type)
    if f.object_id:
        rows = rows.filter(object_id=f.object_id)
    if f.start:
        lower, upper = dates.period_bounds(f.start, f.end)
        rows = rows.filter(at__gte=lower, at__lt=upper)
    return rows


def _containing(words) -> Q:
    q = Q(pk__in=[])
    for word in words:
        q |= Q(action__contains=word)
    return q


def object_type_label(code: str) -> str:
    """ "cases.case" → the model's name in the user's language (the code when unknown)."""
    from django.apps import apps

    try:
        return str(apps.get_model(code)._meta.verbose_name)
    except (LookupError, ValueError):
        return code


def object_types_seen(user) -> list[tuple[str, str]]:
    """The kinds of object in the user's rows, with their names, for the filter's choices."""
    codes = (
        audit_visible_to(user).exclude(object_type="").order_by().values_list(
            "object_type", flat=True).distinct()
    )  # fmt: skip
    return sorted(((c, object_type_label(c)) for c in codes), key=lambda x: x[1])


def actions_seen(user) -> list[tuple[str, str]]:
    """The action codes in the user's rows, with their labels, for the filter's choices."""
    codes = audit_visible_to(user).order_by().values_list("action", flat=True).distinct()
    return sorted(((c, audit_action_label(c)) for c in codes), key=lambda x: x[1])
