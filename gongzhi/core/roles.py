"""Roles, the org levels each may be held at, and the permissions each grants.

A user holds roles through positions (accounts.Position). The permission
resolver (core.permissions) reads this table; nothing else decides who may.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    DISTRICT = "district", _("District")  # 区, 6-digit code
    SUBDISTRICT = "subdistrict", _("Subdistrict")  # 街道, +3 digits
    COMMUNITY = "community", _("Community")  # 社区, +3 digits
    GRID = "grid", _("Grid")  # 网格, +3 digits
    MICROGRID = "microgrid", _("Micro-grid")  # 微网格, +3 digits


# Digits each level adds to its parent's code (统计用区划代码 style, extended by
# three digits for the grid and three for the micro-grid).
LEVEL_DIGITS = {
    Level.DISTRICT: 6,
    Level.SUBDISTRICT: 3,
    Level.COMMUNITY: 3,
    Level.GRID: 3,
    Level.MICROGRID: 3,
}
LEVEL_ORDER = list(Level)
CODE_LENGTH = {}
_total = 0
for _level in LEVEL_ORDER:
    _total += LEVEL_DIGITS[_level]
    CODE_LENGTH[_level] = _total


def child_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")  # 系统管理员: the whole installation
    OPERATOR = "operator", _("Command-center operator")  # 指挥中心值班员, district or subdistrict
    LEADER = "leader", _("Leader")  # 领导: reads everything in their area
    COMMUNITY_WORKER = "community_worker", _("Community worker")  # 社区工作者
    GRID_WORKER = "grid_worker", _("Grid worker")  # 网格员
    BUILDING_HEAD = "building_head", _("Building head")  # 楼栋长, a resident volunteer
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")  # 承办单位经办人
    RESIDENT = "resident", _("Resident")  # 居民


# Where each role may be held. None in the list means "at a department".
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: (Level.DISTRICT,),
    Role.OPERATOR: (Level.DISTRICT, Level.SUBDISTRICT),
    Role.LEADER: (Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY),
    Role.COMMUNITY_WORKER: (Level.COMMUNITY,),
    Role.GRID_WORKER: (Level.GRID, Level.MICROGRID),
    Role.BUILDING_HEAD: (Level.GRID, Level.MICROGRID),
    Role.RESIDENT: (Level.COMMUNITY, Level.GRID, Level.MICROGRID),
}
DEPARTMENT_ROLES = (Role.DEPARTMENT_HANDLER,)


class Perm:
    """Permission names. A permission is granted by a role within the position's scope."""

    ORGS_VIEW = "orgs.view"  # see org units and their public profile
    ORGS_MANAGE = "orgs.manage"  # create org units, rename, change boundaries
    ORGS_EDIT_PROFILE = "orgs.edit_profile"  # edit a unit's service card (phone, introduction)
    STAFF_VIEW = "accounts.view_staff"  # see who holds which position
    STAFF_MANAGE = "accounts.manage_staff"  # create users and positions
    DEPARTMENTS_VIEW = "orgs.view_departments"
    DEPARTMENTS_MANAGE = "orgs.manage_departments"
    AUDIT_VIEW = "core.view_audit"
    COMMUNITY_INFO = "orgs.view_own_community"  # a resident's view of their own community
    REGISTRY_VIEW = "registry.view"  # buildings, households, residents, premises (masked)
    REGISTRY_EDIT = "registry.edit"  # create and change them, import files
    PII_REVEAL = "registry.reveal"  # see one 身份证号 or phone in full (audited)
    EXPORT_UNMASKED = "registry.export_unmasked"  # exports with personal data in full
    # The case loop.
    CASE_VIEW = "cases.view"  # see cases in the area, or assigned to the department
    CASE_REPORT = "cases.report"  # report a problem found in the area
    CASE_SELF_HANDLE = "cases.self_handle"  # 自行处置: report and handle on the spot
    CASE_TRIAGE = "cases.triage"  # register, reject, dispatch, verify, close, call back, merge
    CASE_HANDLE = "cases.handle"  # accept, return, handle (checked against the handling unit)
    CASE_DECIDE = "cases.decide"  # extensions, suspension, reopening: the command center
    CASE_SUPERVISE = "cases.supervise"  # 督办 and 提级
    CASE_LEADER_VISIT = "cases.leader_visit"  # record 领导到现场 on a repeat case
    CASE_REVEAL = "cases.reveal"  # see a reporter's phone in full (audited)
    # The command center.
    COMMAND_VIEW = "command.view"  # dashboards, wall screen, map, hotspots, monthly report
    CAMPAIGN_MANAGE = "campaigns.manage"  # open a special campaign 专项治理, add cases, close it


