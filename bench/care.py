"""Benchmark: caring for residents (issue 18), against bare SQL in the same run.

    .venv/bin/python bench/care.py [--db sqlite,postgres] [--residents 100000] [--pg-name NAME]

A private database each time (SQLite in a temporary folder; PostgreSQL --pg-name,
dropped and made again) with one district of 4 subdistricts, 24 communities and 240
grids, --residents residents tagged 独居/孤寡 over them — 300 of them in the first grid,
in buildings with a point — and that grid's worker.

- regenerate: a weekly plan over the district (services.plan_save: the plan, its
  scheduled visits by one INSERT … SELECT … ON CONFLICT DO NOTHING, the moves and ends,
  the audit rows), then generating again (0 made) and a check that no (plan, resident,
  window) has two rows; the baseline is the bare INSERT … SELECT of the same rows into a
  scratch window;
- due list: the worker's due visits nearest first (selectors.due_list with the phone's
  place: 300 rows, their residents and buildings, distances in Python) against the bare
  SELECT … JOIN of the same rows ORDER BY due date; target under 200 ms and ≤ 2 ×.

Importable: run(db, residents) returns the measurements; main() prints them.
"""

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import district_tree, machine, private_database, timed  # noqa: E402

GRIDS_PER_COMMUNITY, COMMUNITIES_PER_SUB, SUBS = 10, 6, 4
WORKER_RESIDENTS = 300


def _world(residents: int):
    """The tree, an operator of the district, the first grid's worker, and the residents
    (WORKER_RESIDENTS of them in the first grid's buildings), all tagged 独居/孤寡."""
    from django.utils import timezone

    from gongzhi.accounts.models import Position, User
    from gongzhi.core.roles import Role
    from gongzhi.registry.models import Building, Household, Resident, Tag

    district, grids, operator = district_tree(SUBS, COMMUNITIES_PER_SUB, GRIDS_PER_COMMUNITY)
    worker = User.objects.create(username="bench_gw", name="基准网格员")
    Position.objects.create(
        user=worker, role=Role.GRID_WORKER, org_unit=grids[0], org_code=grids[0].code
    )
    tag, _ = Tag.objects.get_or_create(name="独居/孤寡", defaults={"is_care": True})
    Tag.objects.filter(pk=tag.pk).update(is_care=True)
    now = timezone.now()
    first = grids[0]
    buildings = Building.objects.bulk_create(
        Building(
            grid=first,
            org_code=first.code,
            name=f"基准楼{b}",
            address=f"基准路{b}号",
            lng=112.40 + b * 0.001,
            lat=34.60 + (b % 5) * 0.001,
            created_at=now,
            updated_at=now,
        )
        for b in range(30)
    )
    households = Household.objects.bulk_create(
        Household(
            org_code=first.code,
            building=buildings[i % 30],
            room=f"{i:03d}",
            created_at=now,
            updated_at=now,
        )
        for i in range(WORKER_RESIDENTS)
    )
    through = Resident.tags.through
    batch = []

    def flush():
        made = Resident.objects.bulk_create(batch)
        through.objects.bulk_create(through(resident_id=r.pk, tag_id=tag.pk) for r in made)
        batch.clear()

    others = grids[1:]
    for i in range(residents):
        if i < WORKER_RESIDENTS:
            grid, household = first, households[i]
        else:
            grid, household = others[i % len(others)], None
        batch.append(
            Resident(
                grid=grid,
                org_code=grid.code,
                household=household,
                name=f"居民{i:06d}",
                created_at=now,
                updated_at=now,
            )
        )
        if len(batch) == 5000:
            flush()
    flush()
    return district, operator, worker, tag, first


def _bare_generate(plan, start, end) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO care_scheduledvisit (plan_id, resident_id, org_code, window_start, "
            "due_on, overdue_on, state, end_reason, created_at) "
            "SELECT %s, r.id, r.org_code, %s, %s, %s, 'open', '', %s "
            "FROM registry_resident r JOIN registry_resident_tags t ON t.resident_id = r.id "
            "WHERE t.tag_id = %s AND r.is_active AND r.org_code >= %s AND r.org_code < %s",
            [plan.pk, start, end, end, dt.datetime.now(dt.UTC), plan.tag_id, "990101", "990101:"],
        )
        return cur.rowcount


