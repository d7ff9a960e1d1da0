"""The extension point for kinds of case: a kind's extra guards block an action, and its
on_transition hook runs inside the transition's own transaction."""

import pytest
from django.db import connection

from gongzhi.cases import services
from gongzhi.cases.kinds import GENERAL, CaseKind, get_kind, kinds, register_kind, unregister_kind
from gongzhi.cases.models import CaseEvent, State
from gongzhi.cases.tests.support import actions, fresh, snapshot
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError
from gongzhi.core.models import AuditLog
from gongzhi.core.workflow import GuardFailed

NOTICE_MISSING = "Serve the rectification notice first."


def _notice_served(case, inputs):
    return None if "整改通知书" in case.result else NOTICE_MISSING


class Hook:
    """Records each call, writes its own row beside the timeline, fails on request."""

    def __init__(self):
        self.calls = []
        self.fail_on = None

    def __call__(self, case, action, actor, inputs):
        self.calls.append(
            {
                "action": action,
                "state": case.state,
                "actor": actor,
                "in_transaction": connection.in_atomic_block,
                # The timeline row of this very action is already written.
                "event_written": CaseEvent.objects.filter(case=case, action=action).exists(),
            }
        )
        audit_record(actor=actor, action=f"hazard.{action}", obj=case)
        if action == self.fail_on:
            raise DomainError("The inspection record could not be written.", code="hazard")


@pytest.fixture
def hook():
    hook = Hook()
    register_kind(
        CaseKind(
            code="test_hazard",
            label="Safety hazard (test)",
            guards={"verify_pass": (_notice_served,)},
            on_transition=hook,
        )
    )
    yield hook
    unregister_kind("test_hazard")


@pytest.fixture
def hazard(people, report, hook):
    def _make():
        return report(kind="test_hazard", title="燃气管道锈蚀", description="5号楼燃气管锈蚀")

    return _make


def _to_handled(people, tree, case, result):
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    services.case_accept(actor=people.handler, case_id=case.pk)
    return services.case_handle(actor=people.handler, case_id=case.pk, result=result)


def test_the_kinds_guard_blocks_an_action_the_loop_allows(people, tree, hazard):
    case = _to_handled(people, tree, hazard(), "已督促整改")
    before = snapshot(case)
    with pytest.raises(GuardFailed) as exc:
        services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert exc.value.message == NOTICE_MISSING and exc.value.details == {"action": "verify_pass"}
    assert snapshot(case) == before
    # Sent back, handled again with the notice served: now it closes.
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=False, note="未下发通知书")
    services.case_handle(actor=people.handler, case_id=case.pk, result="已下发整改通知书并复查")
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert case.state == State.CLOSED


def test_the_guard_is_the_kinds_only(people, tree, report, hook):
    case = _to_handled(people, tree, report(), "已督促整改")  # a general case
    assert services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True).closed_at
    assert hook.calls == []


def test_the_hook_runs_in_the_transitions_transaction(people, tree, hazard, hook):
    case = hazard()
    assert hook.calls == []  # intake is not a transition
    _to_handled(people, tree, case, "已下发整改通知书")
    assert [c["action"] for c in hook.calls] == ["dispatch", "accept", "handle"]
    assert [c["state"] for c in hook.calls] == [State.DISPATCHED, State.IN_PROGRESS, State.HANDLED]
    assert all(c["in_transaction"] and c["event_written"] for c in hook.calls)
    assert hook.calls[0]["actor"] == people.op_sub and hook.calls[1]["actor"] == people.handler
    assert AuditLog.objects.filter(action__startswith="hazard.").count() == 3


def test_a_failing_hook_undoes_the_whole_transition(people, tree, hazard, hook):
    case = hazard()
    services.case_dispatch(actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk)
    before = snapshot(case)
    hook.fail_on = "accept"
    with pytest.raises(DomainError) as exc:
        services.case_accept(actor=people.handler, case_id=case.pk)
    assert exc.value.code == "hazard"
    assert snapshot(case) == before  # state, version, timeline, audit: all as before
    assert fresh(case).handler is None
    assert not AuditLog.objects.filter(action="hazard.accept").exists()
    assert actions(case) == ["report", "dispatch"]


def test_the_hook_hears_the_escalation_of_an_unsatisfied_callback(people, tree, hazard, hook):
    case = _to_handled(people, tree, hazard(), "已下发整改通知书")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    services.case_callback(actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied")
    assert [c["action"] for c in hook.calls][-2:] == ["callback", "escalate"]
    assert hook.calls[-1]["actor"] is None and hook.calls[-1]["in_transaction"]


def test_a_failing_hook_on_the_escalation_undoes_the_callback_too(people, tree, hazard, hook):
    case = _to_handled(people, tree, hazard(), "已下发整改通知书")
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    before = snapshot(case)
    hook.fail_on = "escalate"
    with pytest.raises(DomainError):
        services.case_callback(
            actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied"
        )
    assert snapshot(case) == before and fresh(case).callback_at is None


def test_register_and_unregister(hook):
    assert get_kind("test_hazard").label == "Safety hazard (test)"
    assert {k.code for k in kinds()} >= {"general", "test_hazard"}
    unregister_kind("test_hazard")
    with pytest.raises(DomainError) as exc:
        get_kind("test_hazard")
    assert exc.value.code == "unknown_kind"
    unregister_kind("test_hazard")  # twice is harmless
    unregister_kind("general")  # the general kind always stays
    assert get_kind("general") is GENERAL
