"""Importing boundaries: all or nothing, scoped, explained per feature, audited once."""

import json
import math
from contextlib import contextmanager

import prcoords
import pytest
import shapely

from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.orgs import geo
from gongzhi.orgs.models import OrgUnit
from gongzhi.orgs.services import PayloadTooLarge, org_boundaries_import
from gongzhi.orgs.services import boundaries as boundaries_module
from gongzhi.orgs.tests.conftest import BOXES, box, collection, feature, store


def _snapshot():
    return list(
        OrgUnit.objects.order_by("code").values_list(
            "code", "boundary", "boundary_bbox", "boundary_updated_at"
        )
    )


@contextmanager
def nothing_changes():
    """No boundary and no audit row changes inside the block."""
    before, audit_before = _snapshot(), AuditLog.objects.count()
    yield
    assert _snapshot() == before
    assert AuditLog.objects.count() == audit_before


def _refused(actor, data, crs="wgs84") -> DomainError:
    with nothing_changes(), pytest.raises(DomainError) as exc:
        org_boundaries_import(actor=actor, data=data, crs=crs)
    assert exc.value.code == "invalid_geojson"
    return exc.value


def _reasons(err: DomainError) -> list[tuple]:
    return [(d["index"], d["code"], d["reason"]) for d in err.details]


def test_import__sets_nested_boundaries_and_writes_one_audit_row(people, tree):
    data = collection(
        feature(tree.community.code, BOXES["community"]),
        feature(tree.grid_a.code, BOXES["grid_a"], name="第1网格"),
        feature(tree.grid_b.code, BOXES["grid_b"]),
        feature(tree.micro_a1.code, BOXES["micro_a1"]),
    )
    report = org_boundaries_import(actor=people.op_sub, data=data)

    assert (report.imported, report.added, report.replaced) == (4, 4, 0)
    assert report.by_level == {"community": 1, "grid": 2, "microgrid": 1}
    assert report.warnings == []
    grid_a = OrgUnit.objects.get(pk=tree.grid_a.pk)
    assert shapely.equals(geo.from_geojson(grid_a.boundary), geo.from_geojson(BOXES["grid_a"]))
    assert grid_a.boundary["type"] == "Polygon"
    assert grid_a.boundary_bbox == pytest.approx([112.40, 34.60, 112.42, 34.64])
    assert grid_a.boundary_updated_at is not None
    assert OrgUnit.objects.filter(boundary__isnull=False).count() == 4
    row = AuditLog.objects.get()
    assert (row.action, row.actor) == ("orgs.boundaries_imported", people.op_sub)
    assert row.changes["imported"] == 4 and row.changes["added"] == 4
    assert row.changes["codes"] == sorted(
        [tree.community.code, tree.grid_a.code, tree.grid_b.code, tree.micro_a1.code]
    )
    assert row.changes["crs"] == "wgs84" and len(row.changes["sha256"]) == 64


def test_import__again_replaces_and_counts_so(people, bounded):
    report = org_boundaries_import(
        actor=people.admin, data=collection(feature(bounded.grid_b.code, BOXES["grid_b"]))
    )
    assert (report.imported, report.added, report.replaced) == (1, 0, 1)


def test_import__accepts_multipolygon_and_numeric_code(people, tree):
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            box(112.40, 34.60, 112.41, 34.61)["coordinates"],
            box(112.42, 34.62, 112.43, 34.63)["coordinates"],
        ],
    }
    org_boundaries_import(
        actor=people.admin, data=collection(feature(int(tree.grid_a.code), multi))
    )
    tree.grid_a.refresh_from_db()
    assert tree.grid_a.boundary["type"] == "MultiPolygon"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("{not json", "malformed_json"),
        ('{"type": "FeatureCollection", "features": [NaN]}', "malformed_json"),
        (b"\xff\xfe{}", "not_utf8"),
        (json.dumps(BOXES["grid_a"]), "not_a_feature_collection"),
        (json.dumps({"type": "FeatureCollection"}), "not_a_feature_collection"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "no_features"),
    ],
)
def test_import__malformed_file_changes_nothing(people, tree, data, reason):
    err = _refused(people.admin, data)
    assert _reasons(err) == [(None, "", reason)]
    assert err.message == err.details[0]["message"]


