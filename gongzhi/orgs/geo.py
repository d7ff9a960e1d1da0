"""Geometry helpers for org-unit boundaries. Pure functions over shapely; no ORM.

Boundaries are stored as GeoJSON geometries in WGS-84 longitude/latitude (CGCS2000
differs from WGS-84 by centimetres, far below the accuracy of a drawn grid line).
Chinese web maps publish coordinates in GCJ-02 (高德, 腾讯) or BD-09 (百度); those
are converted at the edge, on the way in, with prcoords.
"""

import json
import math
import warnings
from typing import Any

import numpy as np
import prcoords
import shapely
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.core.errors import Invalid

# A child may stick out of its parent by this much (degrees, about 1 cm): coordinates
# drawn by hand or converted between datums rarely land exactly on the parent's edge.
NESTING_TOLERANCE = 1e-7
# Sibling overlaps smaller than this (square degrees, about 1 m²) are rounding noise.
OVERLAP_MIN_AREA = 1e-10

POLYGON_TYPES = ("Polygon", "MultiPolygon")


class Crs(models.TextChoices):
    """Coordinate systems an upload or a point may be given in."""

    WGS84 = "wgs84", gettext_lazy("WGS-84 / CGCS2000 (GPS, Tianditu)")  # stored as is
    GCJ02 = "gcj02", gettext_lazy("GCJ-02 (AMap, Tencent)")  # 国测局加密坐标
    BD09 = "bd09", gettext_lazy("BD-09 (Baidu)")  # 百度坐标, GCJ-02 shifted again


_TO_WGS84 = {Crs.GCJ02: prcoords.gcj_wgs_bored, Crs.BD09: prcoords.bd_wgs_bored}


def to_wgs84(xy: np.ndarray, crs: str) -> np.ndarray:
    """(n, 2) longitude/latitude rows in `crs` → WGS-84.

    Outside China GCJ-02 is defined as WGS-84, so those points are kept as they are
    (prcoords warns and does the same).
    """
    xy = np.asarray(xy, dtype=float)
    convert = _TO_WGS84.get(crs)
    if convert is None or not len(xy):
        return xy
    out = xy.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (lng, lat) in enumerate(xy[:, :2]):
            if not prcoords.sanity_in_china_p(prcoords.Coords(lat, lng)):
                continue
            w = convert(prcoords.Coords(lat, lng))
            out[i, 0], out[i, 1] = w.lon, w.lat
    return out


def geometry_to_wgs84(geom, crs: str):
    if crs == Crs.WGS84:
        return geom
    return shapely.transform(geom, lambda xy: to_wgs84(xy, crs))


class Problem(Exception):
    """Why one feature cannot be imported: a stable reason and a message in Chinese."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = str(message)


def count_vertices(geometry: dict) -> int:
    """Vertices of a GeoJSON Polygon/MultiPolygon, counted before building anything.

    Raises Problem when the nesting of the coordinate arrays is wrong.
    """
    coords = geometry.get("coordinates")
    polygons = [coords] if geometry.get("type") == "Polygon" else coords
    if not isinstance(polygons, list):
        raise Problem("invalid_coordinates", _("The coordinates are not a list of rings."))
    total = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not all(isinstance(r, list) for r in polygon):
            raise Problem("invalid_coordinates", _("The coordinates are not a list of rings."))
        total += sum(len(ring) for ring in polygon)
    return total


def check_polygon_type(geometry: Any) -> None:
    if not isinstance(geometry, dict):
        raise Problem("missing_geometry", _("The feature has no geometry."))
    kind = geometry.get("type")
    if kind not in POLYGON_TYPES:
        raise Problem(
            "wrong_geometry_type",
            _("The geometry is a %(type)s; only Polygon and MultiPolygon are accepted.")
            % {"type": str(kind)[:40]},
        )


def parse_polygon(geometry: Any):
    """A GeoJSON geometry object → a 2-D shapely Polygon or MultiPolygon (not yet validated)."""
    check_polygon_type(geometry)
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise Problem(
            "invalid_coordinates",
            _("The coordinates cannot be read: %(error)s") % {"error": str(exc)[:200]},
        ) from None
    geom = shapely.force_2d(geom)
    if geom.is_empty:
        raise Problem("empty_geometry", _("The geometry is empty."))
    return geom


def check_range(geom) -> None:
    west, south, east, north = geom.bounds
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise Problem(
            "invalid_coordinates", _("The coordinates contain a value that is not a number.")
        )
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise Problem(
            "out_of_range",
            _(
                "The coordinates are outside longitude −180…180 / latitude −90…90 "
                "(GeoJSON puts longitude first)."
            ),
        )


# GEOS's names for what is wrong with a geometry (shapely.is_valid_reason), translated.
_VALIDITY_REASONS = {
    "Self-intersection": gettext_lazy("the outline crosses itself"),
    "Ring Self-intersection": gettext_lazy("a ring touches itself"),
    "Too few points in geometry component": gettext_lazy("a ring has too few points"),
    "Interior is disconnected": gettext_lazy("a hole cuts the polygon in two"),
    "Hole lies outside shell": gettext_lazy("a hole lies outside the outline"),
    "Nested holes": gettext_lazy("a hole lies inside another hole"),
    "Nested shells": gettext_lazy("one part lies inside another"),
    "Duplicate Rings": gettext_lazy("a ring is repeated"),
    "Invalid Coordinate": gettext_lazy("a coordinate is not a number"),
    "Ring is not closed": gettext_lazy("a ring is not closed"),
}


def check_valid(geom) -> None:
    """Raise a Problem quoting GEOS's explanation (shapely.is_valid_reason) if invalid."""
    if shapely.is_valid(geom):
        return
    explain = shapely.is_valid_reason(geom)
    name = explain.split("[", 1)[0].strip()
    reason = _VALIDITY_REASONS.get(name, gettext_lazy("the polygon is not valid"))
    raise Problem(
        "invalid_geometry",
        _("The polygon is not valid: %(reason)s (%(explain)s).")
        % {"reason": reason, "explain": explain},
    )


