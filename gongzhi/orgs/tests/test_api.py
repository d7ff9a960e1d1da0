"""The org API: scoped reads, checked writes, one error shape, cursor pages."""

import pytest

from gongzhi.core.models import AuditLog
from gongzhi.orgs.models import OrgUnit


def _json(client, method, path, payload=None):
    return getattr(client, method)(path, payload, content_type="application/json")


def test_units_list__grid_worker_sees_only_own_grid(people, tree, login):
    body = login(people.gw_a).get("/api/v1/orgs/units").json()
    assert [u["code"] for u in body["items"]] == [tree.grid_a.code, tree.micro_a1.code]
    assert body["next_cursor"] is None


def test_units_list__cursor_pages_cover_everything_once(people, tree, login):
    client = login(people.admin)
    seen, cursor = [], None
    while True:
        url = "/api/v1/orgs/units?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [u["code"] for u in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == list(OrgUnit.objects.order_by("code").values_list("code", flat=True))


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "cursor=%%%", "cursor=e30", "level=city"]
)
def test_units_list__bad_paging_gets_the_error_shape(people, login, query):
    response = login(people.admin).get(f"/api/v1/orgs/units?{query}")
    assert response.status_code in (400, 422)
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"]


def test_unit_detail__other_grid_is_404_like_a_missing_one(people, tree, login):
    client = login(people.gw_a)
    other = client.get(f"/api/v1/orgs/units/{tree.grid_b.pk}")
    missing = client.get("/api/v1/orgs/units/999999")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert other.json()["code"] == "not_found"


def test_unit_update__other_grid_is_404_and_unchanged(people, tree, login):
    response = _json(
        login(people.gw_a),
        "patch",
        f"/api/v1/orgs/units/{tree.grid_b.pk}",
        {"service_phone": "13900000000"},
    )
    assert response.status_code == 404
    tree.grid_b.refresh_from_db()
    assert tree.grid_b.service_phone == ""
    assert not AuditLog.objects.exists()


def test_unit_update__own_grid_service_card(people, tree, login):
    response = _json(
        login(people.gw_a),
        "patch",
        f"/api/v1/orgs/units/{tree.grid_a.pk}",
        {"service_phone": "13900000000", "introduction": "您好"},
    )
    assert response.status_code == 200
    assert response.json()["service_phone"] == "13900000000"


def test_unit_update__rename_needs_management(people, tree, login):
    response = _json(
        login(people.gw_a), "patch", f"/api/v1/orgs/units/{tree.grid_a.pk}", {"name": "改名"}
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = _json(
        login(people.op_sub), "patch", f"/api/v1/orgs/units/{tree.grid_a.pk}", {"name": "幸福网格"}
    )
    assert response.status_code == 200 and response.json()["name"] == "幸福网格"


def test_unit_update__empty_body_is_refused(people, tree, login):
    response = _json(login(people.gw_a), "patch", f"/api/v1/orgs/units/{tree.grid_a.pk}", {})
    assert response.status_code == 400 and response.json()["code"] == "empty_update"


def test_unit_create__through_the_api(people, tree, login):
    client = login(people.op_sub)
    response = _json(
        client,
        "post",
        "/api/v1/orgs/units",
        {"parent_id": tree.community.pk, "code": "990101001001003", "name": "第3网格"},
    )
    assert response.status_code == 201 and response.json()["level"] == "grid"
    dup = _json(
        client,
        "post",
        "/api/v1/orgs/units",
        {"parent_id": tree.community.pk, "code": "990101001001003", "name": "另一个"},
    )
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_code"
    bad = _json(
        client,
        "post",
        "/api/v1/orgs/units",
        {"parent_id": tree.community.pk, "code": "990101009001003", "name": "错的"},
    )
    assert (
        bad.status_code == 400
        and bad.json()["code"] == "invalid"
        and "code" in bad.json()["details"]
    )
    outside = _json(
        client,
        "post",
        "/api/v1/orgs/units",
        {"parent_id": tree.sub2.pk, "code": "990101002001", "name": "外"},
    )
    assert outside.status_code == 404
    huge = _json(
        client,
        "post",
        "/api/v1/orgs/units",
        {"parent_id": tree.community.pk, "code": "9" * 5000, "name": "长"},
    )
    assert huge.status_code == 422 and huge.json()["code"] == "validation_error"
    assert OrgUnit.objects.filter(parent=tree.community).count() == 3


def test_unit_create__malformed_json_is_a_clear_error(people, login):
    response = login(people.admin).post(
        "/api/v1/orgs/units", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "details"}


def test_api__anonymous_gets_401_in_the_error_shape(tree):
    from django.test import Client

    response = Client().get("/api/v1/orgs/units")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_api__session_writes_need_csrf(people, tree):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people.gw_a)
    response = client.patch(
        f"/api/v1/orgs/units/{tree.grid_a.pk}",
        {"service_phone": "13900000000"},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    tree.grid_a.refresh_from_db()
    assert tree.grid_a.service_phone == ""


def test_departments__visible_to_staff_of_the_district_and_own_handler(people, tree, login):
    codes = [d["code"] for d in login(people.op_sub).get("/api/v1/orgs/departments").json()]
    assert codes == ["990101-CG", "990101-SJ"]
    codes = [d["code"] for d in login(people.handler).get("/api/v1/orgs/departments").json()]
    assert codes == ["990101-CG"]
    assert login(people.resident).get("/api/v1/orgs/departments").json() == []


def test_list_queries_are_bounded(people, tree, login, django_assert_max_num_queries):
    client = login(people.admin)
    with django_assert_max_num_queries(6):
        client.get("/api/v1/orgs/units?limit=200")
