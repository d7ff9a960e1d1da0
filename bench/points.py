# ruff: noqa: E501  (SQL statements and report lines read better unbroken)
"""Benchmark: the green-points bank (issue 20) on a large ledger, against bare SQL in the
same run.

    .venv/bin/python bench/points.py [--db sqlite,postgres] [--movements 10000000]
                                     [--residents 50000] [--seconds 10]

A private database each time (SQLite in a temporary folder; PostgreSQL
gongzhi_bench_points, dropped and made again) with one community of --residents
residents, each with a points account, and a ledger of --movements movements (awards:
the issuer −n, a resident +n, so the ledger sums to zero), written by INSERT … SELECT
(the passbook index built after the rows), the balances set from the movements. One
resident has 10,000 movements.

- passbook: what /my/points/ and the desk's passbook read — selectors.passbook_page
  (the first 50 movements with their balances) and selectors.monthly_totals — against
  the same two statements in bare SQL; target ≤ 2 ×;
- balances: the community's balances page (selectors.balances_page: the first 50
  accounts by balance, in a community worker's scope) against the bare SELECT …
  ORDER BY balance DESC LIMIT 51; target ≤ 2 ×;
- figures: the command center's section for the last month (selectors.figures), timed;
- reconcile: the nightly reconciliation over the whole ledger, timed; 0 mismatches;
- redemptions (PostgreSQL): 4 processes × 4 threads redeem 40 gifts from the stock
  (services.redemption_reserve) for --seconds; redemptions a second; then every
  redemption has exactly one transfer of two movements, no balance went below zero and
  the reconciliation finds 0 mismatches.

Importable: run(db, ...) returns the measurements; main() prints them.
"""

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine, private_database, timed  # noqa: E402

PG_NAME = os.environ.get("POINTS_BENCH_DB", "gongzhi_bench_points")
COMMUNITY = "990101001001"
PASSBOOK_MOVEMENTS = 10_000
PROCESSES, THREADS = 4, 4


def _setup(db: str) -> None:
    private_database(db, PG_NAME, "gongzhi-bench-points-")


def _world(residents: int):
    """The tree down to 10 grids of one community, its worker, the residents and their
    accounts, the bank with a rule and a gift in stock."""
    from gongzhi.accounts.models import Position, User
    from gongzhi.core.roles import Level, Role
    from gongzhi.orgs.models import OrgUnit
    from gongzhi.points import services
    from gongzhi.points.models import Account, AccountKind
    from gongzhi.registry.models import Resident

    district = OrgUnit.objects.create(code="990101", name="基准区", level=Level.DISTRICT)
    sub = OrgUnit.objects.create(
        code="990101001", name="街道", level=Level.SUBDISTRICT, parent=district
    )
    community = OrgUnit.objects.create(
        code=COMMUNITY, name="基准社区", level=Level.COMMUNITY, parent=sub
    )
    grids = [
        OrgUnit.objects.create(code=f"{COMMUNITY}{g:03d}", name=f"第{g}网格", level=Level.GRID, parent=community)
        for g in range(1, 11)
    ]  # fmt: skip
    worker = User.objects.create(username="cw", name="社区工作者")
    Position.objects.create(
        user=worker, role=Role.COMMUNITY_WORKER, org_unit=community, org_code=COMMUNITY
    )
    bank = services.bank_for(COMMUNITY)
    for start in range(0, residents, 5000):
        people = Resident.objects.bulk_create(
            [
                Resident(grid=grids[i % 10], org_code=grids[i % 10].code, name=f"居民{i:05d}")
                for i in range(start, min(residents, start + 5000))
            ]
        )
        Account.objects.bulk_create(
            [
                Account(bank=bank, kind=AccountKind.RESIDENT, org_code=p.org_code, resident=p, name=p.name)
                for p in people
            ]
        )  # fmt: skip
    services.rule_save(actor=worker, org_code=COMMUNITY, kind="civility", points=5)
    return worker, bank


