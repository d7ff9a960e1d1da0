"""Benchmark: the command center's case lists at city scale against the bare SQL query.

    .venv/bin/python bench/lists.py --data 100k,1m [--db postgres] [--repeat 50]

Reads the databases bench/generate.py made and changes nothing in them (the Django test
client signs in with a session kept in the cache, not in the database). Each database
is measured in its own child process. The lists, as the people who open them:

- overdue in my scope, by deadline — a subdistrict operator (op_s1, 990101001) and a
  district operator (op_d1): `GET /api/v1/cases?queue=overdue`;
- new in my scope — the subdistrict operator: `?queue=new`;
- a grid worker's own cases — the worker of the subdistrict's busiest grid: `?queue=all`
  (the grid's cases and those the worker reported, newest first).

For each list, the first page (50 rows) four ways:

- `api`: the whole request through Django (middleware, session, the token-or-session
  auth, the scope, the keyset page, the JSON) with the test client;
- `page`: the server-rendered page `/cases/?queue=…` (the same list, the queue tabs
  with their counts, the template);
- `query`: our query alone — `selectors.queue` + `for_list` + `keyset_page`, the rows
  fetched as model instances;
- `bare`: hand-written SQL over the same indexes giving the same 50 ids (checked),
  with the category, grid and department names joined as the list shows them.

Printed: median and p95 (of --repeat runs after two warm-ups) per list, path and size,
the ratio to bare, and t(1M)/t(100k) for each path. Target (issue 7): the p95 of a list
at 1M no more than 1.5 × its p95 at 100k.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import DISTRICT, SUBDISTRICT, children, machine, setup_django, timed  # noqa: E402

PAGE = 50
OPEN_RUNNING = ("registered", "dispatched", "in_progress", "handled")

# (name, user, queue); the grid worker is chosen in the child (the busiest grid).
LISTS = [
    ("overdue, subdistrict", "op_s1", "overdue"),
    ("overdue, district", "op_d1", "overdue"),
    ("new, subdistrict", "op_s1", "new"),
    ("grid worker's own", None, "all"),
]

BARE_SELECT = """
SELECT c.id, c.number, c.title, c.state, c.urgency, c.org_code, c.reported_at, c.due_at,
       cat.name, parent.name, g.name, d.name
  FROM cases_case c
  JOIN cases_category cat ON cat.id = c.category_id
  LEFT JOIN cases_category parent ON parent.id = cat.parent_id
  JOIN orgs_orgunit g ON g.id = c.grid_id
  LEFT JOIN orgs_department d ON d.id = c.department_id
