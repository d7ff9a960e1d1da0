# ruff: noqa: E501  (SQL statements and report lines read better unbroken)
"""Benchmark: the offline basemap (orgs.basemap) of a city district, against bare SQL in
the same run.

    .venv/bin/python bench/basemap.py [--db sqlite,postgres] [--buildings 200000] [--repeat 20]

A private database each time (SQLite in a temporary folder; PostgreSQL $BASEMAP_BENCH_DB,
default gongzhi_bench_basemap, dropped and made again) holding --buildings footprints
(48 × 15 m) on a lattice over a district of about 12 × 12 km near 112.45 E 34.62 N, a road
every 250 m each way (as segments between crossings) and a lane inside each block. Then:

- zoom16: `basemap.features_json` (the API's body) for a phone's view at zoom 16 (about 1.2 × 0.9 km, a case
  page's map) against the same SELECT in bare SQL (the box's rows, kind, name, geometry);
- zoom13: the same at zoom 13 (about 10 × 7 km: the command center's map of a district,
  buildings left out) — capped at 4,000 features, roads first.

Target: ≤ 2 × the bare SELECT. Importable: run(db, ...) returns the measurements.
"""

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine, private_database, versus  # noqa: E402

PG_NAME = os.environ.get("BASEMAP_BENCH_DB", "gongzhi_bench_basemap")
LNG0, LAT0 = 112.39, 34.57
DX, DY = 1 / (111_320 * math.cos(math.radians(34.62))), 1 / 110_540  # a metre


def _load(buildings: int) -> int:
    from shapely.geometry import LineString, box

    from gongzhi.orgs import basemap
    from gongzhi.orgs.models import MapFeature

    rows, side = [], int(math.sqrt(buildings)) + 1
    step = 60  # metres between footprints
    extent = side * step
    for i in range(0, extent, 250):  # roads each way, split at crossings
        for j in range(0, extent, 250):
            a = (LNG0 + i * DX, LAT0 + j * DY)
            rows.append(basemap._row("road", LineString([a, (a[0] + 250 * DX, a[1])]), "", "bench"))
            rows.append(basemap._row("road", LineString([a, (a[0], a[1] + 250 * DY)]), "", "bench"))
            mid = (a[0] + 125 * DX, a[1])
            rows.append(
                basemap._row("lane", LineString([mid, (mid[0], mid[1] + 250 * DY)]), "", "bench")
            )
    n = 0
    for i in range(side):
        for j in range(side):
            if n >= buildings:
                break
            x, y = LNG0 + (i * step + 30) * DX, LAT0 + (j * step + 20) * DY
            rows.append(
                basemap._row(
                    "building",
                    box(x - 24 * DX, y - 7.5 * DY, x + 24 * DX, y + 7.5 * DY),
                    f"{n}号楼",
                    "bench",
                )
            )
            n += 1
    MapFeature.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def run(db: str, buildings: int, repeat: int) -> dict:
    private_database(db, PG_NAME, "gongzhi-bench-basemap-")
    import time

    from django.db import connection

    from gongzhi.orgs import basemap

    t0 = time.perf_counter()
    count = _load(buildings)
    with connection.cursor() as c:
        c.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE orgs_mapfeature")
    out = {"db": connection.vendor, "features": count, "load_s": round(time.perf_counter() - t0, 1)}
    centre = (LNG0 + 6000 * DX, LAT0 + 6000 * DY)
    views = {"zoom16": (16, 1200, 900), "zoom13": (13, 10000, 7000)}
    sql = (
        "SELECT kind, name, geometry FROM orgs_mapfeature WHERE south <= %s AND north >= %s "
        "AND west <= %s AND east >= %s{extra} ORDER BY CASE kind WHEN 'main_road' THEN 0 "
        "WHEN 'road' THEN 1 WHEN 'water' THEN 2 WHEN 'green' THEN 3 WHEN 'lane' THEN 4 ELSE 5 END, id "
        "LIMIT 4001"
    )
    for name, (zoom, w, h) in views.items():
        west, east = centre[0] - w / 2 * DX, centre[0] + w / 2 * DX
        south, north = centre[1] - h / 2 * DY, centre[1] + h / 2 * DY
        extra = " AND kind <> 'building'" if zoom < basemap.BUILDINGS_FROM_ZOOM else ""
        statement = sql.format(extra=extra)
        if connection.vendor == "sqlite":
            statement = statement.replace("%s", "?")

        def bare(statement=statement, box=(north, south, east, west)):
            with connection.cursor() as c:
                c.execute(statement, box)
                return c.fetchall()

        result = basemap.features_in(west, south, east, north, zoom)
        out[name] = {
            "features": len(result["features"]), "truncated": result["truncated"],
            **versus(lambda a=(west, south, east, north, zoom): basemap.features_json(*a), bare, repeat),
        }  # fmt: skip
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.buildings, args.repeat)))
        return
    print(machine())
    for db in args.db.split(","):
        db = "postgresql" if db.startswith("postgres") else db
        proc = subprocess.run(
            [sys.executable, __file__, "--child", db, "--buildings", str(args.buildings),
             "--repeat", str(args.repeat)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{r['db']}: {r['features']:,} features, loaded in {r['load_s']} s")
        for view in ("zoom16", "zoom13"):
            v = r[view]
            print(
                f"  {view}: {v['features']:,} features{' (capped)' if v['truncated'] else ''}: "
                f"{v['ours_ms']} ms vs bare {v['bare_ms']} ms = {v['ratio']} ×"
            )


if __name__ == "__main__":
    main()
