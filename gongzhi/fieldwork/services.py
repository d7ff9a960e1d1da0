"""Every write of fieldwork: send a task, cancel it, report on it (idempotent by the
phone's client_id), keep a day's note, remind before deadlines.

Each service checks the actor's permission (403) and scope (404), validates every field
(400 with each field's messages), writes in one transaction with an audit row, and
changes nothing when it refuses."""

import datetime as dt

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from gongzhi.accounts.models import Position
from gongzhi.cases.models import Case
from gongzhi.core import dates, images
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import clean_client_id, parse_id
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import CODE_LENGTH, Level, Role
from gongzhi.fieldwork import perms, selectors
from gongzhi.fieldwork.models import Task, TaskKind, TaskReport, TaskState, TaskTarget, WorkNote
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.services import clean_float, clean_text

MAX_TITLE = 100
MAX_DESCRIPTION = 2000
MAX_NOTE = 500
MAX_TARGET = 10_000  # a target a grid, and a count a report
MAX_GRIDS = selectors.MAX_GRIDS
MAX_AHEAD = dt.timedelta(days=366)  # the latest deadline
REMIND_BEFORE = dt.timedelta(hours=24)


def _add(errors, name, message) -> None:
    errors.setdefault(name, []).append(message)


def clean_number(value, name, errors, *, required=True) -> int | None:
    """A whole number from 1 to MAX_TARGET given as a number or text; None when empty and
    not required."""
    if value in (None, ""):
        if required:
            _add(errors, name, _("This field is required."))
        return None
    number = value if isinstance(value, int) and not isinstance(value, bool) else parse_id(value)
    if number is None or not 1 <= number <= MAX_TARGET:
        _add(errors, name, _("A whole number from 1 to %(n)d.") % {"n": MAX_TARGET})
        return None
    return number


def _clean_moment(value, name, errors):
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    try:
        return dates.parse_moment(str(value or ""), name)
    except Invalid as exc:
        _add(errors, name, exc.message)
        return None


def _area_of(codes: list[str]) -> str:
    """The code of the smallest unit (a level's length) holding every code."""
    for length in sorted(set(CODE_LENGTH.values()), reverse=True):
        if all(len(c) >= length and c[:length] == codes[0][:length] for c in codes):
            return codes[0][:length]
    return ""


def _clean_targets(actor, targets, errors) -> list[tuple[OrgUnit, int]]:
    """[(grid, target)] from {grid id: target} or [(grid id, target)]: grids of the
    actor's area (fieldwork.assign), each once, each target 1 … MAX_TARGET."""
    pairs = list(targets.items()) if isinstance(targets, dict) else list(targets or ())
    if not pairs:
        _add(errors, "targets", _("Choose at least one grid."))
        return []
    if len(pairs) > MAX_GRIDS:
        _add(errors, "targets", _("At most %(n)d grids.") % {"n": MAX_GRIDS})
        return []
    ids = [parse_id(grid_id) for grid_id, _target in pairs]
    grids = {
        g.pk: g
        for g in OrgUnit.objects.filter(
            scope_for(actor, perms.ASSIGN).q("code"),
            level=Level.GRID,
            pk__in=[i for i in ids if i is not None],
        )
    }
    cleaned = []
    for grid_id, (_raw, target) in zip(ids, pairs, strict=True):
        grid = grids.get(grid_id)
        if grid is None:
            _add(errors, "targets", _("A grid chosen is not a grid of your area."))
            continue
        number = clean_number(target, "targets", errors)
        if number is not None:
            cleaned.append((grid, number))
    if len({g.pk for g, _n in cleaned}) != len(cleaned):
        _add(errors, "targets", _("A grid is chosen twice."))
    return cleaned


def task_create(*, actor, title: str, description: str = "", kind: str, deadline, targets) -> Task:
    """Send a task to the grid workers of chosen grids of the actor's area. `targets`
    maps each grid's id to its target (confirmations, cases or the number to reach)."""
    if scope_for(actor, perms.ASSIGN).is_empty:
        raise PermissionDenied(_("You may not send tasks."))
    errors: dict[str, list[str]] = {}
    title = clean_text(title, MAX_TITLE, "title", errors, required=True)
    description = clean_text(description, MAX_DESCRIPTION, "description", errors)
    if kind not in TaskKind.values:
        _add(errors, "kind", _("Choose one of the options."))
    now = timezone.now()
    when = _clean_moment(deadline, "deadline", errors)
    if when is None and "deadline" not in errors:
        _add(errors, "deadline", _("This field is required."))
    elif when is not None and when <= now:
        _add(errors, "deadline", _("The deadline has passed."))
    elif when is not None and when > now + MAX_AHEAD:
        _add(errors, "deadline", _("The deadline is at most a year ahead."))
    cleaned = _clean_targets(actor, targets, errors)
    raise_if(errors)
    with transaction.atomic():
        task = Task.objects.create(
            org_code=_area_of([g.code for g, _n in cleaned]),
            title=title,
            description=description,
            kind=kind,
            deadline=when,
            created_by=actor,
            created_at=now,
        )
        TaskTarget.objects.bulk_create(
            TaskTarget(task=task, grid=g, org_code=g.code, target=n) for g, n in cleaned
        )
        audit_record(
            actor=actor,
            action="fieldwork.task_create",
            obj=task,
            changes={
                "kind": kind,
                "deadline": when.isoformat(),
                "targets": {g.code: n for g, n in cleaned},
            },
        )
    return task


