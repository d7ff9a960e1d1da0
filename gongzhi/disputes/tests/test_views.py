"""The pages per role: the register without party data, a dispute's page (audited; 404
without the permission), the phone form, the screening page, the A4 pages, the workbooks."""

from django.utils import timezone

from gongzhi.core.models import AuditLog
from gongzhi.core.tests.xlsx_support import cell_texts
from gongzhi.disputes import services
from gongzhi.disputes.models import Dispute, ScreeningReport
from gongzhi.disputes.tests.conftest import ID_X, jpeg


def test_register_page__no_party_data_and_per_role(disp, people, login):
    case = disp.register()
    page = login(people.community_worker).get("/disputes/")
    text = page.content.decode()
    assert page.status_code == 200 and "楼上漏水引发邻里矛盾" in text and case.number in text
    assert "王强" not in text and "李大爷" not in text
    assert login(people.resident).get("/disputes/").status_code == 404
    assert "楼上漏水" not in login(people.leader).get("/disputes/").content.decode()


def test_dispute_page__audited_for_staff_404_for_others(disp, people, login):
    case = disp.register()
    for who in (people.leader, people.gw_a, people.resident, disp.other_cw):
        assert login(who).get(f"/disputes/{case.pk}/").status_code == 404
    assert not AuditLog.objects.filter(action="disputes.read").exists()
    page = login(people.community_worker).get(f"/disputes/{case.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and "王强" in text and "139****5678" in text
    assert "13912345678" not in text and "索赔三千元" in text
    assert AuditLog.objects.filter(action="disputes.read").count() == 1
    party = case.dispute.parties.get(seq=2)
    shown = login(people.community_worker).post(
        f"/disputes/{case.pk}/reveal/", {"party_id": party.pk, "field": "phone"}, follow=True
    )
    assert "13912345678" in shown.content.decode()
    assert AuditLog.objects.filter(action="disputes.party_revealed").count() == 1


def test_case_page_shows_no_party(disp, people, login):
    case = disp.register()
    text = login(people.leader).get(f"/cases/{case.pk}/").content.decode()
    assert "王强" not in text and "李大爷" not in text and "三千元" not in text


def test_phone_form__registers_once(disp, people, tree, login):
    client = login(people.gw_a)
    form = client.get("/disputes/new/")
    assert form.status_code == 200 and "邻里纠纷" in form.content.decode()
    data = {
        "key": "k-page-1", "grid_id": tree.grid_a.pk, "type_id": disp.neighbour.pk,
        "source": "grid_worker", "risk": "ordinary", "summary": "车位纠纷", "account": "",
        "p0_resident_id": disp.res_a.pk, "p1_name": "赵六", "p1_phone": "13700001111",
        "p1_id_number": ID_X,
    }  # fmt: skip
    done = client.post("/disputes/new/", data)
    assert done.status_code == 302
    client.post("/disputes/new/", data)  # a double tap
    assert Dispute.objects.count() == 1
    bad = client.post(
        "/disputes/new/",
        {**data, "key": "k-page-2", "p1_phone": "", "p1_id_number": "", "p1_name": ""},
    )
    assert bad.status_code == 400 and "至少有两方当事人" in bad.content.decode()
    assert Dispute.objects.count() == 1


def test_screening_page__file_and_board(disp, people, tree, login):
    month = timezone.localdate().strftime("%Y-%m")
    r = login(people.gw_b).post(
        "/disputes/screening/", {"unit_id": tree.grid_b.pk, "month": month, "is_zero": "1"}
    )
    assert r.status_code == 302 and ScreeningReport.objects.get().is_zero
    r = login(people.gw_b).post(
        "/disputes/screening/", {"unit_id": tree.grid_b.pk, "month": "2099-01", "is_zero": "1"}
    )
    assert r.status_code == 400
    page = login(people.leader).get("/disputes/screening/", {"month": month})
    text = page.content.decode()
    assert page.status_code == 200 and "第2网格" in text and "零报告" in text
    book = login(people.leader).get("/disputes/screening/xlsx/", {"month": month})
    cells = cell_texts(book.content)
    assert "第2网格" in cells and "调解成功率" in cells and "是" in cells
    assert login(people.resident).get("/disputes/screening/").status_code == 404


def test_kpis_page_and_register_xlsx_have_no_party(disp, people, login):
    disp.register()
    page = login(people.leader).get("/disputes/kpis/")
    text = page.content.decode()
    assert page.status_code == 200 and "0/0" in text and "调解成功率" in text
    book = login(people.community_worker).get("/disputes/xlsx/")
    cells = " ".join(cell_texts(book.content))
    assert "楼上漏水" in cells and "王强" not in cells and "李大爷" not in cells
    assert login(people.leader).get("/disputes/xlsx/").status_code == 404


def test_print_pages(disp, people, login):
    case = disp.mediating()
    a = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="李某赔偿一千元")
    client = login(disp.med_user)
    notice = client.get(f"/disputes/{case.pk}/notice/").content.decode()
    assert "人民调解告知书" in notice and "王强" in notice and "<script" not in notice
    draft = client.get(f"/disputes/agreements/{a.pk}/").content.decode()
    assert "人民调解协议书" in draft and "（草稿）" in draft and "李某赔偿一千元" in draft
    services.agreement_sign(actor=disp.med_user, agreement_id=a.pk, photo=jpeg())
    signed = client.get(f"/disputes/agreements/{a.pk}/").content.decode()
    assert "签署件照片" in signed and "（草稿）" not in signed
    assert client.get(f"/disputes/agreements/{a.pk}/photo/").status_code == 200
    assert login(people.leader).get(f"/disputes/agreements/{a.pk}/").status_code == 404


