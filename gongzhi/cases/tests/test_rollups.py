"""The rollups stay equal to a recomputation from the raw cases.

A random history of cases — reported in different grids, categories and channels,
registered (sometimes into another grid or category), rejected, dispatched to a
department or a community, accepted, returned, handled, verified, sent back, called
back, escalated, suspended, resumed, reopened, merged — is played through the real
services while a clock moves across days and months. After it, every report the
rollups serve must equal the raw-case report for every unit and for random periods,
and rebuilding the rollups from the cases must give back exactly the rows that the
changes kept.
"""

import datetime as dt

import pytest
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.cases import kpis, kpis_raw, rollups, services
from gongzhi.cases.models import Case, CaseRollup, CaseRollupCount, Category, Channel, State
from gongzhi.core import manifest
from gongzhi.core.dates import period_bounds
from gongzhi.core.errors import DomainError
from gongzhi.core.manifest import Count
from gongzhi.core.roles import Level
from gongzhi.factories import OrgUnitFactory

from .support import Clock, at

START = at(2026, 1, 29, 9)
ACTIONS = (
    "report",
    "report",
    "self_handle",
    "register",
    "register_moved",
    "reject",
    "dispatch",
    "dispatch_unit",
    "accept",
    "return",
    "contact",
    "handle",
    "verify_pass",
    "verify_fail",
    "callback",
    "callback",
    "escalate",
    "suspend",
    "resume",
    "reopen",
    "merge",
)
STEP = st.tuples(
    st.sampled_from(ACTIONS),
    st.integers(0, 30),  # which case
    st.integers(0, 5),  # an option: grid, category, rating …
    st.integers(0, 96),  # hours to move the clock on after the step
)


@pytest.fixture
def world(tree, people, monkeypatch):
    clock = Clock(START).install(monkeypatch)
    tree.sub2_grid = OrgUnitFactory(
        code="990101002001001",
        name="第1网格",
        level=Level.GRID,
        parent=OrgUnitFactory(
            code="990101002001", name="和平社区", level=Level.COMMUNITY, parent=tree.sub2
        ),
    )
    grids = [tree.grid_a, tree.grid_b, tree.grid_c, tree.micro_a1, tree.sub2_grid]
    categories = list(Category.objects.filter(parent__isnull=False).order_by("code")[:4])
    return clock, grids, categories


def _reset():
    Case.objects.update(repeat_of=None, merged_into=None)
    Case.objects.all().delete()
    CaseRollup.objects.all().delete()
    CaseRollupCount.objects.all().delete()


