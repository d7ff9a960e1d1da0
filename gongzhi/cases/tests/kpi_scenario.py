"""The hand-counted KPI scenario of test_kpis.py (its docstring draws it), shared with
test_kpi_api.py: the `scenario` fixture (cases/tests/conftest.py) builds it."""

import datetime as dt
import itertools
from types import SimpleNamespace

from django.utils import timezone

from gongzhi.cases import rollups, statistics
from gongzhi.cases.models import Case, CaseEvent, State
from gongzhi.core.roles import Level
from gongzhi.factories import OrgUnitFactory

TZ = timezone.get_default_timezone()
MARCH = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}
_numbers = itertools.count(1)


def at(month, day, hour=12, minute=0, second=0, *, year=2026) -> dt.datetime:
    """A local (Asia/Shanghai) moment."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=TZ)


NOW = at(4, 10, 12)


def make_case(category, grid, reported_at, state=State.IN_PROGRESS, **fields) -> Case:
    return Case.objects.create(
        number=f"SJT{next(_numbers):08d}",
        channel="grid_worker",
        category=category,
        title="测试事件",
        state=state,
        org_code=grid.code,
        grid=grid,
        reported_at=reported_at,
        **fields,
    )


def event(case, action, when, **data) -> CaseEvent:
    return CaseEvent.objects.create(case=case, at=when, action=action, data=data)


def on_time_contact(reported):
    """respond_by an hour after the report, first contact half an hour after it."""
    return {
        "respond_by": reported + dt.timedelta(hours=1),
        "responded_at": reported + dt.timedelta(minutes=30),
    }


def build_scenario(tree, people, category):
    s = SimpleNamespace()
    s.community3 = OrgUnitFactory(
        code="990101002001", name="和平社区", level=Level.COMMUNITY, parent=tree.sub2
    )
    s.grid_x = OrgUnitFactory(
        code="990101002001001", name="第1网格", level=Level.GRID, parent=s.community3
    )
    a, c = tree.grid_a, tree.grid_c

    def case(grid, reported, state=State.IN_PROGRESS, **kw):
        return make_case(category, grid, reported, state, **kw)

    # -- grid A ------------------------------------------------------------------
    # A1: closed on time; contacted on time; called back solved + satisfied.
    s.a1 = case(
        a, at(3, 2, 9), State.CLOSED, **on_time_contact(at(3, 2, 9)),
        handled_at=at(3, 4), closed_at=at(3, 5), closed_on_time=True, due_at=at(3, 9),
    )  # fmt: skip
    event(s.a1, "handle", at(3, 4))
    event(s.a1, "verify_pass", at(3, 5))
    event(s.a1, "callback", at(3, 6), solved=True, rating="satisfied")
    # A2: contacted late; sent back once; closed late; solved + basically satisfied.
    s.a2 = case(
        a, at(3, 3, 9), State.CLOSED, respond_by=at(3, 3, 10), responded_at=at(3, 3, 11),
        handled_at=at(3, 12), closed_at=at(3, 13), closed_on_time=False, due_at=at(3, 10),
    )  # fmt: skip
    event(s.a2, "handle", at(3, 8))
    event(s.a2, "verify_fail", at(3, 9))
    event(s.a2, "handle", at(3, 12))
    event(s.a2, "verify_pass", at(3, 13))
    event(s.a2, "callback", at(3, 14), solved=True, rating="basically")
    # A3: handled, awaiting verification, past its deadline (20 March): overdue.
    s.a3 = case(
        a, at(3, 10), State.HANDLED, **on_time_contact(at(3, 10)),
        handled_at=at(3, 18), due_at=at(3, 20),
    )  # fmt: skip
    event(s.a3, "handle", at(3, 18))
    # A4: in progress, deadline 20 April (not come); never contacted, limit passed.
    s.a4 = case(a, at(3, 12), respond_by=at(3, 12, 13), due_at=at(4, 20))
    # A5: a repeat; handled, sent back, in progress again, overdue; never contacted.
    s.a5 = case(
        a, at(3, 15), respond_by=at(3, 15, 13), handled_at=at(3, 20), due_at=at(3, 25),
        is_repeat=True,
    )  # fmt: skip
    event(s.a5, "handle", at(3, 20))
    event(s.a5, "verify_fail", at(3, 22))
    # A6: suspended on 10 March before its deadline (15 March): the clock stopped.
    s.a6 = case(
        a, at(3, 5), State.SUSPENDED, **on_time_contact(at(3, 5)),
        suspended_at=at(3, 10), due_at=at(3, 15),
    )  # fmt: skip
    # A7: suspended on 20 March, already past its deadline (15 March): overdue.
    s.a7 = case(
        a, at(3, 6), State.SUSPENDED, **on_time_contact(at(3, 6)),
        suspended_at=at(3, 20), due_at=at(3, 15),
    )  # fmt: skip
    # A8: a repeat awaiting registration: no limits yet.
    s.a8 = case(a, at(3, 20), State.REPORTED, is_repeat=True)
    # A9: handled on the spot; closed on time on 2 April (after the period, before NOW);
    # its callback (3 April) is outside the period.
    s.a9 = case(
        a, at(3, 28), State.CLOSED, respond_by=at(3, 28, 13), responded_at=at(3, 28),
        handled_at=at(3, 28), closed_at=at(4, 2), closed_on_time=True, due_at=at(4, 6),
        self_handled=True,
    )  # fmt: skip
    event(s.a9, "self_handle", at(3, 28))
    event(s.a9, "verify_pass", at(4, 2))
    event(s.a9, "callback", at(4, 3), solved=True, rating="satisfied")
    # A10: registered late (10 April 11:45): still within its hour, not contacted yet.
    s.a10 = case(a, at(3, 30), State.REGISTERED, respond_by=at(4, 10, 12, 45), due_at=at(4, 17))
    # -- grid C ------------------------------------------------------------------
    # C1: called back unsatisfied, escalated, handled again, closed, called back again.
    s.c1 = case(
        c, at(3, 8), State.CLOSED, **on_time_contact(at(3, 8)),
        handled_at=at(3, 23), closed_at=at(3, 24), closed_on_time=True, due_at=at(3, 30),
    )  # fmt: skip
    event(s.c1, "handle", at(3, 14))
    event(s.c1, "verify_pass", at(3, 15))
    event(s.c1, "callback", at(3, 16), solved=False, rating="unsatisfied")
    event(s.c1, "handle", at(3, 23))
    event(s.c1, "verify_pass", at(3, 24))
    event(s.c1, "callback", at(3, 25), solved=True, rating="satisfied")
    # C2: registered, never dispatched, past its deadline (8 March).
    s.c2 = case(c, at(3, 1, 8), State.REGISTERED, **on_time_contact(at(3, 1, 8)), due_at=at(3, 8))
    # C3: a repeat, closed on time; called back at 23:00 on the last day: not solved.
    s.c3 = case(
        c, at(3, 4), State.CLOSED, **on_time_contact(at(3, 4)), is_repeat=True,
        handled_at=at(3, 10), closed_at=at(3, 11), closed_on_time=True, due_at=at(3, 11),
    )  # fmt: skip
    event(s.c3, "handle", at(3, 10))
    event(s.c3, "verify_pass", at(3, 11))
    event(s.c3, "callback", at(3, 31, 23), solved=False, rating="basically")
    # -- not received ---------------------------------------------------------------
    s.rejected = case(a, at(3, 6), State.REJECTED)
    s.merged = case(c, at(3, 7), State.MERGED, is_repeat=True)
    # -- outside the period ----------------------------------------------------------
    # O1: reported in February, handled then, sent back and handled again in March,
    # closed and called back in March: its timeline counts for March, the case does not.
    s.o1 = case(
        a, at(2, 20), State.CLOSED, **on_time_contact(at(2, 20)),
        handled_at=at(3, 3), closed_at=at(3, 4), closed_on_time=True, due_at=at(2, 27, 17),
    )  # fmt: skip
    event(s.o1, "handle", at(2, 27))
    event(s.o1, "verify_fail", at(3, 2))
    event(s.o1, "handle", at(3, 3))
    event(s.o1, "verify_pass", at(3, 4))
    event(s.o1, "callback", at(3, 5), solved=True, rating="satisfied")
    s.o2 = case(a, at(4, 1, 0, 0), State.REPORTED, is_repeat=True)
    # -- outside the subdistrict -------------------------------------------------------
    s.x = case(
        s.grid_x, at(3, 10), State.CLOSED, **on_time_contact(at(3, 10)),
        handled_at=at(3, 17), closed_at=at(3, 18), closed_on_time=True, due_at=at(3, 17),
    )  # fmt: skip
    event(s.x, "handle", at(3, 17))
    event(s.x, "verify_pass", at(3, 18))
    event(s.x, "callback", at(3, 20), solved=True, rating="unsatisfied")
    rollups.rebuild()  # rows written directly, like the demo's: the rollups are rebuilt
    return s


def rates(report) -> dict:
    """The loop's own rates of a report (kinds registered beside it add their own)."""
    own = {r.key for r in statistics.RATES}
    return {r.key: (r.numerator, r.denominator) for r in report.rates if r.key in own}


def loop_counts(report) -> dict:
    """The loop's own counts of a report (kinds registered beside it add their own)."""
    own = {c.key for c in statistics.COUNTS}
    return {k: v for k, v in report.counts.items() if k in own}
