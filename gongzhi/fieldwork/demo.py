"""The fieldwork demo (step 75): in the first community with grid workers, its community
worker sends three tasks to its grids through the services, played at their moments
(core.democlock): 冬季燃气安全入户检查 sent twelve days ago and due two days ago (most grids
done on time, one late, one short), 本周完成辖区电动车飞线充电排查 this week (half the grids
confirmed) and 独生子女认证入户 sent today (a few households counted). Idempotent: nothing
is done when a task exists."""

import datetime as dt

from django.utils import timezone

from gongzhi.accounts.models import Position
from gongzhi.core.democlock import at
from gongzhi.core.roles import Level, Role
from gongzhi.fieldwork import services
from gongzhi.fieldwork.models import Task, TaskKind
from gongzhi.orgs.models import OrgUnit


def _grids_and_workers(community):
    workers = {}
    for p in Position.objects.filter(
        is_active=True, role=Role.GRID_WORKER, org_code__within=community.code
    ).select_related("user", "org_unit"):
        if p.org_unit and p.org_unit.level == Level.GRID:
            workers.setdefault(p.org_unit, p.user)
    return sorted(workers.items(), key=lambda gw: gw[0].code)


def run(log) -> None:
    if Task.objects.exists():
        log("任务数据已存在，跳过。")
        return
    sender = grids = None
    for community in OrgUnit.objects.filter(level=Level.COMMUNITY).order_by("code"):
        worker = (
            Position.objects.filter(
                is_active=True, role=Role.COMMUNITY_WORKER, org_code=community.code
            )
            .select_related("user")
            .first()
        )
        grids = _grids_and_workers(community)
        if worker is not None and grids:
            sender = worker.user
            break
    if sender is None:
        log("fieldwork: no community with a community worker and grid workers; skipped")
        return
    now = timezone.now()
    day = dt.timedelta(days=1)
    reports = 0

    def report(task, grid, user, moment, n, **kw):
        nonlocal reports
        with at(moment):
            services.task_report(
                actor=user, task_id=task.pk, grid_id=grid.pk, client_id=f"demo-{task.pk}-{n}",
                observed_at=moment - dt.timedelta(minutes=20), **kw,
            )  # fmt: skip
        reports += 1

    sent = now - 12 * day
    with at(sent):
        gas = services.task_create(
            actor=sender,
            title="冬季燃气安全入户检查",
            description="入户检查燃气灶具、连接软管、报警器，发现隐患当场告知并拍照上报。",
            kind=TaskKind.COUNT,
            deadline=timezone.localtime(now - 2 * day).replace(
                hour=18, minute=0, second=0, microsecond=0
            ),
            targets={g.pk: 40 for g, _u in grids},
        )
    for i, (grid, user) in enumerate(grids):
        # Most grids in three visits on time; the last but one late; the last short.
        late = i == len(grids) - 2 and len(grids) > 2
        short = i == len(grids) - 1 and len(grids) > 1
        for k, (days_ago, count) in enumerate(((10, 15), (7, 15), (1 if late else 4, 10))):
            if short and k == 2:
                break
            moment = now - days_ago * day
            report(gas, grid, user, moment, k, count=count, note="已入户检查")
    with at(now - 2 * day):
        wires = services.task_create(
            actor=sender,
            title="本周完成辖区电动车飞线充电排查",
            description="排查楼道、窗口飞线充电和楼内停放电动车，整改后拍照确认。",
            kind=TaskKind.CONFIRM,
            deadline=timezone.localtime(now + 5 * day).replace(
                hour=17, minute=0, second=0, microsecond=0
            ),
            targets={g.pk: 1 for g, _u in grids},
        )
    for i, (grid, user) in enumerate(grids[: (len(grids) + 1) // 2]):
        report(wires, grid, user, now - day + i * dt.timedelta(hours=1), 0,
               note="已排查，未发现飞线充电", lng=None, lat=None)  # fmt: skip
    households = services.task_create(
        actor=sender,
        title="独生子女认证入户",
        description="对辖区申请独生子女父母奖励的家庭入户核实，记录核实户数。",
        kind=TaskKind.COUNT,
        deadline=timezone.localtime(now + 10 * day).replace(
            hour=17, minute=0, second=0, microsecond=0
        ),
        targets={g.pk: 20 for g, _u in grids},
    )
    for grid, user in grids[:2]:
        report(households, grid, user, now, 0, count=6, note="今日入户核实")
    log(f"任务下发 3 项（{len(grids)} 个网格），网格员回报 {reports} 条。")
