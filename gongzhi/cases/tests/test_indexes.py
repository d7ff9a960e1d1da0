"""The command center's boards are index-backed, so they stay fast at millions of cases.

The planner chooses a sequential scan on a tiny test table, so on PostgreSQL sequential
scans are switched off for the query: what is proved is that an index *can* answer it.
"""

import pytest
from django.db import connection
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


CASE_INDEXES = ("case_open_scope_due", "case_state_scope", "case_scope_reported")


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
    assert "case_department_queue" in plan, plan
