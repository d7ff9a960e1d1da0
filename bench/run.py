"""Every benchmark in one run: `make bench` (this script), with a table of the targets.

    .venv/bin/python bench/run.py                              # 100k and 1M, SQLite and PostgreSQL
    .venv/bin/python bench/run.py --data 100k --db sqlite      # a quick look
    .venv/bin/python bench/run.py --only lists,repeats         # some of them
    .venv/bin/python bench/run.py --soak-minutes 30            # the soak is 5 min unless told

For each database (--db) and data set (--data), the data set bench/generate.py makes is
generated when it is missing (a year of cases and 200,000 residents; 100k takes a few
minutes, 1M about half an hour with its rollups) and migrated to the current schema.
Then, each in its own process, measured against a baseline in the same run:

- lists      case lists at each size (bench/lists.py) — bare SQL;
- dashboard  dashboard, wall and monthly report (bench/dashboard.py) — raw GROUP BY;
- repeats    repeat detection per new case (bench/repeats.py) — bare candidate SQL;
- intake     cases created over HTTP under gunicorn on PostgreSQL (bench/intake.py) —
             a bare psycopg loop and django-helpdesk 2.6.1 (PostgreSQL only);
- soak       mixed traffic of every role for --soak-minutes (bench/soak.py);
- locator    points to grids (bench/locator.py) — a bare STRtree query;
- import     a residents workbook (bench/import_residents.py) — calamine + bulk_create;
- faults     64 concurrent writers, killed workers, database restarts and retrying
             clients, on a fresh demo database of each --db (bench/faults.py; a private
             PostgreSQL cluster, not the shared server): sent / acknowledged / lost /
             duplicated. It needs no generated data set.

Each benchmark's own table is printed as it finishes; at the end, the targets of issues 7
and 14 with the measured figure, its baseline and met / not met. Everything measured is kept in
var/bench/results/<time>.json and the printed text in <time>.txt beside it.
"""

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from common import database_url, machine, var_dir  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
ALL = ["lists", "dashboard", "repeats", "intake", "soak", "locator", "import", "faults"]
RESIDENTS = 200_000
SOAK_JUDGED_MINUTES = 10
DASHBOARD_TARGETS = ("dashboard_data(subdistrict, period)", "monthly_report(district, last month)")


class Log:
    """Print and keep: the run's text goes to the terminal and to a file."""

    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)


