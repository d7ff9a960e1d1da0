"""The transition-table engine, on a small table of its own."""

from types import SimpleNamespace

import pytest

from gongzhi.core.errors import PermissionDenied
from gongzhi.core.roles import Perm
from gongzhi.core.workflow import GuardFailed, IllegalTransition, Workflow


def _needs_reason(obj, inputs):
    return None if inputs.get("reason") else "请填写原因"


@pytest.fixture
def flow():
    return (
        Workflow("sample", {"new": "新建", "open": "处理中", "closed": "已结束"})
        .add("start", "new", "open", label="开始")
        .add("close", ["new", "open"], "closed", perm=Perm.ORGS_MANAGE, label="结束")
        .add("reopen", "closed", "open", guards=[_needs_reason], label="重新打开")
    )


def _obj(state, code="990101001001001"):
    return SimpleNamespace(state=state, org_code=code)


def test_check__returns_the_transition_to_take(flow):
    t = flow.check(_obj("new"), "start", actor=None)
    assert (t.action, t.target) == ("start", "open")


def test_check__illegal_move_names_the_action_and_the_state(flow):
    with pytest.raises(IllegalTransition) as exc:
        flow.check(_obj("closed"), "start", actor=None)
    assert exc.value.code == "illegal_transition"
    assert "开始" in exc.value.message and "已结束" in exc.value.message
    assert exc.value.details == {"state": "closed", "action": "start"}


def test_check__unknown_action_is_illegal(flow):
    with pytest.raises(IllegalTransition):
        flow.check(_obj("new"), "fly", actor=None)


def test_check__guard_failure_gives_its_reason(flow):
    with pytest.raises(GuardFailed) as exc:
        flow.check(_obj("closed"), "reopen", actor=None)
    assert exc.value.message == "请填写原因"
    assert flow.check(_obj("closed"), "reopen", actor=None, reason="居民再次反映").target == "open"


def test_check__permission_is_checked_against_the_object(flow, people, tree):
    # An operator of the subdistrict may close inside it, not in the other subdistrict.
    assert flow.check(_obj("open", tree.grid_a.code), "close", people.op_sub).target == "closed"
    with pytest.raises(PermissionDenied):
        flow.check(_obj("open", "990101002001001"), "close", people.op_sub)
    with pytest.raises(PermissionDenied):
        flow.check(_obj("open", tree.grid_a.code), "close", people.gw_a)


def test_available__lists_only_allowed_moves(flow, people, tree):
    obj = _obj("open", tree.grid_a.code)
    assert [t.action for t in flow.available(obj, people.op_sub)] == ["close"]
    assert flow.available(obj, people.gw_a) == []


def test_table__rejects_unknown_states_and_ambiguous_moves():
    with pytest.raises(ValueError, match="unknown states"):
        Workflow("bad", {"a": "A"}).add("go", "a", "b")
    with pytest.raises(ValueError, match="two transitions"):
        Workflow("bad", {"a": "A", "b": "B"}).add("go", "a", "b").add("go", "a", "a")
