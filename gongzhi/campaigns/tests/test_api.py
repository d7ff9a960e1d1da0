"""The campaigns API: hotspots, open, add cases, close — with the errors' codes, the
audit rows, and the side effects of refused calls (none)."""

import pytest

from gongzhi.campaigns.models import Campaign, CampaignCase
from gongzhi.core.models import AuditLog

from .test_services import state

API = "/api/v1/campaigns"


def post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


@pytest.fixture
def opened(scene, tree, people, login):
    client = login(people.op_sub)
    r = post(
        client,
        API,
        {"name": "第1网格杂物清理", "unit": tree.grid_a.code, "category_id": scene.x.pk,
         "hotspot": "近7天5件", "with_recent_cases": True},
    )  # fmt: skip
    assert r.status_code == 201, r.content
    return r.json()


def test_hotspots_api(scene, tree, people, login):
    r = login(people.leader).get(f"{API}/hotspots?unit={tree.sub.code}")
    assert r.status_code == 200
    body = r.json()
    assert body["window_start"] == "2026-03-25" and body["window_end"] == "2026-03-31"
    top = body["items"][0]
    assert (top["level"], top["area_code"], top["category_id"]) == (
        "grid", tree.grid_a.code, scene.x.pk,
    )  # fmt: skip
    assert top["recent"] == 5 and top["case_total"] == 5 and len(top["case_ids"]) == 5
    assert {i["level"] for i in body["items"]} == {"grid", "community", "building"}


def test_hotspots_api__scope_and_permission(scene, tree, people, login):
    r = login(people.op_sub).get(f"{API}/hotspots?unit={tree.sub2.code}")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = login(people.gw_a).get(f"{API}/hotspots?unit={tree.grid_a.code}")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert login(people.op_sub).get(f"{API}/hotspots").status_code == 422


def test_open_add_close_through_the_api(opened, scene, people, login):
    client = login(people.op_sub)
    pk = opened["id"]
    assert opened["progress"]["total"] == 5 and opened["state"] == "open"
    assert [w["after"] for w in opened["effect"]] == [False] * 8
    r = post(client, f"{API}/{pk}/cases", {"numbers": [scene.a_old.number]})
    assert r.status_code == 200 and r.json()["added"] == 1
    assert r.json()["campaign"]["progress"]["total"] == 6
    r = post(client, f"{API}/{pk}/close", {"summary": "已全部清理"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert r.json()["summary"] == "已全部清理"
    actions = list(
        AuditLog.objects.filter(object_type="campaigns.campaign", object_id=str(pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["campaign.open", "campaign.add_cases", "campaign.close"]
    r = client.get(f"{API}/{pk}")
    assert r.status_code == 200 and r.json()["case_total"] == 6
    r = client.get(f"{API}?state=closed")
    assert [c["id"] for c in r.json()] == [pk]
    assert client.get(f"{API}?state=open").json() == []


@pytest.mark.parametrize(
    ("path", "payload", "status", "code"),
    [
        ("/cases", {"numbers": ["SJ20260331999999"]}, 400, "unknown_case"),
        ("/cases", {"numbers": []}, 400, "no_cases"),
        ("/cases", {"numbers": ["@duplicate"]}, 400, "duplicate_case"),
        ("/cases", {"numbers": ["@outside_area"]}, 400, "case_outside_area"),
        ("/cases", {"numbers": ["@outside_scope"]}, 400, "unknown_case"),
        ("/close", {"summary": " "}, 400, "invalid"),
    ],
)
def test_bad_input_changes_nothing(opened, scene, people, login, path, payload, status, code):
    numbers = {
        "@duplicate": scene.a_new[0].number,
        "@outside_area": scene.b_cases[0].number,
        "@outside_scope": scene.x_cases[0].number,
    }
    if "numbers" in payload:
        payload = {"numbers": [numbers.get(n, n) for n in payload["numbers"]]}
    before = state()
    r = post(login(people.op_sub), f"{API}/{opened['id']}{path}", payload)
    assert (r.status_code, r.json()["code"]) == (status, code), r.content
    assert r.json()["message"]
    assert state() == before


def test_open__empty_name_and_bad_unit(scene, tree, people, login):
    client = login(people.op_sub)
    before = state()
    r = post(client, API, {"name": "", "unit": tree.grid_a.code})
    assert (r.status_code, r.json()["code"]) == (400, "invalid")
    assert "name" in r.json()["details"]
    r = post(client, API, {"name": "专项", "unit": tree.sub2.code})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert state() == before


def test_closed_campaign_refuses_changes(opened, scene, people, login):
    client = login(people.op_sub)
    pk = opened["id"]
    assert post(client, f"{API}/{pk}/close", {"summary": "结束"}).status_code == 200
    before = state()
    for path, payload in (
        ("/close", {"summary": "再次"}),
        ("/cases", {"numbers": [scene.a_old.number]}),
        (f"/cases/{scene.a_new[0].pk}/remove", {}),
    ):
        r = post(client, f"{API}/{pk}{path}", payload)
        assert (r.status_code, r.json()["code"]) == (409, "campaign_closed")
    assert state() == before


def test_permissions(opened, scene, tree, people, login):
    pk = opened["id"]
    leader = login(people.leader)
    assert leader.get(f"{API}/{pk}").status_code == 200
    before = state()
    r = post(leader, f"{API}/{pk}/close", {"summary": "结束"})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = post(leader, API, {"name": "专项", "unit": tree.sub.code})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    grid = login(people.gw_a)
    for r in (
        grid.get(f"{API}/{pk}"),
        grid.get(API),
        post(grid, f"{API}/{pk}/close", {"summary": "结束"}),
        post(grid, f"{API}/{pk}/cases", {"numbers": [scene.a_old.number]}),
    ):
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = login(people.op_sub).get(f"{API}/987654")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert state() == before
    assert Campaign.objects.count() == 1 and CampaignCase.objects.count() == 5


def test_api_query_counts(opened, scene, tree, people, login, django_assert_max_num_queries):
    client = login(people.op_sub)
    client.get(API)
    with django_assert_max_num_queries(10):
        assert client.get(API).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"{API}/{opened['id']}").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(f"{API}/hotspots?unit={tree.sub.code}").status_code == 200
