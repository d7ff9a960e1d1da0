"""The command center's map: the grids of a unit shaded by the cases of a period, and
the cases themselves as markers, clustered on the server when there are many.

- Grid figures come from the rollups (`kpis.rollup_rows`, one row per grid and day or
  month) plus one live GROUP BY for the overdue count over `kpis.live_querysets` — the
  KPI report's `overdue` (open cases received in the period and past their deadline;
  a suspended case only if it was already late when suspended).
- Markers: the cases received in the period whose point lies in the map's box. Up to
  `MAX_MARKERS` come one by one (number, title, state, overdue — nothing about the
  reporter); beyond that they are counted per cell of a zoom-dependent square
  (GROUP BY the rounded latitude and longitude), so the answer stays small whatever
  the number of cases. Two queries at most.
"""

import datetime as dt

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, IntegerField, Q
from django.db.models.functions import Cast, Floor, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import kpis, selectors, statistics
from gongzhi.cases.models import RollupDims, State
from gongzhi.core import dates
from gongzhi.core.errors import Invalid
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.orgs import geo
from gongzhi.orgs.access import command_unit
from gongzhi.orgs.models import OrgUnit

GRID_LENGTH = CODE_LENGTH[Level.GRID]
MAX_MARKERS = 300
# An app's layer sends at most this many points for a box; beyond, the page asks to zoom in.
MAX_LAYER_POINTS = 500
MAX_ZOOM = geo.MAX_ZOOM
# A cluster cell is about CELL_PIXELS on screen: a degree of longitude is
# 256 * 2**zoom / 360 pixels in Web Mercator.
CELL_PIXELS = 80
METRICS = ("received", "overdue")
PRESETS = ("today", "week", "month", "year")


# -- the period -------------------------------------------------------------------


