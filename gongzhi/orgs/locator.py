"""Point → org unit: the code of the deepest unit whose boundary contains a point.

A micro-grid wins over the grid around it, a grid over its community, and so on
(code length is depth). A point on an edge shared by two units of the same depth
goes to the smaller code, so the answer never depends on the order of the index.

The index is a shapely STRtree over every active unit's boundary, built from the
database once per process and kept. It is rebuilt when boundaries change: the
import service invalidates it in its own process, and every process compares a
cheap stamp (count and latest `boundary_updated_at`, an index-only read) at most
every CHECK_INTERVAL seconds, so another process's import is seen within that.

This module answers "where is this point" for everyone; restricting the answer to
what a user may see is `selectors.unit_at_point_for`.
"""

import contextlib
import gc
import itertools
import threading
import time
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from django.db.models import Count, Max, TextField
from django.db.models.functions import Cast

from gongzhi.orgs.geo import Crs, to_wgs84

CHECK_INTERVAL = 5.0  # seconds between stamp checks


class LocatorIndex:
    """An immutable STRtree over (code, polygon) pairs.

    Geometries are stored ordered by (depth descending, code ascending), so among all
    units containing a point the one with the smallest position is the answer.
    """

    def __init__(self, units: Iterable[tuple[str, object]]):
        ordered = sorted(
            ((c, g) for c, g in units if g is not None), key=lambda u: (-len(u[0]), u[0])
        )
        self.size = len(ordered)
        self.tree = shapely.STRtree([g for _, g in ordered])
        # One slot past the end stands for "no unit": `best` starts there.
        self._codes = np.array([c for c, _ in ordered] + [None], dtype=object)

    def locate_many(self, xy) -> list[str | None]:
        """Codes for WGS-84 (lng, lat) rows: a sequence of pairs or an (n, 2) array."""
        xy = as_xy(xy)
        if not len(xy):
            return []
        with _cyclic_gc_paused():
            points = shapely.points(xy)
            point_idx, geom_idx = self.tree.query(points, predicate="intersects")
            best = np.full(len(xy), self.size, dtype=np.intp)
            np.minimum.at(best, point_idx, geom_idx)
            return self._codes[best].tolist()


@contextlib.contextmanager
def _cyclic_gc_paused():
    """A batch allocates one shapely Point and one result reference per point, none of
    them in a cycle; in a process as big as Django's, the collections those
    allocations trigger cost as much as the spatial query itself, for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def as_xy(points) -> np.ndarray:
    """(lng, lat) pairs as an (n, 2) float array.

    A list of tuples is read with fromiter, about three times faster than np.asarray
    (which inspects every tuple); a wrongly shaped input is refused either way.
    """
    if isinstance(points, np.ndarray):
        xy = points.astype(float, copy=False)
    else:
        points = points if isinstance(points, Sequence) else list(points)
        xy = np.fromiter(itertools.chain.from_iterable(points), dtype=float)
        if len(xy) != 2 * len(points):
            raise ValueError("points must be (longitude, latitude) pairs")
    if xy.ndim != 2 or xy.shape[1] != 2:
        xy = xy.reshape(-1, 2)
    return xy


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.index: LocatorIndex | None = None
        self.stamp = None
        self.checked_at = float("-inf")


_cache = _Cache()


# The models are imported inside the functions that read the database, so the index
# itself (and bench/locator.py) works without a configured Django.


def _stamp():
    from gongzhi.orgs.models import OrgUnit

    row = OrgUnit.objects.aggregate(n=Count("boundary_updated_at"), last=Max("boundary_updated_at"))
    return row["n"], row["last"]


def build_from_db() -> LocatorIndex:
    from gongzhi.orgs.models import OrgUnit

    # The JSON column is read as text and parsed by GEOS in one vectorised call.
    rows = list(
        OrgUnit.objects.filter(is_active=True, boundary__isnull=False)
        .annotate(geojson=Cast("boundary", TextField()))
        .values_list("code", "geojson")
    )
    geoms = shapely.from_geojson([g for _, g in rows], on_invalid="warn") if rows else []
    return LocatorIndex(zip((c for c, _ in rows), geoms, strict=True))


def current_index() -> LocatorIndex:
    """The cached index, rebuilt first if boundaries changed since it was built."""
    c = _cache
    now = time.monotonic()
    if c.index is not None and now - c.checked_at < CHECK_INTERVAL:
        return c.index
    with c.lock:
        if c.index is not None and now - c.checked_at < CHECK_INTERVAL:
            return c.index
        # The stamp is read before the rows: a change landing in between makes the
        # next check rebuild again rather than keep an index newer than its stamp.
        stamp = _stamp()
        if c.index is None or stamp != c.stamp:
            c.index, c.stamp = build_from_db(), stamp
        c.checked_at = time.monotonic()
        return c.index


def invalidate() -> None:
    """Forget the index; the next lookup in this process rebuilds it."""
    with _cache.lock:
        _cache.index, _cache.stamp, _cache.checked_at = None, None, float("-inf")


def locate_many(points: Sequence[tuple[float, float]] | np.ndarray, *, crs: str = Crs.WGS84):
    """Codes of the deepest units containing each (lng, lat) point, None where there is none."""
    xy = as_xy(points)
    if crs != Crs.WGS84:
        xy = to_wgs84(xy, crs)
    return current_index().locate_many(xy)


def locate(lng: float, lat: float, *, crs: str = Crs.WGS84) -> str | None:
    """The code of the deepest unit containing (lng, lat), or None."""
    return locate_many([(lng, lat)], crs=crs)[0]
