"""The one resolver and the data scope."""

from gongzhi.core.permissions import Scope, can, scope_for
from gongzhi.core.roles import Perm
from gongzhi.orgs.models import OrgUnit


def test_scope__grid_worker_sees_own_grid_and_below(people, tree):
    scope = scope_for(people.gw_a, Perm.ORGS_VIEW)
    assert scope.org_codes == (tree.grid_a.code,)
    visible = set(OrgUnit.objects.filter(scope.q("code")).values_list("code", flat=True))
    assert visible == {tree.grid_a.code, tree.micro_a1.code}


def test_scope__admin_sees_everything(people):
    assert scope_for(people.admin, Perm.ORGS_VIEW).everything


def test_scope__resident_and_handler_have_no_org_view(people):
    assert scope_for(people.resident, Perm.ORGS_VIEW).is_empty
    handler_scope = scope_for(people.handler, Perm.DEPARTMENTS_VIEW)
    assert handler_scope.org_codes == () and handler_scope.department_ids == (
        people.handler.positions.get().department_id,
    )


def test_scope__anonymous_and_inactive_have_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(AnonymousUser(), Perm.ORGS_VIEW).is_empty
    people.gw_a.is_active = False
    assert scope_for(people.gw_a, Perm.ORGS_VIEW).is_empty


def test_scope__nested_codes_collapse_to_the_shortest():
    scope = Scope(org_codes=("990101001",))
    assert scope.covers_code("990101001001") and not scope.covers_code("990101002001")
    from gongzhi.core.permissions import _minimal

    assert _minimal(["990101001001", "990101001", "990101002"]) == ("990101001", "990101002")


def test_scope__empty_scope_matches_no_rows(people, tree):
    assert not OrgUnit.objects.filter(Scope().q("code")).exists()


def test_can__object_outside_scope_is_refused(people, tree):
    assert can(people.gw_a, Perm.ORGS_EDIT_PROFILE, tree.grid_a)
    assert can(people.gw_a, Perm.ORGS_EDIT_PROFILE, tree.micro_a1)
    assert not can(people.gw_a, Perm.ORGS_EDIT_PROFILE, tree.grid_b)
    assert not can(people.building_head, Perm.ORGS_EDIT_PROFILE, tree.micro_a1)
    assert can(people.community_worker, Perm.ORGS_EDIT_PROFILE, tree.grid_b)
    assert not can(people.community_worker, Perm.ORGS_EDIT_PROFILE, tree.grid_c)


def test_within_lookup__is_a_prefix_match_on_both_databases(tree):
    codes = set(OrgUnit.objects.filter(code__within="990101001001").values_list("code", flat=True))
    assert codes == {"990101001001", tree.grid_a.code, tree.grid_b.code, tree.micro_a1.code}
    # A sibling whose code sorts right after the prefix is not inside it.
    assert "990101001002" not in codes
