"""Benchmark: the command center's reads at city scale against a raw GROUP BY over the cases.

    .venv/bin/python bench/generate.py --cases 100000 [--db postgres]
    .venv/bin/python bench/generate.py --cases 1000000 [--db postgres]
    .venv/bin/python bench/dashboard.py --data 100k,1m [--db postgres] [--repeat 15]

Reads the databases bench/generate.py made (var/bench/gongzhi_bench_<label>/ on
SQLite, gongzhi_bench_<label> on PostgreSQL) and changes nothing in them. Each
database is measured in its own child process (Django is set up once per process), as
a district operator (Position operator at the district, user op_d1), for one
subdistrict (990101001, a tenth of the cases) or the whole district, over the year up to
today. Every path runs twice to warm up, then --repeat times; median and p95 are printed.

- ours: `command.dashboard.dashboard_data(user, unit_code=<subdistrict>, start, end)`
  (KPIs with the previous period, trend, breakdowns, rankings of communities, grids
  and departments — what the dashboard page renders) and
  `command.wall.wall_data(user, unit_code=<district>)` (what each wall screen
  refreshes every 30 s; timed computed — its cache entry deleted before each call —
  and served from its cache), when gongzhi.command exists; and the parts in
  cases.kpis, which read the rollups: case_kpis, case_kpis_by_child,
  case_kpis_by_department, breakdown(by=category, channel), trend;
- the old path: `kpis_raw.raw_case_kpis` (one aggregate over the period's cases and one
  over its timeline events);
- baseline: the numbers the dashboard shows, straight from the cases table, in plain
  SQL — for the current and the previous period in total, and for the current one by
  category, channel, community, grid, department and month (what dashboard_data
  shows): one statement per grouping over the cases with one
  SUM(CASE WHEN …) per count (received, rejected, merged, handled, closed, closed on
  time, overdue, response due, responded on time, repeats) and one over the timeline
  events joined to their case (callbacks, solved, satisfied, verified, reworked); the
  range on org_code + reported_at (index case_scope_reported) and action + at
  (case_event_action_at) as the app does. The baseline's totals are checked against
  `kpis.case_kpis`: the two must give the same numbers.

Printed: median and p95 per path and database, ours / baseline, and t(1M) / t(100k)
for each path (the rollup paths must not grow with the number of cases). For the wall:
the share of one core that 50 screens refreshing every 30 s cost (50 / 30 calls a
second × the median time of a call), if every call computed and with the wall's cache
(one computation per cache period per process, the rest cache hits).

Importable: `run(data=[...], db=...)` returns the measurements; `main()` prints them.
"""

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import DISTRICT, SUBDISTRICT, children, machine, setup_django, timed  # noqa: E402

SCREENS, REFRESH_S = 50, 30
BASE = "baseline SQL (7 groupings + previous total)"
MONTH_BASE = "baseline SQL, last month (district)"


# -- the baseline: plain SQL over the cases --------------------------------------------

COHORT = {
    "received": "{received}",
    "rejected": "c.state = 'rejected'",
    "merged": "c.state = 'merged'",
    "handled": "{received} AND c.handled_at <= %(now)s",
    "closed": "{received} AND c.closed_at <= %(now)s",
    "closed_on_time": "{received} AND c.closed_at <= %(now)s AND c.closed_on_time = {true}",
    "overdue": (
        "{received} AND (c.closed_at IS NULL OR c.closed_at > %(now)s) AND c.due_at < %(now)s "
        "AND (c.state <> 'suspended' OR c.suspended_at > c.due_at)"
    ),
    "response_due": (
        "{received} AND c.respond_by IS NOT NULL "
        "AND (c.respond_by < %(now)s OR c.responded_at <= %(now)s)"
    ),
    "responded_on_time": (
        "{received} AND c.responded_at <= %(now)s AND c.responded_at <= c.respond_by"
    ),
    "repeats": "{received} AND c.is_repeat = {true}",
}
EVENTS = {
    "callbacks": "e.action = 'callback'",
    "solved": "e.action = 'callback' AND {solved}",
    "satisfied": "e.action = 'callback' AND {rating} IN ('satisfied', 'basically')",
    "verified": "e.action IN ('verify_pass', 'verify_fail')",
    "reworked": "e.action = 'verify_fail'",
}


