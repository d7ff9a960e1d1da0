"""The case API: every action through its endpoint, the errors' codes, Idempotency-Key,
photos (cleaned, scoped downloads) and pinned query counts for the lists and the detail."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.cases import services
from gongzhi.cases.api import keyset_page
from gongzhi.cases.models import Case, CaseAttachment, CaseEvent, State
from gongzhi.cases.tests.api_support import (
    API,
    in_progress,
    intake,
    jpeg_with_gps,
    photo,
    post_json,
)
from gongzhi.core.models import AuditLog
from gongzhi.orgs import locator


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# -- the whole loop --------------------------------------------------------------------


def test_full_loop__through_the_api(people, tree, category, login):
    worker, operator, handler = login(people.gw_a), login(people.op_sub), login(people.handler)

    created = post_json(worker, API, intake(tree, category, reporter_phone="13812345678"))
    assert created.status_code == 201, created.json()
    case = created.json()
    assert case["state"] == "reported" and case["number"].startswith("SJ")
    assert case["reporter_phone_masked"] == "138****5678" and "13812345678" not in str(case)
    assert [a["action"] for a in case["actions"]] == ["contact"]
    cid = case["id"]

    r = post_json(
        operator, f"{API}/{cid}/register", {"version": case["version"], "urgency": "urgent"}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "registered" and r.json()["urgency"] == "urgent"
    assert r.json()["due_at"] and r.json()["registered_at"]

    r = post_json(
        operator,
        f"{API}/{cid}/dispatch",
        {"version": r.json()["version"], "department_id": tree.department.pk, "note": "请处置"},
    )
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    assert r.json()["department"] == tree.department.name

    r = post_json(handler, f"{API}/{cid}/accept", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    assert {"progress", "handle", "request_extension", "return"} <= {
        a["action"] for a in r.json()["actions"]
    }

    r = handler.post(f"{API}/{cid}/progress", {"note": "已联系物业", "photos": [photo()]})
    assert r.status_code == 200, r.json()
    assert r.json()["events"][-1]["action"] == "progress"
    assert len(r.json()["events"][-1]["attachments"]) == 1

    r = post_json(handler, f"{API}/{cid}/contact", {"note": "已电话联系报告人"})
    assert r.status_code == 200 and r.json()["responded_at"]

    r = handler.post(
        f"{API}/{cid}/handle",
        {"result": "已更换灯泡", "version": r.json()["version"], "photos": [photo(), photo()]},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "handled" and r.json()["result"] == "已更换灯泡"
    assert len(r.json()["events"][-1]["attachments"]) == 2

    r = post_json(operator, f"{API}/{cid}/verify", {"passed": True, "version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert r.json()["closed_on_time"] is True

    r = post_json(
        operator,
        f"{API}/{cid}/callback",
        {"solved": False, "rating": "unsatisfied", "note": "又坏了"},
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["state"] == "registered" and body["escalation_level"] == 1
    assert body["supervision_level"] == 2
    assert [e["action"] for e in body["events"]] == [
        "report",
        "register",
        "dispatch",
        "accept",
        "progress",
        "contact",
        "handle",
        "verify_pass",
        "callback",
        "escalate",
    ]
    assert Case.objects.get(pk=cid).version == body["version"]


def test_self_handle__reported_and_handled_in_one_step(people, tree, category, login):
    r = post_json(
        login(people.gw_a),
        API,
        intake(tree, category, self_handle=True, result="当场清理"),
    )
    assert r.status_code == 201, r.json()
    assert r.json()["state"] == "handled" and r.json()["self_handled"] is True
    assert r.json()["events"][0]["action"] == "self_handle"


def test_reject_and_reopen(people, report, login):
    case = report()
    operator = login(people.op_sub)
    r = post_json(operator, f"{API}/{case.pk}/reject", {"reason": "不属于受理范围"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    r = post_json(operator, f"{API}/{case.pk}/reopen", {"reason": "核实后属于受理范围"})
    assert r.status_code == 200 and r.json()["state"] == "registered"
    assert r.json()["due_at"]


def test_return__back_to_the_dispatcher(people, dispatched, login):
    case = dispatched()
    r = post_json(login(people.handler), f"{API}/{case.pk}/return", {"reason": "不属于本单位职责"})
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "registered" and r.json()["department"] is None
    # The department no longer sees the case it gave back.
    assert login(people.handler).get(f"{API}/{case.pk}").status_code == 404


def test_verify_fail__back_to_handling(people, dispatched, login):
    case = in_progress(people, dispatched)
    services.case_handle(actor=people.handler, case_id=case.pk, result="已处理")
    r = post_json(
        login(people.op_sub), f"{API}/{case.pk}/verify", {"passed": False, "note": "仍未修好"}
    )
    assert r.status_code == 200
    assert r.json()["state"] == "in_progress" and r.json()["rework_count"] == 1


def test_suspend_and_resume(people, dispatched, login):
    case = in_progress(people, dispatched)
    operator = login(people.op_sub)
    r = post_json(operator, f"{API}/{case.pk}/suspend", {"reason": "等待法院判决"})
    assert r.status_code == 200 and r.json()["state"] == "suspended"
    assert r.json()["suspended_at"]
    r = post_json(operator, f"{API}/{case.pk}/resume", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    assert r.json()["suspended_at"] is None


def test_supervise_escalate_and_leader_visit(people, dispatched, login):
    case = dispatched()
    operator, leader = login(people.op_sub), login(people.leader)
    r = post_json(operator, f"{API}/{case.pk}/supervise", {"level": 1, "note": "跟进办"})
    assert r.status_code == 200 and r.json()["supervision_level"] == 1
    r = post_json(leader, f"{API}/{case.pk}/leader-visit", {"note": "到现场查看"})
    assert r.status_code == 200 and r.json()["leader_visited_at"]
    r = post_json(leader, f"{API}/{case.pk}/escalate", {"note": "群众反映强烈"})
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "registered" and r.json()["escalation_level"] == 1


def test_merge__duplicate_joins_the_target(people, report, login):
    first, duplicate = report(), report(title="楼道杂物又堆上了")
    r = post_json(login(people.op_sub), f"{API}/{duplicate.pk}/merge", {"target_id": first.pk})
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "merged" and r.json()["merged_into"] == first.number
    assert CaseEvent.objects.filter(case=first, action="merged_in").count() == 1


def test_extension__request_list_and_decide(people, dispatched, login):
    case = in_progress(people, dispatched)
    due_before = case.due_at
    r = post_json(
        login(people.handler),
        f"{API}/{case.pk}/extension-requests",
        {"days": 3, "reason": "需要采购配件"},
    )
    assert r.status_code == 201, r.json()
    req = r.json()
    assert req["status"] == "pending" and req["case_number"] == case.number and req["days"] == 3

    operator = login(people.op_sub)
    detail = operator.get(f"{API}/{case.pk}").json()
    assert detail["pending_extension"]["id"] == req["id"]
    listed = operator.get(f"{API}/extension-requests").json()
    assert [i["id"] for i in listed["items"]] == [req["id"]]
    # The grid worker decides on nothing: the list is empty for them.
    assert login(people.gw_a).get(f"{API}/extension-requests").json()["items"] == []

    # The handling unit does not decide on its own request.
    r = post_json(
        login(people.handler), f"{API}/extension-requests/{req['id']}/decide", {"approve": True}
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = post_json(operator, f"{API}/extension-requests/{req['id']}/decide", {"approve": True})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "approved" and r.json()["decided_at"]
    case.refresh_from_db()
    assert case.due_at > due_before and case.extended_days == 3
    assert operator.get(f"{API}/{case.pk}").json()["pending_extension"] is None
    again = post_json(
        operator,
        f"{API}/extension-requests/{req['id']}/decide",
        {"approve": False, "note": "已批准过"},
    )
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_reveal_phone__audited_for_the_operator_refused_for_the_worker(people, report, login):
    case = report(reporter_phone="13812345678")
    r = post_json(login(people.gw_a), f"{API}/{case.pk}/reveal-phone")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert not AuditLog.objects.filter(action="case.reveal_phone").exists()
    r = post_json(login(people.op_sub), f"{API}/{case.pk}/reveal-phone")
    assert r.status_code == 200 and r.json() == {"phone": "13812345678"}
    assert AuditLog.objects.filter(action="case.reveal_phone", actor=people.op_sub).count() == 1


# -- lists -----------------------------------------------------------------------------


def test_categories__two_levels_active_only(people, category, login):
    category.is_active = False
    category.save()
    body = login(people.gw_a).get(f"{API}/categories").json()
    groups = {g["name"]: g for g in body}
    assert "市容环境" in groups
    child_ids = {c["id"] for g in body for c in g["children"]}
    assert category.pk not in child_ids and child_ids


def test_queues__for_the_role_with_counts(people, report, dispatched, login):
    report()
    dispatched()
    body = login(people.op_sub).get(f"{API}/queues").json()
    counts = {q["key"]: q["count"] for q in body}
    assert list(counts)[:2] == ["new", "to_dispatch"] and counts["all"] == 2
    assert counts["new"] == 1 and counts["to_dispatch"] == 0
    handler = {q["key"]: q["count"] for q in login(people.handler).get(f"{API}/queues").json()}
    assert handler["to_accept"] == 1 and handler["all"] == 1


def test_list__scoped_filtered_and_paged(people, tree, report, login):
    mine = [report(title=f"楼道杂物{i}") for i in range(5)]
    other = report(actor=people.gw_b, grid_id=tree.grid_b.pk, title="井盖缺失")
    worker = login(people.gw_a)

    seen, cursor = [], None
    while True:
        url = f"{API}?queue=all&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = worker.get(url).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [c.pk for c in reversed(mine)]  # newest first, each once, none of grid B

    by_number = worker.get(f"{API}?q={mine[2].number.lower()}").json()["items"]
    assert [i["id"] for i in by_number] == [mine[2].pk]
    by_text = worker.get(f"{API}?q=杂物3").json()["items"]
    assert [i["id"] for i in by_text] == [mine[3].pk]
    operator = login(people.op_sub)
    within = operator.get(f"{API}?within={tree.grid_b.code}").json()["items"]
    assert [i["id"] for i in within] == [other.pk]
    assert worker.get(f"{API}?queue=nope").status_code == 404
    bad = worker.get(f"{API}?cursor=not-a-cursor")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    # the schema's bounds: 1 … 200
    for limit in (0, 201, 10**20):
        bad = worker.get(f"{API}?limit={limit}")
        assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
        assert bad.json()["details"][0]["loc"] == ["query", "limit"]


def test_list__deadline_queue_pages_by_due_at(people, dispatched, login):
    cases = [dispatched(title=f"待签收{i}") for i in range(4)]
    handler = login(people.handler)
    seen, cursor = [], None
    while True:
        url = f"{API}?queue=to_accept&limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = handler.get(url).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [c.pk for c in sorted(cases, key=lambda c: (c.due_at, c.pk))]


def test_keyset_page__nulls_last_every_row_once(people, report, dispatched):
    """Deadlines are NULL before registration: those rows come last, on both databases,
    and paging through them with a cursor neither skips nor repeats a row."""
    for i in range(3):
        report(title=f"未立案{i}")
        dispatched(title=f"已派遣{i}")
    qs = Case.objects.all()
    for ordering in (("due_at", "id"), ("-due_at", "-id")):
        seen, cursor = [], None
        while True:
            rows, cursor = keyset_page(qs, ordering=ordering, cursor=cursor, limit=2)
            seen += rows
            if not cursor:
                break
        assert len(seen) == len({c.pk for c in seen}) == 6
        assert [c.due_at is None for c in seen] == [False] * 3 + [True] * 3
        dated = [c.due_at for c in seen[:3]]
        assert dated == sorted(dated, reverse=ordering[0].startswith("-"))


# -- errors ----------------------------------------------------------------------------


def test_anonymous__401(report):
    case = report()
    r = post_json(Client(), f"{API}/{case.pk}/register")
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_illegal_transition__409_and_nothing_changes(people, report, login):
    case = report()
    r = post_json(login(people.op_sub), f"{API}/{case.pk}/verify", {"passed": True})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    case.refresh_from_db()
    assert case.state == State.REPORTED and case.version == 1


def test_wrong_role__403_and_nothing_changes(people, report, login):
    case = report()  # gw_a reported it and sees it, but does not triage
    r = post_json(login(people.gw_a), f"{API}/{case.pk}/register")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    case.refresh_from_db()
    assert case.state == State.REPORTED and case.events.count() == 1


def test_outside_scope__the_same_404_as_missing(people, report, login):
    case = report()
    other_grid = login(people.gw_b)
    outside = other_grid.get(f"{API}/{case.pk}")
    missing = other_grid.get(f"{API}/987654")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert post_json(other_grid, f"{API}/{case.pk}/contact", {"note": "x"}).status_code == 404
    # A department sees only what is dispatched to it.
    assert login(people.handler).get(f"{API}/{case.pk}").status_code == 404
    assert login(people.handler).get(f"{API}?queue=all").json()["items"] == []
    assert case.events.count() == 1


def test_stale_version__409_stale(people, report, login):
    case = report()
    services.case_register(actor=people.op_district, case_id=case.pk, version=1)
    r = post_json(login(people.op_sub), f"{API}/{case.pk}/reject", {"version": 1, "reason": "重复"})
    assert r.status_code == 409 and r.json()["code"] == "stale"
    assert r.json()["details"] == {"version": 2}
    case.refresh_from_db()
    assert case.state == State.REGISTERED


@pytest.mark.parametrize(
    "path, payload",
    [
        ("register", {"version": "abc"}),
        ("verify", {}),
        ("supervise", {"level": "high", "note": "x"}),
        ("merge", {"note": "no target"}),
    ],
)
def test_malformed_body__422_validation_error(people, report, login, path, payload):
    case = report()
    r = post_json(login(people.op_sub), f"{API}/{case.pk}/{path}", payload)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    case.refresh_from_db()
    assert case.version == 1


def test_invalid_input__400_with_the_field(people, report, login):
    case = report()
    r = post_json(login(people.op_sub), f"{API}/{case.pk}/reject", {"reason": "  "})
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert "reason" in r.json()["details"]
    r = post_json(login(people.op_sub), f"{API}/{case.pk}/supervise", {"level": 7, "note": "x"})
    # past the schema's bounds (0 … 3)
    assert r.status_code == 422 and r.json()["details"][0]["loc"][-1] == "level"


def test_intake__location_outside_every_grid(people, tree, category, login):
    """The tree's grids have no boundaries: a point in China lies in none of them."""
    locator.invalidate()
    payload = intake(tree, category, grid_id=None, lng=116.397, lat=39.908)
    r = post_json(login(people.gw_a), API, payload)
    assert r.status_code == 400 and r.json()["code"] == "outside_grids"
    assert "location" in r.json()["details"]
    assert not Case.objects.exists()