def test_import__bow_tie_is_refused_with_geos_explanation(people, tree):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[112.40, 34.60], [112.42, 34.64], [112.42, 34.60], [112.40, 34.64], [112.40, 34.60]]
        ],
    }
    err = _refused(
        people.admin,
        collection(feature(tree.grid_b.code, BOXES["grid_b"]), feature(tree.grid_a.code, bow_tie)),
    )
    assert _reasons(err) == [(1, tree.grid_a.code, "invalid_geometry")]
    assert "Self-intersection[112.41 34.62]" in err.details[0]["message"]


def test_import__leaving_the_stored_parent_is_refused(people, tree):
    store(tree.community, BOXES["community"])
    err = _refused(
        people.admin, collection(feature(tree.grid_b.code, box(112.42, 34.60, 112.45, 34.64)))
    )
    assert _reasons(err) == [(0, tree.grid_b.code, "outside_parent")]
    assert tree.community.code in err.details[0]["message"]


def test_import__leaving_a_parent_from_the_same_file_is_refused(people, tree):
    err = _refused(
        people.admin,
        collection(
            feature(tree.grid_a.code, BOXES["grid_a"]),
            feature(tree.micro_a1.code, box(112.39, 34.60, 112.41, 34.62)),
        ),
    )
    assert _reasons(err) == [(1, tree.micro_a1.code, "outside_parent")]


def test_import__within_tolerance_of_the_parent_edge_is_accepted(people, tree):
    store(tree.community, BOXES["community"])
    nudged = box(112.42, 34.60, 112.44 + 5e-8, 34.64)
    report = org_boundaries_import(
        actor=people.admin, data=collection(feature(tree.grid_b.code, nudged))
    )
    assert report.imported == 1


def test_import__a_parent_dropping_a_stored_child_is_refused(people, tree):
    store(tree.micro_a1, BOXES["micro_a1"])
    err = _refused(
        people.admin, collection(feature(tree.grid_a.code, box(112.41, 34.60, 112.42, 34.64)))
    )
    assert _reasons(err) == [(0, tree.grid_a.code, "excludes_child")]
    assert tree.micro_a1.code in err.details[0]["message"]


def test_import__nearest_bounded_ancestor_is_the_parent_that_counts(people, tree):
    """Grid A has no boundary: micro-grid A1 must still stay inside its community."""
    store(tree.community, BOXES["community"])
    err = _refused(
        people.admin, collection(feature(tree.micro_a1.code, box(112.39, 34.60, 112.41, 34.62)))
    )
    assert _reasons(err) == [(0, tree.micro_a1.code, "outside_parent")]


def test_import__unknown_and_outside_scope_codes_get_the_same_answer(people, tree):
    # A real unit under the other subdistrict, and a code no unit has.
    OrgUnit.objects.create(code="990101002001", name="外社区", level="community", parent=tree.sub2)
    err = _refused(
        people.op_sub,
        collection(
            feature("990101002001", BOXES["community2"]),
            feature("990101001009", BOXES["community2"]),
        ),
    )
    assert _reasons(err) == [
        (0, "990101002001", "unknown_code"),
        (1, "990101001009", "unknown_code"),
    ]
    first, second = (d["message"] for d in err.details)
    assert first.replace("990101002001", "X") == second.replace("990101001009", "X")


def test_import__every_bad_feature_is_listed_and_good_ones_are_not_written(people, tree):
    err = _refused(
        people.admin,
        collection(
            feature(tree.grid_a.code, BOXES["grid_a"]),
            {"type": "Feature", "properties": {}, "geometry": BOXES["grid_b"]},
            feature(tree.grid_b.code, {"type": "Point", "coordinates": [112.43, 34.62]}),
            feature(tree.grid_a.code, BOXES["grid_a"]),
            feature(tree.grid_c.code, box(34.60, 112.44, 34.64, 112.48)),
            "not a feature",
            feature(tree.micro_a1.code, None),
        ),
    )
    assert _reasons(err) == [
        (1, "", "missing_code"),
        (2, tree.grid_b.code, "wrong_geometry_type"),
        (3, tree.grid_a.code, "duplicate_code"),
        (4, tree.grid_c.code, "out_of_range"),
        (5, "", "not_a_feature"),
        (6, tree.micro_a1.code, "missing_geometry"),
    ]


def test_import__grid_worker_is_refused_and_nothing_is_written(people, tree):
    with nothing_changes(), pytest.raises(PermissionDenied):
        org_boundaries_import(
            actor=people.gw_a, data=collection(feature(tree.grid_a.code, BOXES["grid_a"]))
        )


