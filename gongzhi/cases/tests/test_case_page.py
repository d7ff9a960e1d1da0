"""The case page: a case with its actions, and the extension requests — through the real
views, services and database."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseEvent, ExtensionRequest, State
from gongzhi.cases.tests.pages_support import body, jpeg, t
from gongzhi.core.models import AuditLog


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# -- a case ------------------------------------------------------------------------------


def test_case_page__renders_for_those_who_may_and_404_elsewhere(people, login, report, tree):
    case = report(lng=None)
    for who in ("op_sub", "leader", "community_worker", "gw_a", "admin"):
        response = login(getattr(people, who)).get(f"/cases/{case.pk}/")
        assert response.status_code == 200, who
        page = body(response)
        assert case.number in page and case.title in page and 'class="timeline"' in page
    assert login(people.gw_b).get(f"/cases/{case.pk}/").status_code == 404
    assert login(people.handler).get(f"/cases/{case.pk}/").status_code == 404
    assert login(people.gw_a).get("/cases/999999/").status_code == 404


def test_case_page__actions_follow_the_user_and_the_state(people, login, dispatched):
    case = dispatched()
    op = body(login(people.op_sub).get(f"/cases/{case.pk}/"))
    handler = body(login(people.handler).get(f"/cases/{case.pk}/"))
    gw = body(login(people.gw_a).get(f"/cases/{case.pk}/"))
    actions = {
        name: set(re.findall(r'data-action="(\w+)"', page))
        for name, page in (("op", op), ("handler", handler), ("gw", gw))
    }
    assert {"accept", "return"} <= actions["handler"] and "dispatch" not in actions["handler"]
    assert "accept" not in actions["op"] and {"supervise", "escalate", "merge"} <= actions["op"]
    assert actions["gw"] == set()  # no reporter to contact: nothing for the grid worker
    with_phone = body(
        login(people.gw_a).get(f"/cases/{dispatched(reporter_phone='13812345678').pk}/")
    )
    assert set(re.findall(r'data-action="(\w+)"', with_phone)) == {"contact"}
    assert f'name="version" value="{case.version}"' in handler


def test_case_page__map_only_with_a_point(people, login, report, tree):
    tree.grid_a.boundary = {
        "type": "Polygon",
        "coordinates": [
            [[112.4, 34.6], [112.5, 34.6], [112.5, 34.7], [112.4, 34.7], [112.4, 34.6]]
        ],
    }
    tree.grid_a.save()
    with_point = report(lng=112.45, lat=34.65)
    without = report()
    page = body(login(people.gw_a).get(f"/cases/{with_point.pk}/"))
    assert 'id="case-map"' in page and "vendor/leaflet/leaflet.js" in page
    assert '"point": [112.45, 34.65]' in page and "112.4" in page
    assert 'id="case-map"' not in body(login(people.gw_a).get(f"/cases/{without.pk}/"))


def test_act__dispatch_accept_handle_verify_callback(people, login, report, tree):
    case = report(reporter_phone="13812345678")
    op, handler = login(people.op_sub), login(people.handler)
    page = body(op.get(f"/cases/{case.pk}/"))
    assert f'<option value="d:{tree.department.pk}">' in page
    assert f'<option value="u:{tree.grid_a.pk}">' in page

    r = op.post(
        f"/cases/{case.pk}/act/dispatch/",
        {"version": case.version, "target": f"d:{tree.department.pk}", "note": "请尽快处理"},
    )
    case.refresh_from_db()
    assert r.status_code == 302 and case.state == State.DISPATCHED
    assert case.department == tree.department

    r = handler.post(f"/cases/{case.pk}/act/accept/", {"version": case.version})
    case.refresh_from_db()
    assert r.status_code == 302 and (case.state, case.handler) == (
        State.IN_PROGRESS,
        people.handler,
    )

    r = handler.post(
        f"/cases/{case.pk}/act/handle/",
        {"version": case.version, "result": "已清运", "photos": [jpeg()]},
    )
    case.refresh_from_db()
    assert r.status_code == 302 and (case.state, case.result) == (State.HANDLED, "已清运")
    handle_event = case.events.get(action="handle")
    assert handle_event.attachments.count() == 1

    r = op.post(
        f"/cases/{case.pk}/act/verify/", {"version": case.version, "outcome": "pass", "note": ""}
    )
    case.refresh_from_db()
    assert r.status_code == 302 and case.state == State.CLOSED

    r = op.post(
        f"/cases/{case.pk}/act/callback/",
        {"version": case.version, "solved": "yes", "rating": "satisfied", "note": "满意"},
    )
    case.refresh_from_db()
    assert r.status_code == 302 and (case.callback_solved, case.callback_rating) == (
        True,
        "satisfied",
    )
    page = body(op.get(f"/cases/{case.pk}/"))
    assert 'data-action="callback"' not in page  # called back once only
    assert [e.action for e in case.events.all()] == [
        "report",
        "dispatch",
        "accept",
        "handle",
        "verify_pass",
        "callback",
    ]
    assert f"/api/v1/cases/{case.pk}/attachments/" in page


def test_act__verify_fail_sends_back_and_unit_dispatch(people, login, report, tree):
    case = report()
    op = login(people.op_sub)
    op.post(
        f"/cases/{case.pk}/act/dispatch/",
        {"version": case.version, "target": f"u:{tree.grid_a.pk}"},
    )
    case.refresh_from_db()
    assert (case.state, case.assignee_code) == (State.DISPATCHED, tree.grid_a.code)
    gw = login(people.gw_a)
    gw.post(f"/cases/{case.pk}/act/accept/", {"version": case.version})
    case.refresh_from_db()
    gw.post(f"/cases/{case.pk}/act/handle/", {"version": case.version, "result": "已处理"})
    case.refresh_from_db()
    r = op.post(
        f"/cases/{case.pk}/act/verify/",
        {"version": case.version, "outcome": "fail", "note": "现场仍有杂物"},
    )
    case.refresh_from_db()
    assert r.status_code == 302 and (case.state, case.rework_count) == (State.IN_PROGRESS, 1)


def test_act__missing_reason_comes_back_in_place(people, login, report):
    case = report()
    r = login(people.op_sub).post(
        f"/cases/{case.pk}/act/reject/", {"version": case.version, "reason": ""}
    )
    assert r.status_code == 400
    page = body(r)
    assert re.search(r'<details class="act" id="act-reject" open>', page)
    assert 'class="field-error"' in page
    case.refresh_from_db()
    assert case.state == State.REPORTED and case.events.count() == 1


def test_act__illegal_or_forbidden_changes_nothing(people, login, report):
    case = report()
    before = (case.state, case.version)
    # Not allowed in this state: the message, above the actions.
    r = login(people.op_sub).post(
        f"/cases/{case.pk}/act/verify/", {"version": case.version, "outcome": "pass"}
    )
    assert r.status_code == 409
    with translation.override(settings.LANGUAGE_CODE):
        from gongzhi.cases.workflow import CASE_FLOW

        label = next(t_.label for t_ in CASE_FLOW.transitions if t_.action == "verify_pass")
        message = translation.gettext(
            "“%(action)s” is not allowed while the state is “%(state)s”."
        ) % {"action": label, "state": State.REPORTED.label}
    assert escape(message) in body(r) and 'id="action-error"' in body(r)
    # A role that may not: the 403 page with the service's message.
    r = login(people.gw_a).post(
        f"/cases/{case.pk}/act/reject/", {"version": case.version, "reason": "不归我管"}
    )
    assert r.status_code == 403
    with translation.override(settings.LANGUAGE_CODE):
        message = translation.gettext("You may not “%(action)s”.") % {
            "action": translation.gettext("Reject")
        }
    assert escape(message) in body(r)
    # A handling unit it may not choose: refused by the form, no service call.
    r = login(people.gw_a).post(
        f"/cases/{case.pk}/act/dispatch/", {"version": case.version, "target": f"u:{case.grid_id}"}
    )
    assert r.status_code == 400
    # Outside the area, and an unknown action: 404.
    assert (
        login(people.gw_b)
        .post(f"/cases/{case.pk}/act/contact/", {"version": case.version})
        .status_code
        == 404
    )
    assert (
        login(people.op_sub).post(f"/cases/{case.pk}/act/fly/", {"version": 1}).status_code == 404
    )
    assert login(people.op_sub).get(f"/cases/{case.pk}/act/contact/").status_code == 405
    case.refresh_from_db()
    assert (case.state, case.version) == before and case.events.count() == 1


def test_act__stale_version_says_already_changed_and_changes_nothing(people, login, report, tree):
    case = report()
    seen = case.version
    services.case_register(actor=people.op_district, case_id=case.pk)  # someone else, first
    case.refresh_from_db()
    for action, data in (
        ("dispatch", {"target": f"d:{tree.department.pk}"}),
        ("contact", {"note": "已电话联系"}),  # a service without a version of its own
    ):
        r = login(people.op_sub).post(f"/cases/{case.pk}/act/{action}/", {"version": seen, **data})
        assert r.status_code == 409
        page = body(r)
        assert t("Someone else has already changed this case; reload it and try again.") in page
        # The page now carries the current version, so trying again works.
        assert f'name="version" value="{case.version}"' in page
    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.version, after.department) == (State.REGISTERED, case.version, None)
    assert after.events.count() == 2


def test_act__merge_by_number_and_reopen(people, login, report):
    first = report(title="第一次")
    dup = report(title="重复的")
    op = login(people.op_sub)
    r = op.post(
        f"/cases/{dup.pk}/act/merge/", {"version": dup.version, "target": "SJ19990101000001"}
    )
    assert r.status_code == 400 and 'class="field-error"' in body(r)
    dup.refresh_from_db()
    assert dup.state == State.REPORTED
    r = op.post(f"/cases/{dup.pk}/act/merge/", {"version": dup.version, "target": first.number})
    dup.refresh_from_db()
    assert r.status_code == 302 and (dup.state, dup.merged_into) == (State.MERGED, first)
    page = body(op.get(f"/cases/{first.pk}/"))
    assert dup.number in page


def test_act__supervise_escalate_and_extension(people, login, dispatched):
    case = dispatched()
    op, handler = login(people.op_sub), login(people.handler)
    r = op.post(
        f"/cases/{case.pk}/act/supervise/",
        {"version": case.version, "level": 3, "note": "高位推动"},
    )
    case.refresh_from_db()
    assert r.status_code == 302 and case.supervision_level == 3
    handler.post(f"/cases/{case.pk}/act/accept/", {"version": case.version})
    case.refresh_from_db()
    r = handler.post(
        f"/cases/{case.pk}/act/request_extension/",
        {"version": case.version, "days": 3, "reason": "需协调产权单位"},
    )
    case.refresh_from_db()
    assert r.status_code == 302
    req = ExtensionRequest.objects.get(case=case)
    page = body(op.get(f"/cases/{case.pk}/"))
    assert 'data-action="decide_extension"' in page and 'id="pending-extension"' in page
    assert 'data-action="request_extension"' not in body(handler.get(f"/cases/{case.pk}/"))
    due = case.due_at
    r = op.post(
        f"/cases/{case.pk}/act/decide_extension/",
        {"version": case.version, "request_id": req.pk, "decision": "approve"},
    )
    case.refresh_from_db()
    req.refresh_from_db()
    assert r.status_code == 302 and req.status == "approved" and case.due_at > due


def test_reveal__shows_the_number_and_audits(people, login, report):
    case = report(reporter_phone="13812345678")
    op = login(people.op_sub)
    assert 'id="reveal-phone"' in body(op.get(f"/cases/{case.pk}/"))
    r = op.post(f"/cases/{case.pk}/reveal/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "13812345678" in body(r)
    assert AuditLog.objects.filter(action="case.reveal_phone", object_id=str(case.pk)).count() == 1
    gw = login(people.gw_a)  # grid workers see it masked only
    assert 'id="reveal-phone"' not in body(gw.get(f"/cases/{case.pk}/"))
    assert gw.post(f"/cases/{case.pk}/reveal/").status_code == 403
    assert login(people.gw_b).post(f"/cases/{case.pk}/reveal/").status_code == 404
    assert AuditLog.objects.filter(action="case.reveal_phone").count() == 1


def test_case_page__query_count_does_not_grow_with_the_timeline(people, login, dispatched):
    case = dispatched(photos=[jpeg()], reporter_phone="13812345678")
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_supervise(actor=people.op_sub, case_id=case.pk, level=1, note="跟进")
    client = login(people.op_sub)
    client.get(f"/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as short:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    for i in range(6):
        services.case_progress(
            actor=people.handler, case_id=case.pk, note=f"第{i}次进展", photos=[jpeg(), jpeg()]
        )
        services.case_contact(actor=people.op_sub, case_id=case.pk, note=f"第{i}次联系")
    assert CaseEvent.objects.filter(case=case).count() == 16
    with CaptureQueriesContext(connection) as long:
        page = body(client.get(f"/cases/{case.pk}/"))
    assert page.count("/thumb") == 1 + 13  # the report's photo at the top and in the timeline
    assert len(long) == len(short) <= 20, [q["sql"] for q in long.captured_queries]


# -- extension requests -------------------------------------------------------------------


def test_extensions_page__lists_and_decides(people, login, dispatched):
    case = dispatched()
    services.case_accept(actor=people.handler, case_id=case.pk)
    req = services.case_request_extension(
        actor=people.handler, case_id=case.pk, days=2, reason="等待材料"
    )
    case.refresh_from_db()
    op = login(people.op_sub)
    page = body(op.get("/cases/extensions/"))
    assert case.number in page and "等待材料" in page and f'id="ext-{req.pk}"' in page
    assert 'href="/cases/extensions/"' in body(op.get("/cases/"))
    # Refusing needs a note: the form comes back with the error, nothing decided.
    r = op.post(
        f"/cases/extensions/{req.pk}/decide/",
        {"version": case.version, "request_id": req.pk, "decision": "refuse", "note": ""},
    )
    req.refresh_from_db()
    assert r.status_code == 400 and req.status == "pending"
    r = op.post(
        f"/cases/extensions/{req.pk}/decide/",
        {"version": case.version, "request_id": req.pk, "decision": "refuse", "note": "时限内完成"},
    )
    req.refresh_from_db()
    assert r.status_code == 302 and req.status == "refused"
    assert f'id="ext-{req.pk}"' not in body(op.get("/cases/extensions/"))
    for user in (people.gw_a, people.handler):
        assert login(user).get("/cases/extensions/").status_code == 404


def test_act__every_other_form_through_its_service(people, login, report, tree, category):
    case = report(reporter_phone="13812345678")
    op, leader = login(people.op_sub), login(people.leader)
    gw = login(people.gw_a)

    def act(client, action, **data):
        case.refresh_from_db()
        response = client.post(f"/cases/{case.pk}/act/{action}/", {"version": case.version, **data})
        assert response.status_code == 302, (action, body(response)[-3000:])
        case.refresh_from_db()
        return case

    forms = set(re.findall(r'data-action="(\w+)"', body(op.get(f"/cases/{case.pk}/"))))
    assert {"register", "dispatch", "reject", "contact", "merge", "supervise"} <= forms
    assert act(op, "register", category_id=category.pk, urgency="urgent").urgency == "urgent"
    assert act(op, "contact", note="已电话联系").responded_at is not None
    assert act(op, "dispatch", target=f"u:{tree.grid_a.pk}").state == State.DISPATCHED
    assert act(gw, "return", reason="不属于本网格职责").state == State.REGISTERED
    act(op, "dispatch", target=f"u:{tree.grid_a.pk}")
    act(gw, "accept")
    act(gw, "progress", note="已联系物业", photos=[jpeg()])
    assert case.events.get(action="progress").attachments.count() == 1
    assert "suspend" in body(op.get(f"/cases/{case.pk}/"))
    assert act(op, "suspend", reason="等待产权单位答复").state == State.SUSPENDED
    page = body(op.get(f"/cases/{case.pk}/"))
    assert 'data-action="resume"' in page and "clock-stopped" in page
    assert act(op, "resume").state == State.IN_PROGRESS
    assert 'data-action="leader_visit"' in body(leader.get(f"/cases/{case.pk}/"))
    assert act(leader, "leader_visit", note="现场查看并协调", photos=[jpeg()]).leader_visited_at
    assert act(leader, "escalate", note="提级办理").escalation_level == 1
    assert case.state == State.REGISTERED
    act(op, "dispatch", target=f"d:{tree.department.pk}")
    handler = login(people.handler)
    act(handler, "accept")
    act(handler, "handle", result="已处理完毕")
    act(op, "verify", outcome="pass")
    assert case.state == State.CLOSED
    assert 'data-action="reopen"' in body(op.get(f"/cases/{case.pk}/"))
    assert act(op, "reopen", reason="居民反映问题复发").state == State.REGISTERED
    other = report(title="不属于受理范围")
    case = other
    assert act(op, "reject", reason="属于司法程序").state == State.REJECTED
    page = body(op.get(f"/cases/{other.pk}/"))
    assert 'data-action="reopen"' in page


def test_case_page__leader_sees_a_repeat_case_with_its_markers(people, login, report):
    first = report(title="路灯不亮")
    second = report(title="路灯还是不亮")
    Case.objects.filter(pk=second.pk).update(
        is_repeat=True, repeat_of=first, repeat_count=3, needs_leader_visit=True
    )
    page = body(login(people.leader).get(f"/cases/{second.pk}/"))
    assert f'href="/cases/{first.pk}/"' in page and 'class="mk mk-leader"' in page
    assert 'data-action="leader_visit"' in page
    assert second.number in body(login(people.leader).get("/cases/", {"queue": "repeats"}))
    assert second.number in body(login(people.op_sub).get(f"/cases/{first.pk}/"))


def test_act__register_corrects_category_urgency_and_grid(people, login, report, tree):
    case = report()
    client = login(people.community_worker)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'value="{tree.grid_b.pk}"' in page  # grid B is offered for the correction
    r = client.post(
        f"/cases/{case.pk}/act/register/",
        {
            "version": case.version,
            "category_id": case.category_id,
            "urgency": "urgent",
            "grid_id": tree.grid_b.pk,
            "note": "",
        },
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.urgency, case.org_code) == ("registered", "urgent", tree.grid_b.code)


def test_act__returning_a_case_lands_on_the_list_not_on_a_404(people, login, dispatched):
    """The department handler returns a case (退回): it leaves their scope, so the page
    they land on is their list with the message, not the case they may no longer see."""
    case = dispatched()
    handler = login(people.handler)
    r = handler.post(
        f"/cases/{case.pk}/act/return/", {"version": case.version, "reason": "不属于本单位职责"}
    )
    case.refresh_from_db()
    assert r.status_code == 302 and r["Location"] == "/cases/"
    assert case.state == State.REGISTERED
    listed = body(handler.get("/cases/"))
    assert case.number in listed and "退回" in listed  # the message names the case
    assert handler.get(f"/cases/{case.pk}/").status_code == 404
