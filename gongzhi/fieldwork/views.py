"""Pages of fieldwork, mobile first: the worker's tasks and a report form on a task; the
sender's tasks, a new task and the progress board; the work log and the monthly summary.
Each view parses, calls one service or selector, and renders; a refused form comes back
with its input and the Chinese message of each field (status 400)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.manifest import worklog_sources
from gongzhi.core.permissions import can, scope_for
from gongzhi.fieldwork import perms, selectors, services, worklog
from gongzhi.fieldwork.models import TaskKind, TaskState
from gongzhi.orgs.models import OrgUnit


def _refused(request, exc: DomainError) -> dict:
    messages.error(request, exc.message)
    return exc.details if isinstance(exc.details, dict) else {}


@login_required
@require_http_methods(["GET"])
def home(request):
    """Grid workers: their open tasks. Senders and viewers: the tasks of their area."""
    if not can(request.user, perms.VIEW):
        raise NotFound(_("Not found."))
    return render(
        request,
        "fieldwork/home.html",
        {
            "mine": selectors.my_targets(request.user),
            "sent": list(selectors.task_list(request.user).select_related("created_by")[:100]),
            "can_assign": can(request.user, perms.ASSIGN),
            "can_report": can(request.user, perms.REPORT),
            "can_assess": can(request.user, perms.ASSESS),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request):
    if not can(request.user, perms.ASSIGN):
        raise NotFound(_("Not found."))
    grids = selectors.assignable_grids(request.user)
    form, errors, status = request.POST, {}, 200
    if request.method == "POST":
        chosen = request.POST.getlist("grid")
        try:
            task = services.task_create(
                actor=request.user,
                title=form.get("title", ""),
                description=form.get("description", ""),
                kind=form.get("kind", ""),
                deadline=form.get("deadline", ""),
                targets=[(g, form.get(f"target_{g}", "")) for g in chosen],
            )
        except DomainError as exc:
            errors, status = _refused(request, exc), exc.status
        else:
            messages.success(request, _("The task was sent."))
            return redirect("fieldwork_task", task.pk)
    chosen = set(request.POST.getlist("grid"))
    return render(
        request,
        "fieldwork/task_new.html",
        {
            "grids": [
                {
                    "grid": g,
                    "chosen": str(g.pk) in chosen,
                    "target": form.get(f"target_{g.pk}", "1"),
                }
                for g in grids
            ],
            "kinds": TaskKind.choices,
            "form": form,
            "errors": errors,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_page(request, task_id):
    task = selectors.task_for(request.user, task_id)
    form, errors, status = request.POST, {}, 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "report":
                _report, created = services.task_report(
                    actor=request.user,
                    task_id=task.pk,
                    client_id=form.get("client_id", ""),
                    grid_id=form.get("grid_id", ""),
                    note=form.get("note", ""),
                    count=form.get("count", ""),
                    case_id=form.get("case_id", ""),
                    observed_at=form.get("observed_at", ""),
                    lng=form.get("lng", ""),
                    lat=form.get("lat", ""),
                    photo=request.FILES.get("photo"),
                )
                messages.success(request, _("Reported.") if created else _("Already received."))
            elif action == "cancel":
                services.task_cancel(
                    actor=request.user, task_id=task.pk, reason=form.get("reason", "")
                )
                messages.success(request, _("The task was cancelled."))
            else:
                raise NotFound(_("Not found."))
        except DomainError as exc:
            if isinstance(exc, NotFound) and action not in ("report", "cancel"):
                raise
            errors, status = _refused(request, exc), exc.status
        else:
            return redirect("fieldwork_task", task.pk)
        task = selectors.task_for(request.user, task.pk)
    mine = selectors.my_targets(request.user, task)
    return render(
        request,
        "fieldwork/task.html",
        {
            "task": task,
            "board": selectors.board(request.user, task),
            "reports": selectors.reports_of(request.user, task),
            "mine": mine,
            "cases": selectors.linkable_cases(request.user, mine),
            "can_cancel": task.state == TaskState.OPEN
            and scope_for(request.user, perms.ASSIGN).covers_code(task.org_code),
            "form": form,
            "errors": errors,
            "client_id": form.get("client_id") if errors else services.new_client_id(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def report_photo(request, report_id):
    report = selectors.report_for(request.user, report_id)
    if not report.photo:
        raise NotFound(_("Not found."))
    return FileResponse(report.photo.open("rb"), content_type=report.photo_type)


@login_required
@require_http_methods(["GET", "POST"])
def log_page(request):
    """我的工作日志: the month a day at a time, from the records, with today's note."""
    worker = worklog.worker_for(request.user, request.GET.get("worker"))
    if worker == request.user and not can(request.user, perms.REPORT):
        raise NotFound(_("Not found."))
    errors, status = {}, 200
    if request.method == "POST":
        try:
            services.note_save(actor=request.user, text=request.POST.get("text", ""))
        except DomainError as exc:
            errors, status = _refused(request, exc), exc.status
        else:
            messages.success(request, _("Saved."))
            return redirect("fieldwork_log")
    year, month = worklog.month_of(request.GET.get("month", ""))
    data = worklog.day_by_day(worker, year, month)
    first = data["first"]
    previous = (first.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return render(
        request,
        "fieldwork/log.html",
        {
            "worker": worker,
            "own": worker == request.user,
            "log": data,
            "sources": [(s.name, s.label) for s in worklog_sources()],
            "month": f"{year}-{month:02d}",
            "previous": previous,
            "next": (data["last"] + dt.timedelta(days=1)).strftime("%Y-%m")
            if data["last"] < timezone.localdate()
            else "",
            "note_text": request.POST.get("text") if errors else worklog.note_today(request.user),
            "errors": errors,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def summary_page(request):
    """The monthly summary per grid worker of a unit, for the assessment (考核)."""
    scope = scope_for(request.user, perms.ASSESS)
    if scope.is_empty:
        raise NotFound(_("Not found."))
    units = list(
        OrgUnit.objects.filter(scope.q("code"), level__in=("subdistrict", "community")).order_by(
            "code"
        )[:200]
    )
    code = request.GET.get("unit") or (units[0].code if units else "")
    year, month = worklog.month_of(request.GET.get("month", ""))
    data = worklog.summary(request.user, code, year, month)
    return render(
        request,
        "fieldwork/summary.html",
        {"s": data, "units": units, "month": f"{year}-{month:02d}"},
    )
