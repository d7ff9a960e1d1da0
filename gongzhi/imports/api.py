"""The import API: upload a file (a job), follow it, read its errors, confirm it.

A job is its uploader's only: anyone else gets the 404 of a missing job.
"""

from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status, UploadedFile
from ninja.decorators import decorate_view

from gongzhi.core.errors import DomainError
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit
from gongzhi.imports import selectors, services
from gongzhi.imports.models import ImportKind
from gongzhi.imports.schemas import ImportErrorPage, ImportJobOut
from gongzhi.imports.views import content_too_large, too_large_message

router = Router(tags=["imports"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
MAX_LIMIT = 200


def refuse_oversized(run):
    """Answer 413 from the declared Content-Length, before the body is read (the session
    auth's CSRF check and the file parameter would read it all)."""

    @wraps(run)
    def inner(request, *args, **kwargs):
        if content_too_large(request):
            body = {"code": "file_too_large", "message": too_large_message(), "details": None}
            return JsonResponse(body, status=413)
        return run(request, *args, **kwargs)

    return inner


@router.post("/jobs", response={201: ImportJobOut, 413: ErrorOut, **ERRORS})
@decorate_view(refuse_oversized)
def job_create(request, kind: Form[ImportKind], file: File[UploadedFile]):
    """Upload an .xlsx or .csv file; every row is then checked in the background."""
    return Status(201, services.import_job_create(actor=request.auth, kind=kind.value, upload=file))


@router.get("/jobs/{job_id}", response={200: ImportJobOut, **ERRORS})
def job_detail(request, job_id: Id):
    """Status and progress; poll it every second or two while the job runs."""
    return selectors.import_job_for(request.auth, job_id)


@router.get("/jobs/{job_id}/errors", response={200: ImportErrorPage, **ERRORS})
def job_errors(request, job_id: Id, limit: Limit = 50, cursor: Cursor | None = None):
    """The rows with errors, in file order, with the column and the reason."""
    job = selectors.import_job_for(request.auth, job_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(
            _("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}, code="invalid_limit"
        )
    start = 0
    if cursor:
        if not cursor.isdigit():
            raise DomainError(_("The cursor is not valid."), code="invalid_cursor")
        start = int(cursor)
    items = job.errors[start : start + limit]
    end = start + len(items)
    return {"items": items, "next_cursor": str(end) if end < len(job.errors) else None}


@router.post("/jobs/{job_id}/confirm", response={202: ImportJobOut, **ERRORS})
def job_confirm(request, job_id: Id):
    """Write the valid rows of a checked job (or continue a stopped import)."""
    job = selectors.import_job_for(request.auth, job_id)
    return Status(202, services.import_job_confirm(actor=request.auth, job=job))
