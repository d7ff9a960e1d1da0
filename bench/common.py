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


def setup_private(db: str, pg_name: str, prefix: str) -> None:
    """Django on a private, empty, migrated database: SQLite in a temporary folder, or
    PostgreSQL `pg_name`, dropped and made again."""
    import tempfile

    if db == "sqlite":
        folder = tempfile.mkdtemp(prefix=prefix)
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/gongzhi.sqlite3"
        os.environ["GONGZHI_VAR_DIR"] = folder
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {pg_name}")
            conn.execute(f"CREATE DATABASE {pg_name}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
        os.environ["GONGZHI_VAR_DIR"] = tempfile.mkdtemp(prefix=prefix)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


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
