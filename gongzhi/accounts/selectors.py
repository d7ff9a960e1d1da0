"""Scoped reads of users and positions."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from gongzhi.accounts.models import Position, User
from gongzhi.core import permissions
from gongzhi.core.errors import NotFound, PermissionDenied
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import CODE_LENGTH, Level, Perm, Role
from gongzhi.orgs.models import OrgUnit
from gongzhi.orgs.selectors import units_visible_to


def positions_visible_to(user) -> QuerySet[Position]:
    """Active positions in the user's area: at units they cover, at their own department,
    and at the departments of a district they cover whole."""
    scope = scope_for(user, Perm.STAFF_VIEW)
    qs = Position.objects.filter(is_active=True).select_related("user", "org_unit", "department")
    if scope.everything:
        return qs
    q = scope.q("org_code", "department_id")
    districts = [c for c in scope.org_codes if len(c) == CODE_LENGTH[Level.DISTRICT]]
    if districts:
        q |= Q(department__district__code__in=districts)
    return qs.filter(q)


def position_for(user, position_id) -> Position:
    try:
        return positions_visible_to(user).get(pk=int(position_id))
    except (Position.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("The position does not exist or is outside your area.")) from None


def user_for_staff_management(actor, user_id) -> User:
    """An active user, for someone who may assign positions; others learn nothing."""
    if not permissions.can(actor, Perm.STAFF_MANAGE):
        raise PermissionDenied(_("You may not assign positions."))
    try:
        return User.objects.get(pk=int(user_id), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("The user does not exist.")) from None


def position_counts_by_role(unit: OrgUnit) -> dict[str, int]:
    """Active positions at `unit` and under it, by role."""
    rows = (
        Position.objects.filter(org_code__within=unit.code, is_active=True)
        .values("role")
        .annotate(n=Count("id"))
    )
    return {r["role"]: r["n"] for r in rows}


def grids_without_worker(user) -> QuerySet[OrgUnit]:
    """Grids in the user's area that no active grid worker covers (网格员配备缺口):
    nobody at the grid itself nor at one of its micro-grids."""
    at_grid = Position.objects.filter(
        role=Role.GRID_WORKER, is_active=True, org_unit=OuterRef("pk")
    )
    at_micro = Position.objects.filter(
        role=Role.GRID_WORKER, is_active=True, org_unit__parent=OuterRef("pk")
    )
    return (
        units_visible_to(user)
        .filter(level=Level.GRID, is_active=True)
        .exclude(Exists(at_grid))
        .exclude(Exists(at_micro))
        .order_by("code")
    )
