"""Volunteers and patrols over the API: the stored rows, and each refusal's status and
stable code with a message, changing nothing."""

import datetime as dt

from django.utils import timezone

from gongzhi.cases.tests.api_support import post_json
from gongzhi.patrols.models import Patrol
from gongzhi.volunteers.models import Activity, Participation, Partner

API = "/api/v1/volunteers"
USCC = "91110108551385082Q"


def test_activities_sign_ups_and_refusals(vol, people, tree, login):
    client = login(people.community_worker)
    start = timezone.now() + dt.timedelta(days=3)
    made = post_json(client, f"{API}/activities", {
        "unit": tree.community.code, "title": "法治宣传", "kind": "law", "place": "广场",
        "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": 1,
    })  # fmt: skip
    assert made.status_code == 201, made.content
    activity = made.json()["id"]
    first = post_json(client, f"{API}/activities/{activity}/signups", {"volunteer_id": vol.v[0].pk})
    second = post_json(
        client, f"{API}/activities/{activity}/signups", {"volunteer_id": vol.v[1].pk}
    )
    assert (first.json()["state"], second.json()["state"]) == ("confirmed", "waiting")
    again = post_json(client, f"{API}/activities/{activity}/signups", {"volunteer_id": vol.v[0].pk})
    assert again.status_code == 409
    assert again.json()["code"] == "already_signed_up" and again.json()["message"]
    early = post_json(client, f"{API}/activities/{activity}/checks",
                      {"card": vol.v[0].card_token, "direction": "out"})  # fmt: skip
    assert early.status_code == 409 and early.json()["code"] == "not_open"
    assert Participation.objects.filter(checked_in_at__isnull=False).count() == 0
    listed = client.get(f"{API}/activities").json()["items"]
    assert {a["title"] for a in listed} == {"法治宣传", "文明督导"}
    volunteers = client.get(f"{API}/volunteers").json()["items"]
    assert len(volunteers) == 6 and all("****" in v["phone_masked"] for v in volunteers)
    assert "phone" not in volunteers[0] and "phone_enc" not in volunteers[0]


def test_outside_the_area_is_404_and_without_permission_403(vol, people, tree, login):
    handler = post_json(login(people.handler), f"{API}/activities/{vol.activity.pk}/signups",
                        {"volunteer_id": vol.v[0].pk})  # fmt: skip
    assert handler.status_code == 404 and handler.json()["code"] == "not_found"
    leader = post_json(login(people.leader), f"{API}/activities/{vol.activity.pk}/signups",
                       {"volunteer_id": vol.v[0].pk})  # fmt: skip
    assert leader.status_code == 403 and leader.json()["code"] == "forbidden"
    assert Participation.objects.count() == 0
    assert login(people.handler).get(f"{API}/volunteers").json()["items"] == []


def test_partners_code_checked_and_unique(people, tree, login):
    client = login(people.community_worker)
    body = {"unit": tree.community.code, "kind": "institution", "name": "区医院", "uscc": USCC}
    assert post_json(client, f"{API}/partners", body).status_code == 201
    twice = post_json(client, f"{API}/partners", {**body, "name": "另一家"})
    assert twice.status_code == 400 and "uscc" in twice.json()["details"]
    bad = post_json(client, f"{API}/partners", {**body, "uscc": "91110108551385083Q"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert Partner.objects.count() == 1


def test_figures_and_patrols_months(vol, people, tree, login):
    client = login(people.op_sub)
    today = timezone.localdate()
    figures = client.get(f"{API}/figures", {"unit": tree.sub.code, "start": f"{today.year}-01-01",
                                            "end": f"{today.year}-12-31"})  # fmt: skip
    assert figures.status_code == 200
    assert figures.json()["total"]["activities"] == Activity.objects.count() == 1
    bad = client.get(f"{API}/figures", {"unit": tree.sub.code, "start": "2026-13-01", "end": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_period"
    gw = login(people.gw_a)
    made = post_json(gw, "/api/v1/patrols/", {"unit": tree.grid_a.code, "route": ["1号楼"]})
    assert made.status_code == 201
    point = post_json(gw, f"/api/v1/patrols/{made.json()['id']}/checkpoints",
                      {"name": "1号楼", "lng": 116.4, "lat": 39.9})  # fmt: skip
    assert point.status_code == 201
    months = gw.get("/api/v1/patrols/months", {"unit": tree.grid_a.code,
                                               "start": f"{today.year}-01-01",
                                               "end": f"{today.year}-12-31"}).json()  # fmt: skip
    assert sum(m["patrols"] for m in months) == Patrol.objects.count() == 1