def _ledger(db: str, bank, movements: int) -> float:
    """`movements` movements (half issuer, half residents) in one INSERT … SELECT each,
    the passbook index built after; the balances from the movements. Seconds taken."""
    from django.db import connection

    from gongzhi.points.models import Account, AccountKind

    issuer = Account.objects.get(bank=bank, kind=AccountKind.ISSUER).pk
    ids = Account.objects.filter(bank=bank, kind=AccountKind.RESIDENT).order_by("pk")
    first, last = ids.first().pk, ids.last().pk
    n = last - first + 1
    transfers = movements // 2
    t0 = time.perf_counter()
    with connection.cursor() as c:
        if db == "postgresql":
            c.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'points_movement' AND indexname NOT LIKE '%pkey'"
            )
            indexes = c.fetchall()
            for name, _sql in indexes:
                c.execute(f'DROP INDEX "{name}"')
            series = f"generate_series(1, {transfers}) g"
            at = "now() - (g % 1000000) * interval '1 minute'"
            mod = "%"
            month = f"CAST(date_trunc('month', ({at}) AT TIME ZONE 'Asia/Shanghai') AS date)"
        else:
            c.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'points_movement' AND sql IS NOT NULL"
            )
            indexes = c.fetchall()
            for name, _sql in indexes:
                c.execute(f'DROP INDEX "{name}"')
            series = f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {transfers}) SELECT g FROM s)"
            at = "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (g % 1000000) || ' minutes')"
            mod = "%"
            month = "strftime('%Y-%m-01', 'now', '-' || (g % 1000000) || ' minutes', '+8 hours')"
        # The first PASSBOOK_MOVEMENTS transfers go to the first resident (the passbook's).
        who = f"CASE WHEN g <= {PASSBOOK_MOVEMENTS} THEN {first} ELSE {first} + (g {mod} {n}) END"
        c.execute(
            "INSERT INTO points_transfer (id, bank_id, kind, source, key, reason, created_at) "
            f"SELECT g, {bank.pk}, 'award', 'bench', CAST(g AS TEXT), '志愿服务', {at} FROM {series}"
        )
        c.execute(
            "INSERT INTO points_movement (transfer_id, account_id, amount, created_at, kind, month) "
            f"SELECT g, {issuer}, -(1 + g {mod} 9), {at}, 'award', {month} FROM {series}"
        )
        c.execute(
            "INSERT INTO points_movement (transfer_id, account_id, amount, created_at, kind, month) "
            f"SELECT g, {who}, 1 + g {mod} 9, {at}, 'award', {month} FROM {series}"
        )
        for _name, sql in indexes:
            c.execute(sql)
        c.execute(
            "UPDATE points_account SET balance = COALESCE((SELECT SUM(m.amount) FROM "
            "points_movement m WHERE m.account_id = points_account.id), 0)"
        )
        if db == "postgresql":
            c.execute(
                "SELECT setval(pg_get_serial_sequence('points_transfer', 'id'), (SELECT MAX(id) FROM points_transfer))"
            )
            c.execute("ANALYZE")
        else:
            c.execute("ANALYZE")
    return time.perf_counter() - t0


def run(db: str, movements: int, residents: int, seconds: float, repeat: int = 20) -> dict:
    _setup(db)
    from django.db import connection, transaction

    from gongzhi.points import ledger, selectors, services
    from gongzhi.points.models import Account, AccountKind, Movement, Redemption, Reward, Transfer

    vendor = connection.vendor
    worker, bank = _world(residents)
    load_s = _ledger(vendor, bank, movements)
    out = {
        "db": vendor,
        "movements": Movement.objects.count(),
        "residents": residents,
        "load_s": round(load_s, 1),
    }
    account = Account.objects.filter(bank=bank, kind=AccountKind.RESIDENT).order_by("pk").first()
    out["passbook_movements"] = Movement.objects.filter(account=account).count()

    def ours_passbook():
        a = Account.objects.get(pk=account.pk)
        rows, _next = selectors.passbook_page(a)
        return rows, selectors.monthly_totals(a)

    def bare_passbook():
        with connection.cursor() as c:
            c.execute("SELECT balance FROM points_account WHERE id = %s", [account.pk])
            c.fetchall()
            c.execute(
                "SELECT m.id, m.created_at, m.amount, m.kind, t.reason FROM points_movement m "
                "JOIN points_transfer t ON t.id = m.transfer_id WHERE m.account_id = %s "
                "ORDER BY m.created_at DESC, m.id DESC LIMIT 51",
                [account.pk],
            )
            c.fetchall()
            c.execute(
                "SELECT month, SUM(CASE WHEN amount > 0 THEN amount END), "
                "SUM(CASE WHEN amount < 0 THEN amount END) FROM points_movement "
                "WHERE account_id = %s GROUP BY month ORDER BY month DESC LIMIT 12",
                [account.pk],
            )
            c.fetchall()

    ours, bare = timed(ours_passbook, repeat), timed(bare_passbook, repeat)
    out["passbook"] = {
        "ours_ms": round(ours["median"] * 1000, 2), "p95_ms": round(ours["p95"] * 1000, 2),
        "bare_ms": round(bare["median"] * 1000, 2), "ratio": round(ours["median"] / bare["median"], 2),
    }  # fmt: skip

    def ours_balances():
        return selectors.balances_page(worker, bank)

    def bare_balances():
        with connection.cursor() as c:
            c.execute(
                "SELECT id, name, balance, org_code FROM points_account WHERE bank_id = %s "
                "AND kind = 'resident' AND org_code >= %s AND org_code < %s "
                "ORDER BY balance DESC, id DESC LIMIT 51",
                [bank.pk, COMMUNITY, COMMUNITY + ":"],
            )
            return c.fetchall()

    ours, bare = timed(ours_balances, repeat), timed(bare_balances, repeat)
    out["balances"] = {
        "ours_ms": round(ours["median"] * 1000, 2), "p95_ms": round(ours["p95"] * 1000, 2),
        "bare_ms": round(bare["median"] * 1000, 2), "ratio": round(ours["median"] / bare["median"], 2),
    }  # fmt: skip

    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    fig = timed(
        lambda: selectors.figures(COMMUNITY, today - dt.timedelta(days=30), today), 3, warm=1
    )
    out["figures_ms"] = round(fig["median"] * 1000, 1)
    t0 = time.perf_counter()
    report = ledger.reconcile()
    out["reconcile"] = {
        "s": round(time.perf_counter() - t0, 2),
        "mismatches": len(report["mismatches"]),
        "total": report["total"],
    }

    if vendor == "postgresql":
        out["redemptions"] = _redemptions(bank, worker, seconds)
        t0 = time.perf_counter()
        report = ledger.reconcile()
        out["reconcile_after"] = {
            "s": round(time.perf_counter() - t0, 2), "mismatches": len(report["mismatches"]),
            "total": report["total"],
        }  # fmt: skip
        out["redemption_check"] = {
            "redemptions": Redemption.objects.count(),
            "transfers": Transfer.objects.filter(kind="redemption").count(),
            "movements": Movement.objects.filter(kind="redemption").count(),
            "negative_balances": Account.objects.filter(balance__lt=0).exclude(kind=AccountKind.ISSUER).count(),
            "stock_given": 40_000_000 - sum(Reward.objects.values_list("stock", flat=True)),
        }  # fmt: skip
        out["bare_redemptions"] = _bare_redemptions(bank, seconds)
    del transaction, services
    return out