"""


def bare_statements(code: str, user_id: int) -> dict[str, tuple[str, list]]:
    """The minimal SQL for each list: the scope as a code range (what `within` is), the
    state, the order and the page."""
    scope = "c.org_code >= %s AND c.org_code < %s"
    scope_args = [code, code + ":"]
    running = ", ".join(f"'{s}'" for s in OPEN_RUNNING)
    return {
        "overdue": (
            f"{BARE_SELECT} WHERE {scope} AND c.state IN ({running}) AND c.due_at < %s "
            f"ORDER BY c.due_at, c.id LIMIT {PAGE}",
            scope_args,
        ),
        "new": (
            f"{BARE_SELECT} WHERE c.state = 'reported' AND {scope} "
            f"ORDER BY c.reported_at DESC, c.id DESC LIMIT {PAGE}",
            scope_args,
        ),
        "all": (
            f"{BARE_SELECT} WHERE ({scope} OR c.reported_by_id = %s) "
            f"ORDER BY c.reported_at DESC, c.id DESC LIMIT {PAGE}",
            [*scope_args, user_id],
        ),
    }


def child(db: str, label: str, repeat: int) -> dict:
    """Measure every list on one database (in this process)."""
    setup_django(db, label)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    from gongzhi.accounts.models import User
    from gongzhi.cases import selectors
    from gongzhi.cases.models import Case
    from gongzhi.core.http.pagination import keyset_page
    from gongzhi.core.permissions import facts_of

    setup_test_environment()  # the test client's response.context, ALLOWED_HOSTS
    # Sessions in the process's cache: signing in must not write to the data set.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"

    busiest = (
        Case.objects.filter(org_code__within=SUBDISTRICT)
        .values("org_code")
        .annotate(n=Count("id"))
        .order_by("-n", "org_code")
        .first()["org_code"]
    )
    grid_worker = User.objects.get(username=f"gw_{busiest}")
    results, sizes, queries = {}, {}, {}
    for name, username, key in LISTS:
        user = grid_worker if username is None else User.objects.get(username=username)
        facts_of(user)
        scope_code = {"op_s1": SUBDISTRICT, "op_d1": DISTRICT}.get(username, busiest)
        client = Client()
        client.force_login(user)
        now = timezone.now()
        sql, args = bare_statements(scope_code, user.pk)[key]
        if key == "overdue":
            args = [*args, now]

        def bare(sql=sql, args=args):
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()

        def query(user=user, key=key):
            qs, spec = selectors.queue(user, key)
            rows, _cursor = keyset_page(
                selectors.for_list(qs), ordering=spec.ordering, cursor=None, limit=PAGE
            )
            return list(rows)

        def api(client=client, key=key):
            response = client.get(f"/api/v1/cases?queue={key}&limit={PAGE}")
            assert response.status_code == 200, response.content[:300]
            return response

        def page(client=client, key=key):
            response = client.get(f"/cases/?queue={key}")
            assert response.status_code == 200, response.status_code
            return response

        ours = [c.pk for c in query()]
        theirs = [row[0] for row in bare()]
        if ours != theirs:
            raise SystemExit(f"{label} {name}: bare SQL and our query disagree")
        items = api().json()["items"]
        if [i["id"] for i in items] != ours:
            raise SystemExit(f"{label} {name}: the API's page is not our query's")
        with CaptureQueriesContext(connection) as api_queries:
            api()
        with CaptureQueriesContext(connection) as page_queries:
            page()
        qs, _spec = selectors.queue(user, key)
        sizes[name] = qs.count()
        queries[name] = {"api": len(api_queries), "page": len(page_queries)}
        for path, fn in (("api", api), ("page", page), ("query", query), ("bare", bare)):
            results[f"{name} | {path}"] = timed(fn, repeat)
    return {
        "label": label,
        "vendor": connection.vendor,
        "cases": Case.objects.count(),
        "grid": busiest,
        "sizes": sizes,
        "queries": queries,
        "paths": results,
    }


def run(data: list[str], db: str = "sqlite", repeat: int = 50) -> list[dict]:
    return children(__file__, data, db, "--repeat", str(repeat))


def report(results: list[dict], db: str, repeat: int) -> str:
    lines = [f"Case lists, {db}, first page of {PAGE}, median / p95 of {repeat}; {machine()}"]
    for r in results:
        sizes = ", ".join(f"{k}: {v:,}" for k, v in r["sizes"].items())
        lines.append(f"  {r['label']}: {r['cases']:,} cases; rows in each list: {sizes}")
        counts = ", ".join(
            f"{k}: api {v['api']}, page {v['page']}" for k, v in r["queries"].items()
        )
        lines.append(f"  queries per request — {counts}")
    head = f"{'list | path':<34}"
    for r in results:
        head += f" {r['label'] + ' med':>10} {'p95 ms':>8} {'× bare':>7}"
    if len(results) > 1:
        head += f" {'p95 ' + results[-1]['label'] + '/' + results[0]['label']:>12}"
    lines += ["", head, "-" * len(head)]
    for name in results[0]["paths"]:
        row = f"{name:<34}"
        for r in results:
            p = r["paths"][name]
            bare = r["paths"][name.rsplit("|", 1)[0] + "| bare"]
            row += f" {p['median'] * 1000:>10.2f} {p['p95'] * 1000:>8.2f} "
            row += f"{p['p95'] / bare['p95']:>7.2f}"
        if len(results) > 1:
            growth = results[-1]["paths"][name]["p95"] / results[0]["paths"][name]["p95"]
            row += f" {growth:>12.2f}"
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", default="100k,1m", help="labels of generated databases")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.db, args.child, args.repeat), default=str))
        return 0
    results = run(args.data.split(","), db=args.db, repeat=args.repeat)
    print(json.dumps(results) if args.json else report(results, args.db, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
