"""A building or premises placed by its location alone lands in the grid that contains it."""

import pytest

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.registry import services


def test_building_without_grid__takes_the_deepest_unit_at_its_location(bounded, people):
    b = services.building_save(actor=people.community_worker, name="定位楼", lng=112.405, lat=34.61)
    assert b.grid == bounded.micro_a1 and b.org_code == bounded.micro_a1.code
    b2 = services.building_save(actor=people.community_worker, name="乙楼", lng=112.43, lat=34.63)
    assert b2.grid == bounded.grid_b


def test_building_location_outside_the_actors_area_is_not_found(bounded, people):
    with pytest.raises(NotFound):
        services.building_save(actor=people.gw_a, name="越界楼", lng=112.43, lat=34.63)


def test_building_location_in_no_grid_asks_for_the_grid(bounded, people):
    with pytest.raises(DomainError) as exc:
        services.building_save(actor=people.community_worker, name="荒地楼", lng=113.5, lat=35.5)
    assert "grid_id" in exc.value.details


def test_premises_from_a_gcj02_point(bounded, people):
    import prcoords

    from gongzhi.registry.models import PremisesCategory

    gcj = prcoords.wgs_gcj(prcoords.Coords(34.63, 112.43))
    p = services.premises_save(
        actor=people.community_worker,
        name="便利店",
        category_id=PremisesCategory.objects.first().pk,
        lng=gcj.lon,
        lat=gcj.lat,
        crs="gcj02",
    )
    assert p.grid == bounded.grid_b
    assert p.lng == pytest.approx(112.43, abs=1e-5) and p.lat == pytest.approx(34.63, abs=1e-5)