def _python(script: str, *args: str, verdict: bool = False) -> tuple[dict | list, str]:
    """Run bench/<script> with --json in its own process: its last line is the JSON, what
    it printed before is returned too. With `verdict`, exit status 1 is a target not met
    (the JSON says which), not a failure of the run."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode not in ((0, 1) if verdict else (0,)) or not lines:
        raise RuntimeError(f"{script} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1]), "\n".join(lines[:-1])


def _exists(db: str, label: str) -> bool:
    """bench/generate.py finished this data set (it leaves its marker when done)."""
    return (var_dir(label) / f"generated-{db}.json").exists()


def prepare(db: str, label: str, log: Log) -> None:
    """The data set: generated when missing, then migrated to the current schema."""
    if label not in SIZES:
        raise SystemExit(f"unknown data set {label!r}: one of {', '.join(SIZES)}")
    if not _exists(db, label):
        log(f"== generating {label} on {db} (bench/generate.py)")
        subprocess.run(
            [sys.executable, str(BENCH / "generate.py"), "--cases", str(SIZES[label]),
             "--db", db, "--residents", str(RESIDENTS)],
            check=True, cwd=ROOT,
        )  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        check=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(db, label),
             "GONGZHI_VAR_DIR": str(var_dir(label))},
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", default="100k,1m", help="data sets, e.g. 100k,1m (10k, 10m)")
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--only", default=",".join(ALL), help=f"some of: {','.join(ALL)}")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each dashboard read")
    parser.add_argument("--intake-seconds", type=int, default=60)
    parser.add_argument("--soak-minutes", type=float, default=5)
    args = parser.parse_args(argv)
    data = [d.strip().lower() for d in args.data.split(",") if d.strip()]
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(only) - set(ALL) or set(dbs) - {"sqlite", "postgres"}
    if unknown:
        raise SystemExit(f"unknown: {', '.join(sorted(unknown))}")

    import dashboard
    import import_residents
    import lists
    import locator
    import repeats

    log = Log()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log(f"gongzhi benchmarks {stamp}: data {', '.join(data)} on {', '.join(dbs)}; {machine()}")
    results: dict = {"machine": machine(), "data": data, "dbs": dbs, "started": stamp}
    t_all = time.perf_counter()
    per_db = [b for b in ("lists", "dashboard", "repeats") if b in only]
    for db in dbs:
        if per_db or (db == "postgres" and {"intake", "soak"} & set(only)):
            for label in data:
                prepare(db, label, log)
        for bench in per_db:
            log(f"\n== {bench} on {db}")
            if bench == "lists":
                r, _ = _python("lists.py", "--data", ",".join(data), "--db", db)
                log(lists.report(r, db, 50))
            elif bench == "dashboard":
                r, _ = _python("dashboard.py", "--data", ",".join(data), "--db", db,
                               "--repeat", str(args.repeat))  # fmt: skip
                log(dashboard.report(r, db, args.repeat))
            else:
                r, _ = _python("repeats.py", "--data", ",".join(data), "--db", db)
                log(repeats.report(r, db))
            results[f"{bench} {db}"] = r
    if "postgres" in dbs and "intake" in only:
        log(f"\n== intake over HTTP on postgres ({data[-1]})")
        r, text = _python("intake.py", "--data", data[-1], "--seconds", str(args.intake_seconds),
                          verdict=True)  # fmt: skip
        log(text)
        results["intake"] = r
    if "soak" in only:
        import soak

        db = "postgres" if "postgres" in dbs else dbs[0]
        log(f"\n== soak on {db} ({data[0]}), {args.soak_minutes:g} min")
        r, _ = _python("soak.py", "--data", data[0], "--db", db,
                       "--minutes", str(args.soak_minutes), verdict=True)  # fmt: skip
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            soak.print_report(r)
        log(printed.getvalue().rstrip())
        results["soak"] = r
    if "locator" in only:
        log("\n== locator")
        r, _ = _python("locator.py", "--db", verdict=True)
        log(locator.report(locator.Result(**r)))
        results["locator"] = r
    if "import" in only:
        log("\n== residents import (SQLite)")
        r, _ = _python("import_residents.py")
        log(import_residents.report(r))
        results["import"] = r

    if "faults" in only:
        log(f"\n== faults and retries on {', '.join(dbs)} (bench/faults.py)")
        r, text = _python("faults.py", "--db", ",".join(dbs), verdict=True)
        log(text)
        results["faults"] = r

    minutes = (time.perf_counter() - t_all) / 60
    log(f"\n== targets (issues 7, 14); the whole run took {minutes:.1f} min")
    for line in targets(results):
        log(line)
    out = ROOT / "var" / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stamp}.json").write_text(json.dumps(results, indent=1, default=str))
    (out / f"{stamp}.txt").write_text("\n".join(log.lines) + "\n")
    log(f"\nkept: {out / stamp}.json and .txt")
    return 0


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def targets(results: dict) -> list[str]:
    """One line per target: what was measured, against what, and whether it holds."""
    rows = [("target", "measured", "baseline / limit", "ratio", "")]
    for db in results["dbs"]:
        lists_r = results.get(f"lists {db}")
        if lists_r and len(lists_r) > 1:
            small, big = lists_r[0], lists_r[-1]
            for name in big["paths"]:
                if not name.endswith("| api"):
                    continue
                growth = big["paths"][name]["p95"] / small["paths"][name]["p95"]
                bare = big["paths"][name.replace("| api", "| bare")]["p95"]
                what = name.removesuffix(" | api")
                rows.append((
                    f"list {what}, {db}: p95 {big['label']}/{small['label']} ≤ 1.5",
                    f"{big['paths'][name]['p95'] * 1000:.1f} ms",
                    f"bare {bare * 1000:.1f} ms",
                    f"{growth:.2f}",
                    _verdict(growth <= 1.5),
                ))  # fmt: skip
        dash = results.get(f"dashboard {db}")
        if dash:
            big = dash[-1]
            for path in (
                "dashboard_data(subdistrict, period)",
                "monthly_report(district, last month)",
            ):
                if path in big["paths"]:
                    ours = big["paths"][path]["median"]
                    base = big["paths"][dashboard_base(path)]["median"]
                    rows.append((
                        f"{path.split('(')[0]} {big['label']}, {db}: faster than raw GROUP BY",
                        f"{ours * 1000:.0f} ms", f"{base * 1000:.0f} ms",
                        f"{ours / base:.3f}", _verdict(ours < base),
                    ))  # fmt: skip
        rep = results.get(f"repeats {db}")
        if rep:
            big = rep[-1]
            p = big["366 d | ours"]
            rows.append((
                f"repeat check per new case, {big['366 d']['window']:,} cases in window, {db}",
                f"{p['median'] * 1000:.1f} ms (p95 {p['p95'] * 1000:.1f})",
                f"bare {big['366 d | bare']['median'] * 1000:.1f} ms",
                f"{p['median'] / big['366 d | bare']['median']:.2f}", "",
            ))  # fmt: skip
    if "intake" in results:
        r = results["intake"]
        gz = r["gongzhi"]
        for name, other, want in (("helpdesk", "x_helpdesk", 3.0), ("bare", "x_bare", 0.5)):
            t = r.get("targets", {}).get(other)
            if t and r.get(name):
                rows.append((
                    f"intake over HTTP ({r['data']}, {r['clients']} clients): ≥ {want:g} × {name}",
                    f"{gz['rps']:.1f} req/s (p95 {gz['p95_ms']:.0f} ms)",
                    f"{r[name]['rps']:.1f} req/s", f"{t['got']}", _verdict(t["met"]),
                ))  # fmt: skip
    if "soak" in results:
        r = results["soak"]
        worst = max(p["slope_pct_per_10min"] for p in r["memory"]["processes"].values())
        # A few samples after a short warm-up say nothing about a leak: judged from 10 min.
        judged = r["minutes"] >= SOAK_JUDGED_MINUTES
        verdict = _verdict(r["passed"] if judged else r["errors"] == 0)
        if not judged:
            verdict += f" (errors only; memory from SOAK={SOAK_JUDGED_MINUTES})"
        rows.append((
            f"soak {r['minutes']:g} min ({r['db']}): 0 errors, RSS slope < "
            f"{r['max_slope_pct_per_10min']} %/10 min",
            f"{r['requests']:,} requests, {r['errors']} errors",
            f"worst slope {worst:+.2f} %/10 min", "", verdict,
        ))  # fmt: skip
    if "locator" in results:
        r = results["locator"]
        bare, worst = r["rows"][0][1], max(s for _, s in r["rows"][1:])
        rows.append(("locator: ≥ 0.5 × bare STRtree rate", f"{r['points'] / worst:,.0f} points/s",
                     f"{r['points'] / bare:,.0f} points/s", f"{bare / worst:.2f}",
                     _verdict(bare / worst >= 0.5)))  # fmt: skip
    if "import" in results:
        r = results["import"]
        ratio = r["ours"]["total"] / r["baseline"]["total"]
        rows.append(("residents import: ≤ 3 × calamine + bulk_create",
                     f"{r['rows'] / r['ours']['total']:,.0f} rows/s",
                     f"{r['rows'] / r['baseline']['total']:,.0f} rows/s",
                     f"{ratio:.2f}", _verdict(ratio <= 3)))  # fmt: skip
    if "faults" in results:
        for db, scenarios in results["faults"]["databases"].items():
            for name, r in scenarios.items():
                if name.startswith("load"):
                    rows.append((
                        f"{r['clients']} clients writing and reading, {name.split()[1]}, "
                        f"{db}: 0 × 5xx", f"{r['http_5xx']} × 5xx", f"{r['attempts']:,} requests",
                        "", _verdict(r["http_5xx"] == 0),
                    ))  # fmt: skip
                else:
                    rows.append((
                        f"faults: {name}, {db}: 0 lost, 0 duplicated",
                        f"{r['lost']} lost, {r['duplicated']} duplicated",
                        f"{r['acknowledged']:,} acknowledged of {r['sent']:,}", "",
                        _verdict(not (r["lost"] or r["duplicated"] or r["disagreeing"])),
                    ))  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    return [
        "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]


def dashboard_base(path: str) -> str:
    import dashboard

    return dashboard.base_of(path)


if __name__ == "__main__":
    sys.exit(main())
