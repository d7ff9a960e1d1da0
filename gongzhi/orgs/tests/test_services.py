import pytest

from gongzhi.core.errors import Conflict, DomainError, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.orgs import services
from gongzhi.orgs.models import Department, OrgUnit


def test_org_unit_create__child_extends_parent_and_is_audited(people, tree):
    unit = services.org_unit_create(
        actor=people.op_sub, parent=tree.community, code="990101001001003", name="第3网格"
    )
    assert (unit.level, unit.parent, unit.code) == ("grid", tree.community, "990101001001003")
    row = AuditLog.objects.get(action="orgs.unit_created")
    assert row.actor == people.op_sub and row.object_id == str(unit.pk)
    assert row.changes == {"code": "990101001001003", "name": "第3网格", "level": "grid"}


@pytest.mark.parametrize(
    ("code", "error_code"),
    [("990101001002003", "invalid"), ("9901010010010031", "invalid"), ("abc", "invalid")],
)
def test_org_unit_create__code_not_extending_parent_changes_nothing(people, tree, code, error_code):
    before = OrgUnit.objects.count()
    with pytest.raises(DomainError) as exc:
        services.org_unit_create(
            actor=people.op_sub, parent=tree.community, code=code, name="新网格"
        )
    assert exc.value.code == error_code and exc.value.details["code"]
    assert OrgUnit.objects.count() == before
    assert not AuditLog.objects.exists()


def test_org_unit_create__duplicate_code_is_a_conflict(people, tree):
    with pytest.raises(Conflict) as exc:
        services.org_unit_create(
            actor=people.op_sub, parent=tree.community, code=tree.grid_a.code, name="重复"
        )
    assert exc.value.code == "duplicate_code"
    assert OrgUnit.objects.filter(code=tree.grid_a.code).count() == 1


def test_org_unit_create__duplicate_name_under_parent_is_a_conflict(people, tree):
    with pytest.raises(Conflict) as exc:
        services.org_unit_create(
            actor=people.op_sub, parent=tree.community, code="990101001001009", name="第1网格"
        )
    assert exc.value.code == "duplicate_name"


def test_org_unit_create__outside_scope_or_role_is_refused(people, tree):
    with pytest.raises(PermissionDenied):
        services.org_unit_create(
            actor=people.op_sub, parent=tree.sub2, code="990101002009", name="外区社区"
        )
    with pytest.raises(PermissionDenied):
        services.org_unit_create(
            actor=people.gw_a, parent=tree.grid_a, code="990101001001001002", name="微网格"
        )
    with pytest.raises(PermissionDenied):
        services.org_unit_create(actor=people.op_district, parent=None, code="990102", name="新区")
    assert not OrgUnit.objects.filter(
        code__in=["990101002009", "990101001001001002", "990102"]
    ).exists()


def test_org_unit_create__nothing_under_a_micro_grid(people, tree):
    with pytest.raises(DomainError) as exc:
        services.org_unit_create(
            actor=people.admin, parent=tree.micro_a1, code="990101001001001001001", name="x"
        )
    assert exc.value.code == "invalid_level"


def test_org_unit_update_profile__grid_worker_edits_own_grid(people, tree):
    services.org_unit_update_profile(
        actor=people.gw_a,
        unit=tree.grid_a,
        service_phone="139 1234 5678",
        introduction="服务 1-6 号楼",
    )
    tree.grid_a.refresh_from_db()
    assert (tree.grid_a.service_phone, tree.grid_a.introduction) == ("13912345678", "服务 1-6 号楼")
    row = AuditLog.objects.get(action="orgs.unit_profile_updated")
    assert row.changes["service_phone"] == ["", "13912345678"]


def test_org_unit_update_profile__bad_phone_changes_nothing(people, tree):
    with pytest.raises(DomainError) as exc:
        services.org_unit_update_profile(
            actor=people.gw_a, unit=tree.grid_a, service_phone="12ab", introduction="x"
        )
    assert "service_phone" in exc.value.details
    tree.grid_a.refresh_from_db()
    assert tree.grid_a.service_phone == "" and tree.grid_a.introduction == ""
    assert not AuditLog.objects.exists()


def test_org_unit_update_profile__too_long_introduction_is_refused(people, tree):
    with pytest.raises(DomainError):
        services.org_unit_update_profile(
            actor=people.gw_a, unit=tree.grid_a, service_phone="", introduction="长" * 501
        )


def test_org_unit_update_profile__other_grid_is_refused(people, tree):
    with pytest.raises(PermissionDenied):
        services.org_unit_update_profile(
            actor=people.gw_a, unit=tree.grid_b, service_phone="13912345678", introduction=""
        )
    tree.grid_b.refresh_from_db()
    assert tree.grid_b.service_phone == ""


def test_department_create__admin_only_and_unique(people, tree):
    dept = services.department_create(
        actor=people.admin, district=tree.district, code="990101-ZJ", name="区住建局"
    )
    assert dept.district == tree.district
    with pytest.raises(Conflict):
        services.department_create(
            actor=people.admin, district=tree.district, code="990101-ZJ", name="重复"
        )
    with pytest.raises(PermissionDenied):
        services.department_create(
            actor=people.op_district, district=tree.district, code="990101-X", name="x"
        )
    assert Department.objects.filter(code__startswith="990101-ZJ").count() == 1
