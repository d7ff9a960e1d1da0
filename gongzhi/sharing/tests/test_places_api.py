"""The set-up API: status codes and bodies (the error shape of core.http.api_errors)."""

import json

from gongzhi.sharing.models import Room, ToolCategory
from gongzhi.sharing.tests.test_places_pages import jpeg


def post(client, url, body, method="post"):
    r = getattr(client, method)(url, json.dumps(body), content_type="application/json")
    return r.status_code, r.json()


def test_api_rooms(world, people, login, tree):
    cw = login(people.community_worker)
    status, body = post(
        cw, "/api/v1/sharing/rooms",
        {"org_unit_id": tree.community.pk, "name": "书画室", "capacity": 16, "opens_at": "09:00",
         "closes_at": "20:00", "weekdays": "01234", "min_minutes": 60, "max_minutes": 120},
    )  # fmt: skip
    assert status == 200, body
    assert (body["name"], body["capacity"], body["weekdays"], body["is_active"]) == (
        "书画室", 16, "01234", True,
    )  # fmt: skip
    room_id = body["id"]
    status, body = post(cw, f"/api/v1/sharing/rooms/{room_id}", {"min_minutes": 150}, "patch")
    assert status == 400 and body["code"] == "invalid" and "min_minutes" in body["details"]
    status, body = post(cw, f"/api/v1/sharing/rooms/{room_id}", {"capacity": -1}, "patch")
    assert status == 422 and body["code"] == "validation_error"
    status, body = post(cw, f"/api/v1/sharing/rooms/{room_id}", {"name": "文体活动室"}, "patch")
    assert status == 400 and body["code"] == "duplicate"
    status, body = post(
        cw, "/api/v1/sharing/rooms", {"org_unit_id": tree.community2.pk, "name": "调解室二"}
    )
    assert status == 400 and list(body["details"]) == ["org_unit"]
    status, body = post(
        cw, f"/api/v1/sharing/rooms/{room_id}", {"is_active": False, "location": "二楼"}, "patch"
    )
    assert status == 200 and (body["is_active"], body["location"]) == (False, "二楼")
    assert post(login(people.leader), f"/api/v1/sharing/rooms/{room_id}", {}, "patch")[0] == 403
    assert post(login(people.gw_a), f"/api/v1/sharing/rooms/{room_id}", {}, "patch")[0] == 404
    assert Room.objects.get(pk=room_id).capacity == 16


def test_api_huts_categories_and_items(world, people, login, tree):
    cw = login(people.community_worker)
    status, hut = post(
        cw,
        "/api/v1/sharing/huts",
        {"org_unit_id": tree.community.pk, "name": "二号小屋", "keepers": ["gw_a"]},
    )
    assert status == 200 and hut["keepers"] == ["gw_a"] and hut["hold_days"] == 2
    status, body = post(cw, f"/api/v1/sharing/huts/{hut['id']}", {"keepers": ["nobody"]}, "patch")
    assert status == 400 and "keepers" in body["details"]
    status, cat = post(
        cw,
        f"/api/v1/sharing/huts/{hut['id']}/categories",
        {"name": "电动工具", "deposit_yuan": 100, "needs_training": True},
    )
    assert status == 200 and (cat["deposit_yuan"], cat["needs_training"]) == (100, True)
    status, body = post(
        cw,
        f"/api/v1/sharing/huts/{hut['id']}/items",
        {"category_id": world.drills.pk, "number": "A1", "name": "电钻"},
    )
    assert status == 400 and "category" in body["details"]  # the other hut's category
    status, item = post(
        cw,
        f"/api/v1/sharing/huts/{hut['id']}/items",
        {"category_id": cat["id"], "number": "A1", "name": "电钻"},
    )
    assert status == 200 and (item["condition"], item["has_photo"]) == ("good", False)
    r = cw.post(f"/api/v1/sharing/items/{item['id']}/photo", {"photo": jpeg()})
    assert r.status_code == 200 and r.json()["has_photo"] is True
    status, body = post(cw, f"/api/v1/sharing/items/{item['id']}", {"condition": "new"}, "patch")
    assert status == 400 and "condition" in body["details"]
    status, body = post(cw, f"/api/v1/sharing/items/{item['id']}/retire", {"reason": "报废"})
    assert status == 200 and body["is_active"] is False
    assert post(cw, f"/api/v1/sharing/items/{item['id']}/retire", {})[0] == 404
    assert (
        post(login(people.leader), f"/api/v1/sharing/huts/{hut['id']}/categories", {"name": "x"})[0]
        == 403
    )
    assert ToolCategory.objects.filter(hut_id=hut["id"]).count() == 1
