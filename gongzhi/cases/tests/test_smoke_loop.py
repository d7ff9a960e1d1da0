from gongzhi.cases import services
from gongzhi.cases.models import State


def test_full_loop(people, tree, dispatched):
    case = dispatched()
    assert case.state == State.DISPATCHED and case.due_at and case.number.startswith("SJ")
    case = services.case_accept(actor=people.handler, case_id=case.pk)
    case = services.case_handle(actor=people.handler, case_id=case.pk, result="已清理")
    case = services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert case.state == State.CLOSED and case.closed_on_time
    case = services.case_callback(
        actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied"
    )
    assert case.state == State.REGISTERED and case.escalation_level == 1
    assert [e.action for e in case.events.all()] == [
        "report",
        "dispatch",
        "accept",
        "handle",
        "verify_pass",
        "callback",
        "escalate",
    ]
