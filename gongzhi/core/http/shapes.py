"""Which shape an error takes, by where it is asked: a way in for machines registers its
shape for its path prefix (the JSON API's {"code", "message", "details"} at /api/v1/,
Open311's `errors` body at /open311/v2/, the 12345 exchange's JSON), and every other
path gets the pages' Chinese error page.

    register_error_shape("/api/v1/", json_error)           # an AppConfig.ready()
    error_response(request, 404, "not_found", _("Not found."))

Errors that arise before or around a view — an unknown path, a method a view does not
serve, a body too large, a failed CSRF check — are answered in the same shape as the
view's own refusals (`guard.RequestGuardMiddleware`).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from gongzhi.core.http.error_page import domain_error_page

Render = Callable[[HttpRequest, int, str, str, object], HttpResponse]

_SHAPES: dict[str, Render] = {}

# Stable codes of the statuses that arise outside a view.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def register_error_shape(prefix: str, render: Render) -> None:
    """Answer errors under the path `prefix` with `render(request, status, code, message,
    details)`; the longest registered prefix wins."""
    _SHAPES[prefix] = render


def shape_for(path: str) -> Render | None:
    for prefix in sorted(_SHAPES, key=len, reverse=True):
        if path.startswith(prefix):
            return _SHAPES[prefix]
    return None


def json_error(request, status: int, code: str, message, details=None) -> JsonResponse:
    """The API's one error body."""
    body = {"code": code, "message": str(message), "details": details}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def error_response(request, status: int, code: str, message, details=None) -> HttpResponse:
    """The error in the shape of the way in `request` came by (the error page for pages)."""
    render = shape_for(request.path_info)
    if render is None:
        return domain_error_page(request, status, str(message))
    return render(request, status, code, str(message), details)
