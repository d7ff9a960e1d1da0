"""What the benchmarks share: where the generated databases are, Django set up on one of
them, timing with median and p95, and a line saying what machine ran them."""

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DISTRICT, SUBDISTRICT = "990101", "990101001"


def database_name(label: str) -> str:
    """`100k` → gongzhi_bench_100k: the name bench/generate.py gives a data set."""
    return f"gongzhi_bench_{label}"


def var_dir(label: str) -> Path:
    return ROOT / "var" / "bench" / database_name(label)


def database_url(db: str, label: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{var_dir(label) / 'gongzhi.sqlite3'}"
    return f"{PG_SERVER}/{database_name(label)}"


def setup_django(db: str, label: str) -> None:
    """Point Django at a generated data set (read as it is; nothing here writes to it)."""
    if db == "sqlite" and not (var_dir(label) / "gongzhi.sqlite3").exists():
        raise SystemExit(f"{var_dir(label)} has no database: run bench/generate.py first")
    os.environ["DATABASE_URL"] = database_url(db, label)
    os.environ["GONGZHI_VAR_DIR"] = str(var_dir(label))
    os.environ["DEBUG"] = "0"  # no query log kept in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def private_database(db: str, pg_name: str, prefix: str) -> None:
    """Django on a database of its own, migrated: SQLite in a new temporary folder, or the
    PostgreSQL database `pg_name`, dropped and made again (a benchmark that makes its
    own rows: bench/inspections.py, bench/care.py, bench/disputes.py …)."""
    import tempfile

    folder = tempfile.mkdtemp(prefix=prefix)
    if db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/gongzhi.sqlite3"
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {pg_name}")
            conn.execute(f"CREATE DATABASE {pg_name}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
    os.environ["GONGZHI_VAR_DIR"] = folder
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def district_tree(subs: int = 4, communities: int = 6, grids: int = 10):
    """One district of `subs` subdistricts × `communities` communities × `grids` grids and
    an operator over it (the private databases' tree): (district, grids, operator)."""
    from gongzhi.accounts.models import Position, User
    from gongzhi.core.roles import Level, Role
    from gongzhi.orgs.models import OrgUnit

    district = OrgUnit.objects.create(code=DISTRICT, name="基准区", level=Level.DISTRICT)
    made = []
    for s in range(1, subs + 1):
        sub = OrgUnit.objects.create(
            code=f"{DISTRICT}{s:03d}", name=f"街道{s}", level=Level.SUBDISTRICT, parent=district
        )
        for c in range(1, communities + 1):
            com = OrgUnit.objects.create(
                code=f"{sub.code}{c:03d}", name=f"社区{s}-{c}", level=Level.COMMUNITY, parent=sub
            )
            made += OrgUnit.objects.bulk_create(
                OrgUnit(code=f"{com.code}{g:03d}", name=f"第{g}网格", level=Level.GRID, parent=com)
                for g in range(1, grids + 1)
            )
    operator = User.objects.create(username="bench_op", name="基准值班员")
    Position.objects.create(
        user=operator, role=Role.OPERATOR, org_unit=district, org_code=district.code
    )
    return district, made, operator


def timed(fn, repeat: int, warm: int = 2) -> dict:
    """Seconds: median, p95 and best of `repeat` calls after `warm` unmeasured ones."""
    for _ in range(warm):
        fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    runs.sort()
    p95 = runs[min(len(runs) - 1, max(0, round(0.95 * len(runs)) - 1))]
    return {"median": statistics.median(runs), "p95": p95, "min": runs[0]}


def machine() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs (nproc), "
        f"Python {platform.python_version()}"
    )


def children(script: str, data: list[str], db: str, *args: str) -> list[dict]:
    """Run `script --child <label> --db <db> *args` once per data set, each in a process of
    its own (Django is set up once per process, on one database), and collect the JSON
    each prints last."""
    out = []
    for label in data:
        proc = subprocess.run(
            [sys.executable, script, "--child", label, "--db", db, *args],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def per_database(script: str, dbs: str, args: list[str], report) -> None:
    """Run `script --child <db> *args` for each database of `dbs` ("sqlite,postgres"), each
    in a process of its own (Django is set up once a process), and print `report` of the
    JSON its last line holds."""
    for db in dbs.split(","):
        proc = subprocess.run(
            [sys.executable, script, "--child", db, *args],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        print(report(json.loads(proc.stdout.strip().splitlines()[-1])), flush=True)


def versus(ours, bare, repeat: int, digits: int = 1) -> dict:
    """Ours against the bare baseline: both medians in ms and their ratio."""
    a, b = timed(ours, repeat), timed(bare, repeat)
    return {
        "ours_ms": round(a["median"] * 1000, digits),
        "bare_ms": round(b["median"] * 1000, digits),
        "ratio": round(a["median"] / b["median"], 2),
    }
