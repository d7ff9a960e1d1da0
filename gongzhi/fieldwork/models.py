"""Fieldwork: tasks sent to grid workers (任务下发) and the worker's daily note (工作日志).

    Task (sent within an area: title, kind of completion, deadline; open or cancelled)
        ─< TaskTarget (one a grid: its target, when the reports reached it)
            ─< TaskReport (one a submission of a worker: client_id unique a worker; the
               amount it adds — 1 a confirmation or a case, the number of a count; the
               case it links; a photo; observed on the device vs received here)
    WorkNote (a worker's short note of a day: one a worker and day)

The work log itself is not stored: it is read from the records of patrols, cases, task
reports and the sources other apps register (core.manifest.register_worklog_source).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.fields import OrgCodeField


class TaskKind(models.TextChoices):
    CONFIRM = "confirm", _("Confirmation")  # 确认完成（可附照片和说明）
    REPORT = "report", _("Case reported")  # 上报事件（关联案件）
    COUNT = "count", pgettext_lazy("task kind", "A number")  # 计数，如入户户数


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")  # 进行中
    CANCELLED = "cancelled", _("Cancelled")  # 已撤销


class Task(models.Model):
    """A task a community or subdistrict sends to the grid workers of chosen grids.
    `org_code` is the smallest unit holding every target grid (where it was sent)."""

    org_code = OrgCodeField(_("area"), db_index=True)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind of completion"), max_length=8, choices=TaskKind.choices)
    deadline = models.DateTimeField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"))
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Set by the reminder job when it told the workers of the grids not done yet (once).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "deadline"], name="fieldwork_task_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", cancelled_at__isnull=True)
                | Q(state="cancelled", cancelled_at__isnull=False),
                name="fieldwork_task_cancelled_at",
            ),
        ]

    def __str__(self):
        return self.title


class TaskTarget(models.Model):
    """One grid a task was sent to, and what counts as done there."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="targets")
    grid = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    org_code = OrgCodeField(_("grid"), db_index=True)
    target = models.PositiveIntegerField(_("target"))
    # The moment the grid's reports reached the target (written by the report that did):
    # "late" is derived from it and the task's deadline at query time.
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task grid")
        verbose_name_plural = _("task grids")
        ordering = ["org_code"]
        constraints = [
            models.UniqueConstraint(fields=["task", "grid"], name="fieldwork_one_target_a_grid"),
            models.CheckConstraint(condition=Q(target__gte=1), name="fieldwork_target_positive"),
        ]

    def __str__(self):
        return f"{self.task_id}@{self.org_code}"


def _photo_path(instance, filename):
    return f"fieldwork/{instance.received_at:%Y/%m}/{instance.task_id}/{filename}"


class TaskReport(models.Model):
    """A grid worker's report on a task for their grid (进展 or, when it reaches the
    target, 完成). `client_id` is made by the phone once a submission: the same one from
    the same worker is this row, never a second (the unique constraint decides)."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    target = models.ForeignKey(TaskTarget, on_delete=models.PROTECT, related_name="reports")
    org_code = OrgCodeField(_("grid"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(_("client id"), max_length=64)
    amount = models.PositiveIntegerField(_("amount"))  # what it adds to the grid's progress
    count = models.PositiveIntegerField(_("number"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    photo = models.FileField(upload_to=_photo_path, max_length=200, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)
    observed_at = models.DateTimeField(_("observed at"), null=True, blank=True)  # the device's
    received_at = models.DateTimeField(_("received at"))  # the server's
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("task report")
        verbose_name_plural = _("task reports")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "client_id"], name="fieldwork_report_client_id"
            ),
            models.UniqueConstraint(
                fields=["target", "case"],
                condition=Q(case__isnull=False),
                name="fieldwork_case_counted_once",
            ),
        ]
        indexes = [
            models.Index(fields=["reporter", "received_at"], name="fieldwork_report_worker"),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.amount}"


class WorkNote(models.Model):
    """A worker's short note of their day (工作日志), editable on that day only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    text = models.CharField(_("note"), max_length=500)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("work note")
        verbose_name_plural = _("work notes")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="fieldwork_one_note_a_day"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.day}"
