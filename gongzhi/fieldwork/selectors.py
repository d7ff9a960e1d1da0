"""Every read of tasks, scoped: a task is seen by whoever may view one of its grids
(fieldwork.view over the grid's code), and by the grid workers of its grids — a worker
of a micro-grid does the tasks of the grid it lies in. One 404 for "missing" and "not
yours"."""

import datetime as dt

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import Scope, scope_for
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.fieldwork import perms
from gongzhi.fieldwork.models import Task, TaskKind, TaskReport, TaskState, TaskTarget
from gongzhi.orgs.models import OrgUnit

GRID_LENGTH = CODE_LENGTH[Level.GRID]
DUE_SOON = dt.timedelta(days=2)
MAX_GRIDS = 200


def reach_q(scope: Scope, field: str = "org_code") -> Q:
    """The targets a scope reaches: grids within it, and the grid holding a micro-grid
    of it (its workers do that grid's tasks)."""
    q = scope.q(field)
    for code in scope.org_codes:
        if len(code) > GRID_LENGTH:
            q |= Q(**{field: code[:GRID_LENGTH]})
    return q


def reaches(scope: Scope, code: str) -> bool:
    return scope.covers_code(code) or any(
        len(c) > GRID_LENGTH and c[:GRID_LENGTH] == code for c in scope.org_codes
    )


def done_sum():
    """A grid's progress: the sum of its reports' amounts (0 with none)."""
    return Coalesce(Sum("reports__amount"), Value(0), output_field=IntegerField())


def visible(user):
    """The tasks the user sees: one of their grids is within the user's view."""
    seen = TaskTarget.objects.filter(reach_q(scope_for(user, perms.VIEW)), task=OuterRef("pk"))
    return Task.objects.filter(Exists(seen))


def task_for(user, task_id) -> Task:
    task = visible(user).filter(pk=parse_id(task_id)).select_related("created_by").first()
    if task is None:
        raise NotFound(_("The task does not exist or is outside your area."))
    return task


def targets_of(user, task: Task) -> list[TaskTarget]:
    """The grids of a task the user sees, each with `done` (the sum of its reports)."""
    return list(
        TaskTarget.objects.filter(reach_q(scope_for(user, perms.VIEW)), task=task)
        .select_related("grid")
        .annotate(done=done_sum())
        .order_by("org_code")
    )


def my_targets(user, task: Task | None = None) -> list[TaskTarget]:
    """The grids of open tasks the user does (fieldwork.report), each with `done`: a grid
    not done yet, or done while its deadline has not passed (more may be reported)."""
    scope = scope_for(user, perms.REPORT)
    if scope.is_empty:
        return []
    now = timezone.now()
    qs = TaskTarget.objects.filter(reach_q(scope), task__state=TaskState.OPEN).filter(
        Q(completed_at__isnull=True) | Q(task__deadline__gte=now)
    )
    if task is not None:
        qs = qs.filter(task=task)
    return list(
        qs.select_related("task", "grid")
        .annotate(done=done_sum())
        .order_by("task__deadline", "task_id", "org_code")[:MAX_GRIDS]
    )


def reports_of(user, task: Task, limit: int = 30) -> list[TaskReport]:
    """The latest reports on a task, of the grids the user sees."""
    return list(
        TaskReport.objects.filter(reach_q(scope_for(user, perms.VIEW)), task=task)
        .select_related("reporter", "case")
        .order_by("-received_at", "-id")[:limit]
    )


def report_for(user, report_id) -> TaskReport:
    report = (
        TaskReport.objects.filter(reach_q(scope_for(user, perms.VIEW)), pk=parse_id(report_id))
        .select_related("task")
        .first()
    )
    if report is None:
        raise NotFound(_("The report does not exist or is outside your area."))
    return report


def who_reported(targets: list[TaskTarget]) -> dict[int, list[str]]:
    """{target id: names of the workers who reported there}, in one query."""
    names: dict[int, list[str]] = {}
    rows = (
        TaskReport.objects.filter(target__in=[t.pk for t in targets])
        .values_list("target_id", "reporter__name", "reporter__username")
        .distinct()
        .order_by("target_id", "reporter__username")
    )
    for target_id, name, username in rows:
        names.setdefault(target_id, []).append(name or username)
    return names


def board(user, task: Task) -> dict:
    """The sender's progress board: per grid done / target, completed when, late, who."""
    now = timezone.now()
    targets = targets_of(user, task)
    who = who_reported(targets)
    rows = []
    for t in targets:
        late = t.completed_at > task.deadline if t.completed_at else now > task.deadline
        rows.append(
            {
                "target": t,
                "grid_id": t.grid_id,
                "grid_name": t.grid.name,
                "org_code": t.org_code,
                "target_value": t.target,
                "done": t.done,
                "percent": min(100, round(100 * t.done / t.target)) if t.target else 0,
                "completed_at": t.completed_at,
                "late": late,
                "who": who.get(t.pk, []),
            }
        )
    return {
        "rows": rows,
        "grids": len(rows),
        "completed": sum(1 for r in rows if r["completed_at"]),
        "late": sum(1 for r in rows if r["late"]),
    }


def task_list(user):
    """The tasks the user sees, newest first, each with `grids` and `completed` counted
    over the grids the user sees (two subqueries, no query a row)."""
    scope_q = reach_q(scope_for(user, perms.VIEW), "targets__org_code")
    return (
        visible(user)
        .annotate(
            grids=Count("targets", filter=scope_q, distinct=True),
            completed=Count(
                "targets", filter=scope_q & Q(targets__completed_at__isnull=False), distinct=True
            ),
        )
        .order_by("-created_at", "-id")
    )


def assignable_grids(user) -> list[OrgUnit]:
    """The grids the user may send tasks to (at most 200)."""
    scope = scope_for(user, perms.ASSIGN)
    if scope.is_empty:
        return []
    return list(
        OrgUnit.objects.filter(scope.q("code"), level=Level.GRID)
        .select_related("parent")
        .order_by("code")[:MAX_GRIDS]
    )


def workbench(user) -> dict | None:
    """The workbench panel, one query: for a grid worker, the tasks not done yet on their
    grids and those due within two days; for a sender, the tasks of their area with a
    grid not done yet and those past their deadline."""
    worker = not scope_for(user, perms.REPORT).is_empty
    scope = scope_for(user, perms.REPORT if worker else perms.ASSIGN)
    if scope.is_empty:
        return None
    now = timezone.now()
    due = Q(task__deadline__lt=now + DUE_SOON) if worker else Q(task__deadline__lt=now)
    figures = TaskTarget.objects.filter(
        reach_q(scope), completed_at__isnull=True, task__state=TaskState.OPEN
    ).aggregate(open=Count("task", distinct=True), due=Count("task", filter=due, distinct=True))
    return {"worker": worker, **figures}


def linkable_cases(user, targets: list[TaskTarget]) -> dict[int, list]:
    """{target id: the cases the user reported in that grid since the task was sent, not
    counted yet} for the report form of a case-reporting task (at most 50 a grid)."""
    from gongzhi.cases.models import Case

    out: dict[int, list] = {}
    for t in targets:
        if t.task.kind != TaskKind.REPORT:
            continue
        out[t.pk] = list(
            Case.objects.filter(
                org_code__within=t.org_code, reported_by=user, reported_at__gte=t.task.created_at
            )
            .exclude(pk__in=TaskReport.objects.filter(target=t, case__isnull=False).values("case"))
            .only("pk", "number", "title")
            .order_by("-reported_at")[:50]
        )
    return out
