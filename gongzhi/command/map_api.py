"""The command center's map over the API (mounted at /api/v1/command).

    GET /map/grids?unit=990101001&start=2026-03-01&end=2026-03-31&metric=received
    GET /map/markers?unit=990101001&start=…&end=…&bbox=112.3,34.5,112.6,34.7&zoom=14

Dates are local, both days included (a bad or reversed period is a 400
"invalid_period"); `bbox` is west,south,east,north in WGS-84 degrees ("invalid_bbox"),
`zoom` a whole number 0–22 ("invalid_zoom"). A unit outside the caller's
command-center area is the same 404 as a missing one.
"""

import datetime as dt

from ninja import Query, Router, Schema

from gongzhi.command import map as command_map
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import DayText, Text, UnitCode, Word

router = Router(tags=["command"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}

UNIT = Query(..., description="Org unit code (district, subdistrict, community, grid)")
START = Query(None, description="First day, YYYY-MM-DD (default: this month)")
END = Query(None, description="Last day, YYYY-MM-DD, at most 3 years after start")


class GridOut(Schema):
    code: str
    name: str
    received: int
    overdue: int
    value: int


class GridsOut(Schema):
    unit_code: str
    unit_name: str
    start: dt.date
    end: dt.date
    metric: str
    as_of: dt.datetime
    max: int
    grids: list[GridOut]


class MarkerOut(Schema):
    id: int
    number: str
    title: str
    state: str
    state_label: str
    overdue: bool
    lat: float
    lng: float


class ClusterOut(Schema):
    lat: float
    lng: float
    count: int
    overdue: int
    bounds: list[float]


class LayerPointOut(Schema):
    """One point of an app's layer: `cls` is one of the layer's legend classes."""

    lat: float
    lng: float
    cls: str
    label: str
    note: str
    url: str | None = None


class LayerOut(Schema):
    """What an app's map layer (core.manifest.MapLayer) answers for a unit and a box:
    the points in it, at most command.map.MAX_LAYER_POINTS (`total` counts them all)."""

    name: str
    unit_code: str
    bbox: list[float]
    total: int
    points: list[LayerPointOut]


class MarkersOut(Schema):
    kind: str  # "markers" or "clusters"
    zoom: int
    bbox: list[float]
    as_of: dt.datetime
    total: int
    markers: list[MarkerOut]
    clusters: list[ClusterOut]


@router.get("/map/grids", response={200: GridsOut, **ERRORS}, url_name="command_map_grids")
def map_grids(
    request,
    unit: UnitCode = UNIT,
    start: DayText | None = START,
    end: DayText | None = END,
    metric: Word = Query("received", description="received or overdue"),
):
    """Per grid of the unit: cases received in the period and overdue among them now."""
    first, last = command_map.period(start, end)
    return command_map.grid_values(request.auth, unit, first, last, metric)


@router.get("/map/markers", response={200: MarkersOut, **ERRORS}, url_name="command_map_markers")
def map_markers(
    request,
    unit: UnitCode = UNIT,
    start: DayText | None = START,
    end: DayText | None = END,
    bbox: Text[100] = Query(..., description="west,south,east,north (WGS-84 degrees)"),
    zoom: Text[2] = Query(..., description="Map zoom level, 0–22"),
):
    """The period's cases in the box: each one (at most 300), or clusters with counts."""
    first, last = command_map.period(start, end)
    return command_map.markers(request.auth, unit, first, last, bbox, zoom)
