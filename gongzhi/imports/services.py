"""Writes of the import: upload a file, check it (phase 1), confirm, write it (phase 2).

Phase 1 reads every row and writes nothing but the job's progress and its errors.
Phase 2, after the uploader confirms, reads the file again, checks every row again
(the registry may have changed in between) and writes the valid rows in batches of
BATCH_ROWS, one transaction each. Each batch's transaction also advances the job's
checkpoint (`processed_rows`) and counts, so a run that is repeated, or resumed after
the worker died, neither writes a row twice nor miscounts: batches up to the
checkpoint are read (for in-file duplicates and the error list) but not written.

Both phases run as jobs (tasks.py); both claim the job by its status first, so a task
delivered twice does nothing the second time.
"""

import hashlib
import logging
import os
import uuid
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core import permissions
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, DomainError, PermissionDenied
from gongzhi.core.roles import Perm
from gongzhi.imports.formats import FORMATS
from gongzhi.imports.models import ImportJob, ImportKind, ImportStatus
from gongzhi.imports.reader import FileRefused, FileTooLarge, extension_of, open_table, sniff
from gongzhi.imports.sheets import SHEETS, Result

log = logging.getLogger(__name__)

BATCH_ROWS = 2000
ERRORS_KEPT = 5000
STALE_AFTER = timedelta(minutes=3)  # a running job without progress this long is re-queued
EXPIRE_AFTER = timedelta(days=7)  # a checked job nobody confirmed is dropped with its file
SNIFF_BYTES = 8192


def _mb(n: int) -> int:
    return max(1, n // (1024 * 1024))


def _refuse_upload_size(size: int) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise FileTooLarge(
            _("The file is larger than %(mb)d MB. Split it into smaller files.")
            % {"mb": _mb(limit)},
            details={"size": size, "limit": limit},
        )


def import_job_create(*, actor, kind: str, upload) -> ImportJob:
    """Store an uploaded file (a Django UploadedFile) and queue its check.

    Refused before anything is stored: no REGISTRY_EDIT anywhere, an unknown kind, a
    file over UPLOAD_MAX_BYTES (by its declared size, before reading it), an empty
    file, or one whose first bytes are not what its name says.
    """
    if not permissions.can(actor, Perm.REGISTRY_EDIT):
        raise PermissionDenied(_("You may not import into the registry."))
    if kind not in ImportKind.values:
        raise DomainError(_("Choose what the file holds."), code="invalid_kind")
    filename = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1][-200:]
    ext = extension_of(filename)
    size = getattr(upload, "size", None) or 0
    _refuse_upload_size(size)
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    sniff(filename, head)
    upload.seek(0)
    digest = hashlib.sha256()
    read = 0
    for chunk in upload.chunks():
        read += len(chunk)
        _refuse_upload_size(read)  # the declared size may lie
        digest.update(chunk)
    upload.seek(0)
    scope = permissions.scope_for(actor, Perm.REGISTRY_EDIT)
    job = ImportJob(
        kind=kind,
        created_by=actor,
        scope_codes=["*"] if scope.everything else list(scope.org_codes),
        filename=filename,
        file_size=read,
        file_sha256=digest.hexdigest(),
        heartbeat_at=timezone.now(),
    )
    job.file.save(f"{uuid.uuid4().hex}{ext}", upload, save=False)
    with transaction.atomic():
        job.save()
        _enqueue("validate", job.pk)
    return job