def test_intake__bad_fields(people, tree, category, login):
    r = post_json(
        login(people.gw_a), API, intake(tree, category, channel="fax", title="", description="")
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert {"channel", "description"} <= set(r.json()["details"])
    r = post_json(login(people.gw_a), API, {"title": "no category"})
    assert r.status_code == 422
    r = post_json(login(people.resident), API, intake(tree, category))
    assert r.status_code == 403
    assert not Case.objects.exists()


# -- Idempotency-Key -------------------------------------------------------------------


def test_idempotency_key__a_retry_returns_the_same_case(people, tree, category, login):
    worker = login(people.gw_a)
    first = post_json(worker, API, intake(tree, category), **{"Idempotency-Key": "k-1"})
    again = post_json(worker, API, intake(tree, category), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["number"] == again.json()["number"]
    assert Case.objects.count() == 1

    other = post_json(
        login(people.op_sub), API, intake(tree, category), **{"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert Case.objects.count() == 2


def test_observed_at__the_phones_time_is_kept_apart_from_the_receipt(people, tree, category, login):
    worker = login(people.gw_a)
    seen = timezone.now() - dt.timedelta(hours=20)
    body = {**intake(tree, category), "observed_at": seen.isoformat()}
    made = post_json(worker, API, body, **{"Idempotency-Key": "basement-1"})
    assert made.status_code == 201
    case = Case.objects.get()
    assert case.observed_at == seen and case.reported_at > seen + dt.timedelta(hours=19)
    assert made.json()["observed_at"] is not None
    again = post_json(worker, API, body, **{"Idempotency-Key": "basement-1"})
    assert again.status_code == 200 and Case.objects.count() == 1
    for wrong in (timezone.now() + dt.timedelta(hours=1), timezone.now() - dt.timedelta(days=9)):
        refused = post_json(
            worker, API, {**intake(tree, category), "observed_at": wrong.isoformat()}
        )
        assert refused.status_code == 400 and "observed_at" in refused.json()["details"]
    assert Case.objects.count() == 1


def test_idempotency_key__a_different_request_is_422_and_stores_nothing(
    people, tree, category, login
):
    worker = login(people.gw_a)
    first = post_json(worker, API, intake(tree, category), **{"Idempotency-Key": "k-1"})
    changed = intake(tree, category, description="桂园路口的路灯连续四晚不亮")
    refused = post_json(worker, API, changed, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, refused.status_code) == (201, 422)
    body = refused.json()
    assert body["code"] == "idempotency_conflict" and body["details"] is None
    assert body["message"] == (
        "该 Idempotency-Key 已用于另一个内容不同的请求（已保存）；"
        "本次请求未保存。请换用新的键发送。"
    )
    assert list(Case.objects.values_list("id", "description")) == [
        (first.json()["id"], "桂园路口的路灯连续三晚不亮")
    ]
    assert CaseEvent.objects.count() == 1
    # The first request resent is still answered with its case.
    again = post_json(worker, API, intake(tree, category), **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def test_idempotency_key__another_photo_is_a_different_request(people, tree, category, login):
    worker = login(people.gw_a)
    data = intake(tree, category)
    headers = {"Idempotency-Key": "p-2"}
    first = worker.post(f"{API}/with-photos", {**data, "photos": [photo()]}, headers=headers)
    other = photo(data=jpeg_with_gps(colour="red"))
    refused = worker.post(f"{API}/with-photos", {**data, "photos": [other]}, headers=headers)
    assert (first.status_code, refused.status_code) == (201, 422)
    assert refused.json()["code"] == "idempotency_conflict"
    assert Case.objects.count() == 1 and CaseAttachment.objects.count() == 1


def test_idempotency_key__too_long_is_400(people, tree, category, login):
    r = post_json(login(people.gw_a), API, intake(tree, category), **{"Idempotency-Key": "k" * 65})
    assert r.status_code == 400 and r.json()["code"] == "invalid_idempotency_key"
    assert not Case.objects.exists()


def test_idempotency_key__with_photos_too(people, tree, category, login):
    worker = login(people.gw_a)
    data = intake(tree, category)
    first = worker.post(
        f"{API}/with-photos", {**data, "photos": [photo()]}, headers={"Idempotency-Key": "p-1"}
    )
    again = worker.post(
        f"{API}/with-photos", {**data, "photos": [photo()]}, headers={"Idempotency-Key": "p-1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert CaseAttachment.objects.count() == 1
