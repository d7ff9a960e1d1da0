import pytest

from gongzhi.accounts.models import Position
from gongzhi.core.roles import Role
from gongzhi.factories import UserFactory


def test_me__reports_roles_positions_and_scope(people, tree, login):
    body = login(people.gw_a).get("/api/v1/me").json()
    assert body["username"] == "gw_a" and body["roles"] == ["grid_worker"]
    assert body["scope_codes"] == [tree.grid_a.code] and body["scope_everything"] is False
    assert body["positions"][0]["org_unit_id"] == tree.grid_a.pk


def test_positions__grid_worker_sees_only_own_grid(people, tree, login):
    items = login(people.gw_a).get("/api/v1/positions").json()["items"]
    assert {p["user_id"] for p in items} == {
        people.gw_a.pk,
        people.building_head.pk,
        people.resident.pk,
    }
    assert all(p["org_code"].startswith(tree.grid_a.code) for p in items)


def test_positions__community_worker_sees_the_community(people, tree, login):
    items = login(people.community_worker).get("/api/v1/positions").json()["items"]
    assert {p["user_id"] for p in items} == {
        people.community_worker.pk,
        people.gw_a.pk,
        people.gw_b.pk,
        people.building_head.pk,
        people.resident.pk,
    }


def test_position_create__api_unit_that_does_not_exist(people, login):
    newcomer = UserFactory(username="newcomer")
    response = login(people.admin).post(
        "/api/v1/positions",
        {"user_id": newcomer.pk, "role": Role.GRID_WORKER, "org_unit_id": 424242},
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Position.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("actor", ["gw_a", "op_sub", "resident"])
def test_position_create__only_admins(people, tree, login, actor):
    newcomer = UserFactory(username="newcomer")
    response = login(getattr(people, actor)).post(
        "/api/v1/positions",
        {"user_id": newcomer.pk, "role": Role.GRID_WORKER, "org_unit_id": tree.grid_a.pk},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Position.objects.filter(user=newcomer).exists()


def test_position_end__other_grid_position_is_404(people, tree, login):
    other = people.gw_b.positions.get()
    response = login(people.gw_a).delete(f"/api/v1/positions/{other.pk}")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active
