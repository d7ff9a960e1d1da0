"""Pending extension requests (延期申请), to approve or refuse."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gongzhi.cases import forms as f
from gongzhi.cases import selectors, services
from gongzhi.cases.views.common import clock_of, form_errors, page
from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.roles import Perm


def _extensions(request, *, failed: tuple[int, Any] | None = None, status=200):
    user = request.user
    if not permissions.can(user, Perm.CASE_DECIDE):
        raise NotFound(_("Not found."))
    qs = selectors.extension_requests_visible_to(user).select_related("case__category")
    rows, next_cursor = page(qs, ("id",), request.GET.get("cursor"))
    now = timezone.now()
    items = []
    for r in rows:
        r.case.clock = clock_of(r.case, now)
        if failed and failed[0] == r.pk:
            form = failed[1]
        else:
            form = f.ExtensionDecisionForm(
                initial={"request_id": r.pk, "version": r.case.version},
                requests=[r],
                action=f"ext{r.pk}",
            )
        items.append({"r": r, "form": form})
    return render(
        request,
        "cases/extensions.html",
        {"items": items, "next_cursor": next_cursor, "active_nav": "cases"},
        status=status,
    )


@login_required
@require_GET
def extensions(request):
    """Pending extension requests in the user's area, oldest first, to approve or refuse."""
    return _extensions(request)


@login_required
@require_POST
def extension_decide(request, request_id):
    user = request.user
    if not permissions.can(user, Perm.CASE_DECIDE):
        raise NotFound(_("Not found."))
    ext = selectors.extension_request_for(user, request_id)
    form = f.ExtensionDecisionForm(request.POST, requests=[ext], action=f"ext{ext.pk}")
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.case_decide_extension(
                actor=user,
                request_id=ext.pk,
                version=d["version"],
                approve=d["decision"] == "approve",
                note=d["note"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            if exc.status == 409:
                messages.error(request, exc.message)
                return redirect("case_extensions")
            form_errors(form, exc)
        else:
            messages.success(
                request,
                _("The extension request for case %(n)s is decided.") % {"n": ext.case.number},
            )
            return redirect("case_extensions")
    return _extensions(request, failed=(ext.pk, form), status=400)
