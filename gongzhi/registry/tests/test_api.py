import pytest

from gongzhi.core.models import AuditLog
from gongzhi.registry.models import Resident
from gongzhi.registry.tests.conftest import ID_A, make_id


def _post(client, path, payload):
    return client.post(path, payload, content_type="application/json")


def test_residents_list__masked_and_scoped(places, people, login):
    body = login(people.gw_a).get("/api/v1/registry/residents").json()
    assert [r["name"] for r in body["items"]] == ["李大爷"]
    item = body["items"][0]
    assert item["phone_masked"] == "138****5678" and "id_number" not in item
    assert ID_A not in str(body) and "13812345678" not in str(body)
    assert item["tags"] == ["老年人"]


def test_residents_list__numbers_in_the_note_are_masked(places, people, login):
    Resident.objects.filter(pk=places.resident_a.pk).update(note="儿子 +86 139 0000 2222")
    (item,) = login(people.gw_a).get("/api/v1/registry/residents").json()["items"]
    assert item["note"] == "儿子 139****2222"


def test_resident_detail__other_grid_is_the_same_404_as_missing(places, people, login):
    client = login(people.gw_a)
    other = client.get(f"/api/v1/registry/residents/{places.resident_b.pk}")
    missing = client.get("/api/v1/registry/residents/987654")
    assert other.status_code == missing.status_code == 404 and other.json() == missing.json()


def test_reveal__allowed_returns_value_and_audits(places, people, login):
    response = _post(
        login(people.gw_a),
        f"/api/v1/registry/residents/{places.resident_a.pk}/reveal",
        {"field": "id_number"},
    )
    assert response.status_code == 200 and response.json() == {"field": "id_number", "value": ID_A}
    assert AuditLog.objects.filter(action="registry.pii_revealed", actor=people.gw_a).count() == 1


def test_reveal__leader_gets_403_and_nothing_is_audited(places, people, login):
    response = _post(
        login(people.leader),
        f"/api/v1/registry/residents/{places.resident_a.pk}/reveal",
        {"field": "phone"},
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not AuditLog.objects.filter(action="registry.pii_revealed").exists()


def test_reveal__other_grid_is_404(places, people, login):
    response = _post(
        login(people.gw_b),
        f"/api/v1/registry/residents/{places.resident_a.pk}/reveal",
        {"field": "phone"},
    )
    assert response.status_code == 404


def test_resident_create__through_the_api(places, people, login):
    client = login(people.gw_a)
    number = make_id("41030220000303123")
    response = _post(
        client,
        "/api/v1/registry/residents",
        {
            "name": "新居民",
            "id_number": number,
            "phone": "13700001111",
            "building_id": places.building_a.pk,
            "room": "402",
        },
    )
    assert response.status_code == 201, response.json()
    assert (
        response.json()["id_number_masked"].startswith("4103")
        and response.json()["birth_date"] == "2000-03-03"
    )
    dup = _post(
        client,
        "/api/v1/registry/residents",
        {"name": "重复", "id_number": number, "grid_id": places.building_a.grid_id},
    )
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_id_number"
    bad = _post(
        client,
        "/api/v1/registry/residents",
        {
            "name": "错号",
            "id_number": number[:-1] + "0" if number[-1] != "0" else number[:-1] + "1",
            "grid_id": places.building_a.grid_id,
        },
    )
    assert bad.status_code == 400 and "id_number" in bad.json()["details"]
    outside = _post(
        client, "/api/v1/registry/residents", {"name": "外人", "grid_id": places.building_b.grid_id}
    )
    assert outside.status_code == 404
    assert Resident.objects.filter(name__in=["重复", "错号", "外人"]).count() == 0


@pytest.mark.parametrize(
    "payload", [{}, {"name": "x" * 51, "grid_id": 1}, {"name": "x", "grid_id": "abc"}]
)
def test_resident_create__malformed_is_422(places, people, login, payload):
    response = _post(login(people.gw_a), "/api/v1/registry/residents", payload)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_stats__per_grid(places, people, login):
    body = login(people.community_worker).get("/api/v1/registry/stats").json()
    assert {r["code"] for r in body} == {places.building_a.org_code, places.building_b.org_code}


def test_list_query_counts_are_bounded(places, people, login, django_assert_max_num_queries):
    client = login(people.community_worker)
    with django_assert_max_num_queries(6):
        client.get("/api/v1/registry/residents?limit=200")
    with django_assert_max_num_queries(6):
        client.get("/api/v1/registry/buildings?limit=200")
    with django_assert_max_num_queries(6):
        client.get("/api/v1/registry/premises?limit=200")
