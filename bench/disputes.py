"""Benchmark: the monthly screening board and the month's summary of disputes for a
district (issue 17), against bare SQL over the same rows in the same run.

    .venv/bin/python bench/disputes.py [--db sqlite,postgres] [--disputes 50000]

A private database each time (SQLite in a temporary folder; PostgreSQL --pg-name, dropped
and made again) with one district of 4 subdistricts × 25 communities × 20 grids (2,000
grids), --disputes disputes spread over five years (their cases and dispute rows, 90 %
concluded), and five years of screening reports of every grid (one month in fifty
missing, one in twelve late, the months without disputes zero reports: ~118,000 rows).

- board: selectors.board(district, last month) — every grid of the district with its
  report of the month (on time, late, missing, overdue) — against the bare
  SELECT … FROM orgs_orgunit LEFT JOIN disputes_screeningreport of the same rows;
- summary: selectors.month_summary(district, last month) — new, carried over, concluded
  by outcome, open at the end, the new by type and by risk — against the same aggregate
  and two GROUP BYs in bare SQL.

Target: each ≤ 2 × its baseline. Importable: run(db, disputes) returns the measurements.
"""

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine, per_database, private_database, versus  # noqa: E402

SUBS, COMMUNITIES, GRIDS = 4, 25, 20
YEARS = 5


def _setup(db: str, pg_name: str) -> None:
    private_database(db, pg_name, "gongzhi-bench-disputes-")


