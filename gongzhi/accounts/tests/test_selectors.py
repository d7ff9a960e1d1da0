from gongzhi.accounts.selectors import grids_without_worker, position_counts_by_role
from gongzhi.core.roles import Role
from gongzhi.factories import PositionFactory, UserFactory


def test_grids_without_worker__lists_vacant_grids_in_scope(people, tree):
    assert list(grids_without_worker(people.op_sub)) == [tree.grid_c]
    assert list(grids_without_worker(people.community_worker)) == []
    assert list(grids_without_worker(people.gw_a)) == []


def test_grids_without_worker__a_worker_on_a_micro_grid_covers_the_grid(people, tree):
    from gongzhi.orgs.models import OrgUnit

    micro_c1 = OrgUnit.objects.create(
        code=tree.grid_c.code + "001", name="c1", level="microgrid", parent=tree.grid_c
    )
    PositionFactory(user=UserFactory(username="gw_c1"), role=Role.GRID_WORKER, org_unit=micro_c1)
    assert list(grids_without_worker(people.op_sub)) == []


def test_position_counts_by_role__counts_the_unit_and_below(people, tree):
    assert position_counts_by_role(tree.community) == {
        "community_worker": 1,
        "grid_worker": 2,
        "building_head": 1,
        "resident": 1,
    }
