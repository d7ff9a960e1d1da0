"""How pages answer a refused operation: the Chinese error page with the service's message.

The template, web/error.html, lives with the layout of the pages it extends (like every
app's templates); rendering finds it by name, so nothing here imports `web`.
"""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError

TITLES = {
    400: _("Bad request"),
    403: _("No permission"),
    404: _("Page not found"),
    409: _("Conflicting operation"),
    413: _("Request too large"),
    500: _("System error"),
}


def domain_error_page(request, status: int, message: str):
    return render(
        request,
        "web/error.html",
        {
            "status": status,
            "title": TITLES.get(status, _("Something went wrong")),
            "message": message,
        },
        status=status,
    )


class DomainErrorMiddleware:
    """Turns a DomainError escaping a view into its error page (404 for missing and not yours)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, DomainError):
            return domain_error_page(request, exc.status, exc.message)
        return None