def _play(step, cases, clock, grids, categories, people, tree):
    action, which, option, hours = step
    op = people.op_district
    case = cases[which % len(cases)] if cases else None
    channels = [Channel.GRID_WORKER, Channel.HOTLINE, Channel.PHONE, Channel.RESIDENT]
    try:
        if action in ("report", "self_handle") or case is None:
            self_handle = action == "self_handle"
            actor = people.gw_a if self_handle else op
            grid = tree.grid_a if self_handle else grids[option % len(grids)]
            new, _ = services.case_report(
                actor=actor,
                category_id=categories[option % len(categories)].pk,
                title="楼道堆放杂物",
                description=f"第{len(cases)}件：3号楼楼道堆满纸箱",
                grid_id=grid.pk,
                channel=channels[(option + len(cases)) % len(channels)],
                reporter_phone=f"1380000{len(cases) % 7:04d}",
                reporter_name="张三",
                self_handle=self_handle,
                result="已当场清理" if self_handle else "",
            )
            cases.append(new.pk)
        elif action == "register":
            services.case_register(actor=op, case_id=case)
        elif action == "register_moved":
            services.case_register(
                actor=op,
                case_id=case,
                category_id=categories[(option + 1) % len(categories)].pk,
                grid_id=grids[(option + 2) % len(grids)].pk,
            )
        elif action == "reject":
            services.case_reject(actor=op, case_id=case, reason="不属于受理范围")
        elif action == "dispatch":
            department = tree.department if option % 2 else tree.department2
            services.case_dispatch(actor=op, case_id=case, department_id=department.pk)
        elif action == "dispatch_unit":
            unit = Case.objects.get(pk=case).grid
            services.case_dispatch(actor=op, case_id=case, unit_id=unit.pk)
        elif action == "accept":
            services.case_accept(actor=_handler(case, people, op), case_id=case)
        elif action == "return":
            services.case_return(actor=_handler(case, people, op), case_id=case, reason="非本单位")
        elif action == "contact":
            services.case_contact(actor=op, case_id=case, note="已电话联系")
        elif action == "handle":
            services.case_handle(actor=_handler(case, people, op), case_id=case, result="已处理")
        elif action in ("verify_pass", "verify_fail"):
            services.case_verify(actor=op, case_id=case, passed=action == "verify_pass")
        elif action == "callback":
            rating = ("satisfied", "basically", "unsatisfied")[option % 3]
            services.case_callback(
                actor=op, case_id=case, solved=option % 2 == 0, rating=rating, note=""
            )
        elif action == "escalate":
            services.case_escalate(actor=op, case_id=case, note="群众反映强烈")
        elif action == "suspend":
            services.case_suspend(actor=op, case_id=case, reason="等待施工")
        elif action == "resume":
            services.case_resume(actor=op, case_id=case)
        elif action == "reopen":
            services.case_reopen(actor=op, case_id=case, reason="问题复发")
        elif action == "merge":
            target = cases[(which + 1 + option) % len(cases)]
            services.case_merge(actor=op, case_id=case, target_id=target)
    except DomainError:
        pass  # the workflow refused this step in this state: the history goes on
    clock.advance(hours=hours)


def _handler(case_id, people, op):
    case = Case.objects.get(pk=case_id)
    return people.handler if case.department_id == people.handler_department_id else op


UNITS = ("district", "sub", "sub2", "community", "community2", "grid_a", "grid_c", "micro_a1")


def _assert_rollups_match(tree, people, clock, periods):
    op = people.op_district
    for start, end in periods:
        for name in UNITS:
            code = getattr(tree, name).code
            ours = kpis.case_kpis(op, unit_code=code, start=start, end=end)
            raw = kpis_raw.raw_case_kpis(op, unit_code=code, start=start, end=end, now=clock.now)
            assert ours.counts == raw.counts, (name, start, end)
            children = kpis.case_kpis_by_child(op, unit_code=code, start=start, end=end)
            raw_children = kpis_raw.raw_case_kpis_by_child(
                op, unit_code=code, start=start, end=end, now=clock.now
            )
            assert [(r.unit_code, r.counts) for r in children] == [
                (r.unit_code, r.counts) for r in raw_children
            ], (name, start, end)
        grids = kpis.case_kpis_at_level(
            op, unit_code=tree.district.code, level=Level.GRID, start=start, end=end
        )
        for row in grids:
            raw = kpis_raw.raw_case_kpis(
                op, unit_code=row.unit_code, start=start, end=end, now=clock.now
            )
            assert row.counts == raw.counts, (row.unit_code, start, end)
        assert {r.unit_code for r in grids} >= {tree.grid_a.code, tree.grid_c.code}
        sub = tree.sub.code
        total = kpis.case_kpis(op, unit_code=sub, start=start, end=end).counts
        for by in kpis.BREAKDOWNS:
            rows = kpis.breakdown(op, unit_code=sub, start=start, end=end, by=by)
            for key in ("received", "overdue", "callbacks", "verified", "response_due"):
                assert sum(r["counts"][key] for r in rows) == total[key], (by, key)
        departments = kpis.case_kpis_by_department(op, unit_code=sub, start=start, end=end)
        handled_by_one = (
            Case.objects.filter(org_code__within=sub, department__isnull=False)
            .exclude(state__in=[State.REJECTED, State.MERGED])
            .filter(reported_at__gte=period_bounds(start, end)[0])
            .filter(reported_at__lt=period_bounds(start, end)[1])
            .count()
        )
        assert sum(r.counts["received"] for r in departments) == handled_by_one


