"""Two people at once: two operators dispatching one case, a client retrying a report
with the same Idempotency-Key (or reusing it for another report), two first reports of a
day. The threaded tests need real concurrent transactions (PostgreSQL); the sequential
ones state the same contract on every database."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import translation
from huey.contrib.djhuey import HUEY

from gongzhi.cases import services
from gongzhi.cases.kinds import CaseKind, register_kind, unregister_kind
from gongzhi.cases.models import Case, CaseCounter, CaseEvent, State
from gongzhi.cases.services import Stale
from gongzhi.cases.tests.support import fresh
from gongzhi.core.workflow import IllegalTransition

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "needs concurrent transactions: SQLite takes one writer at a time (BEGIN "
        "IMMEDIATE), and its shared in-memory test database locks whole tables without "
        "honouring the busy timeout, so two threads cannot race inside it"
    ),
)
threaded = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def _jobs_run_immediately():
    """Committed transactions queue delivery jobs: run them here, not in var/jobs.sqlite3."""
    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


def together(*calls, hold=None):
    """Run each call in its own thread (its own database connection), released at once.
    `hold`, a context manager, is held by this thread while the others start and for a
    moment after, so they queue up behind it. Returns ("ok", value) or ("error", exc)
    per call."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            with translation.override("en"):
                barrier.wait(timeout=10)
                results[i] = ("ok", call())
        except Exception as exc:  # the outcome under test
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    if hold is None:
        for t in threads:
            t.start()
    else:
        with hold:
            for t in threads:
                t.start()
            time.sleep(0.5)
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread is stuck"
    return results


class _TableLock:
    """Holds an exclusive lock on a table (reads go on, writes wait) in a transaction."""

    def __init__(self, table):
        self.table = table

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE")

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


@pytest.fixture
def slow_kind():
    """A kind whose dispatch holds the case's row lock for a moment, so that a second
    dispatch surely arrives while the first is still in its transaction."""

    def linger(case, action, actor, inputs):
        if action == "dispatch":
            time.sleep(0.5)

    register_kind(CaseKind(code="test_slow", label="slow", on_transition=linger))
    yield "test_slow"
    unregister_kind("test_slow")


# -- two operators dispatching one case ---------------------------------------------


def test_two_operators_with_the_same_version__the_second_is_told_it_changed(people, tree, report):
    case = report()
    seen = case.version  # both pages show version 1
    services.case_dispatch(
        actor=people.op_sub, case_id=case.pk, version=seen, department_id=tree.department.pk
    )
    with pytest.raises(Stale) as exc:
        services.case_dispatch(
            actor=people.op_district, case_id=case.pk, version=seen, unit_id=tree.grid_a.pk
        )
    assert (exc.value.status, exc.value.code) == (409, "stale")
    assert exc.value.message == (
        "Someone else has already changed this case; reload it and try again."
    )
    case = fresh(case)
    assert (case.department, case.assignee_code, case.version) == (tree.department, "", 2)
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


@postgres_only
@threaded
@pytest.mark.usefixtures("_jobs_run_immediately")
def test_concurrent_dispatch_with_versions__exactly_one_wins(people, tree, report, slow_kind):
    case = report(kind=slow_kind)
    results = together(
        lambda: services.case_dispatch(
            actor=people.op_sub, case_id=case.pk, version=1, department_id=tree.department.pk
        ),
        lambda: services.case_dispatch(
            actor=people.op_district, case_id=case.pk, version=1, department_id=tree.department2.pk
        ),
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, Stale) and error.code == "stale" and error.status == 409
    assert "already changed" in error.message
    winner = next(r[1] for r in results if r[0] == "ok")
    case = fresh(case)
    assert (case.state, case.version, case.department_id) == (
        State.DISPATCHED,
        2,
        winner.department_id,
    )
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


@postgres_only
@threaded
@pytest.mark.usefixtures("_jobs_run_immediately")
def test_concurrent_dispatch_without_versions__the_second_finds_it_dispatched(
    people, tree, report, slow_kind
):
    case = report(kind=slow_kind)
    results = together(
        lambda: services.case_dispatch(
            actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
        ),
        lambda: services.case_dispatch(
            actor=people.op_district, case_id=case.pk, department_id=tree.department2.pk
        ),
    )
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, IllegalTransition) and error.status == 409
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert fresh(case).version == 2


# -- retried reports ---------------------------------------------------------------


@postgres_only
@threaded
@pytest.mark.usefixtures("_jobs_run_immediately")
def test_the_same_idempotency_key_at_once__one_case(people, tree, category):
    CaseCounter.objects.all().delete()

    def send():
        return services.case_report(
            actor=people.gw_a,
            category_id=category.pk,
            title="井盖缺失",
            grid_id=tree.grid_a.pk,
            idempotency_key="retry-7f3a",
        )

    # Both requests pass the look-up for an earlier case, then queue up behind a lock
    # on the day counter: the second one's insert hits the unique key.
    results = together(send, send, hold=_TableLock(CaseCounter._meta.db_table))
    assert [r[0] for r in results] == ["ok", "ok"], results
    (a, a_created), (b, b_created) = (r[1] for r in results)
    assert a.pk == b.pk and sorted([a_created, b_created]) == [False, True]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(action="report").count() == 1


@postgres_only
@threaded
@pytest.mark.usefixtures("_jobs_run_immediately")
def test_the_same_key_with_two_different_reports_at_once__one_stored_one_refused(
    people, tree, category
):
    CaseCounter.objects.all().delete()

    def send(title):
        return lambda: services.case_report(
            actor=people.gw_a,
            category_id=category.pk,
            title=title,
            grid_id=tree.grid_a.pk,
            idempotency_key="retry-9c2e",
        )

    results = together(
        send("井盖缺失"), send("路灯不亮"), hold=_TableLock(CaseCounter._meta.db_table)
    )
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, services.IdempotencyConflict) and error.status == 422
    case, created = next(r[1] for r in results if r[0] == "ok")
    assert created and list(Case.objects.values_list("pk", "title")) == [(case.pk, case.title)]
    assert CaseEvent.objects.filter(action="report").count() == 1


@postgres_only
@threaded
@pytest.mark.usefixtures("_jobs_run_immediately")
def test_two_first_reports_of_a_day_at_once__two_numbers(people, tree, category):
    CaseCounter.objects.all().delete()

    def send(actor, grid):
        return lambda: services.case_report(
            actor=actor, category_id=category.pk, title="路灯不亮", grid_id=grid.pk
        )

    results = together(
        send(people.gw_a, tree.grid_a),
        send(people.gw_b, tree.grid_b),
        hold=_TableLock(CaseCounter._meta.db_table),
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    numbers = sorted(r[1][0].number for r in results)
    assert [n[-6:] for n in numbers] == ["000001", "000002"]
    assert CaseCounter.objects.get().last == 2
