from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.roles import Perm
from gongzhi.registry import selectors, services
from gongzhi.registry.forms import (
    BuildingForm,
    BuildingRoleForm,
    PremisesForm,
    ResidentForm,
    ResidentSearchForm,
)
from gongzhi.registry.models import PremisesCategory, Tag

PAGE = 30


def _require_view(request):
    if not permissions.can(request.user, Perm.REGISTRY_VIEW):
        raise NotFound(_("Not found."))


def _form_errors(form, exc: DomainError):
    """Put a service's field errors on the form's fields (or on the form as a whole)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    placed = False
    for name, errors in details.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _page(request, qs):
    """One page of a list by id; a stale or forged cursor shows the first page."""
    try:
        return keyset_page(qs, ordering=("id",), cursor=request.GET.get("cursor"), limit=PAGE)
    except DomainError:
        return keyset_page(qs, ordering=("id",), cursor=None, limit=PAGE)


def _save_or_errors(form, save):
    """Call `save()` (a service) for a valid form; its field errors go back on the form,
    with what was typed kept. Returns the saved object, or None. A choice of the form
    that is missing or outside the user's area (a NotFound naming one of the form's
    fields) is a form error too; any other NotFound propagates."""
    try:
        return save()
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        if exc.status == 404 and not set(details) & set(form.fields):
            raise
        _form_errors(form, exc)
        return None


def _named_list(request, qs, template):
    """Buildings or premises of the user's area, searched by name."""
    _require_view(request)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(name__contains=q)
    rows, next_cursor = _page(request, qs)
    return render(
        request,
        template,
        {
            "rows": rows,
            "next_cursor": next_cursor,
            "q": q,
            "can_edit": permissions.can(request.user, Perm.REGISTRY_EDIT),
        },
    )


@login_required
def overview(request):
    """Per-grid statistics of the user's area (人房概况)."""
    _require_view(request)
    rows = selectors.grid_statistics(request.user)
    totals = {key: sum(r[key] for r in rows) for key in ("buildings", "households", "residents")}
    tag_ids = dict(Tag.objects.values_list("name", "id"))
    tags: dict[str, int] = {}
    for r in rows:
        for name, n in r["by_tag"].items():
            tags[name] = tags.get(name, 0) + n
    return render(
        request,
        "registry/overview.html",
        {
            "rows": rows,
            "totals": totals,
            "tag_totals": [
                (name, tag_ids.get(name), n)
                for name, n in sorted(tags.items(), key=lambda kv: -kv[1])
            ],
            "can_edit": permissions.can(request.user, Perm.REGISTRY_EDIT),
        },
    )


@login_required
def residents(request):
    _require_view(request)
    tags = list(Tag.objects.filter(is_active=True))
    form = ResidentSearchForm(request.GET or None, tags=tags)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.residents_search(
        request.user,
        q=filters.get("q", ""),
        within=filters.get("within", ""),
        residence_type=filters.get("residence_type", ""),
        tag_id=filters.get("tag"),
    ).prefetch_related("tags")
    rows, next_cursor = _page(request, qs)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "registry/residents.html",
        {
            "form": form,
            "rows": rows,
            "next_cursor": next_cursor,
            "query": query.urlencode(),
            "can_edit": permissions.can(request.user, Perm.REGISTRY_EDIT),
        },
    )


@login_required
def resident_detail(request, resident_id):
    resident = selectors.resident_for(request.user, resident_id)
    return render(
        request,
        "registry/resident_detail.html",
        {
            "r": resident,
            "can_reveal": permissions.can(request.user, Perm.PII_REVEAL, resident),
            "can_edit": permissions.can(request.user, Perm.REGISTRY_EDIT, resident),
            "housemates": selectors.residents_visible_to(request.user)
            .filter(household=resident.household_id, is_active=True)
            .exclude(pk=resident.pk)
            if resident.household_id
            else [],
        },
    )


@login_required
@require_POST
def resident_reveal(request, resident_id, field):
    """One personal value in full (htmx swaps it in); audited by the service."""
    resident = selectors.resident_for(request.user, resident_id)
    value = services.pii_reveal(actor=request.user, obj=resident, field_name=field)
    return render(request, "registry/_revealed.html", {"value": value})


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request, resident_id=None):
    resident = selectors.resident_for(request.user, resident_id) if resident_id else None
    if not permissions.can(request.user, Perm.REGISTRY_EDIT, resident):
        raise NotFound(_("Not found."))
    grids = selectors.editable_grids(request.user)
    buildings = list(
        selectors.buildings_visible_to(request.user).order_by("org_code", "name")[:500]
    )
    initial = {}
    if resident is not None:
        initial = {
            "name": resident.name,
            "grid_id": resident.grid_id,
            "building_id": resident.household.building_id if resident.household else None,
            "unit_name": resident.household.unit_name if resident.household else "",
            "room": resident.household.room if resident.household else "",
            "relationship": resident.relationship,
            "residence_type": resident.residence_type,
            "tag_ids": [t.id for t in resident.tags.all()],
            "note": resident.note,
        }
    elif request.GET.get("building"):
        initial["building_id"] = request.GET.get("building")
    form = ResidentForm(
        request.POST or None,
        initial=initial,
        grids=grids,
        buildings=buildings,
        tags=Tag.objects.filter(is_active=True),
        editing=resident is not None,
    )
    if request.method == "POST" and form.is_valid():
        data = services.ResidentInput(**form.cleaned_data)
        saved = _save_or_errors(
            form, lambda: services.resident_save(actor=request.user, data=data, resident=resident)
        )
        if saved:
            messages.success(request, _("Saved."))
            return redirect("resident_detail", resident_id=saved.pk)
    return render(
        request,
        "registry/resident_form.html",
        {"form": form, "resident": resident},
        status=400 if form.errors else 200,
    )


