"""The offline basemap (MapFeature): roads, water, green space and building footprints
drawn under every map when no tile server is set, so a map on an offline intranet is not a
grey field with outlines on it.

- `import_geojson(data, source=, crs=)`: a GeoJSON FeatureCollection (an export of the
  district's roads and buildings, e.g. from OpenStreetMap or the surveying office) replaces
  the features of the same source. A feature's kind is its `kind` property or is read from
  OpenStreetMap's tags (highway, building, natural/waterway, leisure/landuse).
- `features_in(box, zoom)`: the features crossing a box, buildings only from zoom 15, at
  most MAX_FEATURES (the biggest roads first).
- `draw_demo(district, buildings)`: the demo district's roads along its units' shared
  edges, a park and a pond, and a footprint for each registry building in its grid.
"""

import json
import math
import random
from dataclasses import dataclass

import shapely
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _
from shapely.geometry import box as make_box
from shapely.geometry import mapping, shape

from gongzhi.core.errors import Invalid
from gongzhi.orgs import geo
from gongzhi.orgs.models import MapFeature, MapFeatureKind, OrgUnit

MAX_FEATURES = 4000
BUILDINGS_FROM_ZOOM = 15
MAX_IMPORT = 200_000
LINES = {MapFeatureKind.MAIN_ROAD, MapFeatureKind.ROAD, MapFeatureKind.LANE}
DEMO = "demo"