def _stored_rows() -> set:
    fields = (*rollups.KEY_FIELDS, *rollups.ROLLUP_COUNTS)
    own = {
        row
        for row in CaseRollup.objects.values_list(*fields)
        if any(row[len(rollups.KEY_FIELDS) :])
    }
    registered = set(
        CaseRollupCount.objects.exclude(value=0).values_list(*rollups.KEY_FIELDS, "metric", "value")
    )
    return own | registered


# Two counts an app could register (a case count and an event count), kept in
# CaseRollupCount rows by the same machinery: the property test holds them to the raw
# recomputation too.
REGISTERED = (
    Count(
        "test_escalated",
        "提级（测试）",
        "cases",
        lambda now=None: Q(escalation_level__gt=0),
        of_case=lambda case: case.escalation_level > 0,
    ),
    Count(
        "test_contacts",
        "联系（测试）",
        "events",
        lambda now=None: Q(action="contact"),
        actions=("contact",),
    ),
)


@pytest.fixture
def registered():
    manifest.register_statistics(*REGISTERED)
    yield REGISTERED
    manifest.unregister_statistics(*(c.key for c in REGISTERED))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(STEP, min_size=1, max_size=45),
    first=st.integers(0, 110),
    length=st.integers(0, 60),
)
@pytest.mark.django_db
def test_rollups_equal_a_recomputation_from_raw_cases(
    world, tree, people, registered, history, first, length
):
    clock, grids, categories = world
    clock.now = START
    people.handler_department_id = tree.department.pk
    _reset()
    cases: list[int] = []
    for step in history:
        _play(step, cases, clock, grids, categories, people, tree)

    begin = START.date() - dt.timedelta(days=40)
    periods = [
        (begin, clock.now.date() + dt.timedelta(days=1)),
        (begin + dt.timedelta(days=first), begin + dt.timedelta(days=first + length)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),  # one whole month: its month rows
    ]
    _assert_rollups_match(tree, people, clock, periods)

    kept = _stored_rows()
    rollups.rebuild()
    assert _stored_rows() == kept


# -- the paths a random history seldom takes, one by one -------------------------------


def _month_row(unit_code, month: dt.date, **dims):
    return CaseRollup.objects.get(grain="m", unit_code=unit_code, day=month, **dims)


def test_a_late_change_updates_the_month_the_case_was_reported_in(world, tree, people, dispatched):
    clock, *_ = world
    clock.set(2026, 3, 10, 9)
    case = dispatched()
    march = dt.date(2026, 3, 1)
    assert _month_row(tree.sub.code, march, dims=0).received == 1
    assert _month_row(tree.sub.code, march, dims=0).closed == 0

    clock.set(2026, 11, 2, 10)  # eight months later
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_handle(actor=people.handler, case_id=case.pk, result="已修复")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)

    row = _month_row(tree.sub.code, march, dims=0)
    assert (row.received, row.handled, row.closed, row.closed_on_time) == (1, 1, 1, 0)
    # the verification is counted in November, the day it was made
    november = _month_row(tree.sub.code, dt.date(2026, 11, 1), dims=0)
    assert (november.verified, november.received) == (1, 0)
    report = kpis.case_kpis(
        people.op_sub, unit_code=tree.sub.code, start=march, end=dt.date(2026, 3, 31)
    )
    on_time = report.rate("on_time_closure")
    assert (on_time.numerator, on_time.denominator) == (0, 1)


