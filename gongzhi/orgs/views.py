from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.error_page import domain_error_page
from gongzhi.core.manifest import unit_panels
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs import geo, selectors, services


@login_required
def area(request):
    """The top units of the user's area; their children open on demand."""
    roots = selectors.scope_roots(request.user)
    if not roots:
        raise NotFound(_("You have no area to manage."))
    context = {"roots": roots, "can_import": permissions.can(request.user, Perm.ORGS_MANAGE)}
    return render(request, "orgs/area.html", context)


MAP_LEVELS = [Level.COMMUNITY, Level.GRID, Level.MICROGRID]


@login_required
def area_map(request):
    """The grids and micro-grids of the user's area on a map (communities as outlines)."""
    roots = selectors.scope_roots(request.user)
    if not roots:
        raise NotFound(_("You have no area to manage."))
    units = list(selectors.unit_boundaries_visible_to(request.user, levels=MAP_LEVELS))
    context = {
        "roots": roots,
        "collection": geo.feature_collection(units),
        "units": [u for u in units if u.level != Level.COMMUNITY],
        "levels": {u.level for u in units},
        # A tile server is optional (intranets have none); it must serve WGS-84 tiles
        # (e.g. 天地图), or the boundaries are drawn hundreds of metres off.
        "tile_url": getattr(settings, "MAP_TILE_URL", "") or "",
        "can_import": permissions.can(request.user, Perm.ORGS_MANAGE),
        "active_nav": "area",
    }
    return render(request, "orgs/area_map.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def boundaries_import(request):
    """Upload a GeoJSON file of boundaries; show what was imported or every problem."""
    if not permissions.can(request.user, Perm.ORGS_MANAGE):
        raise NotFound(_("Not found."))
    crs = request.POST.get("crs", geo.Crs.WGS84)
    context = {"crs_choices": geo.Crs.choices, "crs": crs, "active_nav": "area"}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(_("Choose a GeoJSON file."), code="missing_file")
            if upload.size > services.MAX_UPLOAD_BYTES:
                raise services.payload_too_large()
            context["report"] = services.org_boundaries_import(
                actor=request.user, data=upload.read(), crs=crs
            )
        except DomainError as exc:
            status = exc.status
            context["error"] = exc.message
            context["issues"] = exc.details if isinstance(exc.details, list) else []
    return render(request, "orgs/boundaries_import.html", context, status=status)


@login_required
def unit_children(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    children = selectors.units_visible_to(request.user).filter(parent=unit).order_by("code")
    return render(request, "orgs/_children.html", {"unit": unit, "children": children})


@login_required
def unit_detail(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    context = {
        "unit": unit,
        "ancestors": selectors.unit_ancestors(unit),
        "children": selectors.units_visible_to(request.user).filter(parent=unit).order_by("code"),
        "counts": selectors.unit_counts(unit),
        # What other apps show about the unit (the people in positions: accounts).
        "panels": [
            {"template": p.template, "figures": [], **p.context(request.user, unit)}
            for p in unit_panels()
        ],
        "can_edit_profile": permissions.can(request.user, Perm.ORGS_EDIT_PROFILE, unit),
    }
    return render(request, "orgs/unit_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def unit_profile_edit(request, unit_id):
    """The service card: shown, edited in place (htmx), saved."""
    unit = _unit_or_404(request, unit_id)
    if not permissions.can(request.user, Perm.ORGS_EDIT_PROFILE, unit):
        return domain_error_page(request, 403, _("You may not edit this unit's service card."))
    error = None
    if request.method == "POST":
        try:
            unit = services.org_unit_update_profile(
                actor=request.user,
                unit=unit,
                service_phone=request.POST.get("service_phone", "")[:64],
                introduction=request.POST.get("introduction", "")[:2000],
            )
        except DomainError as exc:
            error = exc.message
            unit.service_phone = request.POST.get("service_phone", "")[:64]
            unit.introduction = request.POST.get("introduction", "")[:2000]
        else:
            if not request.headers.get("HX-Request"):
                messages.success(request, _("Saved."))
                return redirect("unit_detail", unit_id=unit.pk)
            context = {"unit": unit, "can_edit_profile": True, "saved": True}
            return render(request, "orgs/_service_card.html", context)
    # htmx swaps the form in place; a browser without JavaScript gets a whole page.
    template = (
        "orgs/_service_card_form.html"
        if request.headers.get("HX-Request")
        else "orgs/service_card_edit.html"
    )
    return render(request, template, {"unit": unit, "error": error}, status=400 if error else 200)


@login_required
def departments(request):
    if not permissions.can(request.user, Perm.DEPARTMENTS_VIEW):
        raise NotFound(_("Not found."))
    rows = selectors.departments_visible_to(request.user).filter(is_active=True)
    return render(request, "orgs/departments.html", {"departments": rows})


def _unit_or_404(request, unit_id):
    return selectors.unit_for(request.user, unit_id)