def run(db: str, residents: int, pg_name: str, repeat: int = 10) -> dict:
    private_database(db, pg_name, "gongzhi-bench-care-")
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from gongzhi.care import selectors, services
    from gongzhi.care.models import ScheduledVisit, VisitPlan

    t0 = time.perf_counter()
    district, operator, worker, tag, grid = _world(residents)
    out = {"db": db, "residents": residents, "setup_s": round(time.perf_counter() - t0, 1)}
    today = timezone.localdate()

    # -- regenerate: the service against the bare INSERT … SELECT ------------------------
    scratch = VisitPlan.objects.create(
        name="scratch", tag=tag, unit_code="990101001", period="week", created_by=operator
    )
    t0 = time.perf_counter()
    with transaction.atomic():
        bare_rows = _bare_generate(scratch, today - dt.timedelta(days=700), today)
    bare_s = time.perf_counter() - t0
    ScheduledVisit.objects.filter(plan=scratch).delete()
    scratch.delete()
    t0 = time.perf_counter()
    plan = services.plan_save(
        actor=operator, name="独居每周", tag_id=tag.pk, unit_code=district.code, period="week"
    )
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = services.plan_generate(plan)
    again_s = time.perf_counter() - t0
    dupes = (
        ScheduledVisit.objects.values("plan", "resident", "window_start")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    out["regenerate"] = {
        "scheduled": ScheduledVisit.objects.filter(plan=plan).count(),
        "bare_rows": bare_rows,
        "ours_s": round(ours_s, 2),
        "bare_s": round(bare_s, 2),
        "ratio": round(ours_s / bare_s, 2),
        "again": again,
        "again_s": round(again_s, 2),
        "duplicates": dupes,
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    # -- the due list: nearest first against the bare query ------------------------------
    here = (112.415, 34.602)

    def ours_due():
        rows = selectors.due_list(worker, lng=here[0], lat=here[1])
        return [(r.scheduled.resident.name, r.distance_m) for r in rows]

    def bare_due():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT s.id, r.name, b.lng, b.lat, s.due_on FROM care_scheduledvisit s "
                "JOIN registry_resident r ON r.id = s.resident_id "
                "LEFT JOIN registry_household h ON h.id = r.household_id "
                "LEFT JOIN registry_building b ON b.id = h.building_id "
                "WHERE s.state = 'open' AND s.org_code >= %s AND s.org_code < %s "
                "AND s.window_start <= %s ORDER BY s.due_on, s.id LIMIT 500",
                [grid.code, grid.code + ":", today],
            )
            return cur.fetchall()

    assert len(ours_due()) == len(bare_due()) == WORKER_RESIDENTS
    ours, bare = timed(ours_due, repeat), timed(bare_due, repeat)
    out["due"] = {
        "rows": WORKER_RESIDENTS,
        "ours_ms": round(ours["median"] * 1000, 1),
        "bare_ms": round(bare["median"] * 1000, 1),
        "ratio": round(ours["median"] / bare["median"], 2),
    }
    return out


def report(r: dict) -> str:
    g, d = r["regenerate"], r["due"]
    ok = lambda good: "met" if good else "NOT MET"  # noqa: E731
    return "\n".join(
        [
            f"{r['db']}: {r['residents']:,} tagged residents (set up in {r['setup_s']} s)",
            f"  regenerate a weekly plan: {g['scheduled']:,} scheduled visits in {g['ours_s']} s "
            f"(bare INSERT…SELECT {g['bare_s']} s, {g['ratio']} ×); again: {g['again']} in "
            f"{g['again_s']} s; duplicates: {g['duplicates']} (0: {ok(g['duplicates'] == 0)})",
            f"  due list of a worker with {d['rows']} cared-for residents, nearest first: "
            f"{d['ours_ms']} ms (bare {d['bare_ms']} ms, {d['ratio']} ×; "
            f"< 200 ms: {ok(d['ours_ms'] < 200)})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--pg-name", default="gongzhi_bench_care")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one database a process: Django is set up once
        print(json.dumps(run(args.child, args.residents, args.pg_name)))
        return 0
    import subprocess

    print(f"care benchmark; {machine()}")
    for db in args.db.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", db, "--residents", str(args.residents),
             "--pg-name", args.pg_name],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )  # fmt: skip
        print(report(json.loads(proc.stdout.strip().splitlines()[-1])), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
