"""Benchmark: importing residents end to end against reading the file plus a bare bulk_create.

    .venv/bin/python bench/import_residents.py --rows 100000 [--plain]

A scratch SQLite database is made in a temporary directory (GONGZHI_VAR_DIR, never
var/), migrated, and given a small org tree (one community, five grids, 40 buildings
a grid). A residents workbook of --rows rows is generated with XlsxWriter: valid
身份证号 (GB 11643 check digit from python-stdnum), a mobile on 90 % of the rows,
tags on 30 %, a household (building, unit, room) on 60 %; with --plain only the
required columns and a phone.

Each side runs in its own child process on its own copy of the fresh database, so
neither inherits the other's memory or rows:

- baseline: read every row of the workbook with python-calamine, then bulk_create
  the same rows with their plain values (no validation, no encryption: the 身份证号
  and phone as typed, in the columns ours fills with ciphertexts and keyed hashes),
  2,000 a transaction;
- ours: the import as the app runs it: upload (hash and store), phase 1 (check every
  row), phase 2 (check again, seal personal data, write in batches, households and
  tags, audit), with the jobs run inline.

Printed: seconds, rows/s, the ratio ours / baseline (target: at most 3), and each
child's peak resident memory (VmHWM, else ru_maxrss) beside its memory once Django has
started, to show that the import's memory stays bounded: rows are streamed and written
in batches; what grows with the file is calamine's copy of the sheet and the in-file
duplicate index (a hash and a row number per row).

Importable: `run(rows=…)` returns the measurements; `main()` prints them.
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 3.0
GRIDS = 5
BUILDINGS_PER_GRID = 40
TAGS = ["老年人", "独居/孤寡", "残疾人", "低保", "党员", "志愿者"]


def _setup_django(var_dir: Path) -> None:
    os.environ["GONGZHI_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["HUEY_IMMEDIATE"] = "1"
    os.environ["DEBUG"] = "0"  # as in production: no query log kept in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _peak_mb() -> float:
    """Peak resident memory of this process, in MB: VmHWM (Linux; reset by exec, unlike
    ru_maxrss, which a child inherits from the parent it was forked from)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# Preparation (parent) ----------------------------------------------------------------


