"""Care over the API: stored rows and the HTTP status and body of each answer."""

import datetime as dt

from gongzhi.care.models import ScheduledState, ScheduledVisit, Visit, Wish
from gongzhi.care.tests.conftest import NOW
from gongzhi.cases.tests.api_support import post_json

API = "/api/v1/care"


def test_due_list_and_a_visit_over_the_api(care, people, login):
    client = login(people.gw_a)
    due = client.get(f"{API}/due?lng=112.41&lat=34.61").json()
    assert [i["resident"] for i in due["items"]] == ["李建国", "王秀英"]
    assert due["visits_this_year"] == 0
    body = {
        "client_id": "u-1",
        "resident_id": care.li.pk,
        "kind": "phone",
        "checklist": {"health": "ok"},
        "notes": "身体不错",
    }
    made = post_json(client, f"{API}/visits", body)
    assert made.status_code == 201, made.content
    again = post_json(client, f"{API}/visits", body)
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    assert made.json()["planned"] is True and Visit.objects.count() == 1
    history = client.get(f"{API}/residents/{care.li.pk}/visits").json()
    assert history["visits_this_year"] == 1 and history["items"][0]["nth_this_year"] == 1
    assert client.get(f"{API}/due").json()["visits_this_year"] == 1


def test_a_visit_in_the_future_is_400_and_stores_nothing(care, people, login):
    future = (NOW + dt.timedelta(days=1)).isoformat()
    response = post_json(
        login(people.gw_a),
        f"{API}/visits",
        {"client_id": "f", "resident_id": care.li.pk, "visited_at": future},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "visited_at" in response.json()["details"]
    assert not Visit.objects.exists()
    assert ScheduledVisit.objects.get(resident=care.li).state == ScheduledState.OPEN


def test_another_grids_resident_is_404(care, people, login):
    client = login(people.gw_b)
    assert client.get(f"{API}/residents/{care.li.pk}/visits").status_code == 404
    response = post_json(client, f"{API}/visits", {"client_id": "x", "resident_id": care.li.pk})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    visit = post_json(
        login(people.gw_a), f"{API}/visits", {"client_id": "y", "resident_id": care.li.pk}
    )
    assert visit.status_code == 201
    assert client.get(f"{API}/residents/{care.li.pk}/visits").status_code == 404
    assert [i["resident"] for i in client.get(f"{API}/due").json()["items"]] == ["赵大爷"]


def test_wish_review_claim_and_board_over_the_api(care, people, login):
    gw, cw = login(people.gw_a), login(people.community_worker)
    made = post_json(
        gw,
        f"{API}/wishes",
        {"resident_id": care.wang.pk, "text": "想要一台收音机", "source": "phone"},
    )
    assert made.status_code == 201 and made.json()["state"] == "collected"
    wid = made.json()["id"]
    assert (
        post_json(gw, f"{API}/wishes/{wid}/review", {"publish": False, "note": "x"}).status_code
        == 403
    )
    leak = post_json(
        cw,
        f"{API}/wishes/{wid}/review",
        {
            "publish": True,
            "public_title": "王秀英的收音机",
            "plan": "捐赠",
            "target_on": "2026-12-10",
        },
    )
    assert leak.status_code == 400 and "public_title" in leak.json()["details"]
    ok = post_json(
        cw,
        f"{API}/wishes/{wid}/review",
        {
            "publish": True,
            "public_title": "想要一台收音机",
            "plan": "捐赠",
            "target_on": "2026-12-10",
        },
    )
    assert ok.status_code == 200 and ok.json()["state"] == "published"
    board = gw.get(f"{API}/board").json()
    assert board == [
        {
            "id": wid,
            "title": "想要一台收音机",
            "community": "桂园社区",
            "target_on": "2026-12-10",
            "status": "open",
        }
    ]
    claimed = post_json(cw, f"{API}/wishes/{wid}/claim", {"partner": "暖心超市"})
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "暖心超市"
    second = post_json(cw, f"{API}/wishes/{wid}/claim", {"partner": "另一家"})
    assert second.status_code == 409 and second.json()["code"] == "already_claimed"
    early = post_json(cw, f"{API}/wishes/{wid}/confirm", {"how": "phone"})
    assert early.status_code == 409
    assert Wish.objects.get().state == "claimed"


def test_figures_over_the_api(care, people, login):
    post_json(login(people.gw_a), f"{API}/visits", {"client_id": "z", "resident_id": care.li.pk})
    body = (
        login(people.community_worker)
        .get(f"{API}/figures?unit={care.li.org_code[:12]}&start=2026-01-01&end=2026-12-31")
        .json()
    )
    assert body["total"]["visits"] == 1 and body["total"]["due"] == 3
    assert body["total"]["due_done"] == 1 and body["total"]["not_visited"] == 2
    grid_a = next(c for c in body["children"] if c["code"] == care.li.org_code)
    assert (grid_a["visits"], grid_a["due"]) == (1, 2)
    outside = login(people.gw_b).get(f"{API}/figures?unit={care.li.org_code[:12]}")
    assert outside.status_code == 404


def test_a_visit_with_photos_over_the_api(care, people, login):
    import json

    from gongzhi.care.tests.conftest import photo

    client = login(people.gw_a)
    payload = json.dumps({"client_id": "m-1", "resident_id": care.wang.pk, "kind": "home"})
    made = client.post(
        f"{API}/visits-with-photos", {"payload": payload, "photos": [photo(), photo("b.jpg")]}
    )
    assert made.status_code == 201, made.content
    assert Visit.objects.get().photos.count() == 2
    for bad in ("not json", "[" * 50_000 + "]" * 50_000, '{"client_id": ""}'):
        refused = client.post(f"{API}/visits-with-photos", {"payload": bad})
        assert refused.status_code in (400, 422) and refused.json()["code"]
    assert Visit.objects.count() == 1
