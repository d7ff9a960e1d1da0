"""Scoped reads of the org tree. The scoped path is the only path."""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import CODE_LENGTH, Perm
from gongzhi.orgs import locator
from gongzhi.orgs.geo import Crs
from gongzhi.orgs.models import Department, OrgUnit


def units_visible_to(user, perm: str = Perm.ORGS_VIEW) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(scope_for(user, perm).q("code")).select_related("parent")


def unit_for(user, unit_id, perm: str = Perm.ORGS_VIEW) -> OrgUnit:
    """The unit, if `user` may see it; the same NotFound for missing and not yours."""
    try:
        return units_visible_to(user, perm).get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("The unit does not exist or is outside your area.")) from None


def unit_by_code_for(user, code: str, perm: str = Perm.ORGS_VIEW) -> OrgUnit:
    try:
        return units_visible_to(user, perm).get(code=code)
    except OrgUnit.DoesNotExist:
        raise NotFound(_("The unit does not exist or is outside your area.")) from None


def unit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors from the district down, in one query (codes are prefixes)."""
    prefixes = [unit.code[:n] for n in sorted(CODE_LENGTH.values()) if n < len(unit.code)]
    return list(OrgUnit.objects.filter(code__in=prefixes).order_by("code"))


def units_in_scope_count_by_level(user) -> dict[str, int]:
    rows = units_visible_to(user).filter(is_active=True).values("level").annotate(n=Count("id"))
    return {r["level"]: r["n"] for r in rows}


def departments_visible_to(user) -> QuerySet[Department]:
    """Departments of the districts the user works in, and the user's own department."""
    scope = scope_for(user, Perm.DEPARTMENTS_VIEW)
    qs = Department.objects.select_related("district")
    if scope.everything:
        return qs
    districts = {c[:6] for c in scope.org_codes}
    return qs.filter(Q(district__code__in=districts) | Q(pk__in=scope.department_ids))


def department_for(user, department_id) -> Department:
    try:
        return departments_visible_to(user).get(pk=int(department_id))
    except (Department.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("The department does not exist or is outside your area.")) from None


def scope_roots(user, perm: str = Perm.ORGS_VIEW) -> list[OrgUnit]:
    """The highest units of the user's area (districts for an administrator)."""
    scope = scope_for(user, perm)
    if scope.everything:
        return list(OrgUnit.objects.filter(parent__isnull=True).order_by("code"))
    return list(OrgUnit.objects.filter(code__in=scope.org_codes).order_by("code"))


def unit_counts(unit: OrgUnit) -> dict[str, int]:
    """Active units under `unit`, by level."""
    levels = (
        OrgUnit.objects.filter(code__within=unit.code, is_active=True)
        .exclude(pk=unit.pk)
        .values("level")
        .annotate(n=Count("id"))
    )
    return {r["level"]: r["n"] for r in levels}


def unit_boundaries_visible_to(
    user, *, within: str | None = None, levels: list[str] | None = None
) -> QuerySet[OrgUnit]:
    """Active units in the user's area that have a boundary, with what a map needs."""
    qs = (
        units_visible_to(user)
        .select_related(None)
        .filter(is_active=True, boundary__isnull=False)
        .only("id", "code", "name", "level", "boundary", "boundary_bbox")
        .order_by("code")
    )
    if within:
        qs = qs.filter(code__within=within)
    if levels:
        qs = qs.filter(level__in=levels)
    return qs


def unit_at_point_for(
    user, lng: float, lat: float, *, crs: str = Crs.WGS84, perm: str = Perm.ORGS_VIEW
) -> OrgUnit:
    """The deepest unit containing the point, if the user may see it.

    The same NotFound for "no unit there" and "a unit outside your area", so a point
    cannot be used to probe other areas' boundaries.
    """
    code = locator.locate(lng, lat, crs=crs)
    unit = None
    if code is not None and scope_for(user, perm).covers_code(code):
        unit = (
            units_visible_to(user, perm).select_related(None).filter(code=code, is_active=True)
        ).first()
    if unit is None:
        raise NotFound(_("No unit in your area contains this point."))
    return unit
