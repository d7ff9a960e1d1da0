"""The point locator: deepest unit wins, ties go to the smaller code, rebuilt on change."""

import numpy as np
import prcoords
import shapely
from django.utils import timezone

from gongzhi.orgs import locator
from gongzhi.orgs.locator import LocatorIndex
from gongzhi.orgs.models import OrgUnit
from gongzhi.orgs.services import org_boundaries_import
from gongzhi.orgs.tests.conftest import box, collection, feature


def test_locate__deepest_unit_containing_the_point(bounded):
    t = bounded
    assert locator.locate(112.405, 34.61) == t.micro_a1.code  # micro-grid inside grid A
    assert locator.locate(112.405, 34.63) == t.grid_a.code  # grid A outside its micro-grid
    assert locator.locate(112.43, 34.62) == t.grid_b.code
    assert locator.locate(112.46, 34.62) == t.grid_c.code
    assert locator.locate(112.30, 34.62) is None
    assert locator.locate(0.0, 0.0) is None


def test_locate__shared_edges_go_to_the_smaller_code_and_the_deeper_unit(bounded):
    t = bounded
    assert locator.locate(112.42, 34.63) == t.grid_a.code  # A | B
    assert locator.locate(112.44, 34.62) == t.grid_b.code  # B | C (another community)
    assert locator.locate(112.42, 34.64) == t.grid_a.code  # corner of A, B and the edge
    assert locator.locate(112.40, 34.61) == t.micro_a1.code  # A1's edge is also A's
    assert locator.locate(112.41, 34.62) == t.micro_a1.code  # A1's corner inside A


def test_locate_many__batch_matches_single_lookups(bounded):
    t = bounded
    points = [(112.405, 34.61), (112.43, 34.62), (112.30, 34.62), (112.42, 34.63), (112.46, 34.6)]
    expected = [t.micro_a1.code, t.grid_b.code, None, t.grid_a.code, t.grid_c.code]
    assert locator.locate_many(points) == expected
    assert locator.locate_many(np.array(points)) == expected
    assert [locator.locate(*p) for p in points] == expected
    assert locator.locate_many([]) == []


def test_locate__gcj02_and_bd09_points_are_converted(bounded):
    c = prcoords.wgs_gcj(prcoords.Coords(34.63, 112.439))  # grid B, near its east edge
    assert abs(c.lon - 112.439) > 0.004  # the shift would put it in grid C uncorrected
    assert locator.locate(c.lon, c.lat) == bounded.grid_c.code
    assert locator.locate(c.lon, c.lat, crs="gcj02") == bounded.grid_b.code
    b = prcoords.wgs_bd(prcoords.Coords(34.63, 112.439))
    assert locator.locate_many([(b.lon, b.lat)], crs="bd09") == [bounded.grid_b.code]


def test_locate__inactive_units_are_not_answers(bounded):
    OrgUnit.objects.filter(pk=bounded.micro_a1.pk).update(
        is_active=False, boundary_updated_at=timezone.now()
    )
    locator.invalidate()
    assert locator.locate(112.405, 34.61) == bounded.grid_a.code


def test_locator__rebuilt_after_an_import_in_this_process(people, bounded):
    assert locator.locate(112.43, 34.62) == bounded.grid_b.code
    # Grid A takes over the west half of grid B.
    org_boundaries_import(
        actor=people.admin,
        data=collection(
            feature(bounded.grid_b.code, box(112.435, 34.60, 112.44, 34.64)),
            feature(bounded.grid_a.code, box(112.40, 34.60, 112.435, 34.64)),
        ),
    )
    assert locator.locate(112.43, 34.62) == bounded.grid_a.code


def test_locator__sees_another_process_change_at_the_next_stamp_check(bounded, monkeypatch):
    assert locator.locate(112.43, 34.62) == bounded.grid_b.code
    # Another process moves grid B: nothing here is told, only the stamp changes.
    OrgUnit.objects.filter(pk=bounded.grid_b.pk).update(
        boundary=box(112.50, 34.60, 112.52, 34.64), boundary_updated_at=timezone.now()
    )
    assert locator.locate(112.43, 34.62) == bounded.grid_b.code  # cached, not yet checked
    monkeypatch.setattr(locator, "CHECK_INTERVAL", 0.0)
    assert locator.locate(112.43, 34.62) == bounded.community.code  # no grid there now
    assert locator.locate(112.51, 34.62) == bounded.grid_b.code


def test_locator__stamp_check_costs_one_query_and_no_rebuild(
    bounded, monkeypatch, django_assert_num_queries
):
    locator.locate(112.43, 34.62)
    monkeypatch.setattr(locator, "CHECK_INTERVAL", 0.0)
    with django_assert_num_queries(1):
        locator.locate(112.43, 34.62)
    monkeypatch.setattr(locator, "CHECK_INTERVAL", 60.0)
    with django_assert_num_queries(0):
        locator.locate(112.43, 34.62)


def test_locator_index__answer_does_not_depend_on_input_order():
    units = [
        ("990101001001002", shapely.box(1, 0, 2, 1)),
        ("990101001001001", shapely.box(0, 0, 1, 1)),
        ("990101001001001001", shapely.box(0, 0, 0.5, 0.5)),
        ("990101001001", shapely.box(0, 0, 2, 1)),
    ]
    points = [(1, 0.5), (0.25, 0.25), (0.75, 0.75), (1.5, 0.5), (3, 3), (0.5, 0.5)]
    answers = {
        tuple(LocatorIndex(order).locate_many(points))
        for order in (units, units[::-1], units[1:] + units[:1])
    }
    assert answers == {
        (
            "990101001001001",
            "990101001001001001",
            "990101001001001",
            "990101001001002",
            None,
            "990101001001001001",
        )
    }


def test_locator_index__empty_index_answers_none():
    assert LocatorIndex([]).locate_many([(1.0, 2.0)]) == [None]


def test_locator__deactivating_a_unit_in_the_admin_bumps_the_stamp(people, bounded, login):
    people.admin.is_superuser = True
    people.admin.save()
    before = OrgUnit.objects.get(pk=bounded.micro_a1.pk).boundary_updated_at
    response = login(people.admin).post(
        f"/admin/orgs/orgunit/{bounded.micro_a1.pk}/change/",
        {"name": bounded.micro_a1.name, "service_phone": "", "introduction": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = OrgUnit.objects.get(pk=bounded.micro_a1.pk)
    assert unit.is_active is False and unit.boundary_updated_at > before
    assert unit.boundary == bounded.micro_a1.boundary  # not a form field: kept