MAIN_HIGHWAYS = {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link"}
LANE_HIGHWAYS = {"service", "footway", "path", "pedestrian", "living_street", "track", "steps"}
GREEN = {"park", "garden", "grass", "forest", "recreation_ground", "meadow", "village_green"}


def kind_of(properties: dict) -> str | None:
    """The kind a feature is drawn as: its own `kind`, or OpenStreetMap's tags."""
    p = properties or {}
    if p.get("kind") in MapFeatureKind.values:
        return p["kind"]
    if p.get("highway"):
        if p["highway"] in MAIN_HIGHWAYS:
            return MapFeatureKind.MAIN_ROAD
        return MapFeatureKind.LANE if p["highway"] in LANE_HIGHWAYS else MapFeatureKind.ROAD
    if p.get("building"):
        return MapFeatureKind.BUILDING
    if p.get("natural") == "water" or p.get("waterway") or p.get("water"):
        return MapFeatureKind.WATER
    if p.get("leisure") in GREEN or p.get("landuse") in GREEN:
        return MapFeatureKind.GREEN
    return None


def _row(kind: str, geom, name: str, source: str) -> MapFeature:
    west, south, east, north = geom.bounds
    text = json.dumps(mapping(geom), separators=(",", ":"))
    return MapFeature(
        kind=kind, name=(name or "")[:100], geometry=text, west=west, south=south,
        east=east, north=north, source=source,
    )  # fmt: skip


@dataclass
class Imported:
    source: str
    created: int
    skipped: int  # features of no kind drawn, or of the wrong shape for their kind


def import_geojson(data, *, source: str, crs: str = geo.Crs.WGS84) -> Imported:
    """Replace the features of `source` with the FeatureCollection's (one transaction).
    Invalid (nothing changed) when it is not a FeatureCollection, too big, or outside the
    range of longitudes and latitudes."""
    source = (source or "").strip()[:50]
    if not source:
        raise Invalid(_("Name the source of the features."), code="invalid")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise Invalid(_("The file is not a GeoJSON FeatureCollection."), code="not_geojson")
    features = data.get("features")
    if not isinstance(features, list):
        raise Invalid(_("The file is not a GeoJSON FeatureCollection."), code="not_geojson")
    if len(features) > MAX_IMPORT:
        raise Invalid(
            _("A file holds at most %(n)s features.") % {"n": f"{MAX_IMPORT:,}"},
            code="too_many_features",
        )
    rows, skipped = [], 0
    for f in features:
        properties = f.get("properties") if isinstance(f, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        kind = kind_of(properties)
        try:
            geom = shape(f["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
            skipped += 1
            continue
        lines = geom.geom_type in ("LineString", "MultiLineString")
        areas = geom.geom_type in ("Polygon", "MultiPolygon")
        if kind is None or geom.is_empty or (lines != (kind in LINES)) or not (lines or areas):
            skipped += 1
            continue
        geom = geo.geometry_to_wgs84(geom, crs)
        west, south, east, north = geom.bounds
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise Invalid(_("A feature lies outside longitude and latitude."), code="out_of_range")
        rows.append(_row(kind, geom, str(properties.get("name") or ""), source))
    with transaction.atomic():
        MapFeature.objects.filter(source=source).delete()
        MapFeature.objects.bulk_create(rows, batch_size=2000)
    return Imported(source, len(rows), skipped)


# The order features are drawn and kept in when a box holds more than MAX_FEATURES.
DRAW_ORDER = ["main_road", "road", "water", "green", "lane", "building"]


def box_rows(west: float, south: float, east: float, north: float, zoom: int):
    """(rows, truncated): the features crossing the box as (kind, name, geometry as the
    stored JSON text), the roads first — at most MAX_FEATURES, `truncated` when more
    cross it; buildings only from zoom BUILDINGS_FROM_ZOOM."""
    qs = MapFeature.objects.filter(south__lte=north, north__gte=south, west__lte=east,
                                   east__gte=west)  # fmt: skip
    if zoom < BUILDINGS_FROM_ZOOM:
        qs = qs.exclude(kind=MapFeatureKind.BUILDING)
    rank = Case(
        *[When(kind=k, then=Value(i)) for i, k in enumerate(DRAW_ORDER)],
        output_field=IntegerField(),
    )
    rows = list(
        qs.annotate(rank=rank)
        .order_by("rank", "id")
        .values_list("kind", "name", "geometry")[: MAX_FEATURES + 1]
    )
    return rows[:MAX_FEATURES], len(rows) > MAX_FEATURES


def features_in(west: float, south: float, east: float, north: float, zoom: int) -> dict:
    """The features crossing the box as a GeoJSON FeatureCollection (box_rows)."""
    rows, truncated = box_rows(west, south, east, north, zoom)
    return {
        "type": "FeatureCollection",
        "truncated": truncated,
        "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": {"kind": k, "name": n}}
            for k, n, g in rows
        ],
    }


def features_json(west: float, south: float, east: float, north: float, zoom: int) -> str:
    """The same FeatureCollection as JSON text for the API: each geometry passes through as
    the database holds it, never parsed and written again."""
    rows, truncated = box_rows(west, south, east, north, zoom)
    parts = [
        '{"type":"Feature","geometry":' + g + ',"properties":'
        + json.dumps({"kind": k, "name": n}, ensure_ascii=False) + "}"
        for k, n, g in rows
    ]  # fmt: skip
    head = '{"type":"FeatureCollection","truncated":' + json.dumps(truncated) + ',"features":['
    return head + ",".join(parts) + "]}"


# -- the demo district -----------------------------------------------------------------

ROAD_NAMES = ["明德路", "和平里大街", "桂园路", "翠竹街", "青禾大道", "兴华路", "安居街", "文昌路",
              "建设路", "幸福街", "光明路", "育才路"]  # fmt: skip


def _metres_to_degrees(metres: float, lat: float) -> tuple[float, float]:
    return metres / (111_320 * math.cos(math.radians(lat))), metres / 110_540


def _footprints(area, count: int, rnd: random.Random) -> list:
    """`count` building slabs (about 48 × 15 m) in rows inside `area`, kept off its edge
    and gathered round its middle as an estate is; fewer when the area cannot hold them."""
    if count <= 0 or area.is_empty:
        return []
    lat = area.centroid.y
    dx, dy = _metres_to_degrees(1, lat)
    inner = area.buffer(-18 * dy)
    if inner.is_empty:
        inner = area
    w, s, e, n = inner.bounds
    step_x, step_y = 62 * dx, 36 * dy
    spots = []
    y = s + step_y / 2
    while y < n:
        x = w + step_x / 2
        while x < e:
            spot = make_box(x - 24 * dx, y - 7.5 * dy, x + 24 * dx, y + 7.5 * dy)
            if inner.contains(spot):
                spots.append(spot)
            x += step_x
        y += step_y
    middle = inner.centroid
    spots.sort(key=lambda s: (s.centroid.distance(middle), rnd.random()))
    return spots[:count]


def _slab(lng: float, lat: float):
    dx, dy = _metres_to_degrees(1, lat)
    return make_box(lng - 24 * dx, lat - 7.5 * dy, lng + 24 * dx, lat + 7.5 * dy)


def draw_demo(district: OrgUnit, buildings: list[tuple]) -> int:
    """The demo district's basemap (source "demo", replaced whole): main roads along the
    subdistricts' and communities' shared edges, roads along the grids', a park and a pond
    in the first community, and a footprint with its name for each (name, org code, lng,
    lat) of `buildings`: at its point, or, without one, in rows inside its micro-grid or
    grid. Returns the features written."""
    units = list(
        OrgUnit.objects.filter(code__within=district.code, boundary__isnull=False).only(
            "code", "level", "name", "boundary"
        )
    )
    if not units:
        return 0
    shapes = {u.code: geo.from_geojson(u.boundary) for u in units}
    levels = {u.code: u.level for u in units}
    rnd = random.Random(f"basemap:{district.code}")
    rows: list[MapFeature] = []
    main_edges = shapely.unary_union(
        [shapes[c].boundary for c, lv in levels.items() if lv in ("subdistrict", "community")]
    )
    district_edge = shapes.get(district.code)
    if district_edge is not None:
        main_edges = main_edges.difference(district_edge.boundary.buffer(1e-6))
    merged = shapely.line_merge(main_edges) if not main_edges.is_empty else main_edges
    for i, line in enumerate(getattr(merged, "geoms", [merged])):
        if line.length > 0:
            name = ROAD_NAMES[i % len(ROAD_NAMES)]
            rows.append(_row(MapFeatureKind.MAIN_ROAD, line, name, DEMO))
    grid_edges = shapely.unary_union(
        [shapes[c].boundary for c, lv in levels.items() if lv == "grid"]
    )
    small = grid_edges
    if not main_edges.is_empty:
        small = grid_edges.difference(main_edges.buffer(1e-6))
    small = shapely.line_merge(small) if not small.is_empty else small
    for line in getattr(small, "geoms", [small]):
        if line.length > 0 and line.geom_type == "LineString":
            rows.append(_row(MapFeatureKind.ROAD, line, "", DEMO))
    # The micro-grids' edges are the estates' lanes.
    lanes = shapely.unary_union(
        [shapes[c].boundary for c, lv in levels.items() if lv == "microgrid"]
    )
    if not lanes.is_empty:
        lanes = shapely.line_merge(lanes.difference(grid_edges.buffer(1e-6)))
        for line in getattr(lanes, "geoms", [lanes]):
            if line.length > 0 and line.geom_type == "LineString":
                rows.append(_row(MapFeatureKind.LANE, line, "", DEMO))
    communities = sorted(c for c, lv in levels.items() if lv == "community")
    if communities:
        area = shapes[communities[0]]
        c = area.centroid
        dx, dy = _metres_to_degrees(1, c.y)
        park = make_box(c.x - 60 * dx, c.y - 40 * dy, c.x + 60 * dx, c.y + 40 * dy)
        park = park.intersection(area)
        pond = shapely.Point(c.x, c.y).buffer(18 * dy).intersection(park)
        rows.append(_row(MapFeatureKind.GREEN, park, "口袋公园", DEMO))
        rows.append(_row(MapFeatureKind.WATER, pond, "", DEMO))
        taken = park.buffer(8 * dy)
    else:
        taken = shapely.Point()
    by_area: dict[str, list[str]] = {}
    for name, code, lng, lat in buildings:
        if lng is not None and lat is not None:
            rows.append(_row(MapFeatureKind.BUILDING, _slab(lng, lat), name, DEMO))
            continue
        area = code if code in shapes else code[:15]
        if area in shapes:
            by_area.setdefault(area, []).append(name)
    for area, names in sorted(by_area.items()):
        free = shapes[area].difference(taken)
        for name, spot in zip(names, _footprints(free, len(names), rnd), strict=False):
            rows.append(_row(MapFeatureKind.BUILDING, spot, name, DEMO))
    with transaction.atomic():
        MapFeature.objects.filter(source=DEMO).delete()
        MapFeature.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
