"""The wall screen's data over the API: GET /api/v1/command/wall?unit=990101.

What the wall page fetches every 30 seconds (see command.wall): today's numbers, the
eight KPIs of this month against last month, the 30-day trend, the category and
child-unit rankings and the latest cases (no reporter's name or phone). A unit outside
the caller's command-center area is the same 404 as a missing one.
"""

from typing import Any

from ninja import Query, Router

from gongzhi.command import wall
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import UnitCode

router = Router(tags=["command"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/wall", response={200: dict[str, Any], **ERRORS}, url_name="command_wall_api")
def wall_figures(request, unit: UnitCode = Query(..., description="Org unit code")):
    """The wall screen's figures for one unit (cached for 15 s per unit)."""
    return wall.wall_data(request.auth, unit)