def task_cancel(*, actor, task_id, reason: str = "") -> Task:
    """Call a task off (撤销): it leaves the workers' lists; its reports stay."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, 200, "reason", errors)
    raise_if(errors)
    with transaction.atomic():
        task = selectors.task_for(actor, task_id)
        task = Task.objects.select_for_update().get(pk=task.pk)
        if not scope_for(actor, perms.ASSIGN).covers_code(task.org_code):
            raise PermissionDenied(_("You may not cancel this task."))
        if task.state == TaskState.CANCELLED:
            raise Conflict(_("This task is already cancelled."), code="task_cancelled")
        task.state, task.cancelled_at = TaskState.CANCELLED, timezone.now()
        task.cancelled_by, task.cancel_reason = actor, reason
        task.save(update_fields=["state", "cancelled_at", "cancelled_by", "cancel_reason"])
        audit_record(
            actor=actor, action="fieldwork.task_cancel", obj=task, changes={"reason": reason}
        )
    return task


def _target(actor, task_id, grid_id) -> TaskTarget:
    scope = scope_for(actor, perms.REPORT)
    task = selectors.task_for(actor, task_id)
    if scope.is_empty:
        raise PermissionDenied(_("Only the grid workers of its grids report on a task."))
    target = task.targets.filter(grid_id=parse_id(grid_id)).select_related("task").first()
    if target is None or not selectors.reaches(scope, target.org_code):
        raise NotFound(_("The task was not sent to this grid of yours."))
    return target


def _clean_case(actor, target: TaskTarget, case_id, errors) -> Case | None:
    case = Case.objects.filter(
        pk=parse_id(case_id), org_code__within=target.org_code, reported_by=actor
    ).first()
    if case is None:
        _add(errors, "case_id", _("Give a case you reported in this grid."))
    elif TaskReport.objects.filter(target=target, case=case).exists():
        _add(errors, "case_id", _("This case is already counted for this task."))
    return case


def task_report(
    *,
    actor,
    task_id,
    client_id,
    grid_id,
    note: str = "",
    count=None,
    case_id=None,
    observed_at=None,
    lng=None,
    lat=None,
    photo=None,
) -> tuple[TaskReport, bool]:
    """A grid worker's report on a task for their grid: a confirmation (with an optional
    photo and note), a case they reported in the grid, or a number. Returns (report,
    created): the same `client_id` from the same worker returns the report it made
    (created False), also when two arrive at once (the unique constraint decides); used
    for another task it is refused (409 client_id_taken). `observed_at` is the device's
    time, kept apart from `received_at`; more than 5 minutes ahead of the server it is
    refused. A report after the deadline is taken (the board shows the grid late)."""
    client_id = clean_client_id(client_id)
    earlier = _earlier(actor, client_id, task_id)
    if earlier is not None:
        return earlier, False
    target = _target(actor, task_id, grid_id)
    task = target.task
    if task.state == TaskState.CANCELLED:
        raise Conflict(_("This task was cancelled."), code="task_cancelled")
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    note = clean_text(note, MAX_NOTE, "note", errors)
    amount, case = 1, None
    if task.kind == TaskKind.COUNT:
        count = clean_number(count, "count", errors)
        amount = count or 0
    elif count not in (None, ""):
        _add(errors, "count", _("A number is reported on a counting task only."))
    if task.kind == TaskKind.REPORT:
        if case_id in (None, ""):
            _add(errors, "case_id", _("Give the case you reported."))
        else:
            case = _clean_case(actor, target, case_id, errors)
    elif case_id not in (None, ""):
        _add(errors, "case_id", _("A case is linked on a case-reporting task only."))
    observed = dates.clean_phone_time(observed_at, "observed_at", errors)
    lng = clean_float(lng, "lng", errors, -180, 180)
    lat = clean_float(lat, "lat", errors, -90, 90)
    if (lng is None) != (lat is None) and not {"lng", "lat"} & set(errors):
        _add(errors, "lng", _("Give both longitude and latitude, or neither."))
    raise_if(errors)
    image = images.clean_image(photo) if photo else None
    report = TaskReport(
        task=task, target=target, org_code=target.org_code, reporter=actor,
        client_id=client_id, amount=amount, count=count if task.kind == TaskKind.COUNT else None,
        note=note, case=case, observed_at=observed, received_at=now, lng=lng, lat=lat,
    )  # fmt: skip
    try:
        with transaction.atomic():
            locked = TaskTarget.objects.select_for_update().get(pk=target.pk)
            if image is not None:
                name = f"{get_random_string(16).lower()}.{image.extension}"
                report.photo.save(name, ContentFile(image.data), save=False)
                report.photo_type = image.content_type
            report.save()
            _complete_if_reached(locked, now)
            audit_record(
                actor=actor, action="fieldwork.task_report", obj=task,
                changes={"report": report.pk, "grid": target.org_code, "amount": amount,
                         "case": getattr(case, "pk", None), "client_id": client_id},
            )  # fmt: skip
    except IntegrityError:
        if report.photo:
            report.photo.storage.delete(report.photo.name)
        # The same client_id raced another request of the same worker: that one won.
        earlier = _earlier(actor, client_id, task_id)
        if earlier is not None:
            return earlier, False
        if case is not None:
            message = _("This case is already counted for this task.")
            raise Invalid(message, details={"case_id": [message]}) from None
        raise
    return report, True


def _earlier(actor, client_id: str, task_id) -> TaskReport | None:
    earlier = TaskReport.objects.filter(reporter=actor, client_id=client_id).first()
    if earlier is not None and earlier.task_id != parse_id(task_id):
        raise Conflict(_("This submission id is taken."), code="client_id_taken")
    return earlier


def _complete_if_reached(target: TaskTarget, now) -> None:
    """Caller holds the target's row lock."""
    if target.completed_at is not None:
        return
    done = TaskTarget.objects.filter(pk=target.pk).aggregate(n=selectors.done_sum())["n"]
    if done >= target.target:
        target.completed_at = now
        target.save(update_fields=["completed_at"])


