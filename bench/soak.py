"""The soak (issue 7): mixed traffic of every role for a long time, with zero errors and
no growth in memory per worker.

    .venv/bin/python bench/soak.py --minutes 30                  # PostgreSQL
    .venv/bin/python bench/soak.py --db sqlite --minutes 1 --json

Steps:
1. A copy of the generated data set to write to: on PostgreSQL gongzhi_bench_soak made
   with gongzhi_bench_<data> as its TEMPLATE (retried while someone is connected to the
   template), on SQLite var/bench/gongzhi_bench_<data>/ copied to
   var/bench/gongzhi_bench_soak/. The source is never written.
2. In the copy, through the app's own services and ORM: for each client a grid of its
   own (spread over the district) and the people around it (grid worker, community
   worker, subdistrict operator, a department's handler, the district operator and
   leader, the superuser) with API tokens (accounts.services.api_token_create) and a
   password for the page sign-in; a resident's session holding a verified phone
   (selfservice.services.remember, as the SMS-code step leaves it).
3. gunicorn (bench/httpload.py: sync workers, one per core, no max-requests) and
   --clients closed-loop clients (bench/soak_traffic.py) for --minutes.
4. Every worker's RSS every --sample-seconds. The first --warmup minutes are the warmup:
   latency percentiles count the requests after it, and the RSS "start" is the first
   sample after it.

The verdict: zero errors over the whole run (warmup included), the same worker processes
at the end as at the start (a worker that died or was replaced hides a leak), and each
worker's RSS slope after the warmup (least squares) under --max-slope-pct % of its
after-warmup RSS per 10 minutes. Why 2 %: a worker holds ~160 MB after the warmup (100k
data set), so it may grow < 3.2 MB in 10 minutes; at the ~20 requests/s a worker
serves that is < ~300 bytes a request (the report prints the figure as B/req), below
what a per-request leak (a kept query or response, an unclosed file, a cache without
bound) leaves, while the allocator's settling after the warmup stays under it (a
12-minute run: -0.7 and -0.3 %/10 min). The slope over the second half alone is
printed beside it (not judged) to tell a worker still settling from one that keeps
growing. On errors the server's log tail is kept in the result.

The server runs with the self-service rate limits raised (SELFSERVICE_*_HOUR): every
resident comes from the one load-generator address, and the limits themselves are
counted and checked on every report as usual.
"""

import argparse
import json
import os
import random
import shutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import PG_SERVER, database_name, var_dir  # noqa: E402
from httpload import gunicorn, percentile, rss_kb  # noqa: E402
from soak_traffic import Client, Persona, Stats  # noqa: E402

SOAK = "soak"
PASSWORD = "soak-bench-password-7"
TEMPLATE_WAIT_SECONDS = 120


# -- the copy ------------------------------------------------------------------------------


def copy_database(db: str, data: str) -> str:
    """A fresh gongzhi_bench_soak from gongzhi_bench_<data>; returns its DATABASE_URL."""
    target_dir = var_dir(SOAK)
    shutil.rmtree(target_dir, ignore_errors=True)
    if db == "sqlite":
        source = var_dir(data)
        if not (source / "gongzhi.sqlite3").exists():
            raise SystemExit(f"{source} has no database: run bench/generate.py first")
        shutil.copytree(source, target_dir)
        return f"sqlite:///{target_dir / 'gongzhi.sqlite3'}"
    import psycopg

    target_dir.mkdir(parents=True)
    name, template = database_name(SOAK), database_name(data)
    deadline = time.monotonic() + TEMPLATE_WAIT_SECONDS
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        while True:
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except psycopg.errors.ObjectInUse:
                # Someone is connected to the template: it cannot be copied until they leave.
                if time.monotonic() > deadline:
                    raise
                time.sleep(5)
    return f"{PG_SERVER}/{name}"


def server_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "GONGZHI_VAR_DIR": str(var_dir(SOAK)),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "gongzhi.settings",
        "SELFSERVICE_PER_IP_HOUR": "1000000",
        "SELFSERVICE_REPORTS_PER_PHONE_HOUR": "1000000",
    }


