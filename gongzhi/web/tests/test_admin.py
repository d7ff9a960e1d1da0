"""The Django admin, in Chinese, for the org tree, users, positions and tokens."""

import pytest

from gongzhi.accounts.models import ApiToken
from gongzhi.core.models import AuditLog


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/admin/", "系统管理"),
        ("/admin/orgs/orgunit/", "990101001001001"),
        ("/admin/orgs/department/", "区城市管理局"),
        ("/admin/accounts/user/", "gw_a"),
        ("/admin/accounts/position/", "网格员"),
        ("/admin/core/auditlog/", "审计日志"),
    ],
)
def test_admin_pages__render_in_chinese(people, tree, login, path, text):
    people.admin.is_superuser = True
    people.admin.save()
    response = login(people.admin).get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_admin__non_staff_cannot_enter(people, login):
    response = login(people.gw_a).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin__token_creation_shows_it_once_and_audits(people, login):
    people.admin.is_superuser = True
    people.admin.save()
    client = login(people.admin)
    response = client.post(
        "/admin/accounts/apitoken/add/", {"user": people.gw_a.pk, "name": "12345 对接"}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=people.gw_a)
    assert token.prefix in response.content.decode()
    assert AuditLog.objects.filter(
        action="accounts.token_created", object_id=str(token.pk)
    ).exists()


def test_admin__org_unit_with_a_bad_code_is_refused(people, tree, login):
    people.admin.is_superuser = True
    people.admin.save()
    response = login(people.admin).post(
        "/admin/orgs/orgunit/add/",
        {
            "code": "990102001001009",
            "name": "错位网格",
            "level": "grid",
            "parent": tree.community.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "990102001001009" not in [u.code for u in type(tree.grid_a).objects.all()]
    assert "编码“990102001001009”未以上级编码“990101001001”开头" in response.content.decode()


def test_admin__the_audit_log_shows_actions_by_their_labels(people, tree, login):
    """A kind's own action (the hazard's notice): its label in the list and the filter,
    not the code "case.issue_notice"."""
    from gongzhi.core.audit import audit_record

    audit_record(actor=people.op_sub, action="case.issue_notice", obj=tree.grid_a)
    people.admin.is_superuser = True
    people.admin.save()
    page = login(people.admin).get("/admin/core/auditlog/").content.decode()
    assert "下达整改通知书" in page
    assert ">case.issue_notice<" not in page