def note_save(*, actor, text: str, day: dt.date | None = None) -> WorkNote:
    """The worker's note of today (工作日志的备注); a past day's note cannot change."""
    if scope_for(actor, perms.REPORT).is_empty:
        raise PermissionDenied(_("Only grid workers keep a work log."))
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if day is not None and day != today:
        _add(errors, "day", _("Only today's note can be written."))
    text = clean_text(text, MAX_NOTE, "text", errors, required=True)
    raise_if(errors)
    with transaction.atomic():
        note, created = WorkNote.objects.select_for_update().get_or_create(
            user=actor, day=today, defaults={"text": text, "updated_at": timezone.now()}
        )
        if not created:
            note.text, note.updated_at = text, timezone.now()
            note.save(update_fields=["text", "updated_at"])
        audit_record(
            actor=actor, action="fieldwork.note_save", obj=note, changes={"day": str(today)}
        )
    return note


def tasks_remind(*, now=None) -> int:
    """The job: a day before a task's deadline, tell the grid workers of each grid not
    done yet (an inbox notification, deduplicated by task and grid). Each task is
    reminded once (`reminded_at`), however often the job runs."""
    from gongzhi.notifications.services import notify

    now = now or timezone.now()
    told = 0
    due = Task.objects.filter(
        state=TaskState.OPEN,
        reminded_at__isnull=True,
        deadline__gt=now,
        deadline__lte=now + REMIND_BEFORE,
    ).order_by("deadline", "pk")
    for task in due:
        with transaction.atomic():
            if not Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            targets = TaskTarget.objects.filter(task=task, completed_at__isnull=True).annotate(
                done=selectors.done_sum()
            )
            for target in targets:
                workers = [
                    p.user
                    for p in Position.objects.filter(
                        is_active=True, role=Role.GRID_WORKER, org_code__within=target.org_code
                    ).select_related("user")
                    if p.user.is_active
                ]
                told += notify(
                    recipients=workers,
                    kind="fieldwork.task_due",
                    title=_("Task “%(title)s” is due at %(deadline)s: %(done)d of %(target)d done")
                    % {
                        "title": task.title,
                        "deadline": timezone.localtime(task.deadline).strftime("%m-%d %H:%M"),
                        "done": target.done,
                        "target": target.target,
                    },
                    link=f"/fieldwork/tasks/{task.pk}/",
                    dedupe_key=f"fieldwork.due:{task.pk}:{target.pk}",
                )
    return told


def new_client_id() -> str:
    """A client_id for a page's form, made when the form is shown: submitting it twice (a
    double tap, a resend after a lost reply) stores one report."""
    return get_random_string(32)