def test_events_move_with_the_case_to_another_department(world, tree, people, dispatched):
    clock, *_ = world
    case = dispatched()
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_handle(actor=people.handler, case_id=case.pk, result="已清理")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    clock.advance(hours=30)
    # unsatisfied: escalated, back to awaiting dispatch, sent to another department
    services.case_callback(actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied")
    services.case_dispatch(
        actor=people.op_district, case_id=case.pk, department_id=tree.department2.pk
    )
    today = clock.now.date()
    rows = kpis.case_kpis_by_department(
        people.op_sub, unit_code=tree.sub.code, start=today - dt.timedelta(days=3), end=today
    )
    by_name = {r.unit_name: r.counts for r in rows}
    assert list(by_name) == [tree.department2.name]
    assert by_name[tree.department2.name]["callbacks"] == 1
    assert by_name[tree.department2.name]["verified"] == 1

    kept = _stored_rows()
    rollups.rebuild()
    assert _stored_rows() == kept


def test_rebuild_of_a_range_leaves_other_months_alone(world, tree, people, report):
    clock, *_ = world
    clock.set(2026, 2, 10, 9)
    report()
    clock.set(2026, 4, 10, 9)
    report()
    CaseRollup.objects.filter(grain="m", day=dt.date(2026, 2, 1)).update(received=99)
    assert rollups.rebuild(dt.date(2026, 4, 5), dt.date(2026, 4, 6)) > 0
    assert _month_row(tree.sub.code, dt.date(2026, 2, 1), dims=0).received == 99
    assert _month_row(tree.sub.code, dt.date(2026, 4, 1), dims=0).received == 1
    rollups.rebuild(dt.date(2026, 2, 1), dt.date(2026, 2, 1))
    assert _month_row(tree.sub.code, dt.date(2026, 2, 1), dims=0).received == 1


def test_rebuild_command_rebuilds_and_is_audited(world, tree, people, report):
    from django.core.management import CommandError, call_command

    from gongzhi.core.models import AuditLog

    report()
    CaseRollup.objects.update(received=7)
    call_command("rebuild_rollups", "--start", "2026-01-01", "--end", "2026-01-31")
    assert _month_row(tree.sub.code, dt.date(2026, 1, 1), dims=0).received == 1
    row = AuditLog.objects.get(action="cases.rollups_rebuild")
    assert row.changes["start"] == "2026-01-01" and row.changes["rows"] > 0
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("rebuild_rollups", "--start", "2026-13-01")
    with pytest.raises(CommandError):
        call_command("rebuild_rollups", "--start", "2026-02-01", "--end", "2026-01-01")
    assert AuditLog.objects.filter(action="cases.rollups_rebuild").count() == 1


def test_days_are_beijing_days_in_the_rebuild_too(world, tree, people, report):
    """23:30 on 31 March and 00:10 on 1 April, Beijing time (15:30 and 16:10 UTC on 31
    March): two months, in the kept rows and in the rebuilt ones."""
    clock, *_ = world
    clock.set(2026, 3, 31, 23, 30)
    report()
    clock.set(2026, 4, 1, 0, 10)
    report()
    for _ in range(2):
        march = _month_row(tree.sub.code, dt.date(2026, 3, 1), dims=0)
        april = _month_row(tree.sub.code, dt.date(2026, 4, 1), dims=0)
        assert (march.received, april.received) == (1, 1)
        day = CaseRollup.objects.get(grain="d", dims=0, unit_code=tree.sub.code, day="2026-04-01")
        assert day.received == 1
        rollups.rebuild()


def test_trend_by_day_over_a_whole_month_has_its_days(world, tree, people, report):
    clock, *_ = world
    clock.set(2026, 3, 10, 9)
    report()
    march = kpis.trend(
        people.op_sub, unit_code=tree.sub.code, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
    )
    assert len(march) == 31 and march[9]["received"] == 1 and march[9]["day"].day == 10
    year = kpis.trend(
        people.op_sub, unit_code=tree.sub.code, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)
    )
    assert [p["received"] for p in year] == [0, 0, 1] + [0] * 9
