"""The checklist editor page: edit, reorder, remove and add items in rows; saving adds a
version (past results keep theirs, kept items keep their keys); every refusal shows all
its messages at once and saves nothing; only those who edit checklists see it."""

import pytest

from gongzhi.inspections.models import ChecklistTemplate, ChecklistVersion
from gongzhi.inspections.services import task_submit

PASS = {"extinguisher": "pass", "exits": "pass", "count": 3}


def rows_post(data, rows, initial):
    post = {
        **data,
        "items-TOTAL_FORMS": str(len(rows)),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "60",
    }
    for n, row in enumerate(rows):
        for field in ("key", "text", "answer", "severity", "min", "max", "basis", "ORDER"):
            post[f"items-{n}-{field}"] = str(row.get(field, ""))
        for flag in ("required", "photo_on_fail", "DELETE"):
            if row.get(flag):
                post[f"items-{n}-{flag}"] = "on"
    return post


def test_editing_reorders_removes_and_adds_items_as_a_new_version(insp, people, login):
    done, _ = task_submit(actor=people.gw_a, task_id=insp.task(insp.shop_a).pk, client_id="e1",
                          answers=PASS)  # fmt: skip
    client = login(people.op_sub)
    url = f"/inspections/checklists/{insp.shop_tpl.pk}/edit/"
    page = client.get(url).content.decode()
    assert "灭火器在有效期内" in page and 'name="items-3-text"' in page  # 3 items + 3 blank
    common = {"answer": "pass_fail", "severity": "medium", "required": True, "photo_on_fail": True}
    rows = [
        {**common, "key": "extinguisher", "text": "灭火器在有效期内、压力正常", "severity": "high",
         "ORDER": 2},
        {**common, "key": "exits", "text": "疏散通道畅通", "ORDER": 1},
        {"key": "count", "text": "灭火器数量", "answer": "number", "severity": "medium",
         "min": 2, "ORDER": 3, "DELETE": True},
        {**common, "text": "电动车不在室内充电", "basis": "《消防法》第十六条"},
        {**common, "text": ""},  # a blank new row: skipped
    ]  # fmt: skip
    data = {"name": "门店表", "category_ids": [insp.shop_cat.pk],
            "case_category_id": insp.shop_tpl.case_category_id}  # fmt: skip
    response = client.post(url, rows_post(data, rows, initial=3))
    assert response.status_code == 302 and response["Location"] == "/inspections/checklists/"
    version = insp.shop_tpl.versions.order_by("-number").first()
    assert version.number == 2
    assert [i["key"] for i in version.items] == ["exits", "extinguisher", "item4"]
    assert version.items[1]["text"] == "灭火器在有效期内、压力正常"
    assert version.items[1]["severity"] == "high"
    assert version.items[2]["basis"] == "《消防法》第十六条"
    done.refresh_from_db()
    assert done.version.number == 1  # the past result keeps its version
    listed = client.get("/inspections/checklists/").content.decode()
    assert "电动车不在室内充电" in listed and "已保存为第 2 版" in listed


def test_a_refused_edit_shows_every_message_and_saves_nothing(insp, people, login):
    client = login(people.op_sub)
    url = f"/inspections/checklists/{insp.shop_tpl.pk}/edit/"
    rows = [{"key": "extinguisher", "text": "x", "answer": "pass_fail", "severity": "medium",
             "DELETE": True}]  # fmt: skip
    data = {"name": "", "category_ids": [insp.food_cat.pk], "case_category_id": ""}
    response = client.post(url, rows_post(data, rows, initial=1))
    page = response.content.decode()
    assert response.status_code == 400
    assert "清单未保存" in page
    assert page.count('class="field-error"') >= 3  # the name, the category taken, the case category
    assert "检查表至少要有一项" in page  # every item removed
    assert ChecklistVersion.objects.filter(template=insp.shop_tpl).count() == 1


def test_a_malformed_row_is_marked_and_the_input_kept(insp, people, login):
    client = login(people.op_sub)
    url = f"/inspections/checklists/{insp.shop_tpl.pk}/edit/"
    rows = [{"key": "extinguisher", "text": "灭火器有效", "answer": "pass_fail", "severity": "x",
             "min": "abc"}]  # fmt: skip
    data = {"name": "门店表", "category_ids": [insp.shop_cat.pk],
            "case_category_id": insp.shop_tpl.case_category_id}  # fmt: skip
    response = client.post(url, rows_post(data, rows, initial=1))
    assert response.status_code == 400
    page = response.content.decode()
    assert "灭火器有效</textarea>" in page and "has-error" in page
    assert ChecklistVersion.objects.filter(template=insp.shop_tpl).count() == 1


def test_a_new_checklist_from_the_page(insp, people, login):
    client = login(people.admin)
    data = {"name": "宗教场所检查表", "category_ids": [insp.other_cat.pk],
            "case_category_id": insp.shop_tpl.case_category_id}  # fmt: skip
    rows = [{"text": "香烛远离可燃物", "answer": "pass_fail", "severity": "high", "required": True}]
    response = client.post("/inspections/checklists/new/", rows_post(data, rows, initial=0))
    assert response.status_code == 302
    made = ChecklistTemplate.objects.get(name="宗教场所检查表")
    assert made.current.items[0]["key"] == "item1" and made.current.number == 1


@pytest.mark.parametrize("who", ["gw_a", "community_worker", "leader"])
def test_only_those_who_edit_checklists_see_the_editor(insp, people, login, who):
    client = login(getattr(people, who))
    assert client.get(f"/inspections/checklists/{insp.shop_tpl.pk}/edit/").status_code == 404
    assert client.post("/inspections/checklists/new/", {"name": "x"}).status_code == 404
    assert "/edit/" not in client.get("/inspections/checklists/").content.decode()
    assert ChecklistTemplate.objects.count() == 2 + 6  # the fixture's and the seeded


def test_a_checklist_that_does_not_exist_is_404(people, login):
    assert login(people.admin).get("/inspections/checklists/999999/edit/").status_code == 404
