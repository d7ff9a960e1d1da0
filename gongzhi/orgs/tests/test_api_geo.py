"""The boundary, GeoJSON and locate endpoints: scoped, one error shape, bounded queries."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongzhi.core.models import AuditLog
from gongzhi.orgs.models import OrgUnit
from gongzhi.orgs.services import boundaries as boundaries_module
from gongzhi.orgs.tests.conftest import BOXES, box, collection, feature


def _bounded_count():
    return OrgUnit.objects.filter(boundary__isnull=False).count()


def test_boundaries_post__json_body(people, tree, login):
    body = collection(
        feature(tree.grid_a.code, BOXES["grid_a"]), feature(tree.grid_b.code, BOXES["grid_b"])
    )
    response = login(people.op_sub).post(
        "/api/v1/orgs/boundaries", body, content_type="application/geo+json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["imported"], data["added"], data["replaced"]) == (2, 2, 0)
    assert data["by_level"] == {"grid": 2} and data["warnings"] == [] and data["crs"] == "wgs84"
    assert _bounded_count() == 2
    assert AuditLog.objects.get().action == "orgs.boundaries_imported"


def test_boundaries_post__multipart_file_with_crs(people, tree, login):
    upload = SimpleUploadedFile(
        "grids.geojson",
        collection(feature(tree.grid_a.code, BOXES["grid_a"])).encode(),
        content_type="application/geo+json",
    )
    response = login(people.admin).post("/api/v1/orgs/boundaries?crs=gcj02", {"file": upload})
    assert response.status_code == 200, response.content
    assert response.json()["crs"] == "gcj02"
    tree.grid_a.refresh_from_db()
    assert tree.grid_a.boundary_bbox[0] != pytest.approx(112.40, abs=1e-4)  # shifted back


def test_boundaries_post__bad_feature_lists_details_and_changes_nothing(people, tree, login):
    body = collection(
        feature(tree.grid_a.code, BOXES["grid_a"]),
        feature(tree.grid_b.code, {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
    )
    response = login(people.admin).post(
        "/api/v1/orgs/boundaries", body, content_type="application/json"
    )
    assert response.status_code == 400
    data = response.json()
    assert set(data) == {"code", "message", "details"} and data["code"] == "invalid_geojson"
    assert data["details"] == [
        {
            "index": 1,
            "code": tree.grid_b.code,
            "reason": "wrong_geometry_type",
            "message": data["details"][0]["message"],
        }
    ]
    assert _bounded_count() == 0 and not AuditLog.objects.exists()


def test_boundaries_post__grid_worker_gets_403_and_nothing_is_written(people, tree, login):
    response = login(people.gw_a).post(
        "/api/v1/orgs/boundaries",
        collection(feature(tree.grid_a.code, BOXES["grid_a"])),
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert _bounded_count() == 0 and not AuditLog.objects.exists()


def test_boundaries_post__anonymous_gets_401(tree):
    response = Client().post("/api/v1/orgs/boundaries", "{}", content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize("query", ["crs=wgs1984", "crs="])
def test_boundaries_post__unknown_crs_is_a_validation_error(people, tree, login, query):
    response = login(people.admin).post(
        f"/api/v1/orgs/boundaries?{query}",
        collection(feature(tree.grid_a.code, BOXES["grid_a"])),
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_boundaries_post__multipart_without_file_is_explained(people, tree, login):
    response = login(people.admin).post("/api/v1/orgs/boundaries", {"other": "x"})
    assert response.status_code == 400 and response.json()["code"] == "missing_file"


def test_boundaries_post__too_large_is_413(people, tree, login, monkeypatch):
    monkeypatch.setattr(boundaries_module, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr("gongzhi.orgs.services.MAX_UPLOAD_BYTES", 1000)
    body = collection(*[feature(tree.grid_a.code, BOXES["grid_a"])] * 10)
    response = login(people.admin).post(
        "/api/v1/orgs/boundaries", body, content_type="application/json"
    )
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    upload = SimpleUploadedFile("big.geojson", body.encode())
    response = login(people.admin).post("/api/v1/orgs/boundaries", {"file": upload})
    assert response.status_code == 413
    assert _bounded_count() == 0


def test_units_geojson__grid_worker_gets_own_grid_and_micro_grids(people, bounded, login):
    response = login(people.gw_a).get("/api/v1/orgs/units/geojson")
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in data["features"]] == [
        bounded.grid_a.code,
        bounded.micro_a1.code,
    ]
    first = data["features"][0]
    assert first["type"] == "Feature" and first["id"] == bounded.grid_a.pk
    assert first["properties"] == {
        "id": bounded.grid_a.pk,
        "code": bounded.grid_a.code,
        "name": bounded.grid_a.name,
        "level": "grid",
        "level_label": first["properties"]["level_label"],
    }
    assert first["geometry"] == BOXES["grid_a"]
    assert data["bbox"] == pytest.approx([112.40, 34.60, 112.42, 34.64])


def test_units_geojson__filters_by_level_and_within(people, bounded, login):
    client = login(people.admin)
    codes = lambda url: [f["properties"]["code"] for f in client.get(url).json()["features"]]  # noqa: E731
    assert codes("/api/v1/orgs/units/geojson?level=grid") == [
        bounded.grid_a.code,
        bounded.grid_b.code,
        bounded.grid_c.code,
    ]
    assert codes(
        f"/api/v1/orgs/units/geojson?within={bounded.community.code}&level=grid&level=microgrid"
    ) == [bounded.grid_a.code, bounded.micro_a1.code, bounded.grid_b.code]
    assert codes("/api/v1/orgs/units/geojson?within=990102") == []


def test_units_geojson__units_without_boundary_or_outside_scope_are_left_out(people, tree, login):
    OrgUnit.objects.filter(pk=tree.grid_b.pk).update(boundary=BOXES["grid_b"])
    data = login(people.gw_a).get("/api/v1/orgs/units/geojson").json()
    assert data == {"type": "FeatureCollection", "bbox": None, "features": []}


def test_units_geojson__query_count_is_bounded(
    people, bounded, login, django_assert_max_num_queries
):
    for n in range(3, 30):
        OrgUnit.objects.create(
            code=f"{bounded.community.code}{n:03d}",
            name=f"第{n}网格",
            level="grid",
            parent=bounded.community,
            boundary=box(112.40, 34.60, 112.401, 34.601),
            boundary_bbox=[112.40, 34.60, 112.401, 34.601],
        )
    client = login(people.admin)
    # Session, user, positions (2), then one query for the units however many.
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/orgs/units/geojson")
    assert len(response.json()["features"]) == 6 + 27


def test_locate__inside_own_grid(people, bounded, login):
    response = login(people.gw_a).get("/api/v1/orgs/locate?lng=112.405&lat=34.61")
    assert response.status_code == 200
    assert response.json() == {
        "code": bounded.micro_a1.code,
        "unit_id": bounded.micro_a1.pk,
        "name": bounded.micro_a1.name,
        "level": "microgrid",
    }


def test_locate__other_grid_is_the_same_404_as_nowhere(people, bounded, login):
    client = login(people.gw_a)
    other = client.get("/api/v1/orgs/locate?lng=112.43&lat=34.62")  # grid B
    nowhere = client.get("/api/v1/orgs/locate?lng=100.0&lat=30.0")
    assert other.status_code == nowhere.status_code == 404
    assert other.json() == nowhere.json()
    assert other.json()["code"] == "not_found"
    # Grid B's own worker is answered.
    assert login(people.gw_b).get("/api/v1/orgs/locate?lng=112.43&lat=34.62").json()["code"] == (
        bounded.grid_b.code
    )


def test_locate__the_community_sees_its_grids_and_the_resident_nothing(people, bounded, login):
    url = "/api/v1/orgs/locate?lng=112.43&lat=34.62"
    assert login(people.community_worker).get(url).json()["code"] == bounded.grid_b.code
    assert login(people.resident).get(url).status_code == 404
    assert login(people.handler).get(url).status_code == 404


def test_locate__gcj02_point(people, bounded, login):
    import prcoords

    c = prcoords.wgs_gcj(prcoords.Coords(34.63, 112.439))
    response = login(people.admin).get(f"/api/v1/orgs/locate?lng={c.lon}&lat={c.lat}&crs=gcj02")
    assert response.json()["code"] == bounded.grid_b.code


@pytest.mark.parametrize("query", ["lng=200&lat=34", "lng=112&lat=-91", "lng=x&lat=1", "lat=1"])
def test_locate__bad_coordinates_are_422(people, bounded, login, query):
    response = login(people.admin).get(f"/api/v1/orgs/locate?{query}")
    assert response.status_code == 422
    assert json.loads(response.content)["code"] == "validation_error"
