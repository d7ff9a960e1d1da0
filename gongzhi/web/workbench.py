"""The workbench: what each role sees first. Reads only, through scoped selectors."""

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.contacts import service_places
from gongzhi.accounts.selectors import grids_without_worker, positions_visible_to
from gongzhi.core.calendar import missing_years
from gongzhi.core.manifest import workbench_panels
from gongzhi.core.models import AuditLog
from gongzhi.core.permissions import can, facts_of
from gongzhi.core.roles import Level, Perm, Role
from gongzhi.orgs import selectors as orgs


@dataclass
class Panel:
    role: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def _units(codes):
    return list(orgs.OrgUnit.objects.filter(code__in=codes).order_by("code"))


def _area_panel(user, role, codes, title):
    units = _units(codes)
    counts = orgs.units_in_scope_count_by_level(user)
    gaps = grids_without_worker(user)
    return Panel(
        role,
        title,
        "web/panels/area.html",
        {
            "units": units,
            "counts": [
                (Level(lv).label, counts.get(lv, 0))
                for lv in (Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID, Level.MICROGRID)
                if counts.get(lv)
            ],
            "gap_count": gaps.count(),
            "gaps": list(gaps[:8]),
            "people": positions_visible_to(user).filter(role=Role.GRID_WORKER).count(),
        },
    )


def _community_panel(user, codes):
    units = _units(codes)
    grids = list(
        orgs.units_visible_to(user).filter(level=Level.GRID, parent__in=units).order_by("code")
    )
    workers: dict[int, list] = {}
    for p in positions_visible_to(user).filter(role=Role.GRID_WORKER, org_unit__in=grids):
        workers.setdefault(p.org_unit_id, []).append(p.user.get_display_name())
    rows = [(g, workers.get(g.id, [])) for g in grids]
    return Panel(
        Role.COMMUNITY_WORKER,
        _("My community"),
        "web/panels/community.html",
        {"units": units, "grids": rows},
    )


def _grid_panel(user, role, codes):
    units = _units(codes)
    rows = []
    for unit in units:
        rows.append(
            {
                "unit": unit,
                "ancestors": orgs.unit_ancestors(unit),
                "children": list(orgs.units_visible_to(user).filter(parent=unit).order_by("code")),
                "colleagues": [
                    p
                    for p in positions_visible_to(user).filter(org_code=unit.code)
                    if p.user_id != user.pk
                ],
                "can_edit": can(user, Perm.ORGS_EDIT_PROFILE, unit),
                "registry": _registry_totals(user, unit.code),
            }
        )
    title = _("My grid") if role == Role.GRID_WORKER else _("My building area")
    return Panel(role, title, "web/panels/grid.html", {"rows": rows})


def _registry_totals(user, code: str) -> dict | None:
    """Buildings, households, residents and cared-for residents under `code` (人房概况)."""
    if not can(user, Perm.REGISTRY_VIEW):
        return None
    from gongzhi.registry.selectors import grid_statistics

    rows = grid_statistics(user, within=code)
    return {
        "buildings": sum(r["buildings"] for r in rows),
        "households": sum(r["households"] for r in rows),
        "residents": sum(r["residents"] for r in rows),
        "cared": sum(n for r in rows for n in r["by_tag"].values()),
    }


def _department_panel(user, dept_ids):
    depts = list(orgs.Department.objects.filter(pk__in=dept_ids).select_related("district"))
    colleagues = [
        p
        for p in positions_visible_to(user).filter(department_id__in=dept_ids)
        if p.user_id != user.pk
    ]
    return Panel(
        Role.DEPARTMENT_HANDLER,
        _("My department"),
        "web/panels/department.html",
        {"departments": depts, "colleagues": colleagues},
    )


def _resident_panel(user, codes):
    """The resident's community and the grid workers who serve them (公示 contacts)."""
    places = service_places(codes)
    return Panel(Role.RESIDENT, _("My community"), "web/panels/resident.html", {"places": places})


def _admin_panel(user):
    from gongzhi.accounts.models import User

    return Panel(
        Role.ADMIN,
        _("System administration"),
        "web/panels/admin.html",
        {
            "user_count": User.objects.filter(is_active=True).count(),
            "locked": list(
                User.objects.filter(locked_until__gt=timezone.now()).order_by("-locked_until")[:5]
            ),
            "calendar_missing": missing_years(),
            "recent": list(AuditLog.objects.order_by("-at", "-id")[:8])
            if can(user, Perm.AUDIT_VIEW)
            else [],
        },
    )


# Queues that are worth a tile on the workbench (not the whole archive: "all", "closed").
_TILE_QUEUES_SKIP = {"all", "closed"}
_ALERT_QUEUES = {"overdue", "repeats", "escalated"}


def _cases_panel(user) -> Panel | None:
    """One tile per case queue that matters to the user's roles, with its count."""
    from gongzhi.cases import selectors as cases

    if not (can(user, Perm.CASE_VIEW) or can(user, Perm.CASE_REPORT)):
        return None
    keys = [k for k in cases.queues_for(user) if k not in _TILE_QUEUES_SKIP]
    counts = cases.queue_counts(user, keys)
    tiles = [
        {
            "key": k,
            "label": cases.QUEUES[k].label,
            "count": cases.count_label(counts[k]),
            "alert": k in _ALERT_QUEUES and counts[k] > 0,
        }
        for k in keys
    ]
    return Panel(
        "cases",
        _("Cases"),
        "web/panels/cases.html",
        {"tiles": tiles, "can_report": can(user, Perm.CASE_REPORT)},
    )


def panels_for(user) -> list[Panel]:
    by_role: dict[str, list] = {}
    for fact in facts_of(user):
        by_role.setdefault(fact.role, []).append(fact)
    panels: list[Panel] = []
    cases_panel = _cases_panel(user)
    if cases_panel:
        panels.append(cases_panel)
    for registered in workbench_panels():
        context = registered.context(user)
        if context is not None:
            panels.append(
                Panel(registered.name, str(registered.title), registered.template, context)
            )
    if Role.ADMIN in by_role or user.is_superuser:
        panels.append(_admin_panel(user))
        panels.append(
            _area_panel(
                user,
                Role.ADMIN,
                [f.org_code for f in by_role.get(Role.ADMIN, []) if f.org_code],
                _("Whole district"),
            )
        )
    for role, title in ((Role.OPERATOR, _("Command center")), (Role.LEADER, _("Overview"))):
        if role in by_role and Role.ADMIN not in by_role:
            panels.append(_area_panel(user, role, [f.org_code for f in by_role[role]], title))
            break
    if Role.COMMUNITY_WORKER in by_role:
        panels.append(_community_panel(user, [f.org_code for f in by_role[Role.COMMUNITY_WORKER]]))
    for role in (Role.GRID_WORKER, Role.BUILDING_HEAD):
        if role in by_role:
            panels.append(_grid_panel(user, role, [f.org_code for f in by_role[role]]))
    if Role.DEPARTMENT_HANDLER in by_role:
        panels.append(
            _department_panel(user, [f.department_id for f in by_role[Role.DEPARTMENT_HANDLER]])
        )
    if Role.RESIDENT in by_role:
        panels.append(_resident_panel(user, [f.org_code for f in by_role[Role.RESIDENT]]))
    return panels