_STAFF_READ = {Perm.ORGS_VIEW, Perm.STAFF_VIEW, Perm.DEPARTMENTS_VIEW, Perm.REGISTRY_VIEW}
# Those who collect and keep the base data (人房数据): grid and community workers.
_REGISTRY_KEEPER = {Perm.REGISTRY_EDIT, Perm.PII_REVEAL}

_CASE_STAFF = {Perm.CASE_VIEW, Perm.CASE_REPORT}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        _STAFF_READ
        | {
            Perm.ORGS_MANAGE,
            Perm.ORGS_EDIT_PROFILE,
            Perm.STAFF_MANAGE,
            Perm.DEPARTMENTS_MANAGE,
            Perm.AUDIT_VIEW,
            Perm.EXPORT_UNMASKED,
            Perm.CASE_VIEW,
            Perm.COMMAND_VIEW,
        }
        | _REGISTRY_KEEPER
    ),
    Role.OPERATOR: frozenset(
        _STAFF_READ
        | _CASE_STAFF
        | {
            Perm.ORGS_MANAGE,
            Perm.ORGS_EDIT_PROFILE,
            Perm.CASE_TRIAGE,
            Perm.CASE_DECIDE,
            Perm.CASE_SUPERVISE,
            Perm.CASE_REVEAL,
            Perm.COMMAND_VIEW,
            Perm.CAMPAIGN_MANAGE,
        }
    ),
    Role.LEADER: frozenset(
        _STAFF_READ
        | {
            Perm.AUDIT_VIEW,
            Perm.CASE_VIEW,
            Perm.CASE_SUPERVISE,
            Perm.CASE_LEADER_VISIT,
            Perm.COMMAND_VIEW,
        }
    ),
    Role.COMMUNITY_WORKER: frozenset(
        _STAFF_READ
        | _REGISTRY_KEEPER
        | _CASE_STAFF
        | {
            Perm.ORGS_EDIT_PROFILE,
            Perm.CASE_TRIAGE,
            Perm.CASE_HANDLE,
            Perm.CASE_SELF_HANDLE,
            Perm.CASE_REVEAL,
            Perm.COMMAND_VIEW,
        }
    ),
    Role.GRID_WORKER: frozenset(
        _STAFF_READ
        | _REGISTRY_KEEPER
        | _CASE_STAFF
        | {Perm.ORGS_EDIT_PROFILE, Perm.CASE_HANDLE, Perm.CASE_SELF_HANDLE}
    ),
    Role.BUILDING_HEAD: frozenset({Perm.ORGS_VIEW, Perm.COMMUNITY_INFO, Perm.CASE_REPORT}),
    Role.DEPARTMENT_HANDLER: frozenset(
        {Perm.DEPARTMENTS_VIEW, Perm.CASE_VIEW, Perm.CASE_HANDLE, Perm.CASE_REVEAL}
    ),
    Role.RESIDENT: frozenset({Perm.COMMUNITY_INFO}),
}

# Roles whose scope is every org unit, whatever unit the position names.
GLOBAL_ROLES = frozenset({Role.ADMIN})


def grant_permissions(grants: dict[str, set[str] | frozenset[str]]) -> None:
    """Add permissions of an app's own to roles (e.g. inspections: who inspects, who runs
    campaigns), from its AppConfig.ready(). Roles stay defined here; an app only widens
    what a role may do, within the same position scopes."""
    for role, perms in grants.items():
        ROLE_PERMISSIONS[role] = ROLE_PERMISSIONS[role] | frozenset(perms)
