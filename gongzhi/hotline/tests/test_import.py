"""The administrators' import of the day's orders from the hotline's xlsx export."""

import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from gongzhi.cases.models import Case
from gongzhi.core.models import AuditLog
from gongzhi.hotline import services
from gongzhi.hotline.models import HotlineOrder
from gongzhi.hotline.tests.conftest import order_data
from gongzhi.hotline.xlsx import FORMAT

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in FORMAT.columns]


def workbook(rows) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("工单")
    sheet.write_row(0, 0, HEADERS)
    for i, row in enumerate(rows, 1):
        sheet.write_row(i, 0, row)
    book.close()
    return SimpleUploadedFile(
        "12345工单.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


ROWS = [
    # 工单编号, 受理时间, 诉求内容, 诉求分类, 地址, 经度, 纬度, 联系人, 联系电话, 办理时限
    ["GD-X1", "2026-11-22 09:00", "桂园路积水严重", "道路积水", "桂园路", 112.41, 34.63,
     "李先生", "13812345678", "2026-11-23 18:00"],
    ["GD-X2", "2026-11-22 10:00", "噪音扰民", "施工扰民", "翠竹路", 112.45, 34.61,
     "", "", "2026-11-26"],
    ["GD-X3", "2026-11-22 10:30", "外区问题", "供水", "外区某路", 113.60, 34.75, "", "", ""],
    ["GD-X4", "2026-11-22 11:00", "", "供水", "桂园路", 112.41, 34.63, "", "", ""],
    ["GD-OLD", "2026-11-22 08:00", "已推送过的工单", "供电", "桂园路", 112.41, 34.63, "", "", ""],
]  # fmt: skip


def test_the_import_takes_in_rows_and_reports_the_rest(bounded, people, login):
    known, _created = services.order_receive(order_data(order_no="GD-OLD"))
    with translation.override("en"):
        response = login(people.admin).post("/hotline/import/", {"file": workbook(ROWS)})
    assert response.status_code == 200
    result = response.context["result"]
    assert [(n, no) for n, no, _case in result.created] == [(2, "GD-X1"), (3, "GD-X2")]
    assert [(n, no, case.pk) for n, no, case in result.skipped] == [(6, "GD-OLD", known.pk)]
    assert [(n, no) for n, no, _m in result.errors] == [(4, "GD-X3"), (5, "GD-X4")]
    page = response.content.decode()
    assert '<b id="created-count">2</b>' in page and '<b id="error-count">2</b>' in page
    assert "GD-X3" in page and "GD-X4" in page
    assert Case.objects.count() == 3
    audit = AuditLog.objects.get(action="hotline.imported")
    assert audit.actor == people.admin
    assert audit.changes == {"created": 2, "skipped": 1, "errors": 2}
    x1 = HotlineOrder.objects.get(order_no="GD-X1")
    assert x1.source == "xlsx" and x1.case.grid == bounded.grid_a
    assert x1.case.kind == "hotline_order" and x1.case.category.name == "道路积水"
    assert x1.hotline_deadline.isoformat() == "2026-11-23T10:00:00+00:00"
    x2 = HotlineOrder.objects.get(order_no="GD-X2")
    assert x2.case.grid == bounded.grid_c
    assert x2.hotline_deadline.isoformat() == "2026-11-26T15:59:59+00:00"  # end of the day
    # Importing the same file again makes nothing new.
    again = login(people.admin).post("/hotline/import/", {"file": workbook(ROWS)})
    assert len(again.context["result"].created) == 0
    assert len(again.context["result"].skipped) == 3
    assert Case.objects.count() == 3


def test_a_file_with_the_wrong_header_is_refused(tree, people, login):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet().write_row(0, 0, ["编号", "内容"])
    book.close()
    upload = SimpleUploadedFile("x.xlsx", buffer.getvalue())
    response = login(people.admin).post("/hotline/import/", {"file": upload})
    assert response.status_code == 400
    assert response.context["error"]
    assert not Case.objects.exists()


def test_not_an_xlsx_is_refused(tree, people, login):
    upload = SimpleUploadedFile("x.xlsx", b"not a workbook")
    response = login(people.admin).post("/hotline/import/", {"file": upload})
    assert response.status_code == 400 and not Case.objects.exists()


def test_only_administrators_may_import(tree, people, login):
    assert login(people.admin).get("/hotline/import/").status_code == 200
    for user in (people.op_district, people.gw_a, people.resident):
        response = login(user).post("/hotline/import/", {"file": workbook(ROWS)})
        assert response.status_code == 403
    assert not Case.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/hotline/import/")
    assert response.status_code == 302 and "/login/" in response["Location"]
