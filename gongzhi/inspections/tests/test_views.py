"""The pages: the worker's list and checklist form on a phone, the campaign pages, the
workbench panel; a refused submission keeps the answers; other areas are 404."""

import datetime as dt

from gongzhi.cases.tests.api_support import photo
from gongzhi.inspections.models import InspectionResult, InspectionTask, TaskState
from gongzhi.inspections.tests.conftest import TODAY


def test_the_worker_sees_their_tasks_and_the_workbench_panel(insp, people, login):
    client = login(people.gw_a)
    page = client.get("/inspections/", {"lng": "112.42", "lat": "34.62"}).content.decode()
    assert page.index("川味小馆") < page.index("老王杂货店")  # nearest first
    assert "阿香理发店" not in page  # grid B's
    assert "0 米" in page
    home = client.get("/").content.decode()
    assert 'data-role="inspections"' in home and "/inspections/" in home
    assert 'data-role="inspections"' not in login(people.resident).get("/").content.decode()


def test_submitting_the_checklist_from_the_page(insp, people, login):
    client = login(people.gw_a)
    task = insp.task(insp.food_a)
    url = f"/inspections/tasks/{task.pk}/"
    form = client.get(url).content.decode()
    assert 'name="a_gas_alarm"' in form and 'capture="environment"' in form
    post = {"client_id": "page-1", "outcome": "inspected", "a_gas_alarm": "fail",
            "n_gas_alarm": "未安装报警器", "a_gas_hose": "pass", "lng": "112.42", "lat": "34.62",
            "device_at": "2026-05-04T01:30:00.000Z"}  # fmt: skip
    refused = client.post(url, post)  # the failed item has no photo
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "未安装报警器" in body and 'value="page-1"' in body  # input kept, same submission id
    assert not InspectionResult.objects.exists()
    done = client.post(url, {**post, "p_gas_alarm": photo()}, follow=True)
    assert done.redirect_chain[-1][0] == "/inspections/"
    result = InspectionResult.objects.get()
    assert result.hazard.kind == "hazard" and result.lat == 34.62
    assert result.hazard.number in done.content.decode()
    assert InspectionTask.objects.get(pk=task.pk).state == TaskState.DONE
    shown = client.get(url).content.decode()
    assert result.hazard.number in shown and 'name="a_gas_alarm"' not in shown
    case_page = client.get(f"/cases/{result.hazard.pk}/").content.decode()
    assert "川味小馆" in case_page and "《城镇燃气管理条例》第二十八条" in case_page


def test_another_grids_task_page_is_404(insp, people, login):
    task = insp.task(insp.shop_a)
    assert login(people.gw_b).get(f"/inspections/tasks/{task.pk}/").status_code == 404
    assert login(people.gw_b).post(f"/inspections/tasks/{task.pk}/", {}).status_code == 404
    # a leader of the subdistrict reads it, without the form
    page = login(people.leader).get(f"/inspections/tasks/{task.pk}/")
    assert page.status_code == 200 and 'name="a_extinguisher"' not in page.content.decode()
    assert login(people.resident).get("/inspections/").status_code == 404


def test_campaign_pages(insp, people, tree, login):
    client = login(people.op_sub)
    listed = client.get("/inspections/campaigns/").content.decode()
    assert "安全集中整治月" in listed
    page = client.get(f"/inspections/campaigns/{insp.campaign.pk}/").content.decode()
    assert "第1网格" in page and "沿街门店" in page and "新增一轮排查" in page
    made = client.post(f"/inspections/campaigns/{insp.campaign.pk}/",
                       {"starts_on": str(TODAY + dt.timedelta(days=11)),
                        "due_on": str(TODAY + dt.timedelta(days=20))}, follow=True)  # fmt: skip
    assert "已新增第2轮，生成检查任务 5 条。" in made.content.decode()
    bad = client.post(f"/inspections/campaigns/{insp.campaign.pk}/",
                      {"starts_on": "2030-01-01", "due_on": "2030-01-02"})  # fmt: skip
    assert bad.status_code == 400 and insp.campaign.rounds.count() == 2
    new = client.post("/inspections/campaigns/new/",
                      {"name": "", "unit_code": tree.sub.code, "starts_on": str(TODAY),
                       "ends_on": str(TODAY), "category_ids": [str(insp.shop_cat.pk)]})  # fmt: skip
    assert new.status_code == 400 and "此项为必填项。" in new.content.decode()
    assert login(people.gw_a).get("/inspections/campaigns/new/").status_code == 404
    checklists = client.get("/inspections/checklists/").content.decode()
    assert "门店表" in checklists and "灭火器在有效期内" in checklists
