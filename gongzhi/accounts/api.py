from ninja import Router, Status

from gongzhi.accounts import selectors, services
from gongzhi.accounts.schemas import MeOut, PositionCreateIn, PositionOut, PositionPage
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit, UnitCode
from gongzhi.core.permissions import roles_of, scope_for
from gongzhi.core.roles import Perm

router = Router(tags=["accounts"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request):
    """Who you are, your positions and the area you may see."""
    user = request.auth
    scope = scope_for(user, Perm.ORGS_VIEW)
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_display_name(),
        "roles": sorted(roles_of(user)),
        "positions": list(
            user.positions.filter(is_active=True).select_related("user", "org_unit", "department")
        ),
        "scope_codes": list(scope.org_codes),
        "scope_everything": scope.everything,
    }


@router.get("/positions", response={200: PositionPage, **ERRORS})
def positions_list(
    request,
    within: UnitCode | None = None,
    limit: Limit | None = None,
    cursor: Cursor | None = None,
):
    """Who holds which position in your area."""
    qs = selectors.positions_visible_to(request.auth)
    if within:
        qs = qs.filter(org_code__within=within)
    rows, next_cursor = keyset_page(qs, ordering=("id",), cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/positions", response={201: PositionOut, **ERRORS})
def position_create(request, payload: PositionCreateIn):
    user = selectors.user_for_staff_management(request.auth, payload.user_id)
    return Status(
        201,
        services.position_create(
            actor=request.auth,
            user=user,
            role=payload.role,
            org_unit_id=payload.org_unit_id,
            department_id=payload.department_id,
            title=payload.title,
        ),
    )


@router.delete("/positions/{position_id}", response={200: PositionOut, **ERRORS})
def position_end(request, position_id: Id):
    position = selectors.position_for(request.auth, position_id)
    return services.position_end(actor=request.auth, position=position)
