# ruff: noqa: E501  (SQL statements and report lines read better unbroken)
"""Benchmark: volunteers (issue 19) — QR check-ins at one activity, and the yearly
statistics of a district, against bare SQL in the same run.

    .venv/bin/python bench/volunteers.py [--db sqlite,postgres] [--volunteers 20000]
                                         [--participations 500000]

A private database each time (SQLite in a temporary folder; PostgreSQL h19,
dropped and made again; VOLUNTEERS_BENCH_DB names another) with a district of 4
subdistricts × 6 communities × 10 grids, --volunteers volunteers on its grids, a year of
activities (20 sign-ups each) and --participations sign-ups, 95 % checked in and out, each
with its approved hour record — written by INSERT … SELECT.

- checkins: 100 volunteers confirmed on one activity; its organiser's page takes 100
  scanned cards (POST /volunteers/activities/<id>/, action=check: the request, the
  session, the permission, the row lock, the audit row), one after another; each
  answer's time; target p95 < 1 s;
- figures: the district's year (selectors.figures: activities, 人次, hours, attendance,
  patrols, volunteers, for the district and each subdistrict) against the same GROUP BY
  statements in bare SQL; target ≤ 2 ×;
- top volunteers: selectors.per_volunteer over the year (the 200 with most hours),
  against its two GROUP BYs in bare SQL; target ≤ 2 ×.

Importable: run(db, ...) returns the measurements; main() prints them.
"""

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import district_tree, machine, private_database, timed  # noqa: E402

PG_NAME = os.environ.get("VOLUNTEERS_BENCH_DB", "h19")
PER_ACTIVITY = 20


