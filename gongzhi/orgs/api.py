from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from gongzhi.api.pagination import keyset_page
from gongzhi.api.schemas import ErrorOut
from gongzhi.core.errors import DomainError
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs import selectors, services
from gongzhi.orgs.schemas import (
    DepartmentCreateIn,
    DepartmentOut,
    OrgUnitCreateIn,
    OrgUnitOut,
    OrgUnitPage,
    OrgUnitUpdateIn,
)

router = Router(tags=["orgs"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.get("/units", response={200: OrgUnitPage, **ERRORS})
def units_list(
    request,
    level: Level | None = None,
    parent_id: int | None = None,
    within: str | None = Query(None, description="Only this code and the units under it"),
    limit: int | None = None,
    cursor: str | None = None,
):
    """The org units in your area, ordered by code."""
    qs = selectors.units_visible_to(request.auth)
    if level:
        qs = qs.filter(level=level)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if within:
        qs = qs.filter(code__within=within)
    rows, next_cursor = keyset_page(qs, ordering=("code",), cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/units/{unit_id}", response={200: OrgUnitOut, **ERRORS})
def unit_detail(request, unit_id: int):
    return selectors.unit_for(request.auth, unit_id)


@router.post("/units", response={201: OrgUnitOut, **ERRORS})
def unit_create(request, payload: OrgUnitCreateIn):
    parent = None
    if payload.parent_id is not None:
        parent = selectors.unit_for(request.auth, payload.parent_id)
    return Status(
        201,
        services.org_unit_create(
            actor=request.auth, parent=parent, code=payload.code, name=payload.name
        ),
    )


@router.patch("/units/{unit_id}", response={200: OrgUnitOut, **ERRORS})
def unit_update(request, unit_id: int, payload: OrgUnitUpdateIn):
    """Rename (needs org management) and/or edit the service card."""
    unit = selectors.unit_for(request.auth, unit_id)
    data = payload.dict(exclude_unset=True)
    if not data:
        raise DomainError(_("Nothing to change."), code="empty_update")
    if "name" in data:
        unit = services.org_unit_rename(actor=request.auth, unit=unit, name=data["name"] or "")
    if "service_phone" in data or "introduction" in data:
        unit = services.org_unit_update_profile(
            actor=request.auth,
            unit=unit,
            service_phone=data.get("service_phone", unit.service_phone) or "",
            introduction=data.get("introduction", unit.introduction) or "",
        )
    return unit


@router.get("/departments", response={200: list[DepartmentOut], **ERRORS})
def departments_list(request):
    return list(selectors.departments_visible_to(request.auth))


@router.post("/departments", response={201: DepartmentOut, **ERRORS})
def department_create(request, payload: DepartmentCreateIn):
    district = selectors.unit_for(request.auth, payload.district_id, Perm.DEPARTMENTS_MANAGE)
    return Status(
        201,
        services.department_create(
            actor=request.auth,
            district=district,
            code=payload.code,
            name=payload.name,
            phone=payload.phone,
        ),
    )
