"""Places and people over the API. Personal data is masked; /reveal returns one value
to those allowed and audits it."""

from ninja import Router, Status

from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit, Search, UnitCode, Word
from gongzhi.registry import selectors, services
from gongzhi.registry.models import PremisesCategory, Tag
from gongzhi.registry.schemas import (
    BuildingIn,
    BuildingOut,
    BuildingPage,
    BuildingRoleIn,
    GridStatsOut,
    HouseholdIn,
    HouseholdOut,
    NamedOut,
    PremisesIn,
    PremisesOut,
    PremisesPage,
    ResidentIn,
    ResidentOut,
    ResidentPage,
    RevealIn,
    RevealOut,
)

router = Router(tags=["registry"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.get("/buildings", response={200: BuildingPage, **ERRORS})
def buildings_list(
    request,
    within: UnitCode | None = None,
    q: Search | None = None,
    limit: Limit | None = None,
    cursor: Cursor | None = None,
):
    qs = selectors.buildings_visible_to(request.auth)
    if within:
        qs = qs.filter(org_code__within=within)
    if q:
        qs = qs.filter(name__contains=q.strip())
    rows, next_cursor = keyset_page(qs, ordering=("id",), cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/buildings", response={201: BuildingOut, **ERRORS})
def building_create(request, payload: BuildingIn):
    return Status(201, services.building_save(actor=request.auth, **payload.dict()))


@router.get("/buildings/{building_id}", response={200: BuildingOut, **ERRORS})
def building_detail(request, building_id: Id):
    return selectors.building_for(request.auth, building_id)


@router.put("/buildings/{building_id}", response={200: BuildingOut, **ERRORS})
def building_update(request, building_id: Id, payload: BuildingIn):
    building = selectors.building_for(request.auth, building_id)
    return services.building_save(actor=request.auth, building=building, **payload.dict())


@router.get("/buildings/{building_id}/households", response={200: list[HouseholdOut], **ERRORS})
def building_households(request, building_id: Id):
    building = selectors.building_for(request.auth, building_id)
    return list(building.households.order_by("unit_name", "room"))


@router.post("/buildings/{building_id}/roles", response={201: dict, **ERRORS})
def building_role_set(request, building_id: Id, payload: BuildingRoleIn):
    building = selectors.building_for(request.auth, building_id)
    resident = selectors.resident_for(request.auth, payload.resident_id)
    role = services.building_role_set(
        actor=request.auth, building=building, resident=resident, role=payload.role
    )
    return Status(
        201,
        {"id": role.pk, "building_id": building.pk, "resident_id": resident.pk, "role": role.role},
    )


@router.post("/households", response={201: HouseholdOut, **ERRORS})
def household_create(request, payload: HouseholdIn):
    building = selectors.building_for(request.auth, payload.building_id)
    household = services.household_get_or_create(
        actor=request.auth, building=building, unit_name=payload.unit_name, room=payload.room
    )
    return Status(201, household)


@router.get("/residents", response={200: ResidentPage, **ERRORS})
def residents_list(
    request,
    q: Search | None = None,
    within: UnitCode | None = None,
    residence_type: Word | None = None,
    tag_id: Id | None = None,
    building_id: Id | None = None,
    limit: Limit | None = None,
    cursor: Cursor | None = None,
):
    """Search by name, address, a phone's last four digits, a full mobile or an exact 身份证号."""
    qs = selectors.residents_search(
        request.auth,
        q=q or "",
        within=within or "",
        residence_type=residence_type or "",
        tag_id=tag_id,
        building_id=building_id,
    ).prefetch_related("tags")
    rows, next_cursor = keyset_page(qs, ordering=("id",), cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/residents", response={201: ResidentOut, **ERRORS})
def resident_create(request, payload: ResidentIn):
    data = services.ResidentInput(**payload.dict())
    return Status(201, services.resident_save(actor=request.auth, data=data))


@router.get("/residents/{resident_id}", response={200: ResidentOut, **ERRORS})
def resident_detail(request, resident_id: Id):
    return selectors.resident_for(request.auth, resident_id)


@router.put("/residents/{resident_id}", response={200: ResidentOut, **ERRORS})
def resident_update(request, resident_id: Id, payload: ResidentIn):
    """Blank id_number or phone keep the stored values."""
    resident = selectors.resident_for(request.auth, resident_id)
    data = services.ResidentInput(**payload.dict())
    return services.resident_save(actor=request.auth, data=data, resident=resident)


@router.post("/residents/{resident_id}/reveal", response={200: RevealOut, **ERRORS})
def resident_reveal(request, resident_id: Id, payload: RevealIn):
    resident = selectors.resident_for(request.auth, resident_id)
    value = services.pii_reveal(actor=request.auth, obj=resident, field_name=payload.field)
    return {"field": payload.field, "value": value}


@router.get("/premises", response={200: PremisesPage, **ERRORS})
def premises_list(
    request,
    within: UnitCode | None = None,
    q: Search | None = None,
    category_id: Id | None = None,
    limit: Limit | None = None,
    cursor: Cursor | None = None,
):
    qs = selectors.premises_visible_to(request.auth)
    if within:
        qs = qs.filter(org_code__within=within)
    if q:
        qs = qs.filter(name__contains=q.strip())
    if category_id:
        qs = qs.filter(category_id=category_id)
    rows, next_cursor = keyset_page(qs, ordering=("id",), cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/premises", response={201: PremisesOut, **ERRORS})
def premises_create(request, payload: PremisesIn):
    return Status(201, services.premises_save(actor=request.auth, **payload.dict()))


@router.get("/premises/{premises_id}", response={200: PremisesOut, **ERRORS})
def premises_detail(request, premises_id: Id):
    return selectors.premises_for(request.auth, premises_id)


@router.put("/premises/{premises_id}", response={200: PremisesOut, **ERRORS})
def premises_update(request, premises_id: Id, payload: PremisesIn):
    premises = selectors.premises_for(request.auth, premises_id)
    return services.premises_save(actor=request.auth, premises=premises, **payload.dict())


@router.post("/premises/{premises_id}/reveal", response={200: RevealOut, **ERRORS})
def premises_reveal(request, premises_id: Id, payload: RevealIn):
    premises = selectors.premises_for(request.auth, premises_id)
    value = services.pii_reveal(actor=request.auth, obj=premises, field_name=payload.field)
    return {"field": payload.field, "value": value}


@router.get("/stats", response={200: list[GridStatsOut], **ERRORS})
def grid_stats(request, within: UnitCode | None = None):
    """Per grid of your area: buildings, households, residents by residence type and by tag."""
    return selectors.grid_statistics(request.auth, within=within or "")


@router.get("/tags", response={200: list[NamedOut], **ERRORS})
def tags_list(request):
    return list(Tag.objects.filter(is_active=True))


@router.get("/premises-categories", response={200: list[NamedOut], **ERRORS})
def categories_list(request):
    return list(PremisesCategory.objects.filter(is_active=True))