def _bare_redemptions(bank, seconds: float) -> dict:
    """The machine's ceiling: the same rows a redemption writes (the reward and the
    account locked, a transfer, two movements, the balance, the stock, the redemption, an
    audit row), one transaction each, in bare SQL (psycopg), with the same concurrency
    (16 threads; psycopg releases the GIL while it waits)."""
    import uuid

    import psycopg
    from django.conf import settings as dj

    from gongzhi.points.models import Account, AccountKind, Reward

    db = dj.DATABASES["default"]
    dsn = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    stock = Account.objects.get(bank=bank, kind=AccountKind.STOCK).pk
    gifts = list(
        Reward.objects.filter(bank=bank, merchant__isnull=True).values_list("pk", flat=True)
    )
    accounts = list(
        Account.objects.filter(bank=bank, kind=AccountKind.RESIDENT, balance__gte=100).values_list(
            "pk", flat=True
        )[:20000]
    )
    n_threads = PROCESSES * THREADS
    counts = [0] * n_threads
    start = time.time() + 1

    def work(i):
        mine = accounts[i::n_threads]
        with psycopg.connect(dsn) as conn:
            time.sleep(max(0, start - time.time()))
            n = 0
            while time.time() < start + seconds:
                a, g = mine[n % len(mine)], gifts[(i + n) % len(gifts)]
                n += 1
                with conn.transaction():
                    conn.execute("SELECT stock FROM points_reward WHERE id = %s FOR UPDATE", [g])
                    (bal,) = conn.execute(
                        "SELECT balance FROM points_account WHERE id = %s FOR UPDATE", [a]
                    ).fetchone()
                    if bal < 20:
                        continue
                    (t,) = conn.execute(
                        "INSERT INTO points_transfer (bank_id, kind, source, key, reason, created_at) "
                        "VALUES (%s, 'redemption', 'bare', %s, '礼品', now()) RETURNING id",
                        [bank.pk, uuid.uuid4().hex],
                    ).fetchone()
                    conn.execute(
                        "INSERT INTO points_movement (transfer_id, account_id, amount, created_at, kind, month) "
                        "VALUES (%s, %s, -20, now(), 'redemption', current_date), (%s, %s, 20, now(), 'redemption', current_date)",
                        [t, a, t, stock],
                    )
                    conn.execute(
                        "UPDATE points_account SET balance = balance - 20 WHERE id = %s", [a]
                    )
                    conn.execute("UPDATE points_reward SET stock = stock - 1 WHERE id = %s", [g])
                    conn.execute(
                        "INSERT INTO points_redemption (reward_id, account_id, org_code, price, state, transfer_id, created_at) "
                        "VALUES (%s, %s, '990101001001001', 20, 'reserved', %s, now())",
                        [g, a, t],
                    )
                    conn.execute(
                        "INSERT INTO core_auditlog (at, actor_name, action, object_type, object_id, object_repr, changes) "
                        "VALUES (now(), '系统', 'points.redeem', 'points.redemption', '0', '', '{}')"
                    )
                counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"per_s": round(sum(counts) / seconds, 1), "redeemed": sum(counts)}