def _dialect(vendor: str) -> dict:
    if vendor == "postgresql":
        return {
            "true": "TRUE",
            "solved": "(e.data ->> 'solved')::boolean",
            "rating": "(e.data ->> 'rating')",
            "month": "to_char({col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
        }
    return {
        "true": "1",
        "solved": "json_extract(e.data, '$.solved') = 1",
        "rating": "json_extract(e.data, '$.rating')",
        "month": "strftime('%%Y-%%m', {col}, '+8 hours')",
    }


def baseline_statements(vendor: str) -> dict[str, tuple[str, str]]:
    """Per grouping: (cases statement, events statement). Parameters: code, upper (code
    + ':'), lower, upper_t (the period's bounds), now."""
    d = _dialect(vendor)
    received = "c.state NOT IN ('rejected', 'merged')"
    cohort = ",\n  ".join(
        f"SUM(CASE WHEN {cond.format(received=received, **d)} THEN 1 ELSE 0 END) AS {name}"
        for name, cond in COHORT.items()
    )
    events = ",\n  ".join(
        f"SUM(CASE WHEN {cond.format(**d)} THEN 1 ELSE 0 END) AS {name}"
        for name, cond in EVENTS.items()
    )
    groups = {
        "total": ("''", "''"),
        "category": ("c.category_id", "c.category_id"),
        "channel": ("c.channel", "c.channel"),
        "community": ("substr(c.org_code, 1, 12)", "substr(c.org_code, 1, 12)"),
        "grid": ("substr(c.org_code, 1, 15)", "substr(c.org_code, 1, 15)"),
        "department": ("c.department_id", "c.department_id"),
        "month": (d["month"].format(col="c.reported_at"), d["month"].format(col="e.at")),
    }
    out = {}
    for name, (case_key, event_key) in groups.items():
        cases = (
            f"SELECT {case_key} AS k,\n  {cohort}\nFROM cases_case c\n"
            "WHERE c.org_code >= %(code)s AND c.org_code < %(upper)s\n"
            "  AND c.reported_at >= %(lower)s AND c.reported_at < %(upper_t)s\n"
            "GROUP BY 1"
        )
        evs = (
            f"SELECT {event_key} AS k,\n  {events}\nFROM cases_caseevent e\n"
            "JOIN cases_case c ON c.id = e.case_id\n"
            "WHERE e.action IN ('callback', 'verify_pass', 'verify_fail')\n"
            "  AND e.at >= %(lower)s AND e.at < %(upper_t)s AND e.at <= %(now)s\n"
            "  AND c.org_code >= %(code)s AND c.org_code < %(upper)s\n"
            "GROUP BY 1"
        )
        out[name] = (cases, evs)
    return out


def baseline(statements: dict, code: str, start: dt.date, end: dt.date, now) -> dict:
    """Every grouping for the period, and the totals for the previous period of the same
    length; returns {grouping: {key: counts}} for the current period."""
    from django.db import connection
    from gongzhi.cases.periods import period_bounds

    length = end - start + dt.timedelta(days=1)
    result = {}
    periods = [("current", start, end), ("previous", start - length, start - dt.timedelta(1))]
    with connection.cursor() as cur:
        for which, s, e in periods:
            lower, upper_t = period_bounds(s, e)
            adapt = connection.ops.adapt_datetimefield_value
            params = {
                "code": code,
                "upper": code + ":",
                "lower": adapt(lower),
                "upper_t": adapt(upper_t),
                "now": adapt(now),
            }
            for name, (cases_sql, events_sql) in statements.items():
                if which == "previous" and name != "total":
                    continue
                rows: dict = {}
                for sql in (cases_sql, events_sql):
                    cur.execute(sql, params)
                    cols = [c[0] for c in cur.description]
                    for row in cur.fetchall():
                        rows.setdefault(row[0], {}).update(
                            {c: int(v or 0) for c, v in zip(cols[1:], row[1:], strict=True)}
                        )
                result[(which, name)] = rows
    return result


# -- timing ------------------------------------------------------------------------------


