"""One error shape for the whole API: {"code": "...", "message": "...", "details": ...}."""

from django.db.utils import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gongzhi.core.errors import DomainError
from gongzhi.core.http import unavailable


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
        code = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return reply(request, exc.status_code, code.get(exc.status_code, "error"), str(exc))

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_unavailable(request, exc):
        if not unavailable.database_unavailable(exc):
            raise exc  # a bug: Django's 500
        response = reply(request, 503, unavailable.CODE, unavailable.MESSAGE)
        return unavailable.mark(response, exc)
