from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core import permissions, xlsx
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.http.forms import parse_id
from gongzhi.core.roles import Perm
from gongzhi.imports import exports, selectors, services
from gongzhi.imports.formats import FORMATS
from gongzhi.imports.models import ImportKind
from gongzhi.imports.workbook import template_bytes

# Room for the multipart envelope and the other fields around the file itself.
MULTIPART_SLACK = 64 * 1024
ERRORS_PER_PAGE = 50
JOBS_SHOWN = 20


def _require_edit(user) -> None:
    if not permissions.can(user, Perm.REGISTRY_EDIT):
        raise PermissionDenied(_("You may not import into the registry."))


def content_too_large(request) -> bool:
    """The declared body is over the upload limit (checked before the body is read)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.UPLOAD_MAX_BYTES + MULTIPART_SLACK


def too_large_message() -> str:
    mb = max(1, settings.UPLOAD_MAX_BYTES // (1024 * 1024))
    return _("The file is larger than %(mb)d MB. Split it into smaller files.") % {"mb": mb}


def _home(request, *, error: str = "", kind: str = "", status: int = 200):
    context = {
        "kinds": [(k, ImportKind(k).label) for k in ImportKind.values],
        "kind": kind or ImportKind.RESIDENTS,
        "jobs": selectors.import_jobs_of(request.user)[:JOBS_SHOWN],
        "error": error,
        "max_mb": max(1, settings.UPLOAD_MAX_BYTES // (1024 * 1024)),
        "unmasked": permissions.can(request.user, Perm.EXPORT_UNMASKED),
        "active_nav": "registry",
    }
    return render(request, "imports/home.html", context, status=status)


# csrf_exempt outside, csrf_protect inside: the CSRF check reads the body, and an
# oversized upload must be refused from its Content-Length before that.
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def import_home(request):
    """Choose a kind, download its template, upload a file; the user's jobs."""
    _require_edit(request.user)
    if request.method == "POST" and content_too_large(request):
        return _home(request, error=too_large_message(), status=413)
    return _import_home(request)


@csrf_protect
def _import_home(request):
    if request.method != "POST":
        return _home(request)
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    if upload is None:
        return _home(request, error=_("Choose a file to upload."), kind=kind, status=400)
    try:
        job = services.import_job_create(actor=request.user, kind=kind, upload=upload)
    except DomainError as exc:
        return _home(request, error=exc.message, kind=kind, status=exc.status)
    return redirect("import_detail", job_id=job.pk)


@login_required
@require_GET
def import_template(request, kind: str):
    _require_edit(request.user)
    if kind not in FORMATS:
        raise DomainError(_("Choose what the file holds."), code="invalid_kind")
    response = HttpResponse(template_bytes(kind), content_type=xlsx.CONTENT_TYPE)
    name = f"{FORMATS[kind].sheet_name}导入模板.xlsx"
    response.headers["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_GET
def import_detail(request, job_id: int):
    job = selectors.import_job_for(request.user, job_id)
    page = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"job": job, "page": page, "active_nav": "registry"}
    return render(request, "imports/detail.html", context)


@login_required
@require_GET
def import_progress(request, job_id: int):
    """The progress bar, polled by htmx while the job runs; once it has stopped running,
    the page reloads to show the result."""
    job = selectors.import_job_for(request.user, job_id)
    response = render(request, "imports/_progress.html", {"job": job})
    if not job.is_running:
        response.headers["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_confirm(request, job_id: int):
    job = selectors.import_job_for(request.user, job_id)
    try:
        services.import_job_confirm(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("import_detail", job_id=job.pk)


# Exports ---------------------------------------------------------------------------


_int = parse_id


def _masked(request) -> bool:
    return request.GET.get("masked") in ("1", "true", "yes")


def _send(export) -> FileResponse:
    return FileResponse(export.file, as_attachment=True, filename=export.filename)


@login_required
@require_GET
def export_residents(request):
    g = request.GET
    return _send(
        exports.residents_export(
            actor=request.user,
            q=g.get("q", "").strip()[:50],
            within=g.get("within", "")[:24],
            residence_type=g.get("residence_type", "")[:16],
            # `tag` is the residents list's name for it: its query string can be reused.
            tag_id=_int(g.get("tag_id", g.get("tag"))),
            building_id=_int(g.get("building_id")),
            masked=_masked(request),
        )
    )


@login_required
@require_GET
def export_buildings(request):
    g = request.GET
    return _send(
        exports.buildings_export(
            actor=request.user, q=g.get("q", "").strip()[:50], within=g.get("within", "")[:24]
        )
    )


@login_required
@require_GET
def export_premises(request):
    g = request.GET
    return _send(
        exports.premises_export(
            actor=request.user,
            q=g.get("q", "").strip()[:50],
            within=g.get("within", "")[:24],
            category_id=_int(g.get("category_id")),
            masked=_masked(request),
        )
    )