def child(db: str, label: str, repeat: int, period: tuple[str, str] | None = None) -> dict:
    """Measure every path on one database (in this process)."""
    setup_django(db, label)
    from django.db import connection
    from django.utils import timezone

    from gongzhi.accounts.models import User
    from gongzhi.cases import kpis, kpis_raw
    from gongzhi.cases.models import Case, CaseEvent

    try:
        from gongzhi.cases.models import CaseRollup
    except ImportError:
        CaseRollup = None
    try:
        from gongzhi.command import dashboard
    except ImportError:
        dashboard = None
    try:
        from gongzhi.command import wall
    except ImportError:
        wall = None
    try:
        from gongzhi.command import monthly, monthly_xlsx
    except ImportError:
        monthly = None
    from django.core.cache import cache

    user = User.objects.get(username="op_d1")  # operator at the district
    today = timezone.localdate()
    start = today - dt.timedelta(days=365)
    if period:
        start, today = (dt.date.fromisoformat(d) for d in period)
    now = timezone.now()
    sub = dict(unit_code=SUBDISTRICT, start=start, end=today)
    if period:  # the wall reads today and this month: not comparable on a partial rebuild
        wall = None
    paths: list[tuple[str, object]] = []
    if dashboard is not None and hasattr(dashboard, "dashboard_data"):
        paths.append(
            ("dashboard_data(subdistrict, period)", lambda: dashboard.dashboard_data(user, **sub))
        )
    if wall is not None and hasattr(wall, "wall_data"):

        def wall_computed():
            cache.delete(wall.cache_key(DISTRICT))
            return wall.wall_data(user, unit_code=DISTRICT)

        paths.append(("wall_data(district), computed", wall_computed))
        paths.append(
            ("wall_data(district), cache hit", lambda: wall.wall_data(user, unit_code=DISTRICT))
        )
    paths += [
        ("kpis.case_kpis (rollups)", lambda: kpis.case_kpis(user, **sub)),
        ("kpis.case_kpis_by_child (rollups)", lambda: kpis.case_kpis_by_child(user, **sub)),
        ("kpis.case_kpis_by_department (rollups)",
         lambda: kpis.case_kpis_by_department(user, **sub)),
        ("kpis.breakdown(category) (rollups)", lambda: kpis.breakdown(user, by="category", **sub)),
        ("kpis.breakdown(channel) (rollups)", lambda: kpis.breakdown(user, by="channel", **sub)),
        ("kpis.trend (rollups)", lambda: kpis.trend(user, **sub)),
        ("kpis_raw.raw_case_kpis (raw cases)", lambda: kpis_raw.raw_case_kpis(user, **sub)),
    ]  # fmt: skip
    statements = baseline_statements(connection.vendor)
    if monthly is not None and not period:
        year, month = monthly.last_month(today)
        m_start = dt.date(year, month, 1)
        m_end = (m_start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        paths += [
            (
                "monthly_report(district, last month)",
                lambda: monthly.monthly_report(user, DISTRICT, year, month),
            ),
            (
                "monthly_report + xlsx (district)",
                lambda: monthly_xlsx.monthly_xlsx(
                    monthly.monthly_report(user, DISTRICT, year, month)
                ),
            ),
            (
                MONTH_BASE,
                lambda: baseline(statements, DISTRICT, m_start, m_end, timezone.now()),
            ),
        ]
    paths.append(
        (
            "baseline SQL (7 groupings + previous total)",
            lambda: baseline(statements, SUBDISTRICT, start, today, now),
        )
    )
    paths.append(
        (
            "baseline SQL, totals only",
            lambda: baseline({"total": statements["total"]}, SUBDISTRICT, start, today, now),
        )
    )

    # The same numbers: the baseline's totals against the rollups' (and the raw path's).
    base = baseline(statements, SUBDISTRICT, start, today, timezone.now())
    total = base[("current", "total")].get("", {})
    ours = kpis.case_kpis(user, **sub).counts
    raw = kpis_raw.raw_case_kpis(user, **sub).counts
    mismatch = {
        k: (total[k], ours.get(k), raw.get(k)) for k in total if k in ours and total[k] != ours[k]
    }
    results = {}
    for name, fn in paths:
        results[name] = timed(fn, repeat)
    return {
        "label": label,
        "vendor": connection.vendor,
        "period": [start.isoformat(), today.isoformat()],
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "rollup_rows": CaseRollup.objects.count() if CaseRollup is not None else None,
        "sub_cases": total.get("received", 0) + total.get("rejected", 0) + total.get("merged", 0),
        "totals": total,
        "mismatch": {k: list(v) for k, v in mismatch.items()},
        "paths": results,
        "has_dashboard": dashboard is not None,
        "wall_cache_seconds": getattr(wall, "CACHE_SECONDS", 0),
    }


def run(data: list[str], db: str = "sqlite", repeat: int = 15, period=None) -> list[dict]:
    dates = ["--start", period[0], "--end", period[1]] if period else []
    return children(__file__, data, db, "--repeat", str(repeat), *dates)


def base_of(path: str) -> str:
    """The baseline a path is compared with: the monthly report with the month's SQL."""
    return MONTH_BASE if path.startswith("monthly") or path == MONTH_BASE else BASE


def report(results: list[dict], db: str, repeat: int) -> str:
    lines = [
        f"Command center reads, {db}, warm, median and p95 of {repeat} runs; {machine()}",
    ]
    for r in results:
        lines.append(
            f"  {r['label']}: {r['cases']:,} cases, {r['events']:,} events, "
            f"{r['rollup_rows'] or 0:,} rollup rows; subdistrict {SUBDISTRICT}: "
            f"{r['sub_cases']:,} cases in {r['period'][0]} – {r['period'][1]}"
        )
        if r["mismatch"]:
            lines.append(f"  MISMATCH baseline vs case_kpis vs raw: {r['mismatch']}")
        else:
            lines.append("  baseline totals = kpis.case_kpis counts: same numbers")
    if not results[0]["has_dashboard"]:
        lines.append("  gongzhi.command.dashboard does not exist: its parts in cases.kpis only")
    head = f"{'path':<46}"
    for r in results:
        head += f" {r['label'] + ' med ms':>12} {'p95 ms':>8} {'× base':>7}"
    if len(results) > 1:
        head += f" {'t(' + results[-1]['label'] + ')/t(' + results[0]['label'] + ')':>14}"
    lines += ["", head, "-" * len(head)]
    for name in results[0]["paths"]:
        row = f"{name:<46}"
        for r in results:
            p = r["paths"][name]
            ratio = p["median"] / r["paths"][base_of(name)]["median"]
            row += f" {p['median'] * 1000:>12.1f} {p['p95'] * 1000:>8.1f} {ratio:>7.3f}"
        if len(results) > 1:
            growth = results[-1]["paths"][name]["median"] / results[0]["paths"][name]["median"]
            row += f" {growth:>14.2f}"
        lines.append(row)
    for r in results:
        computed = r["paths"].get("wall_data(district), computed")
        hit = r["paths"].get("wall_data(district), cache hit")
        if computed and hit:
            calls = SCREENS / REFRESH_S
            worst = calls * computed["median"]
            cached = computed["median"] / r["wall_cache_seconds"] + calls * hit["median"]
            lines.append(
                f"wall ({r['label']}): {computed['median'] * 1000:.1f} ms computed, "
                f"{hit['median'] * 1000:.2f} ms from the cache; {SCREENS} screens every "
                f"{REFRESH_S} s = {calls:.2f} calls/s: {worst:.1%} of one core if every call "
                f"computed, {cached:.1%} with the {r['wall_cache_seconds']} s cache "
                "(one computation per process per cache period)"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", default="100k,1m", help="labels of generated databases")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--start", help="period start (default: a year before today)")
    parser.add_argument("--end", help="period end (default: today); with --start")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args(argv)
    if args.child:
        period = (args.start, args.end) if args.start and args.end else None
        print(json.dumps(child(args.db, args.child, args.repeat, period), default=str))
        return 0
    period = (args.start, args.end) if args.start and args.end else None
    results = run(args.data.split(","), db=args.db, repeat=args.repeat, period=period)
    print(json.dumps(results, default=str) if args.json else report(results, args.db, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
