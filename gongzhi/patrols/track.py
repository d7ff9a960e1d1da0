"""A patrol's GPS track: the parts a phone sends checked, and its length and the area it
covered worked out.

The phone samples sparingly (a fix every 15 s at most, and only after moving 15 m): an
8-hour round is at most ~2,000 points, about 60 KB on the device. Length is the sum of
great-circle steps; the area covered is the track widened by what a walker sees on each
side (30 m), in square metres, on a local flat projection (errors well under 1 % at a
district's size)."""

import itertools
import math

from django.utils.translation import gettext as _
from shapely.geometry import LineString, Point

MAX_PART_POINTS = 2000  # one part; a day's track is several
SEEN_EITHER_SIDE_M = 30.0
EARTH_RADIUS_M = 6_371_008.8
M_PER_DEGREE_LAT = 110_574.0
M_PER_DEGREE_LNG_EQUATOR = 111_320.0


def clean_points(points, errors: dict, *, earliest: float, latest: float) -> list[list[float]]:
    """[[unix seconds, lng, lat], …]: numbers, on the Earth, in the patrol's time (from
    `earliest` to `latest`, unix seconds); else an error on `points`."""
    if not isinstance(points, list) or not 0 < len(points) <= MAX_PART_POINTS:
        errors.setdefault("points", []).append(
            _("From 1 to %(n)d points a part.") % {"n": MAX_PART_POINTS}
        )
        return []
    clean = []
    for point in points:
        try:
            t, lng, lat = (float(v) for v in point)
        except (TypeError, ValueError):
            t = lng = lat = math.nan
        if not (
            math.isfinite(t) and earliest <= t <= latest and -180 <= lng <= 180 and -90 <= lat <= 90
        ):
            errors.setdefault("points", []).append(
                _("Each point is [time, longitude, latitude] within the patrol's time.")
            )
            return []
        clean.append([round(t, 1), round(lng, 6), round(lat, 6)])
    return clean


def _step_m(a, b) -> float:
    lng1, lat1, lng2, lat2 = map(math.radians, (a[1], a[2], b[1], b[2]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def measure(points: list[list[float]]) -> tuple[float, float]:
    """(length in metres, area covered in square metres) of a track in time order."""
    if not points:
        return 0.0, 0.0
    length = sum(_step_m(a, b) for a, b in itertools.pairwise(points))
    lat0 = math.radians(sum(p[2] for p in points) / len(points))
    kx = M_PER_DEGREE_LNG_EQUATOR * math.cos(lat0)
    flat = [(p[1] * kx, p[2] * M_PER_DEGREE_LAT) for p in points]
    shape = LineString(flat) if len(set(flat)) > 1 else Point(flat[0])
    return length, shape.buffer(SEEN_EITHER_SIDE_M, quad_segs=4).area
