"""Tasks: sending, reporting (idempotent by client_id), cancelling; scope, permission,
bad input changing nothing, audit rows."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.cases.services import case_report
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.images import ImageRejected
from gongzhi.core.models import AuditLog
from gongzhi.fieldwork import selectors, services
from gongzhi.fieldwork.models import Task, TaskKind, TaskReport, TaskState, TaskTarget
from gongzhi.fieldwork.tests.conftest import jpeg


def _snapshot():
    return (
        Task.objects.count(),
        TaskTarget.objects.count(),
        TaskReport.objects.count(),
        AuditLog.objects.filter(action__startswith="fieldwork.").count(),
    )


def test_task_create__targets_per_grid_area_and_audit(people, tree, send):
    task = send(description="楼道、窗口飞线充电")
    assert task.state == TaskState.OPEN and task.org_code == tree.community.code
    assert dict(task.targets.values_list("org_code", "target")) == {
        tree.grid_a.code: 1,
        tree.grid_b.code: 2,
    }
    log = AuditLog.objects.get(action="fieldwork.task_create")
    assert log.actor == people.community_worker and log.object_id == str(task.pk)
    assert log.changes["targets"] == {tree.grid_a.code: 1, tree.grid_b.code: 2}


def test_task_create__by_a_subdistrict_operator_spans_communities(people, tree, send):
    task = send(actor=people.op_sub, targets={tree.grid_a.pk: 1, tree.grid_c.pk: 1})
    assert task.org_code == tree.sub.code


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "长" * 101}, "title"),
        ({"description": "x" * 2001}, "description"),
        ({"kind": "visit"}, "kind"),
        ({"deadline": ""}, "deadline"),
        ({"deadline": "next week"}, "deadline"),
        ({"deadline_passed": True}, "deadline"),
        ({"deadline_far": True}, "deadline"),
        ({"targets": {}}, "targets"),
        ({"target": 0}, "targets"),
        ({"target": 10_001}, "targets"),
        ({"target": "many"}, "targets"),
        ({"grid": "grid_c"}, "targets"),  # another community's grid
        ({"grid": "community"}, "targets"),  # not a grid
    ],
)
def test_task_create__bad_input_changes_nothing(people, tree, change, field):
    before = _snapshot()
    data = {
        "title": "冬季燃气安全入户检查",
        "description": "",
        "kind": TaskKind.COUNT,
        "deadline": timezone.now() + dt.timedelta(days=2),
        "targets": {tree.grid_a.pk: 50},
    }
    if change.pop("deadline_passed", False):
        data["deadline"] = timezone.now() - dt.timedelta(minutes=1)
    if change.pop("deadline_far", False):
        data["deadline"] = timezone.now() + dt.timedelta(days=400)
    if "target" in change:
        data["targets"] = {tree.grid_a.pk: change.pop("target")}
    if "grid" in change:
        data["targets"] = {getattr(tree, change.pop("grid")).pk: 1}
    data.update(change)
    with pytest.raises(Invalid) as exc:
        services.task_create(actor=people.community_worker, **data)
    assert field in exc.value.details and exc.value.message
    assert _snapshot() == before


@pytest.mark.parametrize("who", ["gw_a", "leader", "resident", "handler", "nobody"])
def test_task_create__only_senders(people, tree, who):
    with pytest.raises(PermissionDenied):
        services.task_create(
            actor=getattr(people, who), title="x", kind=TaskKind.CONFIRM,
            deadline=timezone.now() + dt.timedelta(days=1), targets={tree.grid_a.pk: 1},
        )  # fmt: skip
    assert Task.objects.count() == 0


def test_reads_are_scoped(people, tree, send):
    task = send()
    for who in ("community_worker", "op_sub", "leader", "gw_a", "gw_b", "admin"):
        assert selectors.task_for(getattr(people, who), task.pk) == task
    for who in ("resident", "building_head", "handler", "nobody"):
        with pytest.raises(NotFound):
            selectors.task_for(getattr(people, who), task.pk)
    # A worker sees their own grid's progress only.
    assert [t.org_code for t in selectors.targets_of(people.gw_a, task)] == [tree.grid_a.code]
    assert [t.org_code for t in selectors.my_targets(people.gw_b)] == [tree.grid_b.code]
    other = send(actor=people.op_sub, targets={tree.grid_c.pk: 1})
    with pytest.raises(NotFound):
        selectors.task_for(people.community_worker, other.pk)


def test_report__confirm_completes_and_audits(people, tree, send):
    task = send()
    before = timezone.now()
    report, created = services.task_report(
        actor=people.gw_a, task_id=task.pk, client_id="c-1", grid_id=tree.grid_a.pk,
        note="已排查，无飞线", lng=116.4, lat=39.9, photo=jpeg(),
    )  # fmt: skip
    assert created and report.amount == 1 and report.photo and report.photo_type == "image/jpeg"
    assert report.received_at >= before and report.observed_at is None
    target = TaskTarget.objects.get(task=task, grid=tree.grid_a)
    assert target.completed_at == report.received_at
    log = AuditLog.objects.get(action="fieldwork.task_report")
    assert log.actor == people.gw_a and log.changes["report"] == report.pk


def test_report__same_client_id_is_the_same_row(people, tree, send):
    task = send()
    first, created = services.task_report(
        actor=people.gw_b, task_id=task.pk, client_id="abc", grid_id=tree.grid_b.pk, note="一"
    )
    again, created_again = services.task_report(
        actor=people.gw_b, task_id=task.pk, client_id="abc", grid_id=tree.grid_b.pk, note="二"
    )
    assert created and not created_again and again.pk == first.pk and again.note == "一"
    assert TaskReport.objects.count() == 1
    assert AuditLog.objects.filter(action="fieldwork.task_report").count() == 1
    # Another worker may use the same id: it is theirs.
    task2 = send(targets={tree.grid_a.pk: 1})
    _, created = services.task_report(
        actor=people.gw_a, task_id=task2.pk, client_id="abc", grid_id=tree.grid_a.pk
    )
    assert created
    with pytest.raises(Conflict) as exc:
        services.task_report(
            actor=people.gw_b, task_id=task2.pk, client_id="abc", grid_id=tree.grid_b.pk
        )
    assert exc.value.code == "client_id_taken"


def test_report__observed_and_received_kept_apart(people, tree, send):
    task = send()
    observed = timezone.now() - dt.timedelta(hours=5)
    report, _ = services.task_report(
        actor=people.gw_a, task_id=task.pk, client_id="o-1", grid_id=tree.grid_a.pk,
        observed_at=observed.isoformat(),
    )  # fmt: skip
    report.refresh_from_db()
    assert report.observed_at == observed.replace(microsecond=observed.microsecond)
    assert report.received_at - observed >= dt.timedelta(hours=5)
    # Within the clock skew the device is believed; beyond it, refused.
    services.task_report(
        actor=people.gw_b, task_id=task.pk, client_id="o-2", grid_id=tree.grid_b.pk,
        observed_at=timezone.now() + dt.timedelta(minutes=4),
    )  # fmt: skip
    with pytest.raises(Invalid) as exc:
        services.task_report(
            actor=people.gw_b, task_id=task.pk, client_id="o-3", grid_id=tree.grid_b.pk,
            observed_at=timezone.now() + dt.timedelta(minutes=6),
        )  # fmt: skip
    assert "observed_at" in exc.value.details


def test_report__count_adds_up_and_late_is_derived(people, tree, send):
    task = send(kind=TaskKind.COUNT, targets={tree.grid_a.pk: 50})
    services.task_report(
        actor=people.gw_a, task_id=task.pk, client_id="n1", grid_id=tree.grid_a.pk, count=30
    )
    target = TaskTarget.objects.get(task=task)
    assert target.completed_at is None
    Task.objects.filter(pk=task.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    board = selectors.board(people.community_worker, Task.objects.get(pk=task.pk))
    assert board["rows"][0]["done"] == 30 and board["rows"][0]["late"] and board["late"] == 1
    services.task_report(
        actor=people.gw_a, task_id=task.pk, client_id="n2", grid_id=tree.grid_a.pk, count="20"
    )
    board = selectors.board(people.community_worker, Task.objects.get(pk=task.pk))
    row = board["rows"][0]
    assert row["done"] == 50 and row["completed_at"] is not None and row["late"]
    assert row["who"] == [people.gw_a.get_display_name()] and board["completed"] == 1


def test_report__a_case_of_the_grid_reported_by_the_worker(people, tree, send, category):
    task = send(kind=TaskKind.REPORT, targets={tree.grid_a.pk: 2})
    mine, _ = case_report(
        actor=people.gw_a, category_id=category.pk, title="电动车飞线充电", grid_id=tree.grid_a.pk
    )
    theirs, _ = case_report(
        actor=people.community_worker, category_id=category.pk, title="x", grid_id=tree.grid_a.pk
    )
    other_grid, _ = case_report(
        actor=people.gw_b, category_id=category.pk, title="x", grid_id=tree.grid_b.pk
    )
    report, _ = services.task_report(
        actor=people.gw_a, task_id=task.pk, client_id="r1", grid_id=tree.grid_a.pk,
        case_id=mine.pk,
    )  # fmt: skip
    assert report.case == mine and report.amount == 1
    before = _snapshot()
    for n, case_id in enumerate((theirs.pk, other_grid.pk, mine.pk, "", 999999)):
        with pytest.raises(Invalid) as exc:
            services.task_report(
                actor=people.gw_a, task_id=task.pk, client_id=f"r-bad-{n}",
                grid_id=tree.grid_a.pk, case_id=case_id,
            )  # fmt: skip
        assert "case_id" in exc.value.details
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        (TaskKind.CONFIRM, {"count": 3}, "count"),
        (TaskKind.CONFIRM, {"case_id": 1}, "case_id"),
        (TaskKind.COUNT, {}, "count"),
        (TaskKind.COUNT, {"count": 0}, "count"),
        (TaskKind.COUNT, {"count": 10_001}, "count"),
        (TaskKind.COUNT, {"count": 5, "note": "x" * 501}, "note"),
        (TaskKind.COUNT, {"count": 5, "lat": 91, "lng": 10}, "lat"),
        (TaskKind.COUNT, {"count": 5, "lng": 116.4}, "lng"),
        (TaskKind.COUNT, {"count": 5, "observed_at": "yesterday"}, "observed_at"),
    ],
)
def test_report__bad_input_changes_nothing(people, tree, send, kind, fields, field):
    task = send(kind=kind, targets={tree.grid_a.pk: 5})
    before = _snapshot()
    with pytest.raises(Invalid) as exc:
        services.task_report(
            actor=people.gw_a, task_id=task.pk, client_id="bad", grid_id=tree.grid_a.pk, **fields
        )
    assert field in exc.value.details
    assert _snapshot() == before


def test_report__bad_client_id_photo_scope_and_permission(people, tree, send):
    task = send()
    before = _snapshot()
    for client_id in ("", "x" * 65, "编号"):
        with pytest.raises(Invalid) as exc:
            services.task_report(
                actor=people.gw_a, task_id=task.pk, client_id=client_id, grid_id=tree.grid_a.pk
            )
        assert "client_id" in exc.value.details
    with pytest.raises(ImageRejected):
        services.task_report(
            actor=people.gw_a, task_id=task.pk, client_id="p", grid_id=tree.grid_a.pk,
            photo=__import__("io").BytesIO(b"not a photo"),
        )  # fmt: skip
    with pytest.raises(NotFound):  # grid B is not gw_a's
        services.task_report(
            actor=people.gw_a, task_id=task.pk, client_id="s", grid_id=tree.grid_b.pk
        )
    with pytest.raises(PermissionDenied):  # sees it, does not do it
        services.task_report(
            actor=people.community_worker, task_id=task.pk, client_id="s", grid_id=tree.grid_a.pk
        )
    with pytest.raises(NotFound):
        services.task_report(
            actor=people.resident, task_id=task.pk, client_id="s", grid_id=tree.grid_a.pk
        )
    assert _snapshot() == before


def test_cancel__by_the_sender_area_only(people, tree, send):
    task = send()
    with pytest.raises(PermissionDenied):
        services.task_cancel(actor=people.gw_a, task_id=task.pk)
    with pytest.raises(PermissionDenied):
        services.task_cancel(actor=people.leader, task_id=task.pk)
    with pytest.raises(NotFound):
        services.task_cancel(actor=people.resident, task_id=task.pk)
    assert Task.objects.get(pk=task.pk).state == TaskState.OPEN
    services.task_cancel(actor=people.community_worker, task_id=task.pk, reason="重复下发")
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED and task.cancel_reason == "重复下发"
    assert AuditLog.objects.filter(action="fieldwork.task_cancel").count() == 1
    assert selectors.my_targets(people.gw_a) == []
    with pytest.raises(Conflict):
        services.task_report(
            actor=people.gw_a, task_id=task.pk, client_id="late", grid_id=tree.grid_a.pk
        )
    with pytest.raises(Conflict):
        services.task_cancel(actor=people.community_worker, task_id=task.pk)


def test_a_micro_grid_worker_does_the_grid_tasks(people, tree, send):
    from gongzhi.conftest import _holder
    from gongzhi.core.roles import Role

    micro = _holder("gw_micro", Role.GRID_WORKER, unit=tree.micro_a1)
    task = send()
    assert [t.task_id for t in selectors.my_targets(micro)] == [task.pk]
    _, created = services.task_report(
        actor=micro, task_id=task.pk, client_id="m", grid_id=tree.grid_a.pk
    )
    assert created