def _months(today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for _ in range(YEARS * 12):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def _world(disputes: int):
    """The tree, a reporter, the disputes (cases and details) and the screening reports."""
    import random

    from django.utils import timezone

    from gongzhi.accounts.models import User
    from gongzhi.cases.models import Case, Category, Channel, State
    from gongzhi.core.roles import Level
    from gongzhi.disputes import seed
    from gongzhi.disputes.models import Dispute, DisputeType, ScreeningReport
    from gongzhi.disputes.services import due_date
    from gongzhi.orgs.models import OrgUnit

    rnd = random.Random(17)
    district = OrgUnit.objects.create(code="990101", name="基准区", level=Level.DISTRICT)
    grids = []
    for s in range(1, SUBS + 1):
        sub = OrgUnit.objects.create(
            code=f"990101{s:03d}", name=f"街道{s}", level=Level.SUBDISTRICT, parent=district
        )
        coms = OrgUnit.objects.bulk_create(
            OrgUnit(
                code=f"{sub.code}{c:03d}", name=f"社区{s}-{c}", level=Level.COMMUNITY, parent=sub
            )
            for c in range(1, COMMUNITIES + 1)
        )
        for com in coms:
            grids += OrgUnit.objects.bulk_create(
                OrgUnit(code=f"{com.code}{g:03d}", name=f"第{g}网格", level=Level.GRID, parent=com)
                for g in range(1, GRIDS + 1)
            )
    reporter = User.objects.create(username="bench_gw", name="基准网格员")
    category = seed.ensure(Category, DisputeType)
    types = list(DisputeType.objects.values_list("pk", flat=True))
    now = timezone.now()
    span = YEARS * 365 * 86400
    seen: set[tuple[int, dt.date]] = set()
    outcomes = ["settled"] * 7 + ["failed", "referred", "withdrawn"]
    batch_c, batch_d = [], []

    def flush():
        Case.objects.bulk_create(batch_c)
        Dispute.objects.bulk_create(batch_d)
        batch_c.clear()
        batch_d.clear()

    for n in range(disputes):
        grid = grids[rnd.randrange(len(grids))]
        at = now - dt.timedelta(seconds=rnd.randrange(span))
        seen.add((grid.pk, timezone.localdate(at).replace(day=1)))
        concluded = rnd.random() < 0.9
        done_at = at + dt.timedelta(days=rnd.randint(1, 40)) if concluded else None
        if done_at and done_at > now:
            done_at = None
        case = Case(
            pk=n + 1,
            number=f"SJD{n:012d}",
            kind="dispute",
            channel=Channel.VISIT,
            category=category,
            title="矛盾纠纷：邻里纠纷",
            description="基准纠纷",
            state=State.CLOSED if done_at else State.IN_PROGRESS,
            grid=grid,
            org_code=grid.code,
            reported_by=reporter,
            reported_at=at,
        )
        batch_c.append(case)
        batch_d.append(
            Dispute(
                case_id=n + 1,
                org_code=grid.code,
                registered_at=at,
                type_id=types[n % len(types)],
                source="screening",
                risk=rnd.choices(["ordinary", "serious", "major"], [80, 17, 3])[0],
                summary="基准纠纷",
                outcome=rnd.choice(outcomes) if done_at else "",
                concluded_at=done_at,
            )
        )
        if len(batch_c) == 5000:
            flush()
    flush()
    reports = []
    for month in _months(timezone.localdate(now)):
        due = due_date(month)
        for grid in grids:
            if rnd.random() < 0.02:
                continue  # missing
            late = rnd.random() < 0.08
            day = due + dt.timedelta(days=rnd.randint(1, 9)) if late else due - dt.timedelta(1)
            filed = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
            zero = (grid.pk, month) not in seen
            reports.append(
                ScreeningReport(
                    org_unit=grid,
                    org_code=grid.code,
                    month=month,
                    is_zero=zero,
                    found=0 if zero else 1,
                    first_filed_at=filed,
                    filed_at=filed,
                    filed_by=reporter,
                    late=late,
                )
            )
            if len(reports) == 10000:
                ScreeningReport.objects.bulk_create(reports)
                reports = []
    ScreeningReport.objects.bulk_create(reports)
    return district


def run(db: str, disputes: int, pg_name: str, repeat: int = 9) -> dict:
    _setup(db, pg_name)
    from django.db import connection
    from django.utils import timezone

    from gongzhi.core.dates import period_bounds
    from gongzhi.disputes import selectors
    from gongzhi.disputes.models import Dispute, ScreeningReport

    t0 = time.perf_counter()
    district = _world(disputes)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    out = {
        "db": db,
        "disputes": Dispute.objects.count(),
        "reports": ScreeningReport.objects.count(),
        "setup_s": round(time.perf_counter() - t0, 1),
    }
    month = selectors.last_month()
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    start, end = period_bounds(month, last)
    # Raw SQL gets the moments as the ORM stores them (on SQLite: UTC text, no offset).
    start, end = (connection.ops.adapt_datetimefield_value(x) for x in (start, end))
    lo, hi = district.code, district.code + ":"

    def ours_board():
        return len(selectors.board(district, month).rows)

    def bare_board():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT u.id, u.code, u.name, r.is_zero, r.found, r.first_filed_at, r.late, "
                "r.revision FROM orgs_orgunit u LEFT JOIN disputes_screeningreport r "
                "ON r.org_unit_id = u.id AND r.month = %s "
                "WHERE u.code >= %s AND u.code < %s AND u.level = 'grid' ORDER BY u.code",
                [month, lo, hi],
            )
            return len(cur.fetchall())

    assert ours_board() == bare_board() == SUBS * COMMUNITIES * GRIDS
    out["board"] = {"grids": bare_board(), **versus(ours_board, bare_board, repeat)}

    def ours_summary():
        s = selectors.month_summary(district, month)
        return s["new"], s["carried_over"], s["open_at_end"]

    def bare_summary():
        rows = (
            "FROM disputes_dispute d WHERE d.org_code >= %s AND d.org_code < %s "
            "AND d.registered_at < %s AND (d.concluded_at IS NULL OR d.concluded_at >= %s)"
        )
        args = [lo, hi, end, start]
        inm = "d.concluded_at >= %s AND d.concluded_at < %s"
        with connection.cursor() as cur:
            cur.execute(
                "SELECT SUM(CASE WHEN d.registered_at >= %s THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN d.registered_at < %s THEN 1 ELSE 0 END), "
                + ", ".join(
                    f"SUM(CASE WHEN {inm} AND d.outcome = '{o}' THEN 1 ELSE 0 END)"
                    for o in ("settled", "failed", "referred", "withdrawn")
                )
                + ", SUM(CASE WHEN d.concluded_at IS NULL OR d.concluded_at >= %s "
                "THEN 1 ELSE 0 END) " + rows,
                [start, start, *([start, end] * 4), end, *args],
            )
            totals = cur.fetchone()
            cur.execute(
                "SELECT t.name, COUNT(*) FROM disputes_dispute d JOIN disputes_disputetype t "
                "ON t.id = d.type_id WHERE d.org_code >= %s AND d.org_code < %s "
                "AND d.registered_at >= %s AND d.registered_at < %s GROUP BY t.name",
                [lo, hi, start, end],
            )
            types = cur.fetchall()
            cur.execute(
                "SELECT d.risk, COUNT(*) FROM disputes_dispute d WHERE d.org_code >= %s "
                "AND d.org_code < %s AND d.registered_at >= %s AND d.registered_at < %s "
                "GROUP BY d.risk",
                [lo, hi, start, end],
            )
            return totals[0], totals[1], totals[6], types, cur.fetchall()

    assert ours_summary() == bare_summary()[:3], (ours_summary(), bare_summary()[:3])
    out["summary"] = {
        "month": f"{month:%Y-%m}",
        "new": ours_summary()[0],
        **versus(ours_summary, bare_summary, repeat),
    }
    out["today"] = timezone.localdate().isoformat()
    return out


def report(r: dict) -> str:
    b, s = r["board"], r["summary"]
    ok = lambda good: "met" if good else "NOT MET"  # noqa: E731
    return "\n".join(
        [
            f"{r['db']}: {r['disputes']:,} disputes, {r['reports']:,} screening reports "
            f"(set up in {r['setup_s']} s)",
            f"  screening board, {b['grids']:,} grids: {b['ours_ms']} ms "
            f"(bare LEFT JOIN {b['bare_ms']} ms, {b['ratio']} ×; ≤ 2 ×: {ok(b['ratio'] <= 2)})",
            f"  month's summary {s['month']} ({s['new']} new): {s['ours_ms']} ms "
            f"(bare SQL {s['bare_ms']} ms, {s['ratio']} ×; ≤ 2 ×: {ok(s['ratio'] <= 2)})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--disputes", type=int, default=50_000)
    parser.add_argument("--pg-name", default="gongzhi_bench_disputes")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one database a process: Django is set up once
        print(json.dumps(run(args.child, args.disputes, args.pg_name)))
        return 0
    print(f"disputes benchmark; {machine()}")
    per_database(
        __file__, args.db, ["--disputes", str(args.disputes), "--pg-name", args.pg_name], report
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
