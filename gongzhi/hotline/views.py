"""The 12345 exchange's endpoints: the signed webhook the hotline pushes orders to, and
the administrators' page for importing the day's orders from the hotline's xlsx export."""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.http.forms import parse_id
from gongzhi.core.http.guard import json_object
from gongzhi.core.http.shapes import json_error
from gongzhi.core.roles import Perm
from gongzhi.hotline import services, xlsx
from gongzhi.hotline.models import OutboundEvent, OutboundStatus
from gongzhi.imports.reader import FileRefused

MAX_BODY = 256 * 1024
MAX_UPLOAD = 10 * 1024 * 1024


def _error(status: int, code: str, message: str, details=None) -> JsonResponse:
    return json_error(None, status, code, message, details)


@csrf_exempt
@require_POST
def receive(request):
    """POST /hotline/orders: one work order as signed JSON (docs/integrations.md)."""
    if not getattr(settings, "HOTLINE_SHARED_SECRET", ""):
        return _error(503, "not_configured", _("The 12345 exchange is not configured."))
    if len(request.body) > MAX_BODY:
        return _error(413, "too_large", _("The order is too large."))
    body = request.body
    try:
        with transaction.atomic():
            services.signature_check(request.headers, body)
            case, created = services.order_receive(json_object(body, request.content_type))
    except DomainError as exc:
        return _error(exc.status, exc.code, exc.message, exc.details)
    return JsonResponse(
        {
            "code": "created" if created else "duplicate",
            "order_no": case.hotline_order.order_no,
            "case_id": case.pk,
            "case_number": case.number,
            "state": case.state,
            "due_at": services.iso(case.due_at),
        },
        status=201 if created else 200,
    )


def _may_import(user) -> bool:
    """Staff users and system administrators (the only role that manages staff)."""
    return user.is_staff or permissions.can(user, Perm.STAFF_MANAGE)


@login_required
def import_orders(request):
    """/hotline/import/: the day's orders from the hotline's xlsx, each through the same
    service as the webhook; known order numbers are skipped, bad rows are listed."""
    if not _may_import(request.user):
        raise PermissionDenied(_("Only administrators may import 12345 orders."))
    context = {"columns": [c.header for c in xlsx.FORMAT.columns]}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Choose the xlsx file exported by the hotline.")
        elif upload.size > MAX_UPLOAD:
            context["error"] = _("The file is too large.")
        else:
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
                for chunk in upload.chunks():
                    tmp.write(chunk)
                tmp.flush()
                try:
                    context["result"] = xlsx.import_file(tmp.name, upload.name, actor=request.user)
                except FileRefused as exc:
                    context["error"] = exc.message
    status = 400 if context.get("error") else 200
    return render(request, "hotline/import.html", context, status=status)


@login_required
def dead_letters(request):
    """/hotline/dead-letters/: events the hotline never acknowledged, to retry."""
    if not _may_import(request.user):
        raise PermissionDenied(_("Only administrators may see the 12345 dead letters."))
    dead = OutboundEvent.objects.filter(status=OutboundStatus.DEAD).select_related("order")
    if request.method == "POST":
        ids = [i for i in map(parse_id, request.POST.getlist("event")) if i is not None]
        chosen = dead if request.POST.get("all") else dead.filter(pk__in=ids)
        with transaction.atomic():
            count = services.dead_letters_retry(chosen, actor=request.user)
        messages.success(request, _("%(n)d events queued again.") % {"n": count})
        return redirect("hotline_dead_letters")
    return render(request, "hotline/dead_letters.html", {"events": dead.order_by("-pk")[:500]})
