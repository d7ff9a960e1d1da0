"""Benchmark: the point → grid locator against a bare shapely STRtree query.

    .venv/bin/python bench/locator.py --grids 2000 --points 100000 [--db]

The grids are built in memory: a jittered lattice around 112.45 E 34.62 N cut into
roughly square cells of about 500 m, neighbours sharing their edges exactly, every
edge densified so a grid has about 33 vertices (hand-drawn grid outlines have tens).
The points are uniform over the lattice's bounding box grown by 5 %, so a few fall
outside every grid.

Timed on the same polygons and the same points, best of --repeat runs:

- bare: `STRtree.query(points, predicate="intersects")` on prebuilt shapely points,
  which only returns index pairs;
- ours: `LocatorIndex.locate_many`, from (lng, lat) pairs (a list of tuples, as
  callers pass them, and an ndarray) to one code or None per point, with the
  deepest-unit / smallest-code rule applied;
- with --db also `gongzhi.orgs.locator.locate_many`, the module function the app
  calls, whose index is built from a scratch SQLite database (in a temporary
  directory, never var/) and cached; and the time to build that index from the rows.

Importable: `run(grids=…, points=…)` returns the measurements; `main()` prints them.
"""

import argparse
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely

from gongzhi.orgs.locator import LocatorIndex

CENTRE = (112.45, 34.62)
CELL = 0.005  # degrees, about 460 m east-west and 555 m north-south here
TARGET = 0.5  # ours must keep at least half the bare rate


def make_grids(n: int, seed: int = 1) -> list[tuple[str, object]]:
    """n grid polygons tiling a jittered lattice, with 15-digit codes (5 per community
    row … the codes only need to be unique and of grid length)."""
    rnd = random.Random(seed)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    x0 = CENTRE[0] - cols * CELL / 2
    y0 = CENTRE[1] - rows * CELL / 2
    lattice = [
        [
            (
                x0 + i * CELL + rnd.uniform(-0.2, 0.2) * CELL,
                y0 + j * CELL + rnd.uniform(-0.2, 0.2) * CELL,
            )
            for j in range(rows + 1)
        ]
        for i in range(cols + 1)
    ]
    grids = []
    for k in range(n):
        i, j = k % cols, k // cols
        ring = [lattice[i][j], lattice[i + 1][j], lattice[i + 1][j + 1], lattice[i][j + 1]]
        poly = shapely.segmentize(shapely.Polygon(ring), CELL / 8)
        community, seq = divmod(k, 999)
        grids.append((f"990101001{community + 1:03d}{seq + 1:03d}", poly))
    return grids


def random_points(grids, n: int, seed: int = 2) -> np.ndarray:
    west, south, east, north = shapely.total_bounds([g for _, g in grids])
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [rng.uniform(west - dx, east + dx, n), rng.uniform(south - dy, north + dy, n)]
    )


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


@dataclass
class Result:
    grids: int
    points: int
    vertices: int
    repeat: int
    rows: list[tuple[str, float]] = field(default_factory=list)  # (path, seconds)
    builds: list[tuple[str, float]] = field(default_factory=list)
    hits: int = 0

    @property
    def bare(self) -> float:
        return self.rows[0][1]

    def ratio(self, seconds: float) -> float:
        """Our rate as a multiple of the bare rate (1.0: as fast)."""
        return self.bare / seconds


