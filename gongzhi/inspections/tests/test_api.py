"""The inspections API: each role's view, the phone's submission (JSON and multipart),
the stable error bodies, and the race of two workers on one task (PostgreSQL)."""

import json

from gongzhi.cases.tests.api_support import photo, post_json
from gongzhi.cases.tests.test_concurrency import postgres_only, threaded, together
from gongzhi.inspections import services
from gongzhi.inspections.models import InspectionResult, InspectionTask
from gongzhi.inspections.tests.conftest import TODAY

API = "/api/v1/inspections"
PASS = {"extinguisher": "pass", "exits": "pass"}


def test_a_grid_worker_lists_their_tasks_nearest_first(insp, people, login):
    client = login(people.gw_a)
    rows = client.get(f"{API}/tasks", {"lng": 112.42, "lat": 34.62}).json()
    names = [r["premises"]["name"] for r in rows]
    assert names[:2] == ["川味小馆", "老王杂货店"]  # the restaurant is where the phone is
    assert set(names) == {"川味小馆", "老王杂货店", "微网格便利店"}  # grid A and its micro-grid
    assert rows[0]["distance_m"] == 0.0 and rows[1]["distance_m"] > 1000
    assert all(r["overdue"] for r in rows)  # due ten days after 2026-05-04
    assert login(people.gw_b).get(f"{API}/tasks").json()[0]["premises"]["name"] == "阿香理发店"
    assert login(people.leader).get(f"{API}/tasks").json() == []  # sees, does not inspect


