import pytest

from gongzhi.accounts.models import Position
from gongzhi.accounts.services import position_create, position_end
from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.models import AuditLog
from gongzhi.core.roles import Role
from gongzhi.factories import UserFactory


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer")


def test_position_create__grid_worker_at_a_grid(people, tree, newcomer):
    p = position_create(
        actor=people.admin, user=newcomer, role=Role.GRID_WORKER, org_unit_id=tree.grid_b.pk
    )
    assert (p.org_unit, p.org_code, p.is_active) == (tree.grid_b, tree.grid_b.code, True)
    assert AuditLog.objects.filter(action="accounts.position_created", object_id=str(p.pk)).exists()


def test_position_create__unit_that_does_not_exist_changes_nothing(people, newcomer):
    with pytest.raises(NotFound):
        position_create(
            actor=people.admin, user=newcomer, role=Role.GRID_WORKER, org_unit_id=987654
        )
    assert not Position.objects.filter(user=newcomer).exists()


def test_position_create__role_at_the_wrong_level_is_refused(people, tree, newcomer):
    with pytest.raises(DomainError) as exc:
        position_create(
            actor=people.admin, user=newcomer, role=Role.GRID_WORKER, org_unit_id=tree.community.pk
        )
    assert exc.value.code == "invalid_position"
    with pytest.raises(DomainError):
        position_create(
            actor=people.admin,
            user=newcomer,
            role=Role.DEPARTMENT_HANDLER,
            org_unit_id=tree.grid_a.pk,
        )
    with pytest.raises(DomainError):
        position_create(actor=people.admin, user=newcomer, role="mayor", org_unit_id=tree.grid_a.pk)
    assert not Position.objects.filter(user=newcomer).exists()


def test_position_create__duplicate_is_a_conflict(people, tree):
    with pytest.raises(Conflict):
        position_create(
            actor=people.admin, user=people.gw_a, role=Role.GRID_WORKER, org_unit_id=tree.grid_a.pk
        )
    assert Position.objects.filter(user=people.gw_a).count() == 1


def test_position_create__non_admin_is_refused_with_not_found(people, tree, newcomer):
    with pytest.raises(NotFound):
        position_create(
            actor=people.op_sub, user=newcomer, role=Role.GRID_WORKER, org_unit_id=tree.grid_b.pk
        )
    assert not Position.objects.filter(user=newcomer).exists()


def test_position_end__takes_the_scope_away(people, tree):
    from gongzhi.core.permissions import scope_for
    from gongzhi.core.roles import Perm

    position = people.gw_a.positions.get()
    position_end(actor=people.admin, position=position)
    people.gw_a.forget_positions()
    assert scope_for(people.gw_a, Perm.ORGS_VIEW).is_empty
