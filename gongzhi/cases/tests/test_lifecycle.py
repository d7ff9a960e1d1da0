"""Every move of the case lifecycle (cases.workflow.CASE_FLOW) on its happy path: the new
state, the timeline row (actor, from, to, note, data), the audit row, who is told."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseAttachment, State, Supervision
from gongzhi.cases.services import Invalid
from gongzhi.cases.tests.support import (
    actions,
    assert_step,
    audit_rows,
    fresh,
    last_event,
    notified,
    snapshot,
)
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.roles import Role
from gongzhi.core.workflow import GuardFailed, IllegalTransition
from gongzhi.factories import PositionFactory, UserFactory


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _png(name="p.png"):
    import io

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def in_progress(people, dispatched):
    def _make(**kw):
        case = dispatched(**kw)
        return services.case_accept(actor=people.handler, case_id=case.pk)

    return _make


@pytest.fixture
def handled(people, in_progress):
    def _make(**kw):
        case = in_progress(**kw)
        return services.case_handle(actor=people.handler, case_id=case.pk, result="已清理完毕")

    return _make


@pytest.fixture
def closed(people, handled):
    def _make(**kw):
        case = handled(**kw)
        return services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)

    return _make


# -- intake and triage ---------------------------------------------------------------


def test_report__a_numbered_case_with_its_first_timeline_row_and_audit_row(people, tree, report):
    case = report(reporter_phone="13812345678")
    assert case.state == State.REPORTED and case.version == 1
    assert case.number.startswith("SJ") and len(case.number) == 16
    assert (case.grid, case.org_code, case.reported_by) == (
        tree.grid_a,
        tree.grid_a.code,
        people.gw_a,
    )
    assert case.reporter_phone_masked == "138****5678"
    assert "13812345678" not in case.reporter_phone_enc and case.reporter_phone_hash
    event = last_event(case)
    assert (event.action, event.from_state, event.to_state) == ("report", "", State.REPORTED)
    assert event.actor == people.gw_a and event.data == {"channel": "grid_worker"}
    log = audit_rows(case, "case.report").get()
    assert log.actor == people.gw_a and log.changes == {"state": State.REPORTED}


def test_register__starts_the_clock_and_may_correct_category_and_urgency(people, report):
    case = report(reporter_phone="13812345678")
    other = case.category.parent.children.exclude(pk=case.category_id).first()
    case = services.case_register(
        actor=people.op_sub, case_id=case.pk, version=1, note="属实", category_id=other.pk,
        urgency="urgent",
    )  # fmt: skip
    assert case.registered_at and case.respond_by and case.due_at and case.due_soon_at
    assert case.category == other and case.urgency == "urgent" and case.version == 2
    event = assert_step(
        case, "register", people.op_sub, State.REPORTED, State.REGISTERED, "属实",
        urgency=["normal", "urgent"], due_at=case.due_at.isoformat(),
    )  # fmt: skip
    assert event.data["category"][1] == str(other)


def test_reject__needs_a_reason_and_ends_the_case(people, report):
    case = report()
    with pytest.raises(Invalid) as exc:
        services.case_reject(actor=people.op_sub, case_id=case.pk, reason="  ")
    assert "reason" in exc.value.details and fresh(case).state == State.REPORTED
    services.case_reject(actor=people.op_sub, case_id=case.pk, reason="不属于受理范围")
    assert_step(case, "reject", people.op_sub, State.REPORTED, State.REJECTED, "不属于受理范围")
    assert fresh(case).due_at is None


def test_dispatch__to_a_department_whose_handlers_are_told(people, tree, report):
    case = report()
    services.case_register(actor=people.op_sub, case_id=case.pk)
    case = services.case_dispatch(
        actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk, note="请处理"
    )
    assert case.department == tree.department and case.dispatched_at and case.handler is None
    assert_step(
        case, "dispatch", people.op_sub, State.REGISTERED, State.DISPATCHED, "请处理",
        department=str(tree.department), unit="",
    )  # fmt: skip
    assert notified(people.handler, "case.dispatched") == 1
    assert notified(people.gw_a, "case.dispatched") == 0


def test_dispatch__of_a_report_registers_it_in_the_same_step(people, tree, report):
    case = report()
    case = services.case_dispatch(actor=people.op_sub, case_id=case.pk, unit_id=tree.grid_a.pk)
    assert case.registered_at == case.dispatched_at and case.due_at
    assert case.assignee_code == tree.grid_a.code and case.department is None
    assert_step(
        case, "dispatch", people.op_sub, State.REPORTED, State.DISPATCHED, unit=tree.grid_a.code
    )
    assert notified(people.gw_a, "case.dispatched") == 1  # the grid's worker handles it
    # … and may accept it: the handling permission is checked against the grid.
    services.case_accept(actor=people.gw_a, case_id=case.pk)
    assert fresh(case).handler == people.gw_a


# -- handling ------------------------------------------------------------------------


def test_accept__the_handler_takes_it_on(people, dispatched):
    case = dispatched()
    case = services.case_accept(actor=people.handler, case_id=case.pk, note="已签收")
    assert case.handler == people.handler and case.accepted_at
    assert_step(case, "accept", people.handler, State.DISPATCHED, State.IN_PROGRESS, "已签收")


@pytest.mark.parametrize("accept_first", [False, True])
def test_return__back_to_registered_and_the_dispatcher_is_told(people, dispatched, accept_first):
    case = dispatched()
    if accept_first:
        services.case_accept(actor=people.handler, case_id=case.pk)
    before = State.IN_PROGRESS if accept_first else State.DISPATCHED
    with pytest.raises(Invalid):
        services.case_return(actor=people.handler, case_id=case.pk, reason="")
    case = services.case_return(actor=people.handler, case_id=case.pk, reason="不属于本单位职责")
    assert (case.department, case.handler, case.accepted_at) == (None, None, None)
    assert case.due_at  # the clock keeps running while it is re-dispatched
    assert_step(case, "return", people.handler, before, State.REGISTERED, "不属于本单位职责")
    assert notified(people.op_sub, "case.returned") == 1  # op_sub dispatched it
    assert notified(people.op_district, "case.returned") == 0


def test_progress__a_note_with_photos_on_the_timeline(people, in_progress):
    case = in_progress()
    version = case.version
    case = services.case_progress(
        actor=people.handler, case_id=case.pk, note="已联系物业", photos=[_png()]
    )
    event = assert_step(
        case, "progress", people.handler, State.IN_PROGRESS, State.IN_PROGRESS, "已联系物业"
    )
    assert case.version == version + 1
    att = CaseAttachment.objects.get(case=case)
    assert att.event == event and att.uploaded_by == people.handler
    assert (att.width, att.height, att.content_type) == (40, 30, "image/jpeg")


def test_contact__the_first_one_counts_for_the_one_hour_rule(people, report):
    case = report(reporter_phone="13812345678")
    services.case_register(actor=people.op_sub, case_id=case.pk)
    case = services.case_contact(actor=people.op_sub, case_id=case.pk, note="已电话联系")
    assert case.responded_at
    # A case without a reporter has no one to contact: the action is refused.
    alone = report()
    services.case_register(actor=people.op_sub, case_id=alone.pk)
    alone.refresh_from_db()
    assert alone.respond_by is None
    with pytest.raises(DomainError):
        services.case_contact(actor=people.op_sub, case_id=alone.pk, note="无人可联系")
    assert_step(
        case, "contact", people.op_sub, State.REGISTERED, State.REGISTERED, "已电话联系",
        first=True, on_time=True,
    )  # fmt: skip
    first = case.responded_at
    case = services.case_contact(actor=people.gw_a, case_id=case.pk, note="再次联系")
    assert case.responded_at == first
    assert_step(
        case, "contact", people.gw_a, State.REGISTERED, State.REGISTERED, "再次联系", first=False
    )


def test_notes_and_flags_keep_the_state_in_every_state_they_are_allowed(people, in_progress):
    case = in_progress(reporter_phone="13812345678")
    services.case_suspend(actor=people.op_sub, case_id=case.pk, reason="等待法院裁定")
    services.case_contact(actor=people.handler, case_id=case.pk, note="告知进展")
    services.case_supervise(actor=people.leader, case_id=case.pk, level=1, note="跟进")
    services.case_leader_visit(actor=people.leader, case_id=case.pk, note="到现场查看")
    assert [(e.action, e.from_state, e.to_state) for e in fresh(case).events.all()][-3:] == [
        ("contact", State.SUSPENDED, State.SUSPENDED),
        ("supervise", State.SUSPENDED, State.SUSPENDED),
        ("leader_visit", State.SUSPENDED, State.SUSPENDED),
    ]
    assert fresh(case).state == State.SUSPENDED


def test_handle__the_result_and_evidence(people, in_progress):
    case = in_progress()
    with pytest.raises(Invalid) as exc:
        services.case_handle(actor=people.handler, case_id=case.pk, result="")
    assert "result" in exc.value.details
    case = services.case_handle(
        actor=people.handler, case_id=case.pk, result="纸箱已清走", photos=[_png(), _png()]
    )
    assert case.result == "纸箱已清走" and case.handled_at
    event = assert_step(
        case, "handle", people.handler, State.IN_PROGRESS, State.HANDLED, "纸箱已清走"
    )
    assert event.attachments.count() == 2


# -- verification and callback -------------------------------------------------------


def test_verify_pass__closes_on_time(people, handled):
    case = handled()
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True, note="核查属实")
    assert case.closed_at and case.closed_on_time is True
    assert_step(
        case, "verify_pass", people.op_sub, State.HANDLED, State.CLOSED, "核查属实", on_time=True
    )


def test_verify_fail__back_to_handling_counted_as_rework(people, handled):
    case = handled()
    with pytest.raises(Invalid):  # sending back needs the reason
        services.case_verify(actor=people.op_sub, case_id=case.pk, passed=False)
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=False, note="仍有杂物")
    assert case.rework_count == 1 and case.handler == people.handler
    assert_step(
        case, "verify_fail", people.op_sub, State.HANDLED, State.IN_PROGRESS, "仍有杂物", rework=1
    )
    assert notified(people.handler, "case.rework") == 1
    services.case_handle(actor=people.handler, case_id=case.pk, result="全部清走")
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=False, note="还有")
    assert case.rework_count == 2


def test_callback__satisfied_keeps_it_closed_and_only_once(people, closed):
    case = closed()
    version = case.version
    case = services.case_callback(
        actor=people.op_sub, case_id=case.pk, solved=True, rating="satisfied", note="满意"
    )
    assert (case.callback_solved, case.callback_rating, case.state) == (
        True,
        "satisfied",
        State.CLOSED,
    )
    assert case.callback_at and case.version == version + 1
    assert_step(
        case,
        "callback",
        people.op_sub,
        State.CLOSED,
        State.CLOSED,
        "满意",
        rating="satisfied",
        solved=True,
    )
    before = snapshot(case)
    with pytest.raises(GuardFailed):
        services.case_callback(
            actor=people.op_sub, case_id=case.pk, solved=True, rating="satisfied"
        )
    with pytest.raises(Invalid):
        services.case_callback(actor=people.op_sub, case_id=case.pk, solved=True, rating="great")
    assert snapshot(case) == before


def test_callback__unsatisfied_escalates_one_level_up_with_a_supervisor(people, tree, closed):
    case = closed()
    case = services.case_callback(
        actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied", note="没解决"
    )
    assert case.state == State.REGISTERED
    assert case.escalation_level == 1 and case.supervision_level >= Supervision.RAISED
    assert case.supervisor == people.leader  # the subdistrict's leader
    assert (case.department, case.closed_at, case.callback_at) == (None, None, None)
    assert actions(case)[-2:] == ["callback", "escalate"]
    assert_step(
        case,
        "escalate",
        None,
        State.CLOSED,
        State.REGISTERED,
        "没解决",
        level=1,
        unit=tree.sub.code,
    )
    assert last_event(case).actor_name  # "System"
    assert notified(people.leader, "case.escalated") == 1
    assert notified(people.op_sub, "case.escalated") == 1
    assert audit_rows(case, "case.callback").count() == 1
    # It runs the loop again, at the subdistrict's level.
    case = services.case_dispatch(
        actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
    )
    assert case.state == State.DISPATCHED


def test_full_loop(people, tree, dispatched):
    case = dispatched()
    assert case.state == State.DISPATCHED and case.due_at and case.number.startswith("SJ")
    case = services.case_accept(actor=people.handler, case_id=case.pk)
    case = services.case_progress(actor=people.handler, case_id=case.pk, note="已到现场")
    case = services.case_handle(actor=people.handler, case_id=case.pk, result="已清理")
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=False, note="不彻底")
    case = services.case_handle(actor=people.handler, case_id=case.pk, result="已彻底清理")
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert case.state == State.CLOSED and case.closed_on_time and case.rework_count == 1
    case = services.case_callback(
        actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied"
    )
    assert case.state == State.REGISTERED and case.escalation_level == 1
    assert actions(case) == [
        "report", "dispatch", "accept", "progress", "handle", "verify_fail", "handle",
        "verify_pass", "callback", "escalate",
    ]  # fmt: skip
    assert case.version == 10  # one per change: report, then nine moves
    assert list(audit_rows(case).order_by("id").values_list("action", flat=True)) == [
        f"case.{a}" for a in actions(case)
    ]


# -- self-handling -------------------------------------------------------------------


def test_self_handle__report_and_handle_in_one_step_still_verified(people, tree, report):
    case = report(self_handle=True, result="现场劝离，已清理")
    assert case.state == State.HANDLED and case.self_handled
    assert case.handler == people.gw_a and case.assignee_code == tree.grid_a.code
    assert case.registered_at == case.handled_at == case.responded_at and case.due_at
    event = last_event(case)
    assert (event.action, event.from_state, event.to_state) == ("self_handle", "", State.HANDLED)
    assert event.note == "现场劝离，已清理" and event.actor == people.gw_a
    # The command center still verifies it; sent back, it returns to the grid worker.
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=False, note="未清完")
    assert case.state == State.IN_PROGRESS and notified(people.gw_a, "case.rework") == 1
    services.case_handle(actor=people.gw_a, case_id=case.pk, result="已清完")
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert case.state == State.CLOSED


@pytest.mark.parametrize("who", ["op_sub", "building_head", "leader"])
def test_self_handle__only_for_those_who_may(people, tree, report, who):
    with pytest.raises(PermissionDenied):
        report(
            actor=getattr(people, who), grid_id=tree.micro_a1.pk, self_handle=True, result="已处理"
        )
    assert not Case.objects.exists()


def test_self_handle__needs_the_result(people, report):
    with pytest.raises(Invalid) as exc:
        report(self_handle=True, result="")
    assert "result" in exc.value.details and not Case.objects.exists()


def test_self_handle__a_community_worker_may_too(people, report):
    case = report(actor=people.community_worker, self_handle=True, result="已调解")
    assert case.state == State.HANDLED and case.handler == people.community_worker


# -- escalation and supervision ------------------------------------------------------


def test_escalate__by_a_leader_up_to_the_district(people, tree, in_progress):
    district_leader = UserFactory(username="district_leader")
    PositionFactory(user=district_leader, role=Role.LEADER, org_unit=tree.district)
    case = in_progress()
    with pytest.raises(Invalid):
        services.case_escalate(actor=people.leader, case_id=case.pk, note="")
    case = services.case_escalate(actor=people.leader, case_id=case.pk, note="群众反映强烈")
    assert (case.escalation_level, case.supervisor, case.department) == (1, people.leader, None)
    assert case.supervision_note == "群众反映强烈"
    assert_step(
        case, "escalate", people.leader, State.IN_PROGRESS, State.REGISTERED, "群众反映强烈",
        level=1, unit=tree.sub.code,
    )  # fmt: skip
    case = services.case_escalate(actor=people.op_district, case_id=case.pk, note="区级督办")
    assert (case.escalation_level, case.supervisor) == (2, district_leader)
    assert_step(
        case,
        "escalate",
        people.op_district,
        State.REGISTERED,
        State.REGISTERED,
        "区级督办",
        level=2,
        unit=tree.district.code,
    )
    assert notified(district_leader, "case.escalated") == 1
    assert notified(people.op_district, "case.escalated") == 1


def test_escalate__not_by_a_grid_worker(people, in_progress):
    case = in_progress()
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_escalate(actor=people.gw_a, case_id=case.pk, note="提级")
    assert snapshot(case) == before


@pytest.mark.parametrize("who", ["op_sub", "leader"])
def test_supervise__levels_one_to_three_with_notes_and_zero_lifts_it(people, in_progress, who):
    actor = getattr(people, who)
    case = in_progress()
    for level, note in [(1, "跟进办"), (2, "提级办"), (3, "高位推")]:
        case = services.case_supervise(actor=actor, case_id=case.pk, level=level, note=note)
        assert (case.supervision_level, case.supervision_note, case.supervisor) == (
            level,
            note,
            actor,
        )
        assert_step(
            case,
            "supervise",
            actor,
            State.IN_PROGRESS,
            State.IN_PROGRESS,
            note,
            level=[level - 1, level],
        )
    assert notified(people.handler, "case.supervised") == 3
    case = services.case_supervise(actor=actor, case_id=case.pk, level=0, note="已解除")
    assert (case.supervision_level, case.supervisor) == (0, None)
    assert notified(people.handler, "case.supervised") == 3


def test_supervise__refuses_bad_levels_missing_notes_and_those_who_may_not(people, in_progress):
    case = in_progress()
    before = snapshot(case)
    with pytest.raises(Invalid) as exc:
        services.case_supervise(actor=people.op_sub, case_id=case.pk, level=4, note="x")
    assert "level" in exc.value.details
    with pytest.raises(Invalid) as exc:
        services.case_supervise(actor=people.op_sub, case_id=case.pk, level=1, note="")
    assert "note" in exc.value.details
    with pytest.raises(PermissionDenied):
        services.case_supervise(actor=people.handler, case_id=case.pk, level=1, note="x")
    assert snapshot(case) == before


def test_leader_visit__required_before_a_repeat_problem_closes(people, handled):
    case = handled()
    Case.objects.filter(pk=case.pk).update(needs_leader_visit=True)
    before = snapshot(case)
    with pytest.raises(GuardFailed) as exc:
        services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert "on-site visit" in exc.value.message and exc.value.status == 400
    assert snapshot(case) == before
    with pytest.raises(PermissionDenied):  # only a leader records it
        services.case_leader_visit(actor=people.op_sub, case_id=case.pk, note="我去了")
    with pytest.raises(Invalid):
        services.case_leader_visit(actor=people.leader, case_id=case.pk, note="")
    case = services.case_leader_visit(
        actor=people.leader, case_id=case.pk, note="现场督导", photos=[_png()]
    )
    assert case.leader_visited_at
    event = assert_step(
        case, "leader_visit", people.leader, State.HANDLED, State.HANDLED, "现场督导"
    )
    assert event.attachments.count() == 1
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert case.state == State.CLOSED


# -- merge and reopen ----------------------------------------------------------------


def test_merge__a_duplicate_joins_the_case_it_duplicates(people, report):
    first, dup = report(), report(title="楼道纸箱")
    dup = services.case_merge(
        actor=people.op_sub, case_id=dup.pk, target_id=first.pk, note="同一问题"
    )
    assert dup.merged_into == first
    assert_step(
        dup, "merge", people.op_sub, State.REPORTED, State.MERGED, "同一问题", into=first.number
    )
    event = last_event(first)
    assert (event.action, event.from_state, event.to_state) == (
        "merged_in",
        State.REPORTED,
        State.REPORTED,
    )
    assert event.data == {"from": dup.number} and event.actor == people.op_sub
    assert fresh(first).state == State.REPORTED


def test_merge__not_into_itself(people, report):
    case = report()
    before = snapshot(case)
    with pytest.raises(GuardFailed) as exc:
        services.case_merge(actor=people.op_sub, case_id=case.pk, target_id=case.pk)
    assert "itself" in exc.value.message
    assert snapshot(case) == before


@pytest.mark.parametrize("target_state", [State.REJECTED, State.MERGED])
def test_merge__not_into_a_rejected_or_merged_case(people, report, target_state):
    target, other, dup = report(), report(), report()
    if target_state == State.REJECTED:
        services.case_reject(actor=people.op_sub, case_id=target.pk, reason="重复")
    else:
        services.case_merge(actor=people.op_sub, case_id=target.pk, target_id=other.pk)
    before, target_before = snapshot(dup), snapshot(target)
    with pytest.raises(Invalid) as exc:
        services.case_merge(actor=people.op_sub, case_id=dup.pk, target_id=target.pk)
    assert "target_id" in exc.value.details
    assert (snapshot(dup), snapshot(target)) == (before, target_before)


def test_merge__not_once_handling_has_started(people, report, in_progress):
    first, case = report(), in_progress()
    before = snapshot(case)
    with pytest.raises(IllegalTransition):
        services.case_merge(actor=people.op_sub, case_id=case.pk, target_id=first.pk)
    assert snapshot(case) == before
    assert actions(first) == ["report"]


def test_merge__back_into_the_case_merged_into_it_is_refused(people, report):
    a, b = report(), report()
    services.case_merge(actor=people.op_sub, case_id=a.pk, target_id=b.pk)
    with pytest.raises(Invalid):
        services.case_merge(actor=people.op_sub, case_id=b.pk, target_id=a.pk)
    assert fresh(b).state == State.REPORTED and fresh(b).merged_into is None


def test_reopen__a_closed_case_runs_again_with_a_new_deadline(people, closed):
    case = closed()
    old_due = case.due_at
    with pytest.raises(PermissionDenied):  # a leader supervises; the command center decides
        services.case_reopen(actor=people.leader, case_id=case.pk, reason="又出现了")
    case = services.case_reopen(actor=people.op_sub, case_id=case.pk, reason="又出现了")
    assert (case.department, case.handler, case.closed_at, case.closed_on_time) == (
        None,
        None,
        None,
        None,
    )
    assert case.due_at >= old_due
    assert_step(
        case,
        "reopen",
        people.op_sub,
        State.CLOSED,
        State.REGISTERED,
        "又出现了",
        due_at=case.due_at.isoformat(),
    )


def test_reopen__a_rejected_case_is_registered_then(people, report):
    case = report()
    services.case_reject(actor=people.op_sub, case_id=case.pk, reason="信息不全")
    case = services.case_reopen(actor=people.op_sub, case_id=case.pk, reason="补充了地址")
    assert case.state == State.REGISTERED and case.registered_at and case.due_at
    assert_step(case, "reopen", people.op_sub, State.REJECTED, State.REGISTERED, "补充了地址")


def test_available__lists_the_moves_a_user_may_take_now(people, dispatched):
    from gongzhi.cases.workflow import CASE_FLOW

    case = dispatched()
    assert {t.action for t in CASE_FLOW.available(case, people.handler)} == {
        "accept",
        "return",
        "contact",
    }
    assert "dispatch" not in {t.action for t in CASE_FLOW.available(case, people.op_sub)}
    assert {t.action for t in CASE_FLOW.available(case, people.leader)} >= {"escalate", "supervise"}
    assert CASE_FLOW.available(case, people.resident) == []


def test_register__corrects_the_grid_within_the_operators_area(people, tree, report):
    """The point fell in grid A but the problem is in grid B: the operator corrects it, and
    the case moves out of grid A's worker's sight and into grid B's."""
    from gongzhi.cases import selectors

    case = report()
    case = services.case_register(actor=people.op_sub, case_id=case.pk, grid_id=tree.grid_b.pk)
    assert (case.grid_id, case.org_code) == (tree.grid_b.pk, tree.grid_b.code)
    event = case.events.get(action="register")
    assert event.data["grid"] == [tree.grid_a.code, tree.grid_b.code]
    assert selectors.cases_visible_to(people.gw_b).filter(pk=case.pk).exists()
    # gw_a still sees it as its reporter, not as grid A's case.
    assert not selectors.queue(people.gw_a, "all")[0].exclude(reported_by=people.gw_a).exists()


def test_register__a_grid_outside_the_area_is_not_found(people, tree, report):
    from gongzhi.cases.models import State
    from gongzhi.core.errors import NotFound
    from gongzhi.factories import OrgUnitFactory

    other = OrgUnitFactory(code="990101002001", name="外社区", level="community", parent=tree.sub2)
    far = OrgUnitFactory(code="990101002001001", name="外网格", level="grid", parent=other)
    case = report()
    community_worker = people.community_worker
    with pytest.raises(NotFound):
        services.case_register(actor=community_worker, case_id=case.pk, grid_id=far.pk)
    case.refresh_from_db()
    assert case.state == State.REPORTED and case.grid_id == tree.grid_a.pk
