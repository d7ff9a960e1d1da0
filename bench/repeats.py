"""Benchmark: repeat detection (重复诉求) for one new case, with a year of cases in its window.

    .venv/bin/python bench/repeats.py --data 100k,1m [--db postgres] [--cases 200]

On intake, `cases.repeats.find_earlier(case)` looks for an earlier live case of the same
category within the look-back window from the same phone, about the same building or
within 50 m, with a similar text. Here the window is set to 366 days, so every case of
the generated year (100k or 1M) is in it — the worst case the issue asks for ("ms at
1M cases in the window") — and, for reference, the default 30 days.

The new cases (not saved: the data set is read, never written) are --cases samples of
generated cases of the last month, moved by up to 30 m, given the same category, the
sampled case's phone for a third of them, and either its words (a repeat is found) or
other words (every candidate is compared and none matches) — half and half.

- ours: `repeats.find_earlier(case)` — the candidate query (category, window, phone or
  building or the 50 m box), then the distance and rapidfuzz on each candidate;
- bare: the same candidate query in hand-written SQL, rows fetched, nothing compared.

Printed: ms per new case (median, p95), candidates per case, repeats found, ratio to
bare, and t(1M)/t(100k).
"""

import argparse
import json
import math
import random
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import children, machine, setup_django  # noqa: E402

OTHER_WORDS = [
    "楼道堆放杂物影响通行，请尽快清理",
    "小区门口路灯不亮已经一周",
    "夜间施工噪音扰民，影响休息",
    "下水道堵塞污水外溢",
]

BARE = """
SELECT c.id, c.title, c.description, c.lng, c.lat, c.reporter_phone_hash, c.building_id,
       c.repeat_of_id
  FROM cases_case c
 WHERE c.category_id = %s AND c.reported_at >= %s AND c.reported_at < %s
   AND (c.reporter_phone_hash = %s OR c.building_id = %s
        OR (c.lat BETWEEN %s AND %s AND c.lng BETWEEN %s AND %s))
   AND c.state NOT IN ('rejected', 'merged')
 ORDER BY c.reported_at, c.id
 LIMIT 200
"""


def child(db: str, label: str, samples: int) -> dict:
    setup_django(db, label)
    import time

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from gongzhi.cases import repeats
    from gongzhi.cases.models import Case

    rng = random.Random(11)
    now = timezone.now()
    recent = list(
        Case.objects.filter(reported_at__gte=now - timedelta(days=30), lng__isnull=False)
        .exclude(state__in=["rejected", "merged"])
        .values("category_id", "lng", "lat", "title", "description", "reporter_phone_hash")
        .order_by("id")[:20000]
    )
    picked = rng.sample(recent, min(samples, len(recent)))
    news = []
    for i, row in enumerate(picked):
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, 30)
        lat = row["lat"] + dist * math.sin(angle) / 111_320
        lng = row["lng"] + dist * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
        same = i % 2 == 0
        news.append(
            Case(
                category_id=row["category_id"],
                lng=lng,
                lat=lat,
                title=row["title"] if same else rng.choice(OTHER_WORDS),
                description=row["description"] if same else "",
                reporter_phone_hash=row["reporter_phone_hash"] if i % 3 == 0 else "",
                reported_at=now,
            )
        )

    def bare(case: Case) -> list:
        radius = 50
        dlat = radius / 111_320
        dlng = radius / (111_320 * max(math.cos(math.radians(case.lat)), 0.01))
        args = [
            case.category_id,
            case.reported_at - timedelta(days=settings.GONGZHI_REPEAT_DAYS),
            case.reported_at,
            case.reporter_phone_hash or None,
            case.building_id,
            case.lat - dlat,
            case.lat + dlat,
            case.lng - dlng,
            case.lng + dlng,
        ]
        with connection.cursor() as cursor:
            cursor.execute(BARE, args)
            return cursor.fetchall()

    out = {"label": label, "vendor": connection.vendor, "cases": Case.objects.count()}
    for days in (366, 30):
        settings.GONGZHI_REPEAT_DAYS = days
        window = Case.objects.filter(reported_at__gte=now - timedelta(days=days)).count()
        for case in news[:5]:  # warm the caches and the plans
            repeats.find_earlier(case)
            bare(case)
        times = {"ours": [], "bare": []}
        found = candidates = 0
        for case in news:
            t0 = time.perf_counter()
            hit = repeats.find_earlier(case)
            times["ours"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            candidates += len(bare(case))
            times["bare"].append(time.perf_counter() - t0)
            found += hit is not None
        for path, runs in times.items():
            runs.sort()
            out[f"{days} d | {path}"] = {
                "median": runs[len(runs) // 2],
                "p95": runs[min(len(runs) - 1, round(0.95 * len(runs)) - 1)],
            }
        out[f"{days} d"] = {
            "window": window,
            "samples": len(news),
            "candidates": candidates / len(news),
            "found": found,
        }
    return out


def run(data: list[str], db: str = "sqlite", samples: int = 200) -> list[dict]:
    return children(__file__, data, db, "--cases", str(samples))


def report(results: list[dict], db: str) -> str:
    lines = [f"Repeat detection per new case, {db}; {machine()}"]
    for r in results:
        for days in (366, 30):
            w = r[f"{days} d"]
            lines.append(
                f"  {r['label']}, {days}-day window: {w['window']:,} cases in it; "
                f"{w['samples']} new cases, {w['candidates']:.1f} candidates each, "
                f"{w['found']} repeats found"
            )
    head = f"{'window | path':<16}"
    for r in results:
        head += f" {r['label'] + ' med ms':>12} {'p95 ms':>8} {'× bare':>7}"
    if len(results) > 1:
        head += f" {'p95 ' + results[-1]['label'] + '/' + results[0]['label']:>12}"
    lines += ["", head, "-" * len(head)]
    for days in (366, 30):
        for path in ("ours", "bare"):
            name = f"{days} d | {path}"
            row = f"{name:<16}"
            for r in results:
                p, b = r[name], r[f"{days} d | bare"]
                row += f" {p['median'] * 1000:>12.2f} {p['p95'] * 1000:>8.2f}"
                row += f" {p['p95'] / b['p95']:>7.2f}"
            if len(results) > 1:
                row += f" {results[-1][name]['p95'] / results[0][name]['p95']:>12.2f}"
            lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", default="100k,1m", help="labels of generated databases")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=200, help="new cases to check")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.db, args.child, args.cases), default=str))
        return 0
    results = run(args.data.split(","), db=args.db, samples=args.cases)
    print(json.dumps(results) if args.json else report(results, args.db))
    return 0


if __name__ == "__main__":
    sys.exit(main())