def _world(volunteers: int, participations: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from gongzhi.accounts.models import Position, User
    from gongzhi.core.roles import Role
    from gongzhi.volunteers.models import Activity, Volunteer

    district, grids, operator = district_tree()
    communities = sorted({g.code[:12] for g in grids})
    now = timezone.now()
    t0 = time.perf_counter()
    for start in range(0, volunteers, 5000):
        Volunteer.objects.bulk_create(
            [
                Volunteer(org_code=grids[i % len(grids)].code, name=f"志愿者{i:05d}", state="approved",
                          card_token=secrets.token_urlsafe(18)[:24], registered_at=now, phone_masked="139****0000")
                for i in range(start, min(volunteers, start + 5000))
            ]
        )  # fmt: skip
    n_act = participations // PER_ACTIVITY
    year_ago = now - dt.timedelta(days=365)
    for start in range(0, n_act, 5000):
        Activity.objects.bulk_create(
            [
                Activity(
                    org_code=communities[i % len(communities)], title=f"活动{i}", kind="civility",
                    starts_at=year_ago + dt.timedelta(minutes=(i * 1051) % (364 * 24 * 60)),
                    ends_at=year_ago + dt.timedelta(minutes=(i * 1051) % (364 * 24 * 60) + 120),
                    place="社区", capacity=PER_ACTIVITY, confirmed=PER_ACTIVITY,
                    code=f"b{i:08d}", created_at=year_ago,
                )
                for i in range(start, min(n_act, start + 5000))
            ]
        )  # fmt: skip
    first_act = Activity.objects.order_by("pk").values_list("pk", flat=True).first()
    first_vol = Volunteer.objects.order_by("pk").values_list("pk", flat=True).first()
    vendor = connection.vendor
    with connection.cursor() as c:
        if vendor == "postgresql":
            series = f"generate_series(0, {n_act * PER_ACTIVITY - 1}) g"
            div = "div(g, 20)"
            local_day = "CAST(p.starts_at AT TIME ZONE 'Asia/Shanghai' AS date)"
            plus = lambda col, m: f"{col} + interval '{m} minutes'"  # noqa: E731
        else:
            series = f"(WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {n_act * PER_ACTIVITY - 1}) SELECT g FROM s)"
            div = "(g / 20)"
            local_day = "date(p.starts_at, '+8 hours')"
            plus = lambda col, m: f"strftime('%Y-%m-%d %H:%M:%f', {col}, '+{m} minutes')"  # noqa: E731
        came = "(g % 20) <> 7"  # 95 % came
        c.execute(
            "INSERT INTO volunteers_participation (activity_id, volunteer_id, org_code, state, starts_at, ends_at, created_at, checked_in_at, checked_out_at, auto_closed) "
            f"SELECT a.id, {first_vol} + ((({div}) * 37 + (g % 20)) % {volunteers}), a.org_code, 'confirmed', a.starts_at, a.ends_at, a.created_at, "
            f"CASE WHEN {came} THEN {plus('a.starts_at', 2)} END, CASE WHEN {came} THEN {plus('a.starts_at', 110)} END, FALSE "
            f"FROM {series} JOIN volunteers_activity a ON a.id = {first_act} + {div}"
        )
        c.execute(
            "INSERT INTO volunteers_hourrecord (volunteer_id, activity_id, participation_id, org_code, kind, state, minutes, raw_minutes, served_on, flagged, note, created_at, decided_at) "
            f"SELECT p.volunteer_id, p.activity_id, p.id, p.org_code, 'attended', 'approved', 108, 108, {local_day}, FALSE, '', p.checked_out_at, p.checked_out_at "
            "FROM volunteers_participation p WHERE p.checked_in_at IS NOT NULL"
        )
        c.execute("ANALYZE")
    load_s = time.perf_counter() - t0
    community = communities[0]
    worker = User.objects.create(username="bench_cw", name="社区工作者")
    Position.objects.create(user=worker, role=Role.COMMUNITY_WORKER, org_code=community,
                            org_unit_id=district.__class__.objects.get(code=community).pk)  # fmt: skip
    return {"district": district, "operator": operator, "worker": worker, "community": community,
            "load_s": load_s}  # fmt: skip


def _checkins(w: dict, n: int = 100) -> dict:
    """n volunteers of the community confirmed on an activity starting in 30 minutes; the
    organiser's page takes their cards one after another."""
    from django.test import Client
    from django.utils import timezone

    from gongzhi.volunteers import services
    from gongzhi.volunteers.models import Participation, Volunteer

    start = timezone.now() + dt.timedelta(minutes=30)
    activity = services.activity_create(
        actor=w["worker"], unit_code=w["community"], title="基准签到活动", kind="civility",
        starts_at=start, ends_at=start + dt.timedelta(hours=2), place="社区广场", capacity=n,
    )  # fmt: skip
    people = list(Volunteer.objects.filter(org_code__startswith=w["community"]).order_by("pk")[:n])
    for v in people:
        services.signup_for(actor=w["worker"], activity_id=activity.pk, volunteer_id=v.pk)
    client = Client()
    client.force_login(w["worker"])
    url = f"/volunteers/activities/{activity.pk}/"
    client.get(url)
    times = []
    for v in people:
        t0 = time.perf_counter()
        response = client.post(url, {"action": "check", "card": v.card_token})
        times.append(time.perf_counter() - t0)
        assert response.status_code == 302, response.content[:300]
    times.sort()
    n = len(times)
    checked = Participation.objects.filter(activity=activity, checked_in_at__isnull=False).count()
    return {
        "n": n, "checked_in": checked, "median_ms": round(times[n // 2] * 1000, 1),
        "p95_ms": round(times[int(0.95 * n) - 1] * 1000, 1), "max_ms": round(times[-1] * 1000, 1),
        "total_s": round(sum(times), 2),
    }  # fmt: skip


def _bare_figures(unit_code: str, start: dt.date, end: dt.date, lo, hi, length: int) -> list:
    """The same six GROUP BYs (and the children) in bare SQL."""
    from django.db import connection

    upper = unit_code + ":"
    rows = []
    with connection.cursor() as c:
        c.execute(
            "SELECT id, code, name FROM orgs_orgunit WHERE parent_id = (SELECT id FROM orgs_orgunit WHERE code = %s) ORDER BY code",
            [unit_code],
        )
        rows.append(c.fetchall())
        statements = [
            ("SELECT org_code, COUNT(id) FROM volunteers_activity WHERE org_code >= %s AND org_code < %s AND NOT is_cancelled AND starts_at >= %s AND starts_at < %s GROUP BY org_code", [unit_code, upper, lo, hi]),
            ("SELECT org_code, COUNT(id) FROM volunteers_participation WHERE org_code >= %s AND org_code < %s AND starts_at >= %s AND starts_at < %s AND checked_in_at IS NOT NULL GROUP BY org_code", [unit_code, upper, lo, hi]),
            ("SELECT org_code, SUM(minutes) FROM volunteers_hourrecord WHERE org_code >= %s AND org_code < %s AND state = 'approved' AND served_on >= %s AND served_on <= %s GROUP BY org_code", [unit_code, upper, start, end]),
            ("SELECT t.org_code, SUM(t.people) FROM volunteers_attendance t JOIN volunteers_activity a ON a.id = t.activity_id WHERE t.org_code >= %s AND t.org_code < %s AND a.starts_at >= %s AND a.starts_at < %s GROUP BY t.org_code", [unit_code, upper, lo, hi]),
            ("SELECT org_code, COUNT(id) FROM patrols_patrol WHERE org_code >= %s AND org_code < %s AND started_at >= %s AND started_at < %s GROUP BY org_code", [unit_code, upper, lo, hi]),
            ("SELECT org_code, COUNT(id) FROM volunteers_volunteer WHERE org_code >= %s AND org_code < %s AND state = 'approved' GROUP BY org_code", [unit_code, upper]),
        ]  # fmt: skip
        for sql, params in statements:
            c.execute(sql, params)
            totals: dict = {}
            for code, n in c.fetchall():
                totals[code[:length]] = totals.get(code[:length], 0) + (n or 0)
            rows.append(totals)
    return rows


def _bare_top(unit_code: str, start, end, lo, hi) -> list:
    from django.db import connection

    upper = unit_code + ":"
    with connection.cursor() as c:
        c.execute(
            "SELECT volunteer_id, SUM(minutes) FROM volunteers_hourrecord WHERE org_code >= %s AND org_code < %s AND state = 'approved' AND served_on >= %s AND served_on <= %s GROUP BY volunteer_id",
            [unit_code, upper, start, end],
        )
        minutes = dict(c.fetchall())
        c.execute(
            "SELECT volunteer_id, COUNT(id) FROM volunteers_participation WHERE org_code >= %s AND org_code < %s AND starts_at >= %s AND starts_at < %s AND checked_in_at IS NOT NULL GROUP BY volunteer_id",
            [unit_code, upper, lo, hi],
        )
        turns = dict(c.fetchall())
        ids = sorted(set(minutes) | set(turns), key=lambda v: (-(minutes.get(v) or 0), v))[:200]
        c.execute(
            f"SELECT v.id, v.name, t.name FROM volunteers_volunteer v LEFT JOIN volunteers_team t ON t.id = v.team_id WHERE v.id IN ({','.join(str(i) for i in ids)})"
        )
        return c.fetchall()


def run(db: str, volunteers: int, participations: int, repeat: int = 5) -> dict:
    private_database(db, PG_NAME, "gongzhi-bench-volunteers-")
    from django.db import connection
    from django.utils import timezone

    from gongzhi.core.dates import period_bounds
    from gongzhi.volunteers import selectors
    from gongzhi.volunteers.models import HourRecord, Participation

    w = _world(volunteers, participations)
    out = {
        "db": connection.vendor, "volunteers": volunteers,
        "participations": Participation.objects.count(), "hour_records": HourRecord.objects.count(),
        "load_s": round(w["load_s"], 1),
    }  # fmt: skip
    out["checkins"] = _checkins(w)
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=365), today
    lo, hi = period_bounds(start, end)
    district, operator = w["district"], w["operator"]
    total, _children = selectors.figures(operator, district, start, end)
    out["line"] = {"activities": total.activities, "turns": total.turns, "hours": total.hours}
    length = len(district.code) + 3
    ours = timed(lambda: selectors.figures(operator, district, start, end), repeat, warm=1)
    bare = timed(lambda: _bare_figures(district.code, start, end, lo, hi, length), repeat, warm=1)
    out["figures"] = {
        "ours_ms": round(ours["median"] * 1000, 1), "bare_ms": round(bare["median"] * 1000, 1),
        "ratio": round(ours["median"] / bare["median"], 2),
    }  # fmt: skip
    ours = timed(lambda: selectors.per_volunteer(operator, district, start, end), repeat, warm=1)
    bare = timed(lambda: _bare_top(district.code, start, end, lo, hi), repeat, warm=1)
    out["top"] = {
        "ours_ms": round(ours["median"] * 1000, 1), "bare_ms": round(bare["median"] * 1000, 1),
        "ratio": round(ours["median"] / bare["median"], 2),
    }  # fmt: skip
    return out


def report(r: dict) -> str:
    def ok(flag):
        return "yes" if flag else "NO"

    c, f, t, line = r["checkins"], r["figures"], r["top"], r["line"]
    return "\n".join([
        f"{r['db']}: {r['volunteers']:,} volunteers, {r['participations']:,} sign-ups, {r['hour_records']:,} hour records (loaded in {r['load_s']} s)",
        f"  checkins: {c['n']} cards scanned at one activity, one after another: median {c['median_ms']} ms, p95 {c['p95_ms']} ms, max {c['max_ms']} ms ({c['checked_in']} checked in, {c['total_s']} s in all); p95 < 1 s: {ok(c['p95_ms'] < 1000)}",
        f"  figures (the district's year: {line['activities']:,} activities, {line['turns']:,} 人次, {line['hours']:,} hours): ours {f['ours_ms']} ms, bare SQL {f['bare_ms']} ms, ratio {f['ratio']}; ≤ 2 ×: {ok(f['ratio'] <= 2)}",
        f"  top 200 volunteers of the year: ours {t['ours_ms']} ms, bare SQL {t['bare_ms']} ms, ratio {t['ratio']}; ≤ 2 ×: {ok(t['ratio'] <= 2)}",
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--participations", type=int, default=500_000)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.volunteers, args.participations)))
        return 0
    import subprocess

    print(f"volunteers benchmark; {machine()}")
    for db in args.db.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", db, "--volunteers", str(args.volunteers),
             "--participations", str(args.participations)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        print(report(json.loads(proc.stdout.strip().splitlines()[-1])), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
