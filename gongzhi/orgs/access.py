"""Who may look at which unit's figures in the command center: one answer for every page
and API of it (dashboard, wall screen, map, monthly report) and for campaigns and hotspots.

It lives in `orgs`, below both `command` and `campaigns`, so neither imports the other for
it; it needs only the org tree and the permissions in `core`."""

from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.core.permissions import can, scope_for
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs.models import OrgUnit

# The units a picker offers; a grid can still be asked for by its code.
PICKABLE = (Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)
MAX_CODE = 24


def command_unit(user, unit_code: str) -> OrgUnit:
    """The unit, when the user holds COMMAND_VIEW and CASE_VIEW over all of it; the same
    NotFound for a code that is malformed, missing, not theirs, or a user without
    command-center access."""
    code = (unit_code or "").strip()
    if not (
        code
        and len(code) <= MAX_CODE
        and code.isdigit()
        and scope_for(user, Perm.COMMAND_VIEW).covers_code(code)
        and scope_for(user, Perm.CASE_VIEW).covers_code(code)
    ):
        raise NotFound(_("The unit does not exist or is outside your area."))
    unit = OrgUnit.objects.filter(code=code).only("id", "code", "name", "level").first()
    if unit is None:
        raise NotFound(_("The unit does not exist or is outside your area."))
    return unit


def command_units(user, levels=PICKABLE) -> list[OrgUnit]:
    """The active units of these levels the user may open, by code (district first)."""
    if not can(user, Perm.COMMAND_VIEW):
        return []
    command = scope_for(user, Perm.COMMAND_VIEW).q("code")
    cases = scope_for(user, Perm.CASE_VIEW).q("code")
    return list(
        OrgUnit.objects.filter(command, cases, level__in=levels, is_active=True)
        .select_related("parent")
        .only("id", "code", "name", "level", "parent__name")
        .order_by("code")[:500]
    )
