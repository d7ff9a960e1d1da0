"""The offline basemap: a GeoJSON import (kinds from OpenStreetMap's tags, a source
replaced whole, bad files changing nothing), the box query and its API, the management
command (audited), and the demo district's roads and building footprints."""

import json

import pytest
import shapely
from django.core.management import CommandError, call_command

from gongzhi.core.errors import Invalid
from gongzhi.core.models import AuditLog
from gongzhi.orgs import basemap, demo, geo
from gongzhi.orgs.models import MapFeature, OrgUnit


def line(*points, **props) -> dict:
    coordinates = [list(p) for p in points]
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "LineString", "coordinates": coordinates}}  # fmt: skip


def square(west, south, size, **props) -> dict:
    e, n = west + size, south + size
    ring = [[west, south], [e, south], [e, n], [west, n], [west, south]]
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip


def osm(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


CITY = osm(
    line((112.40, 34.60), (112.42, 34.60), highway="primary", name="明德路"),
    line((112.40, 34.61), (112.41, 34.61), highway="residential"),
    line((112.40, 34.612), (112.405, 34.612), highway="footway"),
    square(112.401, 34.601, 0.0004, building="yes", name="六安公寓1号楼"),
    square(112.402, 34.602, 0.001, leisure="park", name="口袋公园"),
    square(112.403, 34.603, 0.0005, natural="water"),
    square(112.404, 34.604, 0.0005, amenity="bench"),  # no kind drawn: skipped
    {"type": "Feature", "properties": ["not", "a", "dict"], "geometry": None},  # skipped
    line((112.40, 34.605), (112.41, 34.605), building="yes"),  # a building as a line: skipped
)


def test_import__kinds_from_the_tags_and_the_source_replaced_whole(db):
    done = basemap.import_geojson(CITY, source="osm-2026")
    assert (done.created, done.skipped) == (6, 3)
    kinds = dict(MapFeature.objects.values_list("name", "kind").filter(name__gt=""))
    assert kinds == {"明德路": "main_road", "六安公寓1号楼": "building", "口袋公园": "green"}
    assert set(MapFeature.objects.values_list("kind", flat=True)) == {
        "main_road",
        "road",
        "lane",
        "building",
        "green",
        "water",
    }
    road = MapFeature.objects.get(name="明德路")
    assert (road.west, road.south, road.east, road.north) == (112.40, 34.60, 112.42, 34.60)
    basemap.import_geojson(
        osm(line((112.40, 34.60), (112.5, 34.6), highway="trunk")), source="osm-2026"
    )
    basemap.import_geojson(CITY, source="survey")
    assert MapFeature.objects.filter(source="osm-2026").count() == 1
    assert MapFeature.objects.filter(source="survey").count() == 6


@pytest.mark.parametrize(
    "data, code",
    [
        ({"type": "Feature"}, "not_geojson"),
        ([1, 2], "not_geojson"),
        (osm(line((190, 34.6), (191, 34.6), highway="primary")), "out_of_range"),
        ({"type": "FeatureCollection", "features": "x"}, "not_geojson"),
    ],
)
def test_import__a_bad_file_changes_nothing(db, data, code):
    basemap.import_geojson(CITY, source="osm")
    with pytest.raises(Invalid) as exc:
        basemap.import_geojson(data, source="osm")
    assert exc.value.code == code
    assert MapFeature.objects.filter(source="osm").count() == 6


def test_import__gcj02_coordinates_are_brought_to_wgs84(db):
    basemap.import_geojson(osm(square(112.40, 34.60, 0.001, building="yes")), source="amap",
                           crs=geo.Crs.GCJ02)  # fmt: skip
    west = MapFeature.objects.get(source="amap").west
    assert 0.003 < 112.40 - west < 0.008  # GCJ-02 lies a few hundred metres east here


def test_box_query__buildings_from_zoom_15_and_the_cap(db, monkeypatch):
    basemap.import_geojson(CITY, source="osm")
    near = basemap.features_in(112.40, 34.60, 112.406, 34.606, 16)
    assert {f["properties"]["kind"] for f in near["features"]} >= {"building", "main_road"}
    far = basemap.features_in(112.40, 34.60, 112.406, 34.606, 13)
    assert "building" not in {f["properties"]["kind"] for f in far["features"]}
    elsewhere = basemap.features_in(113.0, 35.0, 113.1, 35.1, 16)
    assert elsewhere["features"] == [] and not elsewhere["truncated"]
    monkeypatch.setattr(basemap, "MAX_FEATURES", 2)
    capped = basemap.features_in(112.39, 34.59, 112.43, 34.62, 18)
    assert capped["truncated"] and len(capped["features"]) == 2
    assert capped["features"][0]["properties"]["kind"] == "main_road"  # roads first


def test_api__for_anyone_signed_in_and_bad_boxes_refused(people, login):
    basemap.import_geojson(CITY, source="osm")
    url = "/api/v1/orgs/basemap"
    r = login(people.resident).get(url, {"bbox": "112.39,34.59,112.43,34.62", "zoom": "16"})
    assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
    assert "明德路" in {f["properties"]["name"] for f in r.json()["features"]}
    for bad in ("", "1,2,3", "112.43,34.59,112.39,34.62", "a,b,c,d", "0,0,200,1"):
        r = login(people.gw_a).get(url, {"bbox": bad})
        assert r.status_code in (400, 422) and r.json()["code"] in ("invalid_bbox", "invalid")
    assert login(people.gw_a).get(url, {"bbox": "1,1,2,2", "zoom": "99"}).json()["code"] == (
        "invalid_zoom"
    )
    from django.test import Client

    assert Client().get(url, {"bbox": "112.39,34.59,112.43,34.62"}).status_code == 401


def test_command__imports_a_file_and_is_audited(db, tmp_path):
    path = tmp_path / "青禾区道路.geojson"
    path.write_text(json.dumps(CITY, ensure_ascii=False), encoding="utf-8")
    call_command("basemap_import", str(path))
    assert MapFeature.objects.filter(source="青禾区道路").count() == 6
    row = AuditLog.objects.get(action="orgs.basemap_imported")
    assert row.changes["features"] == 6 and row.changes["skipped"] == 3
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("basemap_import", str(broken))
    with pytest.raises(CommandError):
        call_command("basemap_import", str(tmp_path / "missing.geojson"))


def test_demo__roads_along_the_units_edges_and_each_building_at_its_point(db):
    demo.run(lambda _msg: None)
    district = OrgUnit.objects.get(code=demo.DISTRICT[0])
    grid = OrgUnit.objects.filter(code__within=district.code, level="grid").order_by("code")[0]
    inside = geo.from_geojson(grid.boundary).representative_point()
    buildings = [
        ("六安公寓1号楼", grid.code, inside.x, inside.y),
        ("六安公寓2号楼", grid.code, None, None),
    ]
    n = basemap.draw_demo(district, buildings)
    assert n == MapFeature.objects.filter(source="demo").count() > 40
    kinds = set(MapFeature.objects.values_list("kind", flat=True))
    assert {"main_road", "road", "green", "water", "building"} <= kinds
    first = MapFeature.objects.get(name="六安公寓1号楼")
    assert shapely.from_geojson(first.geometry).contains(inside)
    second = shapely.from_geojson(MapFeature.objects.get(name="六安公寓2号楼").geometry)
    assert geo.from_geojson(grid.boundary).contains(second)
    # Every main road runs along a shared edge inside the district, never its outline.
    outline = geo.from_geojson(district.boundary).boundary
    for road in MapFeature.objects.filter(kind="main_road"):
        assert not shapely.from_geojson(road.geometry).within(outline.buffer(1e-6))
    assert basemap.draw_demo(district, buildings) == n  # drawn again: replaced, not added
    assert MapFeature.objects.filter(source="demo").count() == n


def test_import__at_most_the_limit_of_features(db, monkeypatch):
    monkeypatch.setattr(basemap, "MAX_IMPORT", 2)
    with pytest.raises(Invalid) as exc:
        basemap.import_geojson(CITY, source="big")
    assert exc.value.code == "too_many_features" and not MapFeature.objects.exists()