# -- the people ----------------------------------------------------------------------------


def sample_photo() -> bytes:
    """A 1024x768 JPEG of coloured blocks: a phone photo's work for the image pipeline."""
    import io

    from PIL import Image, ImageDraw

    rng = random.Random(7)
    img = Image.new("RGB", (1024, 768), (120, 130, 140))
    draw = ImageDraw.Draw(img)
    for _ in range(200):
        x, y = rng.randrange(1024), rng.randrange(768)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)), colour)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def points_in(boundary: dict, rng: random.Random, n: int = 20) -> list[tuple[float, float]]:
    """`n` random points inside a grid's boundary."""
    import shapely

    from gongzhi.orgs import geo

    poly = geo.from_geojson(boundary)
    west, south, east, north = poly.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        lng, lat = rng.uniform(west, east), rng.uniform(south, north)
        if poly.contains(shapely.Point(lng, lat)):
            points.append((lng, lat))
    return points


def make_personas(clients: int, seed: int) -> list[Persona]:
    """Each client's grid and the accounts around it, made in the copy through the app's
    services: API tokens, one password for the page sign-ins, a resident's session."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    from gongzhi.accounts.models import Position, User
    from gongzhi.accounts.services import api_token_create
    from gongzhi.cases.models import Category
    from gongzhi.core.roles import Level, Role
    from gongzhi.orgs.models import Department, OrgUnit
    from gongzhi.registry import pii
    from gongzhi.selfservice import services as selfservice

    rng = random.Random(seed)
    grids = list(OrgUnit.objects.filter(level=Level.GRID).order_by("code"))
    departments = list(Department.objects.filter(is_active=True).order_by("id"))
    live = Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
    categories = list(live.values_list("id", flat=True))
    public = list(live.filter(is_public=True).values_list("id", flat=True))
    photo = sample_photo()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    tokens: dict[int, str] = {}

    def holder(**where) -> User:
        return Position.objects.filter(**where).select_related("user").order_by("id")[0].user

    def token(user: User) -> str:
        if user.pk not in tokens:
            tokens[user.pk] = api_token_create(actor=None, user=user, name="soak")[1]
        return tokens[user.pk]

    leader = User.objects.get(username="leader_d")
    op_d = User.objects.get(username="op_d1")
    admin = User.objects.get(username="bench_admin")
    personas, signing_in = [], {leader.pk}
    for i in range(clients):
        grid = grids[i * len(grids) // clients]
        community = grid.parent
        people = {
            "gw": holder(role=Role.GRID_WORKER, org_code=grid.code),
            "cw": holder(role=Role.COMMUNITY_WORKER, org_code=community.code),
            "op_s": holder(role=Role.OPERATOR, org_code=community.parent.code),
            "dh": holder(
                role=Role.DEPARTMENT_HANDLER, department=departments[i % len(departments)]
            ),
            "leader": leader,
            "op_d": op_d,
            "admin": admin,
        }
        signing_in |= {people[r].pk for r in ("gw", "cw", "op_s")}
        session = store()
        selfservice.remember(session, pii.seal_phone(f"139{seed % 100:02d}{i:06d}"))
        session.save()
        personas.append(
            Persona(
                grid_id=grid.pk,
                grid_code=grid.code,
                community_id=community.pk,
                department_id=departments[i % len(departments)].pk,
                tokens={role: token(u) for role, u in people.items()},
                logins={role: u.get_username() for role, u in people.items()},
                password=PASSWORD,
                resident_session=session.session_key,
                points=points_in(grid.boundary, rng),
                categories=categories,
                public_categories=public,
                photo=photo,
            )
        )
    User.objects.filter(pk__in=signing_in).update(password=make_password(PASSWORD))
    return personas


def prepare(db: str, data: str, clients: int, seed: int) -> tuple[str, list[Persona]]:
    database_url = copy_database(db, data)
    os.environ.update(server_env(database_url))
    import django

    django.setup()
    personas = make_personas(clients, seed)
    from django.db import connections

    connections.close_all()
    return database_url, personas


# -- the run -------------------------------------------------------------------------------


def sample_rss(server, stats: Stats, every: float, samples: list, done: threading.Event):
    """(second, {pid: kB}) for the master and every worker, every `every` seconds."""
    while True:
        at = time.monotonic() - stats.t0
        row = {}
        for pid in [server.master_pid, *server.worker_pids()]:
            try:
                row[pid] = rss_kb(pid)
            except (OSError, ValueError):
                continue
        samples.append((at, row))
        if done.wait(every):
            return


def slope_per_10min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (second, MB), in MB per 10 minutes."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    sxy = sum((t - mx) * (v - my) for t, v in points)
    return sxy / sxx * 600 if sxx else 0.0


def memory_report(samples, server, warmup_s: float, max_slope_pct: float, rps_worker: float):
    """Per process: RSS after the warmup, at the end, the max, growth and slope."""
    first_workers = set(samples[0][1]) - {server.master_pid}
    last_workers = set(samples[-1][1]) - {server.master_pid}
    after = [(t, row) for t, row in samples if t >= warmup_s] or samples[-1:]
    per = {}
    for pid in sorted(first_workers | last_workers | {server.master_pid}):
        series = [(t, row[pid] / 1024) for t, row in after if pid in row]
        if not series:
            continue
        start, end = series[0][1], series[-1][1]
        slope = slope_per_10min(series)
        role = "master" if pid == server.master_pid else "worker"
        per[str(pid)] = {
            "role": role,
            "start_mb": round(start, 1),
            "end_mb": round(end, 1),
            "max_mb": round(max(v for _, v in series), 1),
            "growth_mb": round(end - start, 2),
            "growth_pct": round((end - start) / start * 100, 2),
            "slope_mb_per_10min": round(slope, 3),
            "slope_pct_per_10min": round(slope / start * 100, 3),
            # Over the second half alone: near zero when the growth was still the warmup
            # settling, as steep as the whole when it is a leak. Shown, not judged.
            "late_slope_mb_per_10min": round(slope_per_10min(series[len(series) // 2 :]), 3),
            # The slope as bytes a request, at the rate one worker served.
            "slope_bytes_per_request": (
                round(slope * 1024 * 1024 / (rps_worker * 600)) if rps_worker else None
            ),
            "samples": len(series),
            "passed": role == "master" or slope / start * 100 < max_slope_pct,
        }
    return {
        "workers_stable": first_workers == last_workers,
        "workers_at_start": sorted(first_workers),
        "workers_at_end": sorted(last_workers),
        "processes": per,
        "series": [
            {"t": round(t), **{str(pid): kb for pid, kb in row.items()}} for t, row in samples
        ],
    }


def latency_report(stats: Stats, warmup_s: float, end_s: float) -> tuple[dict, int]:
    by_kind: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for kind, _method, start, seconds in stats.samples:
        totals[kind] = totals.get(kind, 0) + 1
        if warmup_s <= start < end_s:
            by_kind.setdefault(kind, []).append(seconds * 1000)
    kinds, measured = {}, 0
    for kind in sorted(totals):
        values = sorted(by_kind.get(kind, []))
        measured += len(values)
        kinds[kind] = {
            "count_all": totals[kind],
            "count": len(values),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
        }
    return kinds, measured


def run(args) -> dict:
    database_url, personas = prepare(args.db, args.data, args.clients, args.seed)
    warmup_s, total_s = args.warmup * 60, args.minutes * 60
    with gunicorn(
        "gongzhi.wsgi:application",
        python=sys.executable,
        env=server_env(database_url),
        cwd=str(ROOT),
        workers=args.workers,
    ) as server:
        stats = Stats()
        stats.stop_at = stats.t0 + total_s
        samples: list = []
        done = threading.Event()
        sampler = threading.Thread(
            target=sample_rss, args=(server, stats, args.sample_seconds, samples, done)
        )
        clients = [
            threading.Thread(target=Client(i, server.url, p, stats, args.seed).run, daemon=True)
            for i, p in enumerate(personas)
        ]
        sampler.start()
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        ended = time.monotonic() - stats.t0
        done.set()
        sampler.join()
        kinds, measured = latency_report(stats, warmup_s, ended)
        window = max(ended - warmup_s, 1e-9)
        workers = len(samples[0][1]) - 1
        memory = memory_report(
            samples, server, warmup_s, args.max_slope_pct, measured / window / max(workers, 1)
        )
        # The server's own account of what failed (its log is removed when it stops).
        log_tail = server.log_tail(80) if stats.errors else ""
    errors = sum(stats.errors.values())
    workers_ok = all(p["passed"] for p in memory["processes"].values())
    return {
        "db": args.db,
        "data": args.data,
        "minutes": args.minutes,
        "warmup_minutes": args.warmup,
        "clients": args.clients,
        "workers": workers,
        "requests": len(stats.samples),
        "requests_after_warmup": measured,
        "writes": sum(1 for _k, method, _s, _t in stats.samples if method == "POST"),
        "rps": round(measured / window, 1),
        "errors": errors,
        "error_kinds": stats.errors,
        "error_examples": stats.error_examples,
        "server_log_tail": log_tail,
        "kinds": kinds,
        "memory": memory,
        "max_slope_pct_per_10min": args.max_slope_pct,
        "passed": errors == 0 and memory["workers_stable"] and workers_ok,
    }


def print_report(r: dict) -> None:
    print(
        f"soak on {r['db']} ({r['data']}): {r['minutes']} min, {r['clients']} clients, "
        f"{r['workers']} workers, warmup {r['warmup_minutes']} min"
    )
    print(
        f"requests {r['requests']} (POST {r['writes']}; after warmup "
        f"{r['requests_after_warmup']}), "
        f"{r['rps']} req/s, errors {r['errors']}"
    )
    for example in r["error_examples"]:
        print(f"  error: {example}")
    if r["server_log_tail"]:
        print(f"--- server log tail ---\n{r['server_log_tail']}\n---")
    print(f"\n{'kind':<24}{'all':>8}{'measured':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, k in r["kinds"].items():
        print(
            f"{kind:<24}{k['count_all']:>8}{k['count']:>10}"
            f"{k['p50_ms']:>9}{k['p95_ms']:>9}{k['p99_ms']:>9}"
        )
    m = r["memory"]
    print(
        f"\nworkers stable: {m['workers_stable']} ({m['workers_at_start']} → {m['workers_at_end']})"
    )
    print(
        f"{'pid':<9}{'role':<8}{'start MB':>9}{'end MB':>8}{'max MB':>8}{'growth':>16}"
        f"{'slope MB/10min':>16}{'%/10min':>9}{'B/req':>7}{'late MB/10min':>15}  ok"
    )
    for pid, p in m["processes"].items():
        growth = f"{p['growth_mb']:+.1f} ({p['growth_pct']:+.1f}%)"
        print(
            f"{pid:<9}{p['role']:<8}{p['start_mb']:>9}{p['end_mb']:>8}{p['max_mb']:>8}"
            f"{growth:>16}{p['slope_mb_per_10min']:>16}{p['slope_pct_per_10min']:>9}"
            f"{p['slope_bytes_per_request'] or '':>7}{p['late_slope_mb_per_10min']:>15}"
            f"  {p['passed']}"
        )
    print(
        f"\nverdict (0 errors, same workers, slope < {r['max_slope_pct_per_10min']} %/10 min): "
        f"{'PASS' if r['passed'] else 'FAIL'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="100k", help="the generated data set to copy")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument(
        "--warmup",
        type=float,
        help="minutes, within --minutes (default: 2, or a quarter of a short run)",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--sample-seconds", type=float, default=30)
    parser.add_argument("--max-slope-pct", type=float, default=2.0, help="per 10 minutes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON dict at the end")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = min(2.0, args.minutes / 4)
    if args.warmup >= args.minutes:
        parser.error("--warmup must be shorter than --minutes")
    result = run(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_report(result)
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