def test_mediator_pages(disp, people, tree, login):
    case = disp.register()
    page = login(people.community_worker).get(f"/disputes/{case.pk}/")
    assert "张调解" in page.content.decode()
    r = login(people.community_worker).post(
        f"/disputes/{case.pk}/assign/", {"mediator_id": disp.party_mediator.pk}
    )
    assert r.status_code == 400 and "不得担任" in r.content.decode()
    r = login(people.community_worker).post(
        f"/disputes/{case.pk}/assign/", {"mediator_id": disp.mediator.pk}
    )
    assert r.status_code == 302
    roster = login(people.community_worker).get("/disputes/mediators/").content.decode()
    assert "智囊团" in roster and "张调解" in roster
    assert login(people.gw_a).get("/disputes/mediators/").status_code == 404


def test_workbench_panel(disp, people, login):
    disp.register()
    text = login(people.community_worker).get("/").content.decode()
    assert "/disputes/" in text


def test_types_page__add_rename_retire_and_refusals(people, login):
    from gongzhi.disputes.models import DisputeType

    admin = login(people.admin)
    page = admin.get("/disputes/types/")
    assert page.status_code == 200 and "邻里" in page.content.decode()
    assert admin.post("/disputes/types/", {"name": "停车"}).status_code == 302
    parking = DisputeType.objects.get(name="停车")
    assert AuditLog.objects.filter(action="disputes.type_save").count() == 1
    done = admin.post(
        "/disputes/types/", {"id": parking.pk, "name": "停车位", "is_active": "0"}, follow=True
    )
    parking.refresh_from_db()
    assert (parking.name, parking.is_active) == ("停车位", False)
    assert "已停用" in done.content.decode()
    # A taken name is an error on the same page, and nothing changes.
    taken = admin.post("/disputes/types/", {"id": parking.pk, "name": "邻里纠纷"})
    assert taken.status_code == 400 and "名称已被使用" in taken.content.decode()
    assert DisputeType.objects.get(pk=parking.pk).name == "停车位"
    empty = admin.post("/disputes/types/", {"name": "  "})
    assert empty.status_code == 400 and DisputeType.objects.filter(name="").count() == 0
    # Without the permission the page is not there.
    for who in (people.community_worker, people.resident):
        assert login(who).get("/disputes/types/").status_code == 404
        assert login(who).post("/disputes/types/", {"name": "X"}).status_code == 404
    assert not DisputeType.objects.filter(name="X").exists()


def test_new_page__their_number_kept_with_the_input_on_error(disp, people, tree, login):
    page = login(people.gw_a)
    form = {
        "key": "k-ref-1", "grid_id": tree.grid_a.pk, "type_id": disp.neighbour.pk,
        "source": "screening", "risk": "ordinary", "summary": "噪音扰民",
        "source_ref": "XF2026-9", "p0_resident_id": disp.res_a.pk, "p1_name": "赵六",
        "p1_phone": "13800001111",
    }  # fmt: skip
    refused = page.post("/disputes/new/", form)
    text = refused.content.decode()
    assert refused.status_code == 400 and "信访" in text and 'value="XF2026-9"' in text
    assert not Dispute.objects.filter(summary="噪音扰民").exists()
    done = page.post("/disputes/new/", {**form, "source": "petition"})
    assert done.status_code == 302
    d = Dispute.objects.get(summary="噪音扰民")
    assert d.source_ref == "XF2026-9"
    shown = login(people.community_worker).get(f"/disputes/{d.pk}/").content.decode()
    assert "XF2026-9" in shown