def run(grids: int = 2000, points: int = 100_000, repeat: int = 5, db: bool = False) -> Result:
    if db:
        # Django first, so every path below runs in a process of the app's size.
        _setup_django()
    units = make_grids(grids)
    geoms = [g for _, g in units]
    xy = random_points(units, points)
    pairs = [tuple(p) for p in xy.tolist()]
    result = Result(grids, points, int(shapely.get_num_coordinates(geoms).sum()) // grids, repeat)

    t_tree, tree = best_of(repeat, lambda: shapely.STRtree(geoms))
    pts = shapely.points(xy)
    t_bare, (p_idx, g_idx) = best_of(repeat, lambda: tree.query(pts, predicate="intersects"))
    result.rows.append(("bare STRtree.query(points, 'intersects')", t_bare))

    t_index, index = best_of(repeat, lambda: LocatorIndex(units))
    t_list, codes = best_of(repeat, lambda: index.locate_many(pairs))
    result.rows.append(("LocatorIndex.locate_many(list of tuples)", t_list))
    t_array, codes_a = best_of(repeat, lambda: index.locate_many(xy))
    result.rows.append(("LocatorIndex.locate_many(ndarray)", t_array))
    result.builds += [("STRtree(polygons)", t_tree), ("LocatorIndex(polygons)", t_index)]

    # The answers agree with the bare pairs (grids do not nest: one per point, or the
    # smallest code on a shared edge).
    expected: list[str | None] = [None] * points
    for p, g in sorted(zip(p_idx.tolist(), g_idx.tolist(), strict=True), reverse=True):
        code = units[g][0]
        if expected[p] is None or code < expected[p]:
            expected[p] = code
    assert codes == expected == codes_a, "the locator disagrees with the bare query"
    result.hits = sum(c is not None for c in codes)

    if db:
        t_build, t_module = _with_database(units, pairs, repeat)
        result.rows.append(("locator.locate_many (DB-backed, cached)", t_module))
        result.builds.append(("locator index from the database", t_build))
    return result


def _setup_django() -> None:
    """Django on a scratch SQLite database in a temporary directory (never var/)."""
    tmp = tempfile.mkdtemp(prefix="gongzhi-bench-")
    os.environ["GONGZHI_VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings"
    import django

    django.setup()


def _with_database(units, pairs, repeat) -> tuple[float, float]:
    """Load the grids into the scratch database and time the app's own path."""
    from django.core.management import call_command
    from django.utils import timezone

    from gongzhi.orgs import geo, locator
    from gongzhi.orgs.models import OrgUnit

    call_command("migrate", "orgs", verbosity=0)
    now = timezone.now()
    district = OrgUnit.objects.create(code="990101", name="区", level="district")
    sub = OrgUnit.objects.create(
        code="990101001", name="街道", level="subdistrict", parent=district
    )
    communities = {}
    for code, _ in units:
        if code[:12] not in communities:
            communities[code[:12]] = OrgUnit.objects.create(
                code=code[:12], name=f"社区{code[9:12]}", level="community", parent=sub
            )
    OrgUnit.objects.bulk_create(
        [
            OrgUnit(
                code=code,
                name=f"网格{code[-6:]}",
                level="grid",
                parent=communities[code[:12]],
                boundary=geo.to_geojson(geom),
                boundary_bbox=geo.bbox(geom),
                boundary_updated_at=now,
            )
            for code, geom in units
        ],
        batch_size=500,
    )

    def build():
        locator.invalidate()
        return locator.current_index()

    t_build, _ = best_of(repeat, build)
    locator.locate(*pairs[0])  # warm: the index is cached from here on
    t_module, _ = best_of(repeat, lambda: locator.locate_many(pairs))
    return t_build, t_module


def machine() -> str:
    import shapely as s

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs (nproc), "
        f"Python {platform.python_version()}, shapely {s.__version__} "
        f"(GEOS {s.geos_version_string}), numpy {np.__version__}"
    )


def report(r: Result) -> str:
    lines = [
        f"Locator: {r.grids:,} grids (~{r.vertices} vertices each), {r.points:,} random "
        f"points ({r.hits:,} inside a grid), best of {r.repeat}",
        machine(),
        "",
        f"{'path':<44} {'ms':>9} {'points/s':>12} {'× bare':>8}",
        f"{'-' * 44} {'-' * 9} {'-' * 12} {'-' * 8}",
    ]
    for name, seconds in r.rows:
        lines.append(
            f"{name:<44} {seconds * 1000:>9.1f} {r.points / seconds:>12,.0f} "
            f"{r.ratio(seconds):>8.2f}"
        )
    lines.append("")
    for name, seconds in r.builds:
        lines.append(f"build: {name:<37} {seconds * 1000:>9.1f} ms")
    worst = min(r.ratio(s) for _, s in r.rows[1:])
    verdict = "ok" if worst >= TARGET else "BELOW TARGET"
    lines += ["", f"slowest of ours: {worst:.2f} × bare (target ≥ {TARGET}) — {verdict}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--grids", type=int, default=2000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--db", action="store_true", help="also time the DB-backed module path (scratch SQLite)"
    )
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args(argv)
    result = run(grids=args.grids, points=args.points, repeat=args.repeat, db=args.db)
    print(json.dumps(asdict(result)) if args.json else report(result))
    return 0 if min(result.ratio(s) for _, s in result.rows[1:]) >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