def test_a_task_answers_with_its_checklist_and_others_are_404(insp, people, login):
    task = insp.task(insp.food_a)
    body = login(people.gw_a).get(f"{API}/tasks/{task.pk}").json()
    assert body["template"] == "餐饮表" and body["version"] == 1
    assert [i["key"] for i in body["items"]] == ["gas_alarm", "gas_hose"]
    assert body["result"] is None
    response = login(people.gw_b).get(f"{API}/tasks/{task.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = post_json(login(people.gw_b), f"{API}/tasks/{task.pk}/result", {"client_id": "x"})
    assert response.status_code == 404
    assert not InspectionResult.objects.exists()


def test_the_phone_submits_json_then_resends_it(insp, people, login):
    client = login(people.gw_a)
    task = insp.task(insp.shop_a)
    payload = {
        "client_id": "7f9c-1", "answers": PASS, "lng": 112.41, "lat": 34.61,
        "device_at": "2026-05-04T09:30:00+08:00", "accuracy_m": 12,
    }  # fmt: skip
    first = post_json(client, f"{API}/tasks/{task.pk}/result", payload)
    assert first.status_code == 201, first.content
    again = post_json(client, f"{API}/tasks/{task.pk}/result", payload)
    assert again.status_code == 200 and again.json()["result"] == first.json()["result"]
    assert first.json()["result"]["passed"] is True and first.json()["state"] == "done"
    other = post_json(login(people.community_worker), f"{API}/tasks/{task.pk}/result",
                      {**payload, "client_id": "other"})  # fmt: skip
    assert other.status_code == 409 and other.json()["code"] == "already_inspected"
    assert InspectionResult.objects.count() == 1


def test_a_failed_item_without_its_photo_is_400_naming_it(insp, people, login):
    task = insp.task(insp.shop_a)
    response = post_json(login(people.gw_a), f"{API}/tasks/{task.pk}/result",
                         {"client_id": "a", "answers": {**PASS, "exits": "fail"}})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["details"] == {"answers.exits": ["不合格项须拍照留证。"]}
    assert not InspectionResult.objects.exists()


def test_multipart_with_photos_makes_the_hazard_case(insp, people, login):
    task = insp.task(insp.food_a)
    payload = {"client_id": "m1", "answers": {"gas_alarm": "fail", "gas_hose": "pass"}}
    response = login(people.gw_a).post(
        f"{API}/tasks/{task.pk}/result-with-photos",
        {"payload": json.dumps(payload), "photo_gas_alarm": photo()},
    )
    assert response.status_code == 201, response.content
    result = response.json()["result"]
    assert result["failed_keys"] == ["gas_alarm"] and result["hazard_case_number"]
    case = login(people.gw_a).get(f"/api/v1/cases/{result['hazard_case_id']}").json()
    assert case["kind"] == "hazard" and len(case["events"][0]["attachments"]) == 1
    assert case["details"]["premises"] == "川味小馆"
    # the case lists filter hazards by the kind's own filters
    listed = login(people.op_sub).get("/api/v1/cases", {"kind": "hazard", "f": "severity:high"})
    assert [c["id"] for c in listed.json()["items"]] == [result["hazard_case_id"]]


def test_campaigns_by_role(insp, people, tree, login):
    payload = {
        "unit_code": tree.community.code, "name": "回头看", "starts_on": str(TODAY),
        "ends_on": str(TODAY), "category_ids": [insp.shop_cat.pk],
    }  # fmt: skip
    mine = {**payload, "unit_code": tree.grid_a.code}  # sees the grid, may not run campaigns
    assert post_json(login(people.gw_a), f"{API}/campaigns", mine).status_code == 403
    made = post_json(login(people.community_worker), f"{API}/campaigns", payload)
    assert made.status_code == 201 and made.json()["rounds"] == []
    # a grid worker sees the subdistrict's campaign, with the figures of their own grid
    seen = login(people.gw_a).get(f"{API}/campaigns/{insp.campaign.pk}").json()
    assert seen["rounds"][0]["figures"]["tasks"] == 3
    assert [g["label"] for g in seen["by_grid"]] == ["桂园社区 第1网格"]
    whole = login(people.op_sub).get(f"{API}/campaigns/{insp.campaign.pk}").json()
    assert whole["rounds"][0]["figures"]["tasks"] == 5
    assert {c["label"]: c["tasks"] for c in whole["by_category"]} == {"沿街门店": 3, "餐饮场所": 2}
    other = _holder_elsewhere(tree)
    assert login(other).get(f"{API}/campaigns/{insp.campaign.pk}").status_code == 404


def _holder_elsewhere(tree):
    from gongzhi.conftest import _holder
    from gongzhi.core.roles import Role

    return _holder("op_sub2", Role.OPERATOR, unit=tree.sub2)


def test_rounds_over_the_api_are_idempotent(insp, people, login):
    client = login(people.op_sub)
    made = post_json(client, f"{API}/campaigns/{insp.campaign.pk}/rounds",
                     {"starts_on": str(TODAY), "due_on": str(TODAY)})  # fmt: skip
    assert made.status_code == 201 and made.json()["number"] == 2
    again = post_json(client, f"{API}/rounds/{made.json()['id']}/generate")
    assert again.json() == {"made": 0}
    assert InspectionTask.objects.filter(round_id=made.json()["id"]).count() == 5


@postgres_only
@threaded
def test_two_workers_submitting_one_task_one_wins(insp, people):
    task = insp.task(insp.shop_a)

    def by(user, client_id):
        return lambda: services.task_submit(
            actor=user, task_id=task.pk, client_id=client_id, answers=PASS | {"count": 2}
        )

    outcomes = together(by(people.gw_a, "a"), by(people.community_worker, "b"))
    kinds = sorted(o[0] for o in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(o[1] for o in outcomes if o[0] == "error")
    assert getattr(error, "code", "") == "already_inspected"
    assert InspectionResult.objects.filter(task=task).count() == 1


def test_a_malformed_multipart_payload_is_400_and_stores_nothing(insp, people, login):
    task = insp.task(insp.shop_a)
    url = f"{API}/tasks/{task.pk}/result-with-photos"
    for payload in ("not json", "[" * 50_000 + "]" * 50_000, '{"client_id": ""}'):
        response = login(people.gw_a).post(url, {"payload": payload})
        assert response.status_code in (400, 422), response.content[:200]
        assert response.json()["code"]
    assert not InspectionResult.objects.exists()
