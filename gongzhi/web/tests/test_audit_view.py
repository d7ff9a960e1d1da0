"""The in-app audit view: administrators read every entry, a leader those of the staff of
their area, anyone else nothing (404); filters by person, kind, action and period; the
workbook is itself audited and refused above its size."""

import io

import pytest
from python_calamine import CalamineWorkbook

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Category
from gongzhi.core.audit import audit_record
from gongzhi.core.models import AuditLog
from gongzhi.core.roles import Role
from gongzhi.factories import PositionFactory, UserFactory
from gongzhi.web import audit_views


@pytest.fixture
def entries(people, tree):
    """gw_a reports a case with a phone and op_sub reveals it; someone of the other
    subdistrict changes something there."""
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    case, _ = case_services.case_report(
        actor=people.gw_a, category_id=category.pk, title="楼道堆物", grid_id=tree.grid_a.pk,
        reporter_phone="13812345678",
    )  # fmt: skip
    case_services.case_reveal_phone(actor=people.op_sub, case_id=case.pk)
    outsider = UserFactory(username="op_sub2", name="外街道值班员")
    PositionFactory(user=outsider, role=Role.OPERATOR, org_unit=tree.sub2)
    audit_record(actor=outsider, action="orgs.unit_profile_updated", obj=tree.sub2)
    return case


def _page(client, **params):
    response = client.get("/audit/", params)
    return response, response.content.decode()


def test_the_administrator_reads_every_entry_by_its_label(entries, people, login):
    response, page = _page(login(people.admin))
    assert response.status_code == 200
    assert "查看反映人完整电话" in page  # its label, not the code
    assert "外街道值班员" in page  # the whole installation's
    assert 'data-action="case.reveal_phone"' in page


def test_a_leader_reads_the_staff_of_their_area_only(entries, people, login):
    _response, page = _page(login(people.leader))
    assert 'data-action="case.reveal_phone"' in page and "外街道值班员" not in page


@pytest.mark.parametrize("who", ["gw_a", "community_worker", "handler", "resident"])
def test_no_one_else_reads_the_log(entries, people, login, who):
    client = login(getattr(people, who))
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/xlsx/").status_code == 404
    assert "/audit/" not in client.get("/").content.decode()


def test_filters_by_kind_person_and_period(entries, people, login):
    client = login(people.admin)
    _r, reveals = _page(client, kind="reveal")
    assert (
        'data-action="case.reveal_phone"' in reveals and 'data-action="case.report"' not in reveals
    )
    _r, by_person = _page(client, actor="op_sub2")
    assert "外街道值班员" in by_person and 'data-action="case.report"' not in by_person
    response, bad = _page(client, start="2026-13-01", end="2026-12-31")
    assert response.status_code == 400 and "alert-error" in bad


def test_the_workbook_is_audited_and_refused_above_its_size(entries, people, login, monkeypatch):
    client = login(people.admin)
    response = client.get("/audit/xlsx/", {"kind": "reveal"})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == 2 and rows[1][1] == people.op_sub.get_display_name()
    logged = AuditLog.objects.filter(action="audit.export").get()
    assert logged.actor == people.admin and logged.changes["rows"] == 1
    monkeypatch.setattr(audit_views, "MAX_EXPORT", 1)
    refused = client.get("/audit/xlsx/")
    assert (refused.status_code == 400 and "narrow" in refused.content.decode()) or (
        "缩小" in refused.content.decode()
    )
    assert AuditLog.objects.filter(action="audit.export").count() == 1


def test_filter_by_the_kind_of_object_named_in_chinese(entries, people, login):
    client = login(people.admin)
    _response, page = _page(client)
    # Each kind by the model's name, not its code.
    assert '<option value="orgs.orgunit">组织/区划</option>' in page
    assert '<option value="cases.case">事件</option>' in page
    _response, units = _page(client, object_type="orgs.orgunit")
    assert "外街道值班员" in units and 'data-action="case.reveal_phone"' not in units
    # A kind the log does not have lists nothing; a leader is offered only their rows' kinds.
    _response, none = _page(client, object_type="nosuch.model")
    assert "data-action=" not in none
    _response, leader = _page(login(people.leader))
    assert '<option value="orgs.orgunit">' not in leader
