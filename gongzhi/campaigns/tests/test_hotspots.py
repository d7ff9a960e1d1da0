"""Hotspot detection on cases reported through the real services (rollups kept by them)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.campaigns import services
from gongzhi.campaigns.hotspots import hotspots, score_of
from gongzhi.core.errors import Invalid, NotFound

from .conftest import TODAY


def keys(found):
    return {(h.level, h.area_code, h.building_id, h.category_id): h for h in found}


def test_hotspots__rising_found_steady_and_single_not(scene, tree, people):
    found = hotspots(people.op_sub, tree.sub.code, today=TODAY)
    by = keys(found)
    rising = by[("grid", tree.grid_a.code, None, scene.x.pk)]
    assert (rising.recent, rising.history) == (5, 1)
    assert rising.expected == pytest.approx(1 / 8)
    assert rising.ratio == pytest.approx(5 / (1 / 8 + 1))
    assert rising.area_name == "第1网格" and rising.category_name == scene.x.name
    assert rising.case_ids == [c.pk for c in reversed(scene.a_new)]  # newest first
    assert rising.case_total == 5
    assert ("community", tree.community.code, None, scene.x.pk) in by
    # The steady one (3 against about 1 a week) and the single case are not hotspots.
    assert not [h for h in found if h.category_id == scene.y.pk]
    assert not [h for h in found if h.category_id == scene.z.pk]
    # A new combination with 3 cases and no history is one, down to the building.
    building = by[("building", tree.grid_b.code, scene.building.pk, scene.w.pk)]
    assert (building.recent, building.history, building.area_name) == (3, 0, "3号楼")
    assert building.is_new
    assert building.case_ids == [c.pk for c in reversed(scene.w_cases)]
    assert ("grid", tree.grid_b.code, None, scene.w.pk) in by
    assert set(by) == {
        ("grid", tree.grid_a.code, None, scene.x.pk),
        ("community", tree.community.code, None, scene.x.pk),
        ("building", tree.grid_b.code, scene.building.pk, scene.w.pk),
        ("grid", tree.grid_b.code, None, scene.w.pk),
        ("community", tree.community.code, None, scene.w.pk),
    }
    # Ranked by score: the rising grid (5 against 1/8) before the new ones (3 against 0).
    assert found[0].recent == 5 and found[-1].recent == 3
    assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)


def test_hotspots__one_case_is_never_a_hotspot(tree, people, scene):
    # Even with the thresholds at their loosest but the minimum count kept.
    found = hotspots(people.op_sub, tree.community2.code, today=TODAY, factor=0.1)
    assert found == []


def test_hotspots__the_prior_and_minimum(tree):
    assert score_of(3, 0, 7, 8, 1.0)[1] == 3.0  # new, 3 cases: ratio 3 ≥ 2
    assert score_of(3, 8, 7, 8, 1.0)[1] == 1.5  # about one a week before: not twice
    expected, ratio, score = score_of(10, 16, 7, 8, 1.0)
    assert (expected, ratio) == (2.0, 10 / 3)
    assert score == pytest.approx(8 / 3**0.5)


def test_hotspots__scope_respected(scene, tree, people):
    # The operator of 明德路 does not see 和平里's grid X, and cannot ask for the district.
    found = hotspots(people.op_sub, tree.sub.code, today=TODAY)
    assert scene.grid_x.code not in {h.area_code for h in found}
    with pytest.raises(NotFound):
        hotspots(people.op_sub, tree.district.code, today=TODAY)
    with pytest.raises(NotFound):
        hotspots(people.op_sub, tree.sub2.code, today=TODAY)
    # The district operator sees both subdistricts.
    found = hotspots(people.op_district, tree.district.code, today=TODAY)
    assert ("grid", scene.grid_x.code) in {(h.level, h.area_code) for h in found}
    # A community worker: their community only.
    found = hotspots(people.community_worker, tree.community.code, today=TODAY)
    assert {h.area_code[:12] for h in found} == {tree.community.code}
    with pytest.raises(NotFound):
        hotspots(people.community_worker, tree.sub.code, today=TODAY)
    # The leader reads; a grid worker and a resident have no command view at all.
    assert hotspots(people.leader, tree.sub.code, today=TODAY)
    for user in (people.gw_a, people.resident, people.handler, people.nobody):
        with pytest.raises(NotFound):
            hotspots(user, tree.sub.code, today=TODAY)
    with pytest.raises(NotFound):
        hotspots(people.op_district, "990199", today=TODAY)  # no such unit


def test_hotspots__window_moves_on(scene, tree, people):
    # Six weeks later the March cases are history: nothing stands out any more.
    import datetime as dt

    later = TODAY + dt.timedelta(weeks=6)
    assert hotspots(people.op_district, tree.district.code, today=later) == []


def test_hotspots__bad_threshold(tree, people):
    with pytest.raises(Invalid) as exc:
        hotspots(people.op_sub, tree.sub.code, today=TODAY, window_days=-3)
    assert exc.value.code == "invalid_threshold"


def test_hotspots__covered_by_an_open_campaign(scene, tree, people):
    campaign = services.campaign_open(
        actor=people.op_sub, name="桂园社区杂物清理", unit_code=tree.community.code,
        category_id=scene.x.pk,
    )  # fmt: skip
    by = keys(hotspots(people.op_sub, tree.sub.code, today=TODAY))
    assert by[("grid", tree.grid_a.code, None, scene.x.pk)].campaign_id == campaign.pk
    assert by[("community", tree.community.code, None, scene.x.pk)].campaign_id == campaign.pk
    assert by[("grid", tree.grid_b.code, None, scene.w.pk)].campaign_id is None
    services.campaign_close(actor=people.op_sub, campaign_id=campaign.pk, summary="已清理")
    by = keys(hotspots(people.op_sub, tree.sub.code, today=TODAY))
    assert by[("grid", tree.grid_a.code, None, scene.x.pk)].campaign_id is None


def test_hotspots__settings_are_the_defaults(scene, tree, people, settings):
    settings.GONGZHI_HOTSPOT_MIN_COUNT = 6
    assert hotspots(people.op_sub, tree.sub.code, today=TODAY) == []
    settings.GONGZHI_HOTSPOT_MIN_COUNT = 3
    settings.GONGZHI_HOTSPOT_LIMIT = 2
    assert len(hotspots(people.op_sub, tree.sub.code, today=TODAY)) == 2


def test_hotspots__query_count_does_not_grow(scene, tree, people):
    people.op_district.get_position_facts()  # the positions, cached on the user
    with CaptureQueriesContext(connection) as ctx:
        found = hotspots(people.op_district, tree.district.code, today=TODAY)
    assert len(found) == 7
    # The rollups of the loop's counts and of the kinds' (CaseRollupCount), per window.
    assert len(ctx.captured_queries) <= 13, [q["sql"] for q in ctx.captured_queries]
