"""The area map and the boundary import page."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.core.models import AuditLog
from gongzhi.orgs.models import OrgUnit
from gongzhi.orgs.tests.conftest import BOXES, box, collection, feature

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.I)
ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](/static/[^"']+)["']""")


def _embedded(body: str) -> dict:
    m = re.search(r'<script id="area-geojson" type="application/json">(.*?)</script>', body, re.S)
    assert m, "the map's GeoJSON is not embedded"
    return json.loads(m.group(1))


def test_area_map__grid_worker_sees_own_grid_with_local_leaflet(people, bounded, login):
    response = login(people.gw_a).get("/area/map/")
    body = response.content.decode()
    assert response.status_code == 200
    codes = [f["properties"]["code"] for f in _embedded(body)["features"]]
    assert codes == [bounded.grid_a.code, bounded.micro_a1.code]
    assert bounded.grid_b.code not in body
    assert 'id="area-map"' in body and 'data-tile-url=""' in body
    assets = ASSET.findall(body)
    assert "/static/vendor/leaflet/leaflet.js" in assets
    assert "/static/vendor/leaflet/leaflet.css" in assets
    assert "/static/orgs/area_map.js" in assets
    assert not EXTERNAL.search(body), EXTERNAL.findall(body)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not served"


def test_area_map__leaflet_images_are_served_too():
    for name in ("layers.png", "layers-2x.png", "marker-icon.png"):
        assert finders.find(f"vendor/leaflet/images/{name}")


def test_area_map__community_outlines_for_higher_levels(people, bounded, login):
    features = _embedded(login(people.op_sub).get("/area/map/").content.decode())["features"]
    levels = {f["properties"]["code"]: f["properties"]["level"] for f in features}
    assert levels[bounded.community.code] == "community"
    assert levels[bounded.grid_c.code] == "grid"
    assert bounded.sub.code not in levels  # subdistricts and districts are not drawn


def test_area_map__tile_layer_only_when_configured(people, bounded, login, settings):
    settings.MAP_TILE_URL = "/tiles/{z}/{x}/{y}.png"
    body = login(people.gw_a).get("/area/map/").content.decode()
    assert 'data-tile-url="/tiles/{z}/{x}/{y}.png"' in body


def test_area_map__without_boundaries_says_so(people, tree, login):
    body = login(people.gw_a).get("/area/map/").content.decode()
    assert 'id="area-map"' not in body and "leaflet.js" not in body


def test_area_map__no_area_is_the_same_404_as_the_area_page(people, bounded, login):
    for who in (people.resident, people.nobody, people.handler):
        client = login(who)
        area, page = client.get("/area/"), client.get("/area/map/")
        assert page.status_code == area.status_code == 404
        assert page.content == area.content


def test_area_map__anonymous_is_sent_to_login(bounded, client):
    response = client.get("/area/map/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_area_map__query_count_does_not_grow_with_units(
    people, bounded, login, django_assert_max_num_queries
):
    for n in range(3, 40):
        OrgUnit.objects.create(
            code=f"{bounded.community.code}{n:03d}",
            name=f"第{n}网格",
            level="grid",
            parent=bounded.community,
            boundary=box(112.40, 34.60, 112.401, 34.601),
            boundary_bbox=[112.40, 34.60, 112.401, 34.601],
        )
    client = login(people.op_sub)
    # Session, user, positions (2), the scope roots, the units, the menu's unread count:
    # none per unit.
    with django_assert_max_num_queries(7):
        response = client.get("/area/map/")
    assert len(_embedded(response.content.decode())["features"]) == 6 + 37


def test_area_page__links_to_the_map_and_to_import_for_managers(people, tree, login):
    body = login(people.op_sub).get("/area/").content.decode()
    assert 'href="/area/map/"' in body and 'href="/area/boundaries/import/"' in body
    body = login(people.gw_a).get("/area/").content.decode()
    assert 'href="/area/map/"' in body and "/area/boundaries/import/" not in body


def test_import_page__grid_worker_gets_404(people, tree, login):
    client = login(people.gw_a)
    assert client.get("/area/boundaries/import/").status_code == 404
    upload = SimpleUploadedFile(
        "a.geojson", collection(feature(tree.grid_a.code, BOXES["grid_a"])).encode()
    )
    assert (
        client.post("/area/boundaries/import/", {"file": upload, "crs": "wgs84"}).status_code == 404
    )
    assert not OrgUnit.objects.filter(boundary__isnull=False).exists()


def test_import_page__imports_and_shows_the_report(people, tree, login):
    client = login(people.op_sub)
    page = client.get("/area/boundaries/import/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'value="gcj02"' in page
    data = collection(
        feature(tree.grid_a.code, BOXES["grid_a"]),
        feature(tree.grid_b.code, box(112.419, 34.60, 112.44, 34.64)),
    )
    response = client.post(
        "/area/boundaries/import/",
        {"file": SimpleUploadedFile("g.geojson", data.encode()), "crs": "wgs84"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="alert alert-success"' in body and 'class="issues issues-warn"' in body
    assert tree.grid_b.code in body
    assert OrgUnit.objects.filter(boundary__isnull=False).count() == 2
    assert AuditLog.objects.get().action == "orgs.boundaries_imported"


def test_import_page__problems_are_listed_and_nothing_is_saved(people, tree, login):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[112.40, 34.60], [112.42, 34.64], [112.42, 34.60], [112.40, 34.64], [112.40, 34.60]]
        ],
    }
    data = collection(
        feature(tree.grid_b.code, BOXES["grid_b"]), feature(tree.grid_a.code, bow_tie)
    )
    response = login(people.admin).post(
        "/area/boundaries/import/",
        {"file": SimpleUploadedFile("g.geojson", data.encode()), "crs": "wgs84"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'class="alert alert-error"' in body and "Self-intersection" in body
    assert tree.grid_a.code in body
    assert not OrgUnit.objects.filter(boundary__isnull=False).exists()
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("post", [{"crs": "wgs84"}, {}])
def test_import_page__missing_file_is_explained(people, tree, login, post):
    response = login(people.admin).post("/area/boundaries/import/", post)
    assert response.status_code == 400 and 'class="alert alert-error"' in response.content.decode()
