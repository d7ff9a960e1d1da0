"""Who serves a place (网格公示): for org units where people live, their community (with its
service phone), the grid and micro-grid above them (with their service phones) and the
grid workers holding positions there. Public contacts, as on the board at the gate: the
resident's workbench panel and the self-service page "我的网格员" both show them."""

from gongzhi.accounts.models import Position
from gongzhi.core.roles import Level, Role
from gongzhi.orgs import selectors as orgs
from gongzhi.orgs.models import OrgUnit


def service_places(codes) -> list[dict]:
    """One place per org unit code: {"unit", "community", "grids", "workers"}."""
    places = []
    for unit in OrgUnit.objects.filter(code__in=set(codes)).order_by("code"):
        chain = [*orgs.unit_ancestors(unit), unit]
        community = next((u for u in chain if u.level == Level.COMMUNITY), None)
        grid_units = [u for u in chain if u.level in (Level.GRID, Level.MICROGRID)]
        workers = list(
            Position.objects.filter(
                role=Role.GRID_WORKER, is_active=True, org_unit__in=grid_units
            ).select_related("user", "org_unit")
        )
        places.append(
            {"unit": unit, "community": community, "grids": grid_units, "workers": workers}
        )
    return places