def import_job_confirm(*, actor, job: ImportJob) -> ImportJob:
    """Start writing the valid rows of a checked job (or resume one that stopped)."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who uploaded the file may import it."))
    if not permissions.can(actor, Perm.REGISTRY_EDIT):
        raise PermissionDenied(_("You may not import into the registry."))
    resumable = job.status == ImportStatus.FAILED and job.confirmed_at and job.file
    if not (job.can_confirm or resumable):
        raise Conflict(_("This import cannot be started now."), code="not_ready")
    changes = {
        "status": ImportStatus.IMPORTING,
        "confirmed_at": timezone.now(),
        "heartbeat_at": timezone.now(),
        "message": "",
    }
    if not resumable:
        changes["processed_rows"] = 0  # phase 1's count; a resumed run keeps its checkpoint
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(**changes)
        if not claimed:
            raise Conflict(_("This import cannot be started now."), code="not_ready")
        _enqueue("run", job.pk)
    job.refresh_from_db()
    return job


def _enqueue(phase: str, job_id: int) -> None:
    """Queue the job's task once the job row is committed (the worker reads it)."""
    from gongzhi.imports import tasks

    task = tasks.import_validate_task if phase == "validate" else tasks.import_run_task
    transaction.on_commit(lambda: task(job_id))


# The phases -----------------------------------------------------------------------


class _Report:
    """Counts and the kept errors of one pass over the file."""

    def __init__(self):
        self.rows = self.valid = self.error_rows = self.error_count = 0
        self.errors: list[dict] = []

    def add(self, results: list[Result]) -> None:
        for r in results:
            self.rows += 1
            if r.ok:
                self.valid += 1
                continue
            self.error_rows += 1
            for column, message in r.errors:
                self.error_count += 1
                if len(self.errors) < ERRORS_KEPT:
                    self.errors.append({"row": r.number, "column": column, "message": message})


def _batches(rows):
    it = iter(rows)
    while batch := list(islice(it, BATCH_ROWS)):
        yield batch


def _path(job: ImportJob) -> str:
    path = job.file.path if job.file else ""
    if not path or not os.path.exists(path):
        raise FileRefused(_("The uploaded file is gone. Upload it again."), code="file_gone")
    return path


def _sheet_for(job: ImportJob, present: set[str]):
    actor = job.created_by
    scope = permissions.scope_for(actor, Perm.REGISTRY_EDIT)
    if scope.is_empty:
        raise FileRefused(_("You may no longer import into the registry."), code="permission_lost")
    return SHEETS[job.kind](actor=actor, scope=scope, present=present)


