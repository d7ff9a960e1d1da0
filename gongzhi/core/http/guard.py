"""What every request is checked for before any view reads it, and how malformed input is
refused — one place for the API, Open311, the 12345 exchange and the pages:

- a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (uploads excepted: each upload endpoint
  states its own limit) → 413;
- multipart/form-data without a boundary → 400;
- a NUL character in the query string or a form body → 400 (PostgreSQL cannot store it;
  JSON bodies are checked value by value by `json_object`);
- a JSON body that is not JSON, nested past Python's recursion limit, not an object, or
  holding a NUL → 400; a body in another format where JSON is expected → 415.

Each refusal is a DomainError (stable code, Chinese message), answered in the shape of
the way in (`shapes.error_response`). The middleware also gives the errors Django and
django-ninja make outside our views (an unknown path, a method not served, a failed
CSRF check, a server error page) the shape of the way in, when one is registered.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.parser import Parser

from gongzhi.core.errors import DomainError
from gongzhi.core.http.error_page import domain_error_page
from gongzhi.core.http.shapes import STATUS_CODES, error_response, shape_for

NUL = "\x00"
# Headers an error keeps when it is given the shape of its way in.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def too_large(limit: int | None = None) -> DomainError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
    message = _("The request body is too large: at most %(mb)s MB.") % {
        "mb": f"{limit / (1024 * 1024):g}"
    }
    return DomainError(message, code="too_large", status=413)


def nul_refused() -> DomainError:
    return DomainError(_("Text must not contain NUL characters."), code="nul_character")


def contains_nul(value) -> bool:
    """Whether a NUL is in any text of `value` (JSON-like data: keys included). Iterative:
    a body nested as deep as the JSON parser allows must not exhaust the stack here."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def is_json(content_type: str | None) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def json_value(body: bytes, content_type: str | None):
    """The JSON a body holds, refused as the module docstring says (415, 400)."""
    if not is_json(content_type):
        message = _("Send the body as JSON (Content-Type: application/json).")
        raise DomainError(message, code="unsupported_media_type", status=415)
    try:
        data = json.loads(body)
    except RecursionError:
        raise DomainError(_("The request body is nested too deeply."), code="malformed") from None
    except ValueError:  # UnicodeDecodeError included
        raise DomainError(_("The request body is not valid JSON."), code="malformed") from None
    if contains_nul(data):
        raise nul_refused()
    return data


def json_object(body: bytes, content_type: str | None) -> dict:
    """A JSON body that must be an object."""
    data = json_value(body, content_type)
    if not isinstance(data, dict):
        raise DomainError(_("The request body must be a JSON object."), code="malformed")
    return data


def refusal_for(exc: Exception) -> DomainError | None:
    """The refusal Django's own exceptions about a malformed request stand for."""
    if isinstance(exc, DomainError):
        return exc
    # TooManyFieldsSent and TooManyFilesSent are SuspiciousOperations too (below): only
    # the size itself is a 413.
    if type(exc) is RequestDataTooBig:
        return too_large()
    if isinstance(exc, (MultiPartParserError, UnreadablePostError, SuspiciousOperation)):
        return DomainError(_("The request is malformed."), code="bad_request")
    return None


def _multipart_without_boundary(content_type: str) -> bool:
    kind, _sep, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return False
    for param in params.split(";"):
        name, _eq, value = param.partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return False
    return True


def check_request(request) -> DomainError | None:
    """The refusal of a request that no view should read, or None."""
    content_type = request.META.get("CONTENT_TYPE", "")
    multipart = content_type.lower().startswith("multipart/")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if not multipart and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return too_large()
    if _multipart_without_boundary(content_type):
        return DomainError(_("A multipart body needs a boundary."), code="bad_request")
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or NUL in query:
        return nul_refused()
    if content_type.lower().startswith("application/x-www-form-urlencoded") and length:
        body = request.body
        if b"%00" in body or b"\x00" in body:
            return nul_refused()
    return None


class RequestGuardMiddleware:
    """Refuses what `check_request` refuses before anything reads the body (place it
    before the session and CSRF middleware), turns Django's malformed-request exceptions
    into their refusals, and gives error responses made outside our views (HTML or plain
    text) the shape of their way in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = check_request(request)
        if refused is not None:
            return error_response(request, refused.status, refused.code, refused.message)
        response = self.get_response(request)
        return self._shaped(request, response)

    def process_exception(self, request, exc):
        refused = refusal_for(exc)
        if refused is None or isinstance(exc, DomainError):
            return None  # DomainErrors are the views' to show (DomainErrorMiddleware)
        return error_response(request, refused.status, refused.code, refused.message)

    def _shaped(self, request, response):
        if response.status_code < 400:
            return response
        if shape_for(request.path_info) is None:
            return self._page(request, response)
        if response.status_code >= 500 and settings.DEBUG:
            return response  # a developer's traceback
        kind = response.get("Content-Type", "").split(";")[0].strip().lower()
        if kind not in ("text/html", "text/plain", ""):
            return response  # already in a machine format (JSON, XML)
        status = response.status_code
        code = STATUS_CODES.get(status, "error")
        shaped = error_response(request, status, code, _message(status))
        for header in KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped

    @staticmethod
    def _page(request, response):
        """A page's bare 405 (a POST-only address opened in the browser, e.g. a link
        followed from a chat) becomes the Chinese error page, its Allow header kept."""
        if response.status_code != 405 or response.content:
            return response
        page = domain_error_page(
            request,
            405,
            _("This address takes a form sent from its page and cannot be opened directly."),
        )
        page["Allow"] = response.get("Allow", "")
        return page


def _message(status: int) -> str:
    messages = {
        400: _("The request is malformed."),
        403: _("You do not have permission to do this."),
        404: _("Not found."),
        405: _("Method not allowed."),
        413: _("The request body is too large."),
        500: _("Something went wrong on our side. Please try again later."),
    }
    return messages.get(status, _("The request could not be served."))


class GuardedParser(Parser):
    """django-ninja's parser with the refusals above: JSON bodies through `json_object`,
    query and form values without NUL. (ninja wraps a parse_body error in an HttpError
    400; `api_errors` answers with the DomainError it wraps.)"""

    def parse_body(self, request):
        # ninja's multipart body parameters parse each field through a bare request
        # (content_type None): those are JSON by construction.
        content_type = (
            request.content_type if request.content_type is not None else "application/json"
        )
        return json_object(request.body, content_type)

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        if contains_nul([v for v in result.values() if isinstance(v, (str, list))]):
            raise nul_refused()
        return result
