# ruff: noqa: E501  (SQL statements and report lines read better unbroken)
"""Benchmark: rooms and the tool hut (issue 21) at a district's scale, against bare SQL in
the same run.

    .venv/bin/python bench/sharing.py [--db sqlite,postgres] [--rooms 200] [--bookings 1000000]
                                      [--items 1000] [--repeat 20]

A private database each time (SQLite in a temporary folder; PostgreSQL $SHARING_BENCH_DB,
default h21, dropped and made again) with one district of 24 communities, --rooms rooms
spread over them and --bookings bookings (5 a day a room, 1 h 30 each, a 15-minute buffer,
from long ago to 30 days ahead), written by INSERT … SELECT (the indexes, and on
PostgreSQL the exclusion constraint, built after the rows); and one hut of --items items
with 50 loans each (a year of them, returned).

- availability: selectors.availability for 10 rooms over 30 days (what a room's page and
  /my/sharing/ read) against the same statement in bare SQL; target ≤ 2 ×;
- catalogue: selectors.catalogue of the hut's --items items with whether each is free
  against the bare SELECT … LEFT JOIN … GROUP BY; target ≤ 2 ×;
- book: one book_room (rules, the room's lock, the clash check, the insert, the audit
  row) on the full table, timed.

Importable: run(db, ...) returns the measurements; main() prints them.
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import district_tree, machine, private_database, timed  # noqa: E402

PG_NAME = os.environ.get("SHARING_BENCH_DB", "h21")
PER_DAY = 5


def _world(rooms: int, items: int):
    from gongzhi.orgs.models import OrgUnit
    from gongzhi.sharing.models import Hut, Item, Room, ToolCategory

    _district, _grids, operator = district_tree()
    communities = list(OrgUnit.objects.filter(level="community").order_by("code"))
    made = Room.objects.bulk_create(
        [
            Room(
                org_unit=communities[i % len(communities)],
                org_code=communities[i % len(communities)].code,
                name=f"功能室{i:03d}",
                buffer_minutes=15,
                closed_on_holidays=False,
                opens_at=dt.time(0),
                closes_at=dt.time(23, 59),
            )
            for i in range(rooms)
        ]
    )
    hut = Hut.objects.create(org_unit=communities[0], org_code=communities[0].code, name="共享小屋")
    cat = ToolCategory.objects.create(hut=hut, name="工具")
    Item.objects.bulk_create(
        [
            Item(
                hut=hut,
                category=cat,
                org_code=hut.org_code,
                number=f"GX-{i:04d}",
                name=f"工具{i:04d}",
            )
            for i in range(items)
        ]
    )
    return made, hut, operator


def _load(vendor: str, rooms, bookings: int, hut) -> float:
    """The bookings (room r's g-th: day g // 5 from the start, slot g % 5 two hours apart)
    and 50 returned loans an item, by INSERT … SELECT; indexes built after. Seconds."""
    from django.db import connection
    from django.utils import timezone

    from gongzhi.registry.models import Resident

    first, n_rooms = rooms[0].pk, len(rooms)
    per_room = bookings // n_rooms
    days = per_room // PER_DAY
    start = (timezone.localdate() + dt.timedelta(days=30 - days)).isoformat()
    org = rooms[0].org_code
    resident = Resident.objects.create(grid_id=rooms[0].org_unit_id, org_code=org, name="借用人")
    t0 = time.perf_counter()
    with connection.cursor() as c:
        if vendor == "postgresql":
            c.execute("ALTER TABLE sharing_booking DROP CONSTRAINT sharing_booking_no_overlap")
            c.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sharing_booking' AND indexname NOT LIKE '%pkey'"
            )
            indexes = c.fetchall()
            for name, _sql in indexes:
                c.execute(f'DROP INDEX "{name}"')
            series = f"generate_series(0, {bookings - 1}) g"
            at = f"(TIMESTAMP '{start} 08:00' + ((g / {n_rooms}) / {PER_DAY}) * interval '1 day' + ((g / {n_rooms}) % {PER_DAY}) * interval '2 hours') AT TIME ZONE 'Asia/Shanghai'"
            c.execute(
                "INSERT INTO sharing_booking (room_id, org_code, detached, starts_at, ends_at, blocked_until, state, booker_kind, title, booker_name, people, phone_enc, phone_hash, phone_masked, purpose, purpose_key, note, reason, created_at) "
                f"SELECT {first} + g % {n_rooms}, '{org}', false, {at}, {at} + interval '90 minutes', {at} + interval '105 minutes', 'confirmed', 'team', '活动' || g, '', 1, '', '', '', '', '', '', '', now() FROM {series}"
            )
            for _name, sql in indexes:
                c.execute(sql)
        else:
            c.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sharing_booking' AND sql IS NOT NULL"
            )
            indexes = c.fetchall()
            for name, _sql in indexes:
                c.execute(f'DROP INDEX "{name}"')
            series = f"(WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {bookings - 1}) SELECT g FROM s)"

            def at(extra):
                return f"strftime('%Y-%m-%d %H:%M:%S', '{start} 00:00', '+' || ((g / {n_rooms}) / {PER_DAY}) || ' days', '+' || (((g / {n_rooms}) % {PER_DAY}) * 120 + {extra}) || ' minutes')"

            c.execute(
                "INSERT INTO sharing_booking (room_id, org_code, detached, starts_at, ends_at, blocked_until, state, booker_kind, title, booker_name, people, phone_enc, phone_hash, phone_masked, purpose, purpose_key, note, reason, created_at) "
                f"SELECT {first} + g % {n_rooms}, '{org}', 0, {at(0)}, {at(90)}, {at(105)}, 'confirmed', 'team', '活动' || g, '', 1, '', '', '', '', '', '', '', datetime('now') FROM {series}"
            )
            for _name, sql in indexes:
                c.execute(sql)
        # 50 returned loans an item.
        from gongzhi.sharing.models import Item, Loan

        items = list(Item.objects.filter(hut=hut).values_list("pk", flat=True))
        now = timezone.now()
        rows = []
        for k, pk in enumerate(items):
            for j in range(50):
                out = now - dt.timedelta(days=7 * j + 1, hours=k % 5)
                rows.append(
                    Loan(
                        item_id=pk,
                        hut=hut,
                        org_code=hut.org_code,
                        resident=resident,
                        state="returned",
                        out_at=out,
                        due_at=out + dt.timedelta(days=7),
                        returned_at=out + dt.timedelta(days=3),
                    )
                )
        Loan.objects.bulk_create(rows, batch_size=5000)
        c.execute("ANALYZE")
    if vendor == "postgresql":
        with connection.cursor() as c:
            t1 = time.perf_counter()
            c.execute(
                "ALTER TABLE sharing_booking ADD CONSTRAINT sharing_booking_no_overlap EXCLUDE USING gist "
                "(room_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
                "WHERE (state IN ('requested', 'confirmed', 'checked_in', 'no_show'))"
            )
            print(
                f"  exclusion constraint built over {bookings:,} rows in {time.perf_counter() - t1:.1f} s",
                file=sys.stderr,
            )
    return time.perf_counter() - t0


def run(db: str, rooms: int, bookings: int, items: int, repeat: int = 20) -> dict:
    private_database(db, PG_NAME, "gongzhi-bench-sharing-")
    from django.db import connection
    from django.utils import timezone

    from gongzhi.sharing import selectors, services
    from gongzhi.sharing.models import Booking, Loan, Room

    vendor = connection.vendor
    made, hut, operator = _world(rooms, items)
    load_s = _load(vendor, made, bookings, hut)
    out = {
        "db": vendor,
        "rooms": Room.objects.count(),
        "bookings": Booking.objects.count(),
        "items": items,
        "loans": Loan.objects.count(),
        "load_s": round(load_s, 1),
    }
    ten = made[:10]
    ids = [r.pk for r in ten]
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    a = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    b = a + dt.timedelta(days=30)

    def ours_availability():
        return selectors.availability(Room.objects.filter(pk__in=ids), today, 30)

    placeholders = ", ".join(["%s"] * len(ids))

    def bare_availability():
        with connection.cursor() as c:
            c.execute(
                f"SELECT id, name, opens_at, closes_at, weekdays, closed_on_holidays FROM sharing_room WHERE id IN ({placeholders})",
                ids,
            )
            c.fetchall()
            c.execute(
                "SELECT id, room_id, starts_at, ends_at, blocked_until, title, state, booker_kind, series_id FROM sharing_booking "
                f"WHERE room_id IN ({placeholders}) AND state IN ('requested', 'confirmed', 'checked_in', 'no_show') "
                "AND starts_at >= %s AND starts_at < %s AND blocked_until > %s ORDER BY room_id, starts_at",
                [*ids, a - dt.timedelta(days=7), b, a],
            )
            return c.fetchall()

    n_rows = sum(len(d.bookings) for days in ours_availability().values() for d in days)
    ours, bare = timed(ours_availability, repeat), timed(bare_availability, repeat)
    out["availability"] = {
        "rows": n_rows,
        "ours_ms": round(ours["median"] * 1000, 2),
        "p95_ms": round(ours["p95"] * 1000, 2),
        "bare_ms": round(bare["median"] * 1000, 2),
        "ratio": round(ours["median"] / bare["median"], 2),
    }

    def ours_catalogue():
        return selectors.catalogue([hut.pk], limit=items)

    def bare_catalogue():
        with connection.cursor() as c:
            c.execute(
                "SELECT i.*, c.*, EXISTS (SELECT 1 FROM sharing_loan l WHERE l.item_id = i.id "
                "AND l.state IN ('requested', 'held', 'out')) FROM sharing_item i "
                "JOIN sharing_toolcategory c ON c.id = i.category_id "
                "WHERE i.hut_id = %s AND i.is_active ORDER BY i.category_id, i.number LIMIT %s",
                [hut.pk, items],
            )
            return c.fetchall()

    ours, bare = timed(ours_catalogue, repeat), timed(bare_catalogue, repeat)
    out["catalogue"] = {
        "rows": len(ours_catalogue()),
        "ours_ms": round(ours["median"] * 1000, 2),
        "p95_ms": round(ours["p95"] * 1000, 2),
        "bare_ms": round(bare["median"] * 1000, 2),
        "ratio": round(ours["median"] / bare["median"], 2),
    }
    # One booking through the service on the full table (a free evening slot, 40 days on).
    n = iter(range(10_000))

    def book():
        k = next(n)
        s = dt.datetime.combine(
            today + dt.timedelta(days=40 + k // 10), dt.time(18 + k % 5 // 2), tzinfo=tz
        )
        return services.book_room(
            actor=operator,
            room_id=made[k % 10].pk,
            starts_at=s,
            ends_at=s + dt.timedelta(minutes=30),
            title="基准",
            booker_kind="staff",
        )

    from gongzhi.sharing.models import Room as R

    R.objects.filter(pk__in=ids).update(max_days_ahead=10_000)
    t = timed(book, 10, warm=1)
    out["book_ms"] = round(t["median"] * 1000, 1)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.rooms, args.bookings, args.items, args.repeat)))
        return
    import subprocess

    print(machine())
    for db in args.db.split(","):
        db = "postgresql" if db.startswith("postgres") else db
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                db,
                "--rooms",
                str(args.rooms),
                "--bookings",
                str(args.bookings),
                "--items",
                str(args.items),
                "--repeat",
                str(args.repeat),
            ],
            capture_output=True,
            text=True,
        )
        sys.stderr.write(proc.stderr[-3000:])
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(result, ensure_ascii=False))
        for key in ("availability", "catalogue"):
            r = result[key]
            verdict = "ok" if r["ratio"] <= 2 else "OVER 2×"
            print(
                f"{result['db']:>10} {key:<12} {r['rows']:>6} rows  ours {r['ours_ms']:>8} ms  bare {r['bare_ms']:>8} ms  ratio {r['ratio']}  {verdict}"
            )
        print(
            f"{result['db']:>10} book_room on the full table: {result['book_ms']} ms (median of 10)"
        )


if __name__ == "__main__":
    main()
