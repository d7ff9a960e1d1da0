"""Import jobs: one uploaded file, checked row by row, then written on confirmation.

A job belongs to the person who uploaded it; nobody else sees it (selectors.py). The
uploaded file holds personal data in clear, so it is deleted as soon as the job ends
(done or refused) and when an unconfirmed job expires.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import TimeStampedModel


class ImportKind(models.TextChoices):
    BUILDINGS = "buildings", _("Buildings")
    HOUSEHOLDS = "households", _("Households")
    RESIDENTS = "residents", _("Residents")
    PREMISES = "premises", _("Premises")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")  # stored; the check is queued
    VALIDATING = "validating", _("Checking")  # phase 1: every row is checked, nothing written
    VALIDATED = "validated", _("Checked")  # waits for the uploader to confirm
    IMPORTING = "importing", _("Importing")  # phase 2: confirmed; valid rows are written
    DONE = "done", _("Done")  # every valid row written; the file is deleted
    FAILED = "failed", _("Failed")  # the file was refused (see message), or the job expired


RUNNING = (ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ImportJob(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The uploader's REGISTRY_EDIT codes when uploading (for the record; every run
    # checks the uploader's permissions as they are then).
    scope_codes = models.JSONField(_("area codes"), default=list, blank=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    # Progress and results. Rows are data rows (blank rows and the template's example
    # row are not counted). `processed_rows` is the progress of the running phase; in
    # phase 2 it is also the checkpoint a resumed run continues from.
    estimated_rows = models.PositiveIntegerField(_("estimated rows"), default=0)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    # [{"row": 12, "column": "身份证号", "message": "…"}, …], at most ERRORS_KEPT entries;
    # error_count counts them all.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # Why the whole file was refused (bad header, merged cells, not a workbook …).
    message = models.CharField(_("message"), max_length=500, blank=True)

    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    validated_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="import_job_owner_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="import_job_status_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.filename}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def can_confirm(self) -> bool:
        return self.status == ImportStatus.VALIDATED and self.valid_rows > 0

    @property
    def progress_total(self) -> int:
        if self.status == ImportStatus.IMPORTING:
            return self.total_rows
        return max(self.estimated_rows, self.processed_rows)

    @property
    def progress_percent(self) -> int:
        if self.status in (ImportStatus.VALIDATED, ImportStatus.DONE):
            return 100
        total = self.progress_total
        return min(99, self.processed_rows * 100 // total) if total else 0
