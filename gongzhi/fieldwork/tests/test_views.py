"""Pages: in Chinese for the right roles, forms keep their input on a refusal, 404/403."""

import datetime as dt

from django.utils import timezone

from gongzhi.fieldwork.models import Task, TaskReport


def test_home__worker_and_sender(people, tree, send, login):
    task = send()
    worker = login(people.gw_a).get("/fieldwork/")
    body = worker.content.decode()
    assert worker.status_code == 200 and "我的任务" in body and task.title in body
    sender = login(people.community_worker).get("/fieldwork/").content.decode()
    assert "发布任务" in sender and task.title in sender and "0 / 2 个网格完成" in sender
    assert login(people.resident).get("/fieldwork/").status_code == 404
    assert login(people.gw_b).get(f"/fieldwork/tasks/{task.pk}/").status_code == 200
    assert login(people.resident).get(f"/fieldwork/tasks/{task.pk}/").status_code == 404


def test_new_task__errors_in_chinese_with_input_kept(people, tree, login):
    client = login(people.community_worker)
    page = client.get("/fieldwork/tasks/new/")
    assert page.status_code == 200 and tree.grid_a.name in page.content.decode()
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(
        "/fieldwork/tasks/new/",
        {"title": "冬季燃气安全入户检查", "description": "入户查燃气", "kind": "count",
         "deadline": past, "grid": [str(tree.grid_a.pk)], f"target_{tree.grid_a.pk}": "0"},
    )  # fmt: skip
    body = bad.content.decode()
    assert bad.status_code == 400 and Task.objects.count() == 0
    assert "截止时间已过" in body and "1 到 10000" in body
    assert 'value="冬季燃气安全入户检查"' in body and "入户查燃气" in body
    assert f'value="{past}"' in body and 'value="0"' in body
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    good = client.post(
        "/fieldwork/tasks/new/",
        {"title": "冬季燃气安全入户检查", "kind": "count", "deadline": future,
         "grid": [str(tree.grid_a.pk)], f"target_{tree.grid_a.pk}": "50"},
    )  # fmt: skip
    assert good.status_code == 302
    assert login(people.gw_a).get("/fieldwork/tasks/new/").status_code == 404


def test_task_page__report_form_and_board(people, tree, send, login):
    task = send(kind="count", targets={tree.grid_a.pk: 50})
    client = login(people.gw_a)
    page = client.get(f"/fieldwork/tasks/{task.pk}/").content.decode()
    assert "上报" in page and 'name="client_id"' in page
    bad = client.post(
        f"/fieldwork/tasks/{task.pk}/",
        {"action": "report", "client_id": "v1", "grid_id": tree.grid_a.pk, "count": "abc",
         "note": "三号楼已入户"},
    )  # fmt: skip
    assert bad.status_code == 400 and "三号楼已入户" in bad.content.decode()
    assert TaskReport.objects.count() == 0
    ok = client.post(
        f"/fieldwork/tasks/{task.pk}/",
        {"action": "report", "client_id": "v1", "grid_id": tree.grid_a.pk, "count": "12"},
    )
    assert ok.status_code == 302
    again = client.post(
        f"/fieldwork/tasks/{task.pk}/",
        {"action": "report", "client_id": "v1", "grid_id": tree.grid_a.pk, "count": "12"},
    )
    assert again.status_code == 302 and TaskReport.objects.count() == 1
    board = login(people.community_worker).get(f"/fieldwork/tasks/{task.pk}/").content.decode()
    assert "12" in board and "撤销任务" in board
    refused = client.post(f"/fieldwork/tasks/{task.pk}/", {"action": "cancel"})
    assert refused.status_code == 403


def test_log_and_summary_pages(people, tree, send, login):
    task = send()
    client = login(people.gw_a)
    client.post(
        f"/fieldwork/tasks/{task.pk}/",
        {"action": "report", "client_id": "l1", "grid_id": tree.grid_a.pk},
    )
    page = client.get("/fieldwork/log/").content.decode()
    assert "我的工作日志" in page and task.title in page
    too_long = client.post("/fieldwork/log/", {"text": "走" * 501})
    assert too_long.status_code == 400 and "走" * 501 in too_long.content.decode()
    assert client.post("/fieldwork/log/", {"text": "走访独居老人"}).status_code == 302
    assert "走访独居老人" in client.get("/fieldwork/log/").content.decode()
    assert login(people.community_worker).get("/fieldwork/log/").status_code == 404
    summary = login(people.community_worker).get(f"/fieldwork/summary/?unit={tree.community.code}")
    body = summary.content.decode()
    assert summary.status_code == 200 and "月度工作汇总" in body
    assert people.gw_a.get_display_name() in body and people.gw_b.get_display_name() in body
    other = login(people.community_worker).get(f"/fieldwork/log/?worker={people.gw_a.pk}")
    assert other.status_code == 200 and task.title in other.content.decode()
    assert login(people.gw_b).get(f"/fieldwork/log/?worker={people.gw_a.pk}").status_code == 404
    assert login(people.gw_a).get("/fieldwork/summary/").status_code == 404
    assert (
        login(people.community_worker).get(f"/fieldwork/summary/?unit={tree.community2.code}")
    ).status_code == 404


def test_workbench_panel__one_query_for_workers_and_senders(
    people, tree, send, login, django_assert_num_queries
):
    from gongzhi.core.permissions import scope_for
    from gongzhi.fieldwork import perms, selectors

    task = send(deadline=timezone.now() + dt.timedelta(hours=30))
    send(title="独生子女认证入户", deadline=timezone.now() + dt.timedelta(days=5))
    for user in (people.gw_a, people.community_worker, people.leader):
        scope_for(user, perms.VIEW)  # the positions, read once a request
    with django_assert_num_queries(1):
        assert selectors.workbench(people.gw_a) == {"worker": True, "open": 2, "due": 1}
    with django_assert_num_queries(1):
        assert selectors.workbench(people.community_worker) == {
            "worker": False,
            "open": 2,
            "due": 0,
        }
    with django_assert_num_queries(0):
        assert selectors.workbench(people.leader) is None
    home = login(people.gw_a).get("/").content.decode()
    assert "待办任务" in home and "两天内截止" in home and "我的工作日志" in home
    assert task.title not in home


def test_task_page__a_case_reporting_task_offers_the_workers_cases(
    people, tree, send, login, category
):
    from gongzhi.cases.services import case_report

    task = send(kind="report", targets={tree.grid_a.pk: 2})
    client = login(people.gw_a)
    empty = client.get(f"/fieldwork/tasks/{task.pk}/").content.decode()
    assert "请先上报" in empty
    case, _ = case_report(
        actor=people.gw_a, category_id=category.pk, title="楼道飞线充电", grid_id=tree.grid_a.pk
    )
    page = client.get(f"/fieldwork/tasks/{task.pk}/").content.decode()
    assert f'<option value="{case.pk}"' in page and "楼道飞线充电" in page
    done = client.post(
        f"/fieldwork/tasks/{task.pk}/",
        {"action": "report", "client_id": "cs1", "grid_id": tree.grid_a.pk, "case_id": case.pk},
    )
    assert done.status_code == 302 and TaskReport.objects.get().case == case
    assert (
        f'<option value="{case.pk}"'
        not in client.get(f"/fieldwork/tasks/{task.pk}/").content.decode()
    )
