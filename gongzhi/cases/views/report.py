"""Reporting a problem on a phone: camera, location, grid or building, 自行处置."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.cases import forms as f
from gongzhi.cases import selectors, services
from gongzhi.cases.kinds import GENERAL, get_kind
from gongzhi.cases.views.common import form_errors
from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.roles import Perm
from gongzhi.orgs import selectors as orgs
from gongzhi.registry import selectors as registry

MAX_BUILDINGS = 300  # more than this in a select is useless on a phone: choose the grid first


def _buildings(user, grid_id=None) -> list:
    """Buildings to choose from: those of the chosen grid, or all of the user's area when
    there are few (a grid worker's); none when the area is large (choose the grid first)."""
    if not permissions.can(user, Perm.REGISTRY_VIEW):
        return []
    qs = registry.buildings_visible_to(user).select_related(None).only("id", "name", "org_code")
    if grid_id:
        grid = orgs.unit_for(user, grid_id, Perm.CASE_REPORT)
        return list(qs.filter(org_code__within=grid.code).order_by("name")[:MAX_BUILDINGS])
    rows = list(qs.order_by("name")[: MAX_BUILDINGS + 1])
    return rows if len(rows) <= MAX_BUILDINGS else []


def _reportable_kind(code):
    """The kind the form reports (`?kind=`; the general problem by default)."""
    if not code:
        return GENERAL
    try:
        kind = get_kind(str(code)[:32])
    except DomainError:
        raise NotFound(_("Not found.")) from None
    if not kind.reportable:
        raise NotFound(_("Not found."))
    return kind


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    """Report a problem: on a phone, with the camera and the location."""
    user = request.user
    if not permissions.can(user, Perm.CASE_REPORT):
        raise NotFound(_("Not found."))
    grid_id = request.POST.get("grid_id") if request.method == "POST" else None
    try:
        buildings = _buildings(user, grid_id or None)
    except NotFound:
        buildings = []
    choose_channel = permissions.can(user, Perm.CASE_TRIAGE)
    kind = _reportable_kind(request.POST.get("kind") or request.GET.get("kind"))
    details_form = (
        kind.details_form(request.POST or None, prefix="details")
        if kind.details_form is not None
        else None
    )
    form = f.CaseReportForm(
        request.POST or None,
        request.FILES or None,
        initial={"idempotency_key": uuid.uuid4().hex},
        grids=list(selectors.report_grids(user)),
        buildings=buildings,
        can_self_handle=permissions.can(user, Perm.CASE_SELF_HANDLE),
        choose_channel=choose_channel,
    )
    form.fields["grid_id"].widget.attrs.update(
        {
            "hx-get": reverse("case_new_buildings"),
            "hx-target": "#id_building_id",
            "hx-trigger": "change",
            "hx-swap": "innerHTML",
        }
    )
    details_ok = details_form is None or not details_form.is_bound or details_form.is_valid()
    if request.method == "POST" and form.is_valid() and details_ok:
        d = form.cleaned_data
        try:
            case, created = services.case_report(
                actor=user,
                category_id=d["category_id"],
                title=d["title"],
                description=d["description"],
                channel=d.get("channel") or "",
                urgency=d["urgency"],
                lng=d["lng"],
                lat=d["lat"],
                crs=d["crs"] or "wgs84",
                grid_id=d["grid_id"],
                building_id=d["building_id"],
                address=d["address"],
                reporter_name=d["reporter_name"],
                reporter_phone=d["reporter_phone"],
                photos=d["photos"],
                idempotency_key=d["idempotency_key"] or None,
                self_handle=bool(d.get("self_handle")),
                result=d.get("result", ""),
                kind=kind.code,
                details=details_form.cleaned_data if details_form is not None else None,
            )
        except services.IdempotencyConflict as exc:
            # The key made a report with other content: this one goes with a new key.
            form.data = form.data.copy()
            form.data["idempotency_key"] = uuid.uuid4().hex
            form.add_error(None, str(exc.page_message))
        except DomainError as exc:
            if exc.status == 404:
                raise
            form_errors(form, exc)
        else:
            if created:
                messages.success(
                    request, _("Reported. The case number is %(n)s.") % {"n": case.number}
                )
            else:
                messages.info(
                    request,
                    _("This report was already received as case %(n)s.") % {"n": case.number},
                )
            return redirect("case_detail", case_id=case.pk)
    return render(
        request,
        "cases/new.html",
        {
            "form": form,
            "kind": kind if kind.code != GENERAL.code else None,
            "details_form": details_form,
            "active_nav": "cases",
        },
        status=400 if form.errors or form.location_errors or not details_ok else 200,
    )


@login_required
@require_GET
def case_new_buildings(request):
    """The building options of one grid (htmx swaps them into the report form)."""
    if not permissions.can(request.user, Perm.CASE_REPORT):
        raise NotFound(_("Not found."))
    grid_id = parse_id(request.GET.get("grid_id"))
    return render(
        request,
        "cases/_building_options.html",
        {"choices": f.building_choices(_buildings(request.user, grid_id))},
    )