def square_metres(area_deg2: float, lat: float) -> float:
    """An area in square degrees near latitude `lat`, in m² (equirectangular; fine for a grid)."""
    return area_deg2 * 111_320.0 * math.cos(math.radians(lat)) * 110_574.0


def to_geojson(geom) -> dict:
    return json.loads(shapely.to_geojson(geom))


def from_geojson(geometry: dict):
    return shapely.from_geojson(json.dumps(geometry))


def bbox(geom) -> list[float]:
    return [float(v) for v in geom.bounds]


def feature_collection(units) -> dict:
    """Units with boundaries as a GeoJSON FeatureCollection (RFC 7946), framed by a bbox."""
    features, boxes = [], []
    for unit in units:
        if unit.boundary is None:
            continue
        box = unit.boundary_bbox
        if box:
            boxes.append(box)
        features.append(
            {
                "type": "Feature",
                "id": unit.pk,
                "bbox": box,
                "geometry": unit.boundary,
                "properties": {
                    "id": unit.pk,
                    "code": unit.code,
                    "name": unit.name,
                    "level": unit.level,
                    "level_label": str(unit.get_level_display()),
                },
            }
        )
    total = None
    if boxes:
        total = [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
    return {"type": "FeatureCollection", "bbox": total, "features": features}


EARTH_RADIUS_M = 6_371_000


def distance_m(lng1, lat1, lng2, lat2) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def distance_label(metres: float | None) -> str:
    """A distance for a list on a phone: "350 米", "1.2 公里", "" when unknown."""
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(m)d m") % {"m": round(metres)}
    return _("%(km).1f km") % {"km": metres / 1000}


# -- a map's box and zoom ----------------------------------------------------------------

MAX_ZOOM = 22


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """ "west,south,east,north" in WGS-84 degrees (Leaflet's toBBoxString)."""
    message = _(
        "The map box must be four numbers: west,south,east,north "
        "(longitude -180 to 180, latitude -90 to 90)."
    )
    try:
        parts = [float(p) for p in (value or "").split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise Invalid(message, code="invalid_bbox", details={"bbox": [message]})
    west, south, east, north = parts
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise Invalid(message, code="invalid_bbox", details={"bbox": [message]})
    return west, south, east, north


def parse_zoom(value) -> int:
    message = _("The zoom level must be a whole number from 0 to %(n)d.") % {"n": MAX_ZOOM}
    try:
        zoom = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(message, code="invalid_zoom", details={"zoom": [message]}) from None
    if not 0 <= zoom <= MAX_ZOOM:
        raise Invalid(message, code="invalid_zoom", details={"zoom": [message]})
    return zoom