def test_import__operator_outside_own_subdistrict_is_refused(people, tree):
    OrgUnit.objects.create(code="990101002001", name="外社区", level="community", parent=tree.sub2)
    err = _refused(people.op_sub, collection(feature("990101002001", BOXES["community2"])))
    assert _reasons(err) == [(0, "990101002001", "unknown_code")]


def test_import__sibling_overlap_is_a_warning_not_an_error(people, bounded):
    report = org_boundaries_import(
        actor=people.admin,
        data=collection(feature(bounded.grid_b.code, box(112.419, 34.60, 112.44, 34.64))),
    )
    assert report.imported == 1
    assert [(w.index, w.code, w.reason) for w in report.warnings] == [
        (0, bounded.grid_b.code, "overlaps_sibling")
    ]
    # 0.001° × 0.04° at 34.6° N: 91.6 m × 4,423 m.
    assert bounded.grid_a.code in report.warnings[0].message
    assert "405,185" in report.warnings[0].message
    assert AuditLog.objects.get().changes["warnings"] == 1


def test_import__shared_edges_are_not_overlaps(people, tree):
    report = org_boundaries_import(
        actor=people.admin,
        data=collection(
            feature(tree.grid_a.code, BOXES["grid_a"]), feature(tree.grid_b.code, BOXES["grid_b"])
        ),
    )
    assert report.warnings == []


def _gcj(lng, lat):
    c = prcoords.wgs_gcj(prcoords.Coords(lat, lng))
    return [c.lon, c.lat]


@pytest.mark.parametrize(
    ("crs", "forward", "back"),
    [
        ("gcj02", prcoords.wgs_gcj, prcoords.gcj_wgs_bored),
        ("bd09", prcoords.wgs_bd, prcoords.bd_wgs_bored),
    ],
)
def test_import__gcj02_and_bd09_are_converted_to_wgs84(people, tree, crs, forward, back):
    wgs_ring = BOXES["grid_a"]["coordinates"][0]
    given = [[p.lon, p.lat] for p in (forward(prcoords.Coords(lat, lng)) for lng, lat in wgs_ring)]
    org_boundaries_import(
        actor=people.admin,
        data=collection(feature(tree.grid_a.code, {"type": "Polygon", "coordinates": [given]})),
        crs=crs,
    )
    tree.grid_a.refresh_from_db()
    stored = shapely.get_coordinates(geo.from_geojson(tree.grid_a.boundary))
    expected = [back(prcoords.Coords(lat, lng)) for lng, lat in given]
    got = {(round(x, 12), round(y, 12)) for x, y in stored}
    assert got == {(round(c.lon, 12), round(c.lat, 12)) for c in expected}
    # And the conversion really undoes the shift (hundreds of metres) to below a metre.
    for x, y in stored:
        assert min(math.dist((x, y), tuple(p)) for p in wgs_ring) < 1e-5
    assert AuditLog.objects.get().changes["crs"] == crs


def test_import__unknown_crs_is_refused(people, tree):
    with nothing_changes(), pytest.raises(DomainError) as exc:
        org_boundaries_import(
            actor=people.admin, data=collection(feature(tree.grid_a.code, BOXES["grid_a"])), crs="x"
        )
    assert exc.value.code == "invalid_crs"


def test_import__too_large_a_file_is_refused_before_parsing(people, tree):
    data = b" " * (boundaries_module.MAX_UPLOAD_BYTES + 1)
    with nothing_changes(), pytest.raises(PayloadTooLarge) as exc:
        org_boundaries_import(actor=people.admin, data=data)
    assert (exc.value.code, exc.value.status) == ("too_large", 413)


def test_import__too_many_vertices_is_refused(people, tree, monkeypatch):
    monkeypatch.setattr(boundaries_module, "MAX_FEATURE_VERTICES", 100)
    circle = shapely.Point(112.41, 34.62).buffer(0.005, quad_segs=40)  # 161 vertices
    err = _refused(people.admin, collection(feature(tree.grid_a.code, geo.to_geojson(circle))))
    assert _reasons(err) == [(0, tree.grid_a.code, "too_many_vertices")]


def test_import__too_many_vertices_in_the_file_is_refused(people, tree, monkeypatch):
    monkeypatch.setattr(boundaries_module, "MAX_TOTAL_VERTICES", 8)
    err = _refused(
        people.admin,
        collection(
            feature(tree.grid_a.code, BOXES["grid_a"]), feature(tree.grid_b.code, BOXES["grid_b"])
        ),
    )
    assert _reasons(err) == [(None, "", "too_many_vertices")]
