"""The demo district's boundaries: valid, nested, passing the import's own checks, stable."""

import json

import shapely

from gongzhi.accounts.models import User
from gongzhi.orgs import demo, geo, locator
from gongzhi.orgs.models import OrgUnit
from gongzhi.orgs.services import org_boundaries_import


def _run():
    demo.run(lambda _msg: None)


def test_demo__every_unit_has_a_valid_boundary_inside_its_parent(db):
    _run()
    units = {u.code: u for u in OrgUnit.objects.filter(code__within=demo.DISTRICT[0])}
    assert len(units) == 1 + 2 + 6 + 40 + OrgUnit.objects.filter(level="microgrid").count()
    for unit in units.values():
        geom = geo.from_geojson(unit.boundary)
        assert geom.is_valid and geom.geom_type == "Polygon" and geom.area > 0, unit.code
        assert unit.boundary_bbox == list(geom.bounds)
        if unit.parent_id:
            parent = next(u for u in units.values() if u.pk == unit.parent_id)
            outer = geo.from_geojson(parent.boundary).buffer(geo.NESTING_TOLERANCE)
            assert outer.covers(geom), unit.code
    district = geo.from_geojson(units[demo.DISTRICT[0]].boundary)
    assert district.contains(shapely.Point(112.45, 34.62))


def test_demo__siblings_tile_their_parent(db):
    _run()
    for parent in OrgUnit.objects.exclude(level="microgrid"):
        kids = [geo.from_geojson(k.boundary) for k in parent.children.all()]
        if not kids:
            continue
        whole = geo.from_geojson(parent.boundary)
        assert abs(shapely.union_all(kids).area - whole.area) < 1e-12, parent.code
        assert abs(sum(k.area for k in kids) - whole.area) < 1e-12, parent.code


def test_demo__boundaries_pass_the_import_checks_without_warnings(db):
    _run()
    admin = User.objects.create(username="root", is_superuser=True, is_staff=True)
    features = [
        {"type": "Feature", "properties": {"code": u.code}, "geometry": u.boundary}
        for u in OrgUnit.objects.all()
    ]
    report = org_boundaries_import(
        actor=admin, data=json.dumps({"type": "FeatureCollection", "features": features})
    )
    assert report.imported == len(features) and report.replaced == len(features)
    assert report.warnings == []


def test_demo__every_grid_locates_to_itself_or_a_micro_grid(db):
    _run()
    grids = list(OrgUnit.objects.filter(level="grid"))
    points = [geo.from_geojson(g.boundary).representative_point() for g in grids]
    codes = locator.locate_many([(p.x, p.y) for p in points])
    for grid, code in zip(grids, codes, strict=True):
        assert code.startswith(grid.code)


def test_demo__running_again_changes_no_boundary(db):
    _run()
    first = list(OrgUnit.objects.values_list("code", "boundary", "boundary_updated_at"))
    _run()
    assert list(OrgUnit.objects.values_list("code", "boundary", "boundary_updated_at")) == first


def test_demo__keeps_a_stored_boundary_and_fills_in_only_the_missing_ones(db):
    _run()
    grid = OrgUnit.objects.filter(level="grid").first()
    kept = grid.boundary
    micro = grid.children.first()
    drawn = micro.boundary
    OrgUnit.objects.filter(pk=micro.pk).update(boundary=None, boundary_bbox=None)
    _run()
    grid.refresh_from_db()
    micro.refresh_from_db()
    assert grid.boundary == kept
    assert micro.boundary == drawn  # cut again from the same parent, the same way
