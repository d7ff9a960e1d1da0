from typing import Annotated

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from gongzhi.core.errors import DomainError
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit, UnitCode
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs import basemap, geo, selectors, services
from gongzhi.orgs.schemas import (
    BasemapOut,
    BoundaryImportOut,
    DepartmentCreateIn,
    DepartmentOut,
    LocateOut,
    OrgUnitCreateIn,
    OrgUnitOut,
    OrgUnitPage,
    OrgUnitUpdateIn,
    UnitFeatureCollection,
)

router = Router(tags=["orgs"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.get("/units", response={200: OrgUnitPage, **ERRORS})
def units_list(
    request,
    level: Level | None = None,
    parent_id: Id | None = None,
    within: UnitCode | None = Query(None, description="Only this code and the units under it"),
    limit: Limit | None = None,
    cursor: Cursor | None = None,
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


@router.get("/units/geojson", response={200: UnitFeatureCollection, **ERRORS})
def units_geojson(
    request,
    within: UnitCode | None = Query(None, description="Only this code and the units under it"),
    level: Annotated[
        list[Level] | None,
        Query(max_length=len(Level), description="Only these levels (repeatable)"),
    ] = None,
):
    """The boundaries of the units in your area as a GeoJSON FeatureCollection (WGS-84)."""
    units = selectors.unit_boundaries_visible_to(request.auth, within=within, levels=level)
    return geo.feature_collection(units)


@router.get("/basemap", response={200: BasemapOut, **ERRORS})
def basemap_features(
    request,
    bbox: str = Query(..., max_length=100, description="west,south,east,north (WGS-84)"),
    zoom: str = Query("16", max_length=4, description="the map's zoom (buildings from 15)"),
):
    """The offline basemap under every map: roads, water, green space and building
    footprints crossing the box (orgs.basemap), at most 4,000 — for anyone signed in."""
    west, south, east, north = geo.parse_bbox(bbox)
    body = basemap.features_json(west, south, east, north, geo.parse_zoom(zoom))
    return HttpResponse(body, content_type="application/json")


@router.get("/locate", response={200: LocateOut, **ERRORS})
def locate(
    request,
    lng: float = Query(..., ge=-180, le=180, description="longitude"),
    lat: float = Query(..., ge=-90, le=90, description="latitude"),
    crs: geo.Crs = geo.Crs.WGS84,
):
    """The deepest unit of your area containing the point; 404 outside your area."""
    unit = selectors.unit_at_point_for(request.auth, lng, lat, crs=crs)
    return {"code": unit.code, "unit_id": unit.pk, "name": unit.name, "level": unit.level}


_GEOJSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/geo+json": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/boundaries",
    response={200: BoundaryImportOut, 413: ErrorOut, **ERRORS},
    openapi_extra=_GEOJSON_BODY,
)
def boundaries_import(request, crs: geo.Crs = geo.Crs.WGS84):
    """Import unit boundaries: a GeoJSON FeatureCollection whose features carry
    `properties.code`, as the request body or the multipart field `file`. All or
    nothing: any bad feature refuses the file (`invalid_geojson`, each problem in
    `details`); overlapping siblings come back as `warnings`."""
    return services.org_boundaries_import(
        actor=request.auth, data=_uploaded_bytes(request), crs=crs
    )


def _uploaded_bytes(request) -> bytes:
    limit = services.MAX_UPLOAD_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # Refused by the declared length before the body is read. (A session client's CSRF
    # check parses a multipart form first; the reverse proxy's body limit bounds that.)
    if length > limit + 64 * 1024:
        raise services.payload_too_large()
    if request.content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(
                _("Send the GeoJSON as the request body or as the file field “file”."),
                code="missing_file",
            )
        if upload.size > limit:
            raise services.payload_too_large()
        return upload.read()
    return request.read(limit + 1)


@router.get("/units/{unit_id}", response={200: OrgUnitOut, **ERRORS})
def unit_detail(request, unit_id: Id):
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
def unit_update(request, unit_id: Id, payload: OrgUnitUpdateIn):
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