def import_job_validate(*, job_id: int) -> None:
    """Phase 1: check every row; write nothing but the job. Idempotent."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=(ImportStatus.UPLOADED, ImportStatus.VALIDATING)
    ).update(status=ImportStatus.VALIDATING, processed_rows=0, heartbeat_at=now)
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    report = _Report()
    try:
        with open_table(_path(job), FORMATS[job.kind], job.filename) as table:
            ImportJob.objects.filter(pk=job_id).update(estimated_rows=table.estimated_rows)
            sheet = _sheet_for(job, table.present)
            for batch in _batches(table.rows()):
                report.add(sheet.check(batch))
                ImportJob.objects.filter(pk=job_id).update(
                    processed_rows=report.rows, heartbeat_at=timezone.now()
                )
    except FileRefused as exc:
        _fail(job, exc.message)
        return
    if report.rows == 0:
        _fail(job, _("The file has no data rows below the header."))
        return
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.VALIDATING).update(
        status=ImportStatus.VALIDATED,
        total_rows=report.rows,
        valid_rows=report.valid,
        error_rows=report.error_rows,
        error_count=report.error_count,
        errors=report.errors,
        processed_rows=report.rows,
        validated_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )


def import_job_run(*, job_id: int) -> None:
    """Phase 2: write the valid rows, batch by batch, from the job's checkpoint on.
    Idempotent; see the module docstring."""
    job = (
        ImportJob.objects.select_related("created_by")
        .filter(pk=job_id, status=ImportStatus.IMPORTING)
        .first()
    )
    if job is None:
        return
    report = _Report()
    position = 0
    try:
        with open_table(_path(job), FORMATS[job.kind], job.filename) as table:
            sheet = _sheet_for(job, table.present)
            for batch in _batches(table.rows()):
                end = position + len(batch)
                if end <= job.processed_rows:
                    report.add(sheet.check(batch))  # written by an earlier run
                elif not _write_batch(job, sheet, batch, end, report):
                    return  # another run finished or stopped the job
                position = end
    except FileRefused as exc:
        _fail(job, exc.message, partial=True)
        return
    _finish(job, report)


def _write_batch(job: ImportJob, sheet, batch, end: int, report: _Report) -> bool:
    with transaction.atomic():
        # The row lock (PostgreSQL) or the write lock (SQLite, IMMEDIATE) serialises
        # two runs of the same job: the second sees the first's checkpoint.
        state = (
            ImportJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values_list("status", "processed_rows")
            .first()
        )
        if state is None or state[0] != ImportStatus.IMPORTING:
            return False
        results = sheet.check(batch)
        created = updated = 0
        if state[1] < end:
            created, updated = sheet.write_batch([r for r in results if r.ok])
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=end,
                created_count=F("created_count") + created,
                updated_count=F("updated_count") + updated,
                heartbeat_at=timezone.now(),
            )
    report.add(results)
    return True


def _finish(job: ImportJob, report: _Report) -> None:
    with transaction.atomic():
        done = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).update(
            status=ImportStatus.DONE,
            valid_rows=report.valid,
            error_rows=report.error_rows,
            error_count=report.error_count,
            errors=report.errors,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        if not done:
            return
        job.refresh_from_db()
        _audit(job)
        transaction.on_commit(lambda: _delete_file(job.pk))


def _audit(job: ImportJob, *, partial: bool = False) -> None:
    audit_record(
        actor=job.created_by,
        action="registry.imported",
        obj=job,
        changes={
            "kind": job.kind,
            "file": job.filename,
            "sha256": job.file_sha256,
            "rows": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "error_rows": job.error_rows,
            **({"partial": True} if partial else {}),
        },
    )


def _fail(job: ImportJob, message: str, *, partial: bool = False) -> None:
    """End the job as refused. In phase 2 the file is kept, so that it may be resumed,
    and what was written so far is audited."""
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            message=str(message)[:500],
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        job.refresh_from_db()
        if partial and job.processed_rows:
            _audit(job, partial=True)
        if not partial:
            transaction.on_commit(lambda: _delete_file(job.pk))


def import_job_crashed(*, job_id: int) -> None:
    """The task gave up after its retries: the job ends with a message to retry."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or not job.is_running:
        return
    partial = job.status == ImportStatus.IMPORTING
    _fail(
        job,
        _("The import stopped because of a system error. Start it again to continue.")
        if partial
        else _("The check stopped because of a system error. Upload the file again."),
        partial=partial,
    )


def _delete_file(job_id: int) -> None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None and job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job_id).update(file="")


def import_jobs_tidy() -> dict[str, int]:
    """Re-queue jobs whose worker died (no progress for STALE_AFTER; re-running is safe);
    drop checked jobs nobody confirmed, and the files of stopped ones, after EXPIRE_AFTER."""
    now = timezone.now()
    stale = ImportJob.objects.filter(
        status__in=(ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING),
        heartbeat_at__lt=now - STALE_AFTER,
    ).values_list("pk", "status")
    requeued = 0
    for pk, status in stale:
        ImportJob.objects.filter(pk=pk).update(heartbeat_at=now)
        _enqueue("run" if status == ImportStatus.IMPORTING else "validate", pk)
        requeued += 1
    expired = 0
    for job in ImportJob.objects.filter(
        status=ImportStatus.VALIDATED, validated_at__lt=now - EXPIRE_AFTER
    ):
        _fail(job, _("Nobody confirmed this import within 7 days; upload the file again."))
        expired += 1
    # A stopped import keeps its file to be resumed, for as long.
    for pk in (
        ImportJob.objects.filter(status=ImportStatus.FAILED, finished_at__lt=now - EXPIRE_AFTER)
        .exclude(file="")
        .values_list("pk", flat=True)
    ):
        _delete_file(pk)
        expired += 1
    return {"requeued": requeued, "expired": expired}
