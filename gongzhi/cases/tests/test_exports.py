"""Every case list downloads as a workbook (issue 15): the queue as searched, the
command center's drill-down; no reporter's phone in it; audited; refused above its size
with the message to narrow it; out of the user's area it is the same 404."""

import io

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from gongzhi.cases import exports
from gongzhi.core.models import AuditLog


def _sheet(response) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return book.get_sheet_by_index(0).to_python()


def test_a_queue_downloads_as_it_is_searched(people, login, report):
    report(title="楼道堆放纸箱", reporter_phone="13812345678")
    report(title="路灯不亮")
    client = login(people.op_sub)
    response = client.get("/cases/xlsx/", {"queue": "new", "q": "纸箱"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet(response)
    assert len(rows) == 2 and rows[1][1] == "楼道堆放纸箱"
    assert "13812345678" not in str(rows) and "138****5678" not in str(rows)
    logged = AuditLog.objects.get(action="cases.export")
    assert logged.actor == people.op_sub and logged.changes["rows"] == 1
    assert logged.changes["filter"] == {"queue": "new", "q": "纸箱"}
    page = client.get("/cases/", {"queue": "new"}).content.decode()
    assert "/cases/xlsx/?queue=new" in page


def test_a_grid_worker_downloads_only_their_own_cases(people, login, report, tree):
    report(title="一网格的事")
    report(title="二网格的事", grid_id=tree.grid_b.pk, actor=people.gw_b)
    rows = _sheet(login(people.gw_a).get("/cases/xlsx/", {"queue": "all"}))
    titles = {r[1] for r in rows[1:]}
    assert "一网格的事" in titles and "二网格的事" not in titles


def test_too_many_rows_are_refused_with_a_message(people, login, report, monkeypatch):
    report()
    report()
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    response = login(people.op_sub).get("/cases/xlsx/", {"queue": "new"})
    assert response.status_code == 400 and "缩小" in response.content.decode()
    assert not AuditLog.objects.filter(action="cases.export").exists()


def test_the_command_drill_down_downloads(people, login, report, tree):
    report(title="桂园路面坑洼")
    today = timezone.localdate().isoformat()
    params = {"unit": tree.sub.code, "start": today, "end": today, "metric": "received"}
    client = login(people.op_sub)
    response = client.get("/command/cases.xlsx", params)
    assert response.status_code == 200
    assert [r[1] for r in _sheet(response)[1:]] == ["桂园路面坑洼"]
    page = client.get("/command/cases/", params).content.decode()
    assert "/command/cases.xlsx?" in page
    assert client.get("/command/cases.xlsx", {**params, "unit": tree.sub2.code}).status_code == 404
    bad = client.get("/command/cases.xlsx", {**params, "start": "2026-02-30"})
    assert bad.status_code == 400
    assert login(people.gw_a).get("/command/cases.xlsx", params).status_code == 404


@pytest.mark.parametrize("who", ["resident", "nobody"])
def test_no_list_no_download(people, login, who):
    assert login(getattr(people, who)).get("/cases/xlsx/").status_code == 404
