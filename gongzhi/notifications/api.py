"""The caller's notifications: newest first, mark one or all read. Another user's
notification is the 404 of a missing one."""

from ninja import Router

from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit
from gongzhi.notifications import selectors, services
from gongzhi.notifications.schemas import NotificationOut, NotificationPage, ReadAllOut

router = Router(tags=["notifications"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("", response={200: NotificationPage, **ERRORS})
def notification_list(request, limit: Limit = 50, cursor: Cursor | None = None):
    """The caller's inbox, newest first."""
    items, next_cursor = keyset_page(
        selectors.notifications_of(request.auth), ordering=("-id",), cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post("/read-all", response={200: ReadAllOut, **ERRORS})
def notification_read_all(request):
    """Mark every unread notification of the caller read."""
    return {"updated": services.notifications_mark_all_read(user=request.auth)}


@router.post("/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def notification_read(request, notification_id: Id):
    """Mark one notification read (reading it again changes nothing)."""
    n = selectors.notification_for(request.auth, notification_id)
    return services.notification_mark_read(user=request.auth, notification=n)
