"""The command center's boards are index-backed, so they stay fast at millions of cases.

The planner chooses a sequential scan on a tiny test table, so on PostgreSQL sequential
scans are switched off for the query: what is proved is that an index *can* answer it.
"""

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from gongzhi.cases import selectors


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cur.fetchall())


CASE_INDEXES = (
    "case_open_scope_due",
    "case_running_due",
    "case_state_scope",
    "case_scope_reported",
)


def _no_full_scan(plan: str) -> None:
    assert "SCAN cases_case" not in plan and "Seq Scan on cases_case" not in plan, plan


@pytest.mark.parametrize("queue", ["overdue", "due_soon", "new", "to_dispatch", "to_verify"])
def test_command_center_queues_use_an_index(people, report, queue):
    """Open cases in the operator's area (state × org-code range, or the partial index of
    open cases by area and deadline); never a scan of the whole case table."""
    report()
    qs, q = selectors.queue(people.op_sub, queue, now=timezone.now())
    plan = _plan(qs.order_by(*q.ordering)[:50])
    _no_full_scan(plan)
    assert any(name in plan for name in CASE_INDEXES), plan


def test_department_queue_uses_its_index(people, dispatched):
    dispatched()
    qs, q = selectors.queue(people.handler, "to_accept", now=timezone.now())
    plan = _plan(qs.order_by(*q.ordering)[:50])
    _no_full_scan(plan)
    # Its own index (department, state, due_at), or — on a test database of a few rows,
    # where PostgreSQL's statistics can make the two cost the same — the department's
    # foreign-key index: an index reached by the department either way, never a scan.
    assert "case_department_queue" in plan or "Index Cond: (department_id = " in plan, plan


def test_dashboard_reads_use_the_rollup_key_and_partial_indexes(people, tree, report):
    """The rollup path of the KPIs never scans cases: rollup rows by their key (a code
    range with both bounds), and the two live counts from the partial indexes of open
    cases and of pending contacts."""
    import datetime as dt

    from gongzhi.cases import kpis

    report()
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    rollup = _plan(
        kpis.rollup_query(kpis.units_at(tree.sub.code, 12), 0, start, today)
        .values("unit_code")
        .annotate(n=Sum("received"))
    )
    # SQLite names the unique constraint's index itself.
    assert "case_rollup_key" in rollup or "sqlite_autoindex_cases_caserollup" in rollup, rollup
    assert "unit_code=?" in rollup or "Index Cond" in rollup, rollup
    assert "SCAN cases_caserollup\n" not in rollup + "\n", rollup
    overdue, pending = kpis.live_querysets(tree.sub.code, start, today, timezone.now())
    overdue, pending = _plan(overdue), _plan(pending)
    # open cases only: the partial index by deadline, or (state, area) for each open state,
    # or (area, reported_at): the overdue cases counted are those received in the period,
    # so that range is bounded too. On an empty table PostgreSQL's choice among them
    # follows the row width (wider since the sealed text and the request fingerprint).
    used = ("case_open_scope_due", "case_state_scope", "case_scope_reported")
    assert any(name in overdue for name in used), overdue
    assert "case_response_pending" in pending, pending
    for plan in (overdue, pending):
        _no_full_scan(plan)


def test_repeat_candidates_are_read_by_phone_building_and_the_latitude_band(people, tree, report):
    """Three index reads joined, none a scan of the table. (Which index each part takes
    depends on the statistics, which a test table does not have: bench/repeats.py
    measures it with a year of cases in the window.)"""
    from gongzhi.cases import repeats
    from gongzhi.registry.models import Building

    building = Building.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="1号楼")
    case = report(reporter_phone="13812345678", building_id=building.pk, lng=112.415, lat=34.63)
    plan = _plan(repeats.candidates(case))
    _no_full_scan(plan)
    index_reads = plan.count("USING INDEX") + plan.count("Index Scan")
    assert index_reads >= 3, plan
