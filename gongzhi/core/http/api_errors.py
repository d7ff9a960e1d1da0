"""One error shape for the whole API: {"code": "...", "message": "...", "details": ...}."""

from django.core.exceptions import SuspiciousOperation
from django.db.utils import InterfaceError, OperationalError
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gongzhi.core.errors import DomainError
from gongzhi.core.http import unavailable
from gongzhi.core.http.guard import refusal_for


def install(api):
    def reply(request, status, code, message, details=None):
        return api.create_response(
            request, {"code": code, "message": str(message), "details": details}, status=status
        )

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return reply(request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        details = [
            {
                "loc": [str(p) for p in e.get("loc", [])],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors
        ]
        return reply(request, 422, "validation_error", _("The request is not valid."), details)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return reply(request, 401, "unauthenticated", _("Sign in or send a valid API token."))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return reply(request, 404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # ninja wraps what its body parser raised (core.http.guard.GuardedParser).
        if isinstance(exc.__cause__, DomainError):
            return domain_error(request, exc.__cause__)
        code = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return reply(request, exc.status_code, code.get(exc.status_code, "error"), str(exc))

    # A malformed body Django itself refuses while a handler reads it (too large, a broken
    # multipart): the same refusal as core.http.guard's, in any DEBUG mode.
    @api.exception_handler(SuspiciousOperation)
    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(UnreadablePostError)
    def malformed(request, exc):
        return domain_error(request, refusal_for(exc))

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_unavailable(request, exc):
        if not unavailable.database_unavailable(exc):
            raise exc  # a bug: Django's 500
        response = reply(request, 503, unavailable.CODE, unavailable.MESSAGE)
        return unavailable.mark(response, exc)


# The errors any operation may answer, whatever its own refusals (which its router
# declares): 400 for a malformed request (a NUL in the query …), 401 without a valid
# token or session, 403 and 404 from the permission and scope checks.
EVERY_OPERATION = {
    400: "Malformed request (code bad_request, malformed, nul_character, invalid …)",
    401: "Not signed in, or the token is not valid (code unauthenticated)",
    403: "Not allowed (code forbidden)",
    404: "Not found, or outside the caller's area (code not_found)",
    503: (
        "The database is out of reach for a moment (code unavailable, with Retry-After): "
        "it may have stored the request, so send it again with the same Idempotency-Key"
    ),
}
WITH_PARAMETERS = {422: "A parameter or field is outside its schema (code validation_error)"}
WITH_BODY = {413: "The body is too large (code too_large)"}
WITH_JSON_BODY = {415: "The body is not JSON (code unsupported_media_type)"}


def document_errors(schema: dict) -> dict:
    """Add to every operation of an OpenAPI document the error statuses it can answer,
    each with the error body (ErrorOut); statuses an operation declares itself stay."""
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            statuses = dict(EVERY_OPERATION)
            body = operation.get("requestBody", {}).get("content", {})
            if operation.get("parameters") or body:
                statuses |= WITH_PARAMETERS
            if body:
                statuses |= WITH_BODY
            if "application/json" in body:
                statuses |= WITH_JSON_BODY
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                if status not in responses and str(status) not in responses:
                    content = {"application/json": {"schema": ref}}
                    responses[status] = {"description": description, "content": content}
            operation["responses"] = dict(sorted(responses.items(), key=lambda r: int(r[0])))
    return schema


class ErrorDocumentingAPI(NinjaAPI):
    """The API whose OpenAPI document lists every error status each operation answers."""

    def get_openapi_schema(self, *args, **kwargs):
        return document_errors(super().get_openapi_schema(*args, **kwargs))