def prepare(var_dir: Path) -> None:
    """Migrate the scratch database and create the org tree, buildings and a worker."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gongzhi.accounts.models import Position, User
    from gongzhi.core.roles import Level, Role
    from gongzhi.orgs.models import OrgUnit
    from gongzhi.registry.models import Building

    def unit(code, name, level, parent):
        return OrgUnit.objects.create(code=code, name=name, level=level, parent=parent)

    district = unit("990101", "青禾区", Level.DISTRICT, None)
    sub = unit("990101001", "明德路街道", Level.SUBDISTRICT, district)
    community = unit("990101001001", "桂园社区", Level.COMMUNITY, sub)
    for g in range(1, GRIDS + 1):
        grid = unit(f"990101001001{g:03d}", f"第{g}网格", Level.GRID, community)
        Building.objects.bulk_create(
            Building(grid=grid, org_code=grid.code, name=f"{g}区{b}号楼")
            for b in range(1, BUILDINGS_PER_GRID + 1)
        )
    user = User.objects.create_user(username="bench_cw", password="x" * 12, name="社区工作者")
    Position.objects.create(
        user=user, role=Role.COMMUNITY_WORKER, org_unit=community, org_code=community.code
    )


def make_workbook(path: Path, rows: int, *, plain: bool) -> None:
    import xlsxwriter
    from stdnum.cn import ric

    rnd = random.Random(20250101)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("居民")
    headers = ["网格编码", "姓名", "身份证号", "手机"]
    if not plain:
        headers += ["居住类型", "与户主关系", "楼栋名称", "单元", "房号", "标签", "备注"]
    ws.write_row(0, 0, headers)
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "秀英建国桂兰志强丽华伟明淑珍海燕玉梅国华子轩雨涵浩然"
    start = dt.date(1930, 1, 1)
    # Unique numbers (a birth date per 1,000 rows), in no particular order, as in a
    # register kept by building.
    order = list(range(1, rows + 1))
    rnd.shuffle(order)
    for i, k in enumerate(order, start=1):
        g = 1 + i % GRIDS
        birth = start + dt.timedelta(days=(k // 1000) * 7)
        body = f"410311{birth:%Y%m%d}{k % 1000:03d}"
        values = [
            f"990101001001{g:03d}",
            rnd.choice(surnames) + rnd.choice(given) + rnd.choice(given),
            body + ric.calc_check_digit(body + "0"),
            f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}" if rnd.random() < 0.9 else "",
        ]
        if not plain:
            household = rnd.random() < 0.6
            values += [
                rnd.choice(("户籍", "户籍", "户籍", "常住", "流动")),
                rnd.choice(("户主", "配偶", "子女", "父母")) if household else "",
                f"{g}区{rnd.randrange(1, BUILDINGS_PER_GRID + 1)}号楼" if household else "",
                f"{rnd.randrange(1, 4)}单元" if household else "",
                f"{rnd.randrange(1, 7)}0{rnd.randrange(1, 5)}" if household else "",
                "、".join(rnd.sample(TAGS, rnd.randrange(1, 3))) if rnd.random() < 0.3 else "",
                "",
            ]
        for c, value in enumerate(values):
            if value:
                ws.write_string(i, c, value)
    wb.close()


# The two sides (children) -------------------------------------------------------------


def child_baseline(path: Path, rows: int) -> dict:
    """Read the workbook, then insert the same rows with their plain values: the 身份证号
    and phone as typed, in the columns ours fills with ciphertexts and keyed hashes (so
    the unique index sees values in the same random order)."""
    from django.db import transaction
    from python_calamine import CalamineWorkbook

    from gongzhi.orgs.models import OrgUnit
    from gongzhi.registry.models import Resident

    started_mb = _peak_mb()
    grids = {g.code: g for g in OrgUnit.objects.filter(level="grid")}
    t0 = time.perf_counter()
    plain = []
    with CalamineWorkbook.from_path(str(path)) as wb:
        for cells in wb.get_sheet_by_index(0).iter_rows():
            plain.append(cells[:4])
    t1 = time.perf_counter()
    batch = 2000
    for start in range(1, len(plain), batch):
        with transaction.atomic():
            Resident.objects.bulk_create(
                Resident(
                    grid=grids[code],
                    org_code=code,
                    name=name,
                    id_number_enc=number,
                    id_number_hash=number,
                    id_number_masked=number,
                    phone_enc=phone,
                    phone_hash=phone,
                    phone_masked=phone,
                    phone_last4=phone[-4:],
                )
                for code, name, number, phone in plain[start : start + batch]
            )
    t2 = time.perf_counter()
    assert Resident.objects.count() == rows == len(plain) - 1
    return {"read": t1 - t0, "write": t2 - t1, "total": t2 - t0, "started_mb": started_mb}


def child_ours(path: Path, rows: int) -> dict:
    from django.core.files import File

    from gongzhi.accounts.models import User
    from gongzhi.imports import services
    from gongzhi.imports.models import ImportJob
    from gongzhi.registry.models import Resident

    started_mb = _peak_mb()
    user = User.objects.get(username="bench_cw")
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        upload = File(f, name="居民.xlsx")
        job = services.import_job_create(actor=user, kind="residents", upload=upload)
    t1 = time.perf_counter()  # the check ran inline on commit (HUEY_IMMEDIATE=1)
    job.refresh_from_db()
    assert job.status == "validated" and job.valid_rows == rows, (job.status, job.message)
    checked_mb = _peak_mb()
    services.import_job_confirm(actor=user, job=job)
    t2 = time.perf_counter()
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "done" and job.created_count == rows, (job.status, job.message)
    assert Resident.objects.count() == rows
    return {
        "check": t1 - t0,
        "write": t2 - t1,
        "total": t2 - t0,
        "started_mb": started_mb,
        "checked_mb": checked_mb,
    }


# Driver ----------------------------------------------------------------------------------


def _child(side: str, var_dir: Path, path: Path, rows: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            side,
            "--var",
            str(var_dir),
            "--file",
            str(path),
            "--rows",
            str(rows),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(rows: int = 100_000, *, plain: bool = False, keep: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="gongzhi-bench-import-"))
    try:
        base_dir = tmp / "fresh"
        base_dir.mkdir()
        _setup_django(base_dir)
        prepare(base_dir)
        from django.db import connection

        connection.close()
        path = tmp / "residents.xlsx"
        t = time.perf_counter()
        make_workbook(path, rows, plain=plain)
        generated = time.perf_counter() - t
        results = {}
        for side in ("baseline", "ours"):
            var = tmp / side
            shutil.copytree(base_dir, var, ignore=shutil.ignore_patterns("media", "static"))
            results[side] = _child(side, var, path, rows)
        return {
            "rows": rows,
            "plain": plain,
            "file_mb": path.stat().st_size / 1e6,
            "generated_s": generated,
            **results,
        }
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def report(m: dict) -> str:
    rows = m["rows"]
    b, o = m["baseline"], m["ours"]
    out = []
    out.append(
        f"import_residents: {rows:,} rows ({'required columns' if m['plain'] else 'all columns'}), "
        f"{m['file_mb']:.1f} MB xlsx generated in {m['generated_s']:.1f} s; "
        f"Python {platform.python_version()}, SQLite, {platform.machine()}"
    )
    line = "{:<44} {:>9} {:>11} {:>8}"
    out.append(line.format("", "seconds", "rows/s", "× base"))
    entries = [
        ("baseline: calamine read", b["read"], None),
        ("baseline: bare bulk_create", b["write"], None),
        ("baseline total", b["total"], 1.0),
        ("ours: upload + phase 1 (check every row)", o["check"], None),
        ("ours: phase 2 (check, seal, write, audit)", o["write"], None),
        ("ours total (end to end)", o["total"], o["total"] / b["total"]),
    ]
    for label, seconds, ratio in entries:
        out.append(
            line.format(
                label,
                f"{seconds:.2f}",
                f"{rows / seconds:,.0f}",
                f"{ratio:.2f}" if ratio is not None else "",
            )
        )
    ratio = o["total"] / b["total"]
    verdict = "OK" if ratio <= TARGET else "OVER TARGET"
    out.append(f"ratio ours / baseline: {ratio:.2f} (target ≤ {TARGET:.0f}) {verdict}")
    out.append(
        f"peak memory (VmHWM): baseline {b['started_mb']:.0f} → {b['peak_mb']:.0f} MB; "
        f"ours {o['started_mb']:.0f} → {o['checked_mb']:.0f} MB after phase 1 → "
        f"{o['peak_mb']:.0f} MB at the end"
    )
    return "\n".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--plain", action="store_true", help="required columns and phone only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--child", choices=["baseline", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--var", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _setup_django(Path(args.var))
        side = child_baseline if args.child == "baseline" else child_ours
        result = side(Path(args.file), args.rows)
        result["peak_mb"] = _peak_mb()
        print(json.dumps(result))
        return
    result = run(args.rows, plain=args.plain, keep=args.keep)
    print(json.dumps(result) if args.json else report(result))


if __name__ == "__main__":
    main()