def _redemptions(bank, worker, seconds: float) -> dict:
    """PROCESSES processes (as an app server's workers) of THREADS threads, each thread
    redeeming gifts from the stock for residents of its own share, for `seconds`."""
    import multiprocessing as mp

    from django.db import connection

    from gongzhi.points import services
    from gongzhi.points.models import Account, AccountKind

    gifts = [
        services.reward_save(actor=worker, org_code=COMMUNITY, title=f"礼品{i}", price=20, stock=1_000_000).pk
        for i in range(40)
    ]  # fmt: skip
    accounts = list(
        Account.objects.filter(bank=bank, kind=AccountKind.RESIDENT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    connection.close()  # not shared with the forked workers
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + 2  # every worker starts at this moment
    procs = [
        ctx.Process(target=_worker, args=(p, accounts, gifts, start, seconds, queue))
        for p in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    done = sum(r["done"] for r in results)
    return {
        "threads": PROCESSES * THREADS, "processes": PROCESSES, "seconds": seconds,
        "redeemed": done, "refused": sum(r["refused"] for r in results),
        "per_s": round(done / seconds, 1), "errors": [e for r in results for e in r["errors"]][:3],
    }  # fmt: skip


def _worker(p, accounts, gifts, start, seconds, queue):
    from django.db import connection

    from gongzhi.points import ledger, services
    from gongzhi.points.models import Account

    done, refused, errors = [0], [0], []
    lock = threading.Lock()

    def work(i):
        k = p * THREADS + i
        mine = accounts[k :: PROCESSES * THREADS]
        n = 0
        ok = bad = 0
        try:
            time.sleep(max(0, start - time.time()))
            while time.time() < start + seconds:
                account = Account.objects.select_related("bank").get(pk=mine[n % len(mine)])
                n += 1
                try:
                    services.redemption_reserve(
                        account=account,
                        reward_id=gifts[(k + n) % len(gifts)],
                        key=services.new_key(),
                    )
                    ok += 1
                except ledger.InsufficientPoints:
                    bad += 1
        except Exception as exc:  # reported, not hidden
            errors.append(repr(exc))
        finally:
            connection.close()
            with lock:
                done[0] += ok
                refused[0] += bad

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put({"done": done[0], "refused": refused[0], "errors": errors})


def report(r: dict) -> str:
    def ok(b):
        return "yes" if b else "NO"

    p, b = r["passbook"], r["balances"]
    lines = [
        f"{r['db']}: {r['movements']:,} movements, {r['residents']:,} residents (loaded in {r['load_s']} s)",
        f"  passbook ({r['passbook_movements']:,} movements): {p['ours_ms']} ms (p95 {p['p95_ms']}; bare {p['bare_ms']} ms, {p['ratio']} ×; ≤ 2 ×: {ok(p['ratio'] <= 2)})",
        f"  balances page of {r['residents']:,}: {b['ours_ms']} ms (p95 {b['p95_ms']}; bare {b['bare_ms']} ms, {b['ratio']} ×; ≤ 2 ×: {ok(b['ratio'] <= 2)})",
        f"  figures of the last 30 days: {r['figures_ms']} ms",
        f"  reconciliation: {r['reconcile']['s']} s, {r['reconcile']['mismatches']} mismatches, sum {r['reconcile']['total']}",
    ]  # fmt: skip
    if "redemptions" in r:
        x, c = r["redemptions"], r["redemption_check"]
        lines.append(
            f"  redemptions: {x['per_s']}/s over {x['seconds']} s, {x['processes']} processes × {x['threads'] // x['processes']} threads "
            f"({x['redeemed']:,} redeemed, {x['refused']:,} refused, errors {x['errors']}); "
            f"≥ 200/s: {ok(x['per_s'] >= 200)}; the same rows in bare SQL (psycopg, 16 threads): "
            f"{r['bare_redemptions']['per_s']}/s"
        )
        lines.append(
            f"  after: {c['redemptions']:,} redemptions = {c['transfers']:,} transfers, "
            f"{c['movements']:,} movements, {c['stock_given']:,} gifts out of stock; "
            f"negative balances {c['negative_balances']}; reconciliation "
            f"{r['reconcile_after']['mismatches']} mismatches, sum {r['reconcile_after']['total']}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--movements", type=int, default=10_000_000)
    parser.add_argument("--residents", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.movements, args.residents, args.seconds)))
        return 0
    import subprocess

    print(f"points benchmark; {machine()}")
    for db in args.db.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", db, "--movements", str(args.movements),
             "--residents", str(args.residents), "--seconds", str(args.seconds)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        print(report(json.loads(proc.stdout.strip().splitlines()[-1])), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
