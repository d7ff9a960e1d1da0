"""The one permission resolver. Views, API handlers and services ask it; none re-implement it.

A user's facts are their active positions: (role, org code, department id).
A permission holds for an object when one position's role grants it and the
position's scope covers the object: its org code extends the position's code,
or its department is the position's department.
"""

from dataclasses import dataclass

from django.db.models import Q

from gongzhi.core.roles import GLOBAL_ROLES, ROLE_PERMISSIONS


@dataclass(frozen=True)
class PositionFact:
    role: str
    org_code: str | None = None
    department_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """Where a user may exercise one permission."""

    everything: bool = False
    org_codes: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.org_codes or self.department_ids)

    def covers_code(self, code: str | None) -> bool:
        if self.everything:
            return True
        return bool(code) and any(code.startswith(c) for c in self.org_codes)

    def covers(self, obj) -> bool:
        if self.everything:
            return True
        code = getattr(obj, "org_code", None)
        if code and self.covers_code(code):
            return True
        dept = getattr(obj, "department_id", None)
        return dept is not None and dept in self.department_ids

    def q(self, code_field: str = "org_code", department_field: str | None = None) -> Q:
        """A filter selecting the rows this scope covers; matches nothing when empty.

        Everything is `~Q(pk__in=[])`, not `Q()`: an empty Q vanishes when OR-ed with
        another condition (`Q() | Q(x)` is just `Q(x)`), which would shrink the scope."""
        if self.everything:
            return ~Q(pk__in=[])
        q = Q(pk__in=[])
        for code in self.org_codes:
            q |= Q(**{f"{code_field}__within": code})
        if department_field and self.department_ids:
            q |= Q(**{f"{department_field}__in": self.department_ids})
        return q


def _minimal(codes) -> tuple[str, ...]:
    """Drop codes already covered by a shorter one, so the filter has no redundant ranges."""
    kept: list[str] = []
    for code in sorted(set(codes), key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return tuple(sorted(kept))


def facts_of(user) -> list[PositionFact]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return user.get_position_facts()


def scope_for(user, perm: str) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    codes, depts = [], []
    for fact in facts_of(user):
        if perm not in ROLE_PERMISSIONS.get(fact.role, ()):
            continue
        if fact.role in GLOBAL_ROLES:
            return Scope(everything=True)
        if fact.org_code:
            codes.append(fact.org_code)
        if fact.department_id is not None:
            depts.append(fact.department_id)
    return Scope(org_codes=_minimal(codes), department_ids=tuple(sorted(set(depts))))


def can(user, perm: str, obj=None) -> bool:
    """May `user` exercise `perm` (on `obj`, when given)?"""
    scope = scope_for(user, perm)
    if scope.is_empty:
        return False
    return True if obj is None else scope.covers(obj)


def roles_of(user) -> set[str]:
    return {f.role for f in facts_of(user)}