@login_required
def buildings(request):
    return _named_list(
        request, selectors.buildings_visible_to(request.user), "registry/buildings.html"
    )


@login_required
def building_detail(request, building_id):
    building = selectors.building_for(request.user, building_id)
    households = list(building.households.order_by("unit_name", "room"))
    people = {}
    for r in selectors.residents_visible_to(request.user).filter(
        household__building=building, is_active=True
    ):
        people.setdefault(r.household_id, []).append(r)
    can_edit = permissions.can(request.user, Perm.REGISTRY_EDIT, building)
    residents = [r for rows in people.values() for r in rows]
    role_form = BuildingRoleForm(residents=residents) if can_edit and residents else None
    return render(
        request,
        "registry/building_detail.html",
        {
            "b": building,
            "households": [(h, people.get(h.id, [])) for h in households],
            "roles": building.roles.select_related("resident"),
            "can_edit": can_edit,
            "role_form": role_form,
        },
    )


@login_required
@require_POST
def building_role_set(request, building_id):
    building = selectors.building_for(request.user, building_id)
    form = BuildingRoleForm(
        request.POST,
        residents=selectors.residents_visible_to(request.user).filter(household__building=building),
    )
    if not form.is_valid():
        raise DomainError(_("Choose a resident of this building and a position."))
    resident = selectors.resident_for(request.user, form.cleaned_data["resident_id"])
    services.building_role_set(
        actor=request.user, building=building, resident=resident, role=form.cleaned_data["role"]
    )
    messages.success(request, _("Saved."))
    return redirect("building_detail", building_id=building.pk)


@login_required
@require_http_methods(["GET", "POST"])
def building_edit(request, building_id=None):
    building = selectors.building_for(request.user, building_id) if building_id else None
    if not permissions.can(request.user, Perm.REGISTRY_EDIT, building):
        raise NotFound(_("Not found."))
    initial = {}
    if building is not None:
        initial = {
            f: getattr(building, f) for f in ("grid_id", "name", "address", "floors", "lng", "lat")
        }
    form = BuildingForm(
        request.POST or None, initial=initial, grids=selectors.editable_grids(request.user)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save_or_errors(
            form,
            lambda: services.building_save(
                actor=request.user, building=building, **form.cleaned_data
            ),
        )
        if saved:
            messages.success(request, _("Saved."))
            return redirect("building_detail", building_id=saved.pk)
    return render(
        request,
        "registry/building_form.html",
        {"form": form, "b": building},
        status=400 if form.errors else 200,
    )


@login_required
def premises_list(request):
    return _named_list(
        request, selectors.premises_visible_to(request.user), "registry/premises_list.html"
    )


@login_required
def premises_detail(request, premises_id):
    premises = selectors.premises_for(request.user, premises_id)
    return render(
        request,
        "registry/premises_detail.html",
        {
            "p": premises,
            "can_reveal": permissions.can(request.user, Perm.PII_REVEAL, premises),
            "can_edit": permissions.can(request.user, Perm.REGISTRY_EDIT, premises),
        },
    )


@login_required
@require_POST
def premises_reveal(request, premises_id):
    premises = selectors.premises_for(request.user, premises_id)
    value = services.pii_reveal(actor=request.user, obj=premises, field_name="phone")
    return render(request, "registry/_revealed.html", {"value": value})


@login_required
@require_http_methods(["GET", "POST"])
def premises_edit(request, premises_id=None):
    premises = selectors.premises_for(request.user, premises_id) if premises_id else None
    if not permissions.can(request.user, Perm.REGISTRY_EDIT, premises):
        raise NotFound(_("Not found."))
    initial = {}
    if premises is not None:
        initial = {
            f: getattr(premises, f)
            for f in (
                "grid_id",
                "name",
                "category_id",
                "address",
                "responsible_name",
                "uscc",
                "lng",
                "lat",
            )
        }
    form = PremisesForm(
        request.POST or None,
        initial=initial,
        grids=selectors.editable_grids(request.user),
        categories=PremisesCategory.objects.filter(is_active=True),
        editing=premises is not None,
    )
    if request.method == "POST" and form.is_valid():
        saved = _save_or_errors(
            form,
            lambda: services.premises_save(
                actor=request.user, premises=premises, **form.cleaned_data
            ),
        )
        if saved:
            messages.success(request, _("Saved."))
            return redirect("premises_detail", premises_id=saved.pk)
    return render(
        request,
        "registry/premises_form.html",
        {"form": form, "p": premises},
        status=400 if form.errors else 200,
    )
