"""Jobs: a task run twice, a worker that dies mid-import, stale and expired jobs, who
may see and confirm a job."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import Conflict, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.imports import selectors, services, tasks
from gongzhi.imports.models import ImportJob
from gongzhi.imports.sheets.residents import ResidentsSheet
from gongzhi.imports.tests.conftest import id_number, xlsx
from gongzhi.registry.models import Resident


def _rows(grid_code, n, start=0):
    return [
        [grid_code, f"居民{i}", id_number(f"410311198001{1 + i % 28:02d}{i:03d}")]
        for i in range(start, start + n)
    ]


def _file(tree, n=7):
    return xlsx(_rows(tree.grid_a.code, n), headers=["网格编码", "姓名", "身份证号"])


def test_validate_task__run_again_changes_nothing(people, tree, jobs):
    job = jobs.upload(people.gw_a, "residents", _file(tree))
    before = ImportJob.objects.filter(pk=job.pk).values().get()
    tasks.import_validate_task.call_local(job.pk)
    assert ImportJob.objects.filter(pk=job.pk).values().get() == before


def test_run_task__run_again_writes_nothing_twice(people, tree, jobs):
    job = jobs.load(people.gw_a, "residents", _file(tree))
    tasks.import_run_task.call_local(job.pk)
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count) == ("done", 7, 0)
    assert Resident.objects.count() == 7
    assert AuditLog.objects.filter(action="registry.imported").count() == 1


_WRITE = ResidentsSheet.write_batch


def _failing_writes(monkeypatch, fails):
    """Make ResidentsSheet.write_batch raise on the calls numbered in `fails` (from 1)."""
    real_write = _WRITE
    calls = []

    def write(self, results):
        calls.append(len(results))
        if len(calls) in fails:
            raise RuntimeError("the worker died")
        return real_write(self, results)

    monkeypatch.setattr(ResidentsSheet, "write_batch", write)
    return calls


def test_run__a_retried_task_resumes_at_its_checkpoint(people, tree, jobs, monkeypatch):
    monkeypatch.setattr(services, "BATCH_ROWS", 3)
    job = jobs.upload(people.gw_a, "residents", _file(tree, 8))
    calls = _failing_writes(monkeypatch, fails={2})
    job = jobs.confirm(people.gw_a, job)
    # Batch 1 written; batch 2 failed and rolled back; the task raised for huey to retry.
    assert (job.status, job.processed_rows, job.created_count) == ("importing", 3, 3)
    tasks.import_run_task.call_local(job.pk)  # the retry (huey waits retry_delay first)
    job.refresh_from_db()
    # The retry read batch 1 again without writing it, and wrote batches 2 and 3.
    assert calls == [3, 3, 3, 2]
    assert (job.status, job.created_count, job.updated_count) == ("done", 8, 0)
    assert (job.processed_rows, job.error_rows) == (8, 0)
    assert Resident.objects.count() == 8
    assert AuditLog.objects.filter(action="registry.imported").count() == 1


def test_run__stopped_after_its_retries_and_continued_later(people, tree, jobs, monkeypatch):
    monkeypatch.setattr(services, "BATCH_ROWS", 3)
    job = jobs.upload(people.gw_a, "residents", _file(tree, 8))
    _failing_writes(monkeypatch, fails=set(range(2, 100)))
    job = jobs.confirm(people.gw_a, job)
    tasks.import_run_task.call_local(job.pk)  # the last retry gives up
    job.refresh_from_db()

    assert (job.status, job.processed_rows, job.created_count) == ("failed", 3, 3)
    assert job.message == _(
        "The import stopped because of a system error. Start it again to continue."
    )
    assert Resident.objects.count() == 3  # the first batch stays; the others rolled back
    assert job.file  # kept, so that the import can continue
    partial = AuditLog.objects.get(action="registry.imported")
    assert partial.changes["partial"] is True and partial.changes["created"] == 3

    _failing_writes(monkeypatch, fails=set())
    job = jobs.confirm(people.gw_a, job)  # "Continue the import"
    assert (job.status, job.created_count, job.updated_count) == ("done", 8, 0)
    assert job.processed_rows == 8 and job.error_rows == 0
    assert Resident.objects.count() == 8
    assert AuditLog.objects.filter(action="registry.imported").count() == 2


def test_tidy__requeues_an_import_left_running_by_a_dead_worker(
    people, tree, jobs, django_capture_on_commit_callbacks
):
    job = jobs.upload(people.gw_a, "residents", _file(tree, 2))
    ImportJob.objects.filter(pk=job.pk).update(
        status="importing",
        processed_rows=0,
        confirmed_at=timezone.now(),
        heartbeat_at=timezone.now() - dt.timedelta(minutes=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_jobs_tidy() == {"requeued": 1, "expired": 0}
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 2)
    assert Resident.objects.count() == 2


def test_run__file_gone_fails_the_job_with_a_message(people, tree, jobs):
    job = jobs.upload(people.gw_a, "residents", _file(tree, 2))
    job.file.delete(save=True)
    ImportJob.objects.filter(pk=job.pk).update(status="importing")
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", _("The uploaded file is gone. Upload it again."))
    assert not Resident.objects.exists()


def test_tidy__requeued_check_completes(people, tree, jobs, monkeypatch):
    from gongzhi.imports import services as s

    queued = []
    monkeypatch.setattr(s, "_enqueue", lambda phase, pk: queued.append((phase, pk)))
    job = jobs.upload(people.gw_a, "residents", _file(tree, 2))
    assert job.status == "uploaded"  # the check never ran: its worker died
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=10)
    )
    queued.clear()
    assert s.import_jobs_tidy()["requeued"] == 1
    assert queued == [("validate", job.pk)]
    services.import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.valid_rows) == ("validated", 2)


def test_tidy__drops_checked_jobs_nobody_confirmed(people, tree, jobs):
    job = jobs.upload(people.gw_a, "residents", _file(tree, 2))
    ImportJob.objects.filter(pk=job.pk).update(validated_at=timezone.now() - dt.timedelta(days=8))
    path = job.file.path
    assert services.import_jobs_tidy() == {"requeued": 0, "expired": 1}
    job.refresh_from_db()
    assert job.status == "failed" and job.message
    with pytest.raises(Conflict):
        services.import_job_confirm(actor=people.gw_a, job=job)
    import os

    assert os.path.exists(path)  # deleted on commit (the test's transaction never commits)


def test_job__another_users_job_is_not_found_like_a_missing_one(people, tree, jobs):
    job = jobs.upload(people.gw_a, "residents", _file(tree, 2))
    with pytest.raises(NotFound) as other:
        selectors.import_job_for(people.gw_b, job.pk)
    with pytest.raises(NotFound) as missing:
        selectors.import_job_for(people.gw_b, 999999)
    assert other.value.message == missing.value.message
    assert list(selectors.import_jobs_of(people.gw_b)) == []
    assert list(selectors.import_jobs_of(people.gw_a)) == [job]
    with pytest.raises(NotFound):
        selectors.import_job_for(people.admin, job.pk)


def test_confirm__only_the_uploader_and_only_once(people, tree, jobs):
    job = jobs.upload(people.gw_a, "residents", _file(tree, 2))
    with pytest.raises(PermissionDenied):
        services.import_job_confirm(actor=people.community_worker, job=job)
    job = jobs.confirm(people.gw_a, job)
    assert job.status == "done"
    with pytest.raises(Conflict):
        services.import_job_confirm(actor=people.gw_a, job=job)
    assert Resident.objects.count() == 2


def test_confirm__nothing_valid_cannot_be_imported(people, tree, jobs):
    job = jobs.upload(
        people.gw_a,
        "residents",
        xlsx([[tree.grid_b.code, "王秀英", id_number("41031119800101001")]], kind="residents"),
    )
    assert job.status == "validated" and job.valid_rows == 0
    with pytest.raises(Conflict):
        services.import_job_confirm(actor=people.gw_a, job=job)


def test_run__permission_lost_before_the_import_fails_it(people, tree, jobs):
    job = jobs.upload(people.gw_a, "residents", _file(tree, 2))
    people.gw_a.positions.all().delete()
    ImportJob.objects.filter(pk=job.pk).update(status="importing")
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not Resident.objects.exists()


def test_errors_are_capped_but_all_counted(people, tree, jobs, monkeypatch):
    monkeypatch.setattr(services, "ERRORS_KEPT", 5)
    rows = [[tree.grid_a.code, "", "bad"] for _ in range(9)]
    job = jobs.upload(
        people.gw_a, "residents", xlsx(rows, headers=["网格编码", "姓名", "身份证号"])
    )
    assert (job.error_rows, job.error_count, len(job.errors)) == (9, 18, 5)
