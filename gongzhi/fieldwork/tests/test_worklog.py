"""The work log and the monthly summary are computed from the records: patrols (and their
hours), cases entered, task reports, visits (care registers them); a note does not count
as attendance; tasks on time with their denominator."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.care import services as care
from gongzhi.cases.services import case_report
from gongzhi.core.errors import Invalid, NotFound, PermissionDenied
from gongzhi.core.manifest import worklog_sources
from gongzhi.fieldwork import services, worklog
from gongzhi.fieldwork.models import TaskTarget, WorkNote
from gongzhi.patrols import services as patrols
from gongzhi.registry import services as registry


@pytest.fixture
def day_of_work(people, tree, send, category):
    """gw_a today: a 90-minute patrol, a case, a task report, a home visit."""
    now = timezone.now()
    patrol = patrols.patrol_start(
        actor=people.gw_a, unit_code=tree.grid_a.code, started_at=now - dt.timedelta(minutes=90)
    )
    patrols.patrol_end(actor=people.gw_a, patrol_id=patrol.pk)
    case_report(
        actor=people.gw_a, category_id=category.pk, title="井盖缺失", grid_id=tree.grid_a.pk
    )
    task = send()
    services.task_report(actor=people.gw_a, task_id=task.pk, client_id="w1", grid_id=tree.grid_a.pk)
    resident = registry.resident_save(
        actor=people.gw_a,
        data=registry.ResidentInput(name="王秀英", grid_id=tree.grid_a.pk),
    )
    care.visit_record(actor=people.gw_a, resident_id=resident.pk, client_id="v1")
    return task


def test_sources_registered_by_each_app():
    assert [s.name for s in worklog_sources()] == [
        "patrols",
        "cases",
        "tasks",
        "care",
        "inspections",
    ]


def test_day_by_day__from_the_records(people, day_of_work):
    today = timezone.localdate()
    log = worklog.day_by_day(people.gw_a, today.year, today.month)
    assert log["attendance"] == 1
    assert log["counts"] == {
        "patrols": 1,
        "cases": 1,
        "tasks": 1,
        "care": 1,
        "inspections": 0,
        "patrol_hours": 1.5,
    }
    day = log["days"][0]
    assert day["day"] == today and day["minutes"] == 90 and day["editable"]
    kinds = [e["entry"].kind for e in day["entries"]]
    assert sorted(kinds) == ["care", "cases", "patrols", "tasks"]
    assert "王秀英" not in str([e["entry"].text for e in day["entries"]])


def test_note__today_only_and_no_attendance(people):
    services.note_save(actor=people.gw_b, text="协助社区开展燃气检查")
    note = services.note_save(actor=people.gw_b, text="改为：入户燃气检查")
    assert WorkNote.objects.get().text == "改为：入户燃气检查" == note.text
    with pytest.raises(Invalid):
        services.note_save(
            actor=people.gw_b, text="补记", day=timezone.localdate() - dt.timedelta(days=1)
        )
    with pytest.raises(Invalid):
        services.note_save(actor=people.gw_b, text="")
    with pytest.raises(PermissionDenied):
        services.note_save(actor=people.community_worker, text="x")
    today = timezone.localdate()
    log = worklog.day_by_day(people.gw_b, today.year, today.month)
    assert log["attendance"] == 0 and log["days"][0]["note"] == "改为：入户燃气检查"


def test_summary__per_worker_with_denominators(people, tree, day_of_work):
    services.note_save(actor=people.gw_b, text="只写了备注")
    now = timezone.now()
    day_of_work.__class__.objects.filter(pk=day_of_work.pk).update(deadline=now)
    TaskTarget.objects.filter(task=day_of_work, grid=tree.grid_a).update(
        completed_at=now - dt.timedelta(hours=1)
    )
    today = timezone.localdate()
    s = worklog.summary(people.community_worker, tree.community.code, today.year, today.month)
    rows = {r["user"]: r for r in s["rows"]}
    assert set(rows) == {people.gw_a, people.gw_b}
    whole = worklog.working_days(today.replace(day=1), today)
    assert s["working_days"] == whole
    a, b = rows[people.gw_a], rows[people.gw_b]
    assert a["counts"]["patrols"] == 1 and a["counts"]["patrol_hours"] == 1.5
    assert a["counts"]["cases"] == 1 and a["counts"]["tasks"] == 1 and a["counts"]["care"] == 1
    assert a["attendance"]["part"] + a["rest_days"] == 1 and a["attendance"]["whole"] == whole
    assert a["tasks_on_time"] == {"part": 1, "whole": 1, "percent": 100.0}
    assert b["attendance"]["part"] == 0
    assert b["tasks_on_time"] == {"part": 0, "whole": 1, "percent": 0.0}
    with pytest.raises(NotFound):
        worklog.summary(people.gw_a, tree.community.code, today.year, today.month)
    with pytest.raises(NotFound):
        worklog.summary(people.community_worker, tree.community2.code, today.year, today.month)


def test_log_and_summary_api(people, tree, day_of_work, login):
    month = timezone.localdate().strftime("%Y-%m")
    body = login(people.gw_a).get(f"/api/v1/fieldwork/log?month={month}").json()
    assert body["attendance_days"] == 1 and body["counts"]["patrols"] == 1
    assert {e["kind"] for e in body["days"][0]["entries"]} == {"patrols", "cases", "tasks", "care"}
    saved = login(people.gw_a).post(
        "/api/v1/fieldwork/log/note", {"text": "今天巡查一次"}, content_type="application/json"
    )
    assert saved.status_code == 200 and saved.json()["text"] == "今天巡查一次"
    summary = (
        login(people.op_sub)
        .get(f"/api/v1/fieldwork/summary?unit={tree.sub.code}&month={month}")
        .json()
    )
    by_name = {w["worker"]: w for w in summary["workers"]}
    worker = by_name[people.gw_a.get_display_name()]
    assert (
        worker["counts"]["cases"] == 1 and worker["attendance"]["part"] + worker["rest_days"] == 1
    )
    assert (
        login(people.gw_b).get(f"/api/v1/fieldwork/log?worker={people.gw_a.pk}").status_code == 404
    )
    bad = login(people.gw_a).get("/api/v1/fieldwork/log?month=2026-13")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_month"
