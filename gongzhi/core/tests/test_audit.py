import pytest

from gongzhi.core.audit import audit_record, diff
from gongzhi.core.context import client_ip
from gongzhi.core.models import AuditLog


def test_audit_record__stores_actor_object_changes_and_ip(people, tree):
    token = client_ip.set("10.1.2.3")
    try:
        row = audit_record(
            actor=people.admin,
            action="orgs.unit_renamed",
            obj=tree.grid_a,
            changes={"name": ["a", "b"]},
        )
    finally:
        client_ip.reset(token)
    row.refresh_from_db()
    assert row.actor == people.admin
    assert row.actor_name == people.admin.get_display_name()
    assert (row.object_type, row.object_id, row.object_repr) == (
        "orgs.orgunit",
        str(tree.grid_a.pk),
        "第1网格",
    )
    assert row.changes == {"name": ["a", "b"]}
    assert row.ip == "10.1.2.3"
    assert row.action_label != row.action  # the orgs app registered a readable label


def test_audit_log__is_append_only(people, tree):
    row = audit_record(actor=people.admin, action="x", obj=tree.grid_a)
    row.action = "y"
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        AuditLog.objects.filter(pk=row.pk).update(action="y")
    with pytest.raises(TypeError):
        AuditLog.objects.filter(pk=row.pk).delete()
    assert AuditLog.objects.get(pk=row.pk).action == "x"


def test_audit_record__without_actor_is_the_system(db):
    row = audit_record(actor=None, action="jobs.ran", object_type="job", object_id="1")
    assert row.actor is None and row.actor_name == "系统"


def test_diff__keeps_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