def preset_period(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if preset == "today":
        return today, today
    if preset == "week":
        return today - dt.timedelta(days=today.weekday()), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    return today.replace(day=1), today


def period(start: str | None, end: str | None, preset: str | None = None):
    """(start, end) from the query: a preset (today, week, month, year), or both dates,
    or — nothing given — this month so far. Invalid "invalid_period" otherwise."""
    today = timezone.localdate()
    if not (start or end):
        return preset_period(preset if preset in PRESETS else "month", today)
    return dates.parse_period(start, end)


# -- the grids ---------------------------------------------------------------------


def _grids_q(code: str) -> Q:
    """The grids in the unit (the unit itself when it is a grid)."""
    return Q(code__within=code, level=Level.GRID)


def grid_collection(user, unit_code: str) -> dict:
    """The boundaries of the unit's grids as a GeoJSON FeatureCollection (for the page)."""
    unit = command_unit(user, unit_code)
    grids = (
        OrgUnit.objects.filter(_grids_q(unit.code), boundary__isnull=False, is_active=True)
        .only("id", "code", "name", "level", "boundary", "boundary_bbox")
        .order_by("code")
    )
    return geo.feature_collection(grids)


def grid_values(user, unit_code: str, start: dt.date, end: dt.date, metric: str) -> dict:
    """Per grid of the unit: cases received in the period (rollups) and overdue among
    them now (live), and `value`, the one `metric` names."""
    if metric not in METRICS:
        message = _("Choose received or overdue.")
        raise Invalid(message, code="invalid_metric", details={"metric": [message]})
    dates.check_period(start, end)
    unit = command_unit(user, unit_code)
    now = timezone.now()
    names = dict(OrgUnit.objects.filter(_grids_q(unit.code)).order_by().values_list("code", "name"))
    rows = kpis.rollup_rows(
        kpis.units_at(unit.code, GRID_LENGTH),
        RollupDims.TOTAL,
        start,
        end,
        group=("unit_code",),
    )
    received = {r["unit_code"]: int(r["received"] or 0) for r in rows}
    late, _pending = kpis.live_querysets(unit.code, start, end, now)
    overdue = {
        r["grid_code"]: r["n"]
        for r in late.annotate(grid_code=Substr("org_code", 1, GRID_LENGTH))
        .values("grid_code")
        .annotate(n=Count("pk"))
        .order_by()
    }
    grids = []
    for code in sorted(set(names) | set(received) | set(overdue)):
        if len(code) != GRID_LENGTH:
            continue
        row = {
            "code": code,
            "name": names.get(code, code),
            "received": received.get(code, 0),
            "overdue": overdue.get(code, 0),
        }
        row["value"] = row[metric]
        grids.append(row)
    return {
        "unit_code": unit.code,
        "unit_name": unit.name,
        "start": start,
        "end": end,
        "metric": metric,
        "as_of": now,
        "max": max((g["value"] for g in grids), default=0),
        "grids": grids,
    }


# -- the markers -------------------------------------------------------------------


# The box and zoom of a map request are read as every map's (orgs.geo, the basemap's too).
parse_bbox, parse_zoom = geo.parse_bbox, geo.parse_zoom


def layer_area(user, unit_code: str, bbox: str) -> tuple[str, tuple[float, float, float, float]]:
    """For an app's map layer (core.manifest.MapLayer): the unit's code, checked against
    the user's command-center area like the grids (404 outside it), and the parsed box."""
    box = parse_bbox(bbox)
    return command_unit(user, unit_code).code, box


def cell_size(zoom: int) -> float:
    """The side of a cluster cell in degrees at this zoom."""
    return 360.0 * CELL_PIXELS / (256 * 2**zoom)


def markers(user, unit_code: str, start: dt.date, end: dt.date, bbox: str, zoom) -> dict:
    """The cases received in the period in the unit and in the box: each one when there
    are at most MAX_MARKERS, else clusters (see the module docstring)."""
    dates.check_period(start, end)
    west, south, east, north = parse_bbox(bbox)
    zoom = parse_zoom(zoom)
    code = command_unit(user, unit_code).code
    now = timezone.now()
    lower, upper = dates.period_bounds(start, end)
    cases = selectors.received_in(code, lower, upper).filter(
        lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north
    )
    overdue = statistics.open_overdue(now)
    rows = list(
        cases.annotate(late=ExpressionWrapper(overdue, output_field=BooleanField()))
        .values("id", "number", "title", "state", "lat", "lng", "late")
        .order_by("-reported_at", "-id")[: MAX_MARKERS + 1]
    )
    out = {"zoom": zoom, "bbox": [west, south, east, north], "as_of": now}
    if len(rows) <= MAX_MARKERS:
        states = dict(State.choices)
        out.update(
            kind="markers",
            total=len(rows),
            markers=[
                {
                    "id": r["id"],
                    "number": r["number"],
                    "title": r["title"],
                    "state": r["state"],
                    "state_label": str(states.get(r["state"], r["state"])),
                    "overdue": bool(r["late"]),
                    "lat": r["lat"],
                    "lng": r["lng"],
                }
                for r in rows
            ],
            clusters=[],
        )
        return out
    size = cell_size(zoom)
    cells = (
        cases.annotate(
            cy=Cast(Floor(F("lat") / size), IntegerField()),
            cx=Cast(Floor(F("lng") / size), IntegerField()),
        )
        .values("cy", "cx")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue), lat=Avg("lat"), lng=Avg("lng"))
        .order_by("cy", "cx")
    )
    clusters = [
        {
            "lat": round(c["lat"], 6),
            "lng": round(c["lng"], 6),
            "count": c["n"],
            "overdue": c["late"],
            "bounds": [c["cx"] * size, c["cy"] * size, (c["cx"] + 1) * size, (c["cy"] + 1) * size],
        }
        for c in cells
    ]
    out.update(
        kind="clusters",
        total=sum(c["count"] for c in clusters),
        markers=[],
        clusters=clusters,
    )
    return out
