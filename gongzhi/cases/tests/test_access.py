"""Bad input and safety on the lifecycle: an illegal move for the state, a role that may
not, a case or a handling unit outside the user's scope, a stale or malformed version.
Every refusal leaves the case exactly as it was (state, version, timeline, audit)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from gongzhi.cases import selectors, services
from gongzhi.cases.services import Invalid, Stale
from gongzhi.cases.tests.support import notified, snapshot
from gongzhi.core.errors import NotFound, PermissionDenied
from gongzhi.core.roles import Level, Role
from gongzhi.core.workflow import IllegalTransition
from gongzhi.factories import DepartmentFactory, OrgUnitFactory, PositionFactory, UserFactory


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# -- illegal transitions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "state"),
    [
        ("verify", "reported"),
        ("accept", "registered"),
        ("handle", "dispatched"),
        ("register", "in_progress"),
        ("suspend", "dispatched"),
        ("resume", "in_progress"),
        ("callback", "in_progress"),
        ("reopen", "in_progress"),
        ("request_extension", "dispatched"),
        ("dispatch", "closed"),
        ("supervise", "closed"),
        ("escalate", "reported"),  # a report is registered before it can be escalated
    ],
)
def test_an_illegal_move_for_the_state_is_409_and_changes_nothing(
    people, tree, report, call, state
):
    case = report()
    op, h = people.op_sub, people.handler
    steps = {
        "registered": lambda: services.case_register(actor=op, case_id=case.pk),
        "dispatched": lambda: services.case_dispatch(
            actor=op, case_id=case.pk, department_id=tree.department.pk
        ),
        "in_progress": lambda: services.case_accept(actor=h, case_id=case.pk),
        "handled": lambda: services.case_handle(actor=h, case_id=case.pk, result="好了"),
        "closed": lambda: services.case_verify(actor=op, case_id=case.pk, passed=True),
    }
    for name, step in steps.items():
        if state == "reported":
            break
        step()
        if name == state:
            break
    calls = {
        "verify": lambda: services.case_verify(actor=op, case_id=case.pk, passed=True),
        "accept": lambda: services.case_accept(actor=op, case_id=case.pk),
        "handle": lambda: services.case_handle(actor=h, case_id=case.pk, result="好了"),
        "register": lambda: services.case_register(actor=op, case_id=case.pk),
        "suspend": lambda: services.case_suspend(actor=op, case_id=case.pk, reason="等待"),
        "resume": lambda: services.case_resume(actor=op, case_id=case.pk),
        "callback": lambda: services.case_callback(
            actor=op, case_id=case.pk, solved=True, rating="satisfied"
        ),
        "reopen": lambda: services.case_reopen(actor=op, case_id=case.pk, reason="再办"),
        "request_extension": lambda: services.case_request_extension(
            actor=h, case_id=case.pk, days=3, reason="材料未齐"
        ),
        "dispatch": lambda: services.case_dispatch(
            actor=op, case_id=case.pk, department_id=tree.department.pk
        ),
        "supervise": lambda: services.case_supervise(
            actor=op, case_id=case.pk, level=1, note="督办"
        ),
        "escalate": lambda: services.case_escalate(
            actor=people.leader, case_id=case.pk, note="提级"
        ),
    }
    before = snapshot(case)
    assert before[0] == state
    with pytest.raises(IllegalTransition) as exc:
        calls[call]()
    assert (exc.value.status, exc.value.code) == (409, "illegal_transition")
    assert "is not allowed while the state is" in exc.value.message
    assert exc.value.details["state"] == state
    assert snapshot(case) == before


def test_an_unknown_action_is_refused_by_the_table(people, report):
    from gongzhi.cases.workflow import CASE_FLOW

    with pytest.raises(IllegalTransition) as exc:
        CASE_FLOW.check(report(), "teleport", people.op_sub)
    assert "Unknown action" in exc.value.message


# -- who may -------------------------------------------------------------------------


# For a report in grid A, made by gw_a: who may register it, and what the others get.
# Outside the user's scope is 404 (the same answer as a missing case, so ids cannot be
# probed); in scope without the permission is 403.
REGISTER = {
    "op_sub": None,
    "op_district": None,
    "community_worker": None,
    "gw_a": PermissionDenied,  # sees it (and reported it) but does not triage
    "leader": PermissionDenied,  # reads and supervises, does not triage
    "gw_b": NotFound,
    "handler": NotFound,
    "building_head": NotFound,
    "resident": NotFound,
    "nobody": NotFound,
    "admin": PermissionDenied,  # sees everything, triages nothing
}


@pytest.mark.parametrize(("who", "error"), REGISTER.items())
def test_register__per_role(people, report, who, error):
    case = report()
    before = snapshot(case)
    actor = getattr(people, who)
    if error is None:
        services.case_register(actor=actor, case_id=case.pk)
        assert snapshot(case)[0] == "registered"
        return
    with pytest.raises(error) as exc:
        services.case_register(actor=actor, case_id=case.pk)
    assert exc.value.status == (403 if error is PermissionDenied else 404)
    assert snapshot(case) == before


def test_anonymous__sees_and_changes_nothing(people, report):
    case = report()
    before = snapshot(case)
    with pytest.raises(NotFound):
        services.case_register(actor=AnonymousUser(), case_id=case.pk)
    with pytest.raises(PermissionDenied):
        services.case_report(actor=AnonymousUser(), category_id=case.category_id, title="x")
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("handler", None),
        ("gw_a", PermissionDenied),  # sees the case in its grid, but a department handles it
        ("gw_b", NotFound),
        ("op_sub", PermissionDenied),
        ("resident", NotFound),
    ],
)
def test_accept__only_the_handling_unit(people, dispatched, who, error):
    case = dispatched()
    before = snapshot(case)
    actor = getattr(people, who)
    if error is None:
        assert services.case_accept(actor=actor, case_id=case.pk).state == "in_progress"
        return
    with pytest.raises(error):
        services.case_accept(actor=actor, case_id=case.pk)
    assert snapshot(case) == before


def test_a_handler_cannot_touch_another_departments_case(people, tree, report):
    case = report()
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department2.pk)
    before = snapshot(case)
    for call in (
        lambda: services.case_accept(actor=people.handler, case_id=case.pk),
        lambda: services.case_return(actor=people.handler, case_id=case.pk, reason="不是我们的"),
        lambda: services.case_contact(actor=people.handler, case_id=case.pk, note="x"),
        lambda: services.case_reveal_phone(actor=people.handler, case_id=case.pk),
    ):
        with pytest.raises(NotFound):
            call()
    assert snapshot(case) == before
    assert not selectors.cases_visible_to(people.handler).filter(pk=case.pk).exists()


def test_a_grid_worker_of_another_grid_cannot_touch_the_case(people, tree, report):
    case = report()
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, unit_id=tree.grid_a.pk)
    before = snapshot(case)
    with pytest.raises(NotFound):
        services.case_accept(actor=people.gw_b, case_id=case.pk)
    with pytest.raises(NotFound):
        services.case_handle(actor=people.gw_b, case_id=case.pk, result="x")
    assert snapshot(case) == before


def test_a_handler_cannot_triage_or_decide(people, dispatched):
    case = services.case_accept(actor=people.handler, case_id=dispatched().pk)
    before = snapshot(case)
    for call in (
        lambda: services.case_suspend(actor=people.handler, case_id=case.pk, reason="等"),
        lambda: services.case_escalate(actor=people.handler, case_id=case.pk, note="提级"),
        lambda: services.case_supervise(actor=people.handler, case_id=case.pk, level=1, note="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert snapshot(case) == before


def test_a_case_outside_the_scope_is_not_found_even_for_an_operator(people, tree, report):
    op2 = UserFactory(username="op_sub2")
    PositionFactory(user=op2, role=Role.OPERATOR, org_unit=tree.sub2)
    case = report()
    before = snapshot(case)
    with pytest.raises(NotFound):
        services.case_register(actor=op2, case_id=case.pk)
    with pytest.raises(NotFound):
        services.case_merge(actor=op2, case_id=case.pk, target_id=case.pk)
    with pytest.raises(NotFound):
        selectors.case_for(op2, case.pk)
    with pytest.raises(NotFound):
        selectors.case_for(people.op_sub, 10**9)
    with pytest.raises(NotFound):
        selectors.case_for(people.op_sub, "not-a-number")
    assert snapshot(case) == before


def test_merge_into_a_case_outside_the_scope_is_not_found(people, tree, report):
    mine = report(actor=people.community_worker)
    elsewhere = report(actor=people.op_sub, grid_id=tree.grid_c.pk)
    before = snapshot(mine), snapshot(elsewhere)
    with pytest.raises(NotFound):
        services.case_merge(actor=people.community_worker, case_id=mine.pk, target_id=elsewhere.pk)
    assert (snapshot(mine), snapshot(elsewhere)) == before


# -- dispatch targets ----------------------------------------------------------------


@pytest.fixture
def elsewhere(tree):
    """A department of another district, and a community and grid of another subdistrict."""
    from types import SimpleNamespace

    other_district = OrgUnitFactory(code="990102", name="远山区", level=Level.DISTRICT)
    community = OrgUnitFactory(
        code="990101002001", name="和平社区", level=Level.COMMUNITY, parent=tree.sub2
    )
    return SimpleNamespace(
        department=DepartmentFactory(
            code="990102-CG", name="远山区城管局", district=other_district
        ),
        inactive=DepartmentFactory(
            code="990101-OLD", name="已撤销的局", district=tree.district, is_active=False
        ),
        community=community,
        grid=OrgUnitFactory(
            code="990101002001001", name="和平1网格", level=Level.GRID, parent=community
        ),
    )


@pytest.mark.parametrize("target", ["department", "inactive", "grid", "community", "missing"])
def test_dispatch__to_a_unit_outside_the_scope_is_not_found(people, report, elsewhere, target):
    case = report()
    before = snapshot(case)
    kw = (
        {"department_id": getattr(elsewhere, target).pk}
        if target in ("department", "inactive")
        else {"unit_id": getattr(elsewhere, target).pk if target != "missing" else 10**9}
    )
    with pytest.raises(NotFound) as exc:
        services.case_dispatch(actor=people.op_sub, case_id=case.pk, **kw)
    assert exc.value.status == 404
    assert snapshot(case) == before
    assert notified(people.handler, "case.dispatched") == 0


def test_dispatch__a_community_worker_only_within_the_community(people, tree, report):
    case = report(actor=people.community_worker)
    before = snapshot(case)
    with pytest.raises(NotFound):  # grid C is in the other community
        services.case_dispatch(
            actor=people.community_worker, case_id=case.pk, unit_id=tree.grid_c.pk
        )
    assert snapshot(case) == before
    services.case_dispatch(actor=people.community_worker, case_id=case.pk, unit_id=tree.grid_a.pk)
    assert snapshot(case)[0] == "dispatched"


@pytest.mark.parametrize(
    "kw",
    [
        {},  # no unit
        {"department_id": "x", "unit_id": "y"},  # both
        {"unit_id": "grid_b"},  # a grid in scope, but the case lies in grid A
        {"unit_id": "grid_c"},
    ],
)
def test_dispatch__must_name_one_unit_that_covers_the_case(people, tree, report, kw):
    case = report()
    before = snapshot(case)
    kw = {k: getattr(tree, v).pk if hasattr(tree, v) else v for k, v in kw.items()}
    with pytest.raises(Invalid) as exc:
        services.case_dispatch(actor=people.op_sub, case_id=case.pk, **kw)
    assert exc.value.status == 400 and exc.value.details
    assert snapshot(case) == before


# -- versions ------------------------------------------------------------------------


def test_a_stale_version_is_refused_with_already_changed(people, tree, report):
    case = report()
    services.case_register(actor=people.op_sub, case_id=case.pk, version=1)
    before = snapshot(case)
    with pytest.raises(Stale) as exc:
        services.case_dispatch(
            actor=people.op_district, case_id=case.pk, version=1, department_id=tree.department.pk
        )
    assert (exc.value.status, exc.value.code) == (409, "stale")
    assert "already changed" in exc.value.message
    assert exc.value.details == {"version": 2}
    assert snapshot(case) == before
    services.case_dispatch(
        actor=people.op_district, case_id=case.pk, version="2", department_id=tree.department.pk
    )
    assert snapshot(case)[:2] == ("dispatched", 3)


def test_a_malformed_version_is_invalid_not_a_crash(people, report):
    case = report()
    before = snapshot(case)
    with pytest.raises(Invalid) as exc:
        services.case_register(actor=people.op_sub, case_id=case.pk, version="abc")
    assert "version" in exc.value.details
    assert snapshot(case) == before


def test_every_action_refuses_a_stale_version(people, tree, dispatched):
    """Notes, ratings and requests too: a page that was out of date changes nothing."""
    case = dispatched()
    services.case_accept(actor=people.handler, case_id=case.pk)  # version 3 now
    before = snapshot(case)
    stale = [
        lambda: services.case_progress(actor=people.handler, case_id=case.pk, version=2, note="x"),
        lambda: services.case_contact(actor=people.handler, case_id=case.pk, version=2),
        lambda: services.case_request_extension(
            actor=people.handler, case_id=case.pk, version=2, days=2, reason="等待配件"
        ),
        lambda: services.case_supervise(
            actor=people.op_sub, case_id=case.pk, version=2, level=1, note="跟进"
        ),
        lambda: services.case_leader_visit(
            actor=people.leader, case_id=case.pk, version=2, note="到现场"
        ),
    ]
    for call in stale:
        with pytest.raises(Stale):
            call()
    assert snapshot(case) == before
