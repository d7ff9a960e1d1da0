"""Import tests: jobs run immediately, uploads go to a temporary media root."""

import io
from types import SimpleNamespace

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from huey.contrib.djhuey import HUEY
from stdnum.cn import ric

from gongzhi.imports import services
from gongzhi.imports.formats import FORMATS


@pytest.fixture(autouse=True)
def _jobs_run_immediately():
    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def id_number(body: str) -> str:
    """A valid 身份证号 from its first 17 digits (GB 11643 check digit)."""
    return body + ric.calc_check_digit(body + "0")


def xlsx(rows, *, headers=None, kind=None, merge=None) -> bytes:
    """A workbook whose first sheet holds `headers` (or the kind's) and `rows`; every
    cell is written as text unless it is an int or float."""
    if headers is None:
        headers = [c.header for c in FORMATS[kind].columns]
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": False})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, value)
    if merge:
        ws.merge_range(*merge, "")
    wb.close()
    return out.getvalue()


def csv_bytes(rows, *, kind, encoding="utf-8", headers=None) -> bytes:
    headers = headers or [c.header for c in FORMATS[kind].columns]
    lines = [",".join(headers), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    """Upload and confirm through the services, running the jobs they queue (the test's
    transaction never commits, so the on-commit queueing is run by hand)."""

    def upload(actor, kind, content: bytes, name=None):
        f = SimpleUploadedFile(name or f"{kind}.xlsx", content)
        with django_capture_on_commit_callbacks(execute=True):
            job = services.import_job_create(actor=actor, kind=kind, upload=f)
        job.refresh_from_db()
        return job

    def confirm(actor, job):
        with django_capture_on_commit_callbacks(execute=True):
            services.import_job_confirm(actor=actor, job=job)
        job.refresh_from_db()
        return job

    def load(actor, kind, content: bytes, name=None):
        job = upload(actor, kind, content, name)
        assert job.status == "validated", (job.status, job.message, job.errors[:5])
        return confirm(actor, job)

    return SimpleNamespace(upload=upload, confirm=confirm, load=load)
