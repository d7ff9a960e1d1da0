"""The API the offline app calls: my-tasks, reports (201 then 200), with-photo; and the
staff's create, list, detail, cancel; errors in the API's shape."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.fieldwork.models import TaskKind, TaskReport
from gongzhi.fieldwork.tests.conftest import jpeg

BASE = "/api/v1/fieldwork"


def test_my_tasks__the_callers_open_tasks_with_progress(people, tree, send, login):
    task = send(kind=TaskKind.COUNT, targets={tree.grid_a.pk: 50, tree.grid_b.pk: 40})
    client = login(people.gw_a)
    client.post(
        f"{BASE}/tasks/{task.pk}/reports",
        {"client_id": "k1", "grid_id": tree.grid_a.pk, "count": 12},
        content_type="application/json",
    )
    body = client.get(f"{BASE}/my-tasks").json()
    assert body == [
        {
            "id": task.pk,
            "title": task.title,
            "description": "",
            "kind": "count",
            "deadline": body[0]["deadline"],
            "grid_id": tree.grid_a.pk,
            "grid_name": tree.grid_a.name,
            "target": 50,
            "done": 12,
        }
    ]
    assert login(people.resident).get(f"{BASE}/my-tasks").json() == []


def test_report__201_then_200_with_the_stored_row(people, tree, send, login):
    task = send()
    client = login(people.gw_a)
    data = {
        "client_id": "0b6a3c1e-uuid",
        "grid_id": tree.grid_a.pk,
        "note": "已排查",
        "observed_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "lng": 116.4,
        "lat": 39.9,
    }
    first = client.post(f"{BASE}/tasks/{task.pk}/reports", data, content_type="application/json")
    assert first.status_code == 201, first.content
    again = client.post(
        f"{BASE}/tasks/{task.pk}/reports",
        {**data, "note": "改了"},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json() == first.json()
    body = first.json()
    assert body["note"] == "已排查" and body["amount"] == 1 and body["grid_id"] == tree.grid_a.pk
    assert body["observed_at"] != body["received_at"] and body["has_photo"] is False
    assert TaskReport.objects.count() == 1


def test_report_with_photo__multipart(people, tree, send, login):
    task = send(kind=TaskKind.COUNT, targets={tree.grid_a.pk: 20})
    client = login(people.gw_a)
    url = f"{BASE}/tasks/{task.pk}/reports/with-photo"
    form = {"client_id": "ph-1", "grid_id": tree.grid_a.pk, "count": "6", "photo": jpeg()}
    first = client.post(url, form)
    assert first.status_code == 201, first.content
    assert first.json()["has_photo"] and first.json()["count"] == 6
    second = client.post(url, {**form, "photo": jpeg()})
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    photo = client.get(f"/fieldwork/reports/{first.json()['id']}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert (
        login(people.gw_b).get(f"/fieldwork/reports/{first.json()['id']}/photo/").status_code == 404
    )
    bad = client.post(url, {"client_id": "ph-2", "grid_id": tree.grid_a.pk, "count": "6",
                            "photo": __import__("io").BytesIO(b"zz")})  # fmt: skip
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_image"
    assert TaskReport.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "fields", "status", "code"),
    [
        ("gw_a", {"count": 3}, 400, "invalid"),
        ("gw_a", {"client_id": ""}, 400, "invalid"),
        ("gw_a", {"client_id": "编号"}, 400, "invalid"),
        ("gw_a", {"grid": "grid_b"}, 404, "not_found"),
        ("community_worker", {}, 403, "forbidden"),
        ("resident", {}, 404, "not_found"),
        ("gw_a", {"observed_at": "2099-01-01T00:00:00+08:00"}, 400, "invalid"),
    ],
)
def test_report__errors(people, tree, send, login, who, fields, status, code):
    task = send()
    data = {"client_id": "e1", "grid_id": tree.grid_a.pk, **fields}
    if "grid" in data:
        data["grid_id"] = getattr(tree, data.pop("grid")).pk
    response = login(getattr(people, who)).post(
        f"{BASE}/tasks/{task.pk}/reports", data, content_type="application/json"
    )
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message"]
    assert TaskReport.objects.count() == 0


def test_staff__create_list_detail_cancel(people, tree, login):
    client = login(people.community_worker)
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    created = client.post(
        f"{BASE}/tasks",
        {
            "title": "独生子女认证入户",
            "kind": "count",
            "deadline": deadline,
            "targets": [{"grid_id": tree.grid_a.pk, "target": 30}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    assert created.json()["grids"] == 1 and created.json()["completed"] == 0
    listed = client.get(f"{BASE}/tasks").json()
    assert [t["id"] for t in listed["items"]] == [task_id]
    assert login(people.gw_b).get(f"{BASE}/tasks").json()["items"] == []
    detail = client.get(f"{BASE}/tasks/{task_id}").json()
    assert detail["progress"] == [
        {
            "grid_id": tree.grid_a.pk,
            "grid_name": tree.grid_a.name,
            "org_code": tree.grid_a.code,
            "target": 30,
            "done": 0,
            "completed_at": None,
            "late": False,
            "reported_by": [],
        }
    ]
    assert login(people.gw_b).get(f"{BASE}/tasks/{task_id}").status_code == 404
    refused = login(people.gw_a).post(
        f"{BASE}/tasks/{task_id}/cancel", {}, content_type="application/json"
    )
    assert refused.status_code == 403
    cancelled = client.post(
        f"{BASE}/tasks/{task_id}/cancel", {"reason": "重复"}, content_type="application/json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


def test_staff__create_refused(people, tree, login):
    response = login(people.community_worker).post(
        f"{BASE}/tasks",
        {
            "title": "x",
            "kind": "confirm",
            "deadline": (timezone.now() - dt.timedelta(days=1)).isoformat(),
            "targets": [{"grid_id": tree.grid_c.pk, "target": 1}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and {"deadline", "targets"} <= set(body["details"])
    forbidden = login(people.gw_a).post(
        f"{BASE}/tasks",
        {"title": "x", "kind": "confirm", "deadline": "2030-01-01T00:00:00+08:00",
         "targets": [{"grid_id": tree.grid_a.pk, "target": 1}]},
        content_type="application/json",
    )  # fmt: skip
    assert forbidden.status_code == 403
