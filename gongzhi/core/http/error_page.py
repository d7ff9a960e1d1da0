"""How pages answer a refused operation: the Chinese error page with the service's message.

The template, web/error.html, lives with the layout of the pages it extends (like every
app's templates); rendering finds it by name, so nothing here imports `web`.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError
from gongzhi.core.http import unavailable

TITLES = {
    400: _("Bad request"),
    403: _("No permission"),
    404: _("Page not found"),
    405: _("Cannot be opened this way"),
    409: _("Conflicting operation"),
    413: _("Request too large"),
    500: _("System error"),
    503: _("Service briefly unavailable"),
}


# Where an error page sends a person back to: a resident's pages (/my/) to their own
# start, everyone else to the workbench.
RESIDENT_PREFIX = "/my/"


def domain_error_page(request, status: int, message: str):
    resident = request is not None and request.path_info.startswith(RESIDENT_PREFIX)
    return render(
        request,
        "web/error.html",
        {
            "status": status,
            "title": TITLES.get(status, _("Something went wrong")),
            "message": message,
            "home_url": RESIDENT_PREFIX if resident else "/",
            "home_label": _("Back to my services") if resident else _("Back to the workbench"),
        },
        status=status,
    )


def unavailable_page(request, exc: BaseException) -> HttpResponse:
    """The 503 page: rendered without the request, so no context processor (the menu,
    the signed-in user) reaches for the database that is not there."""
    html = render_to_string(
        "web/error.html",
        {"status": 503, "title": TITLES[503], "message": unavailable.MESSAGE},
    )
    return unavailable.mark(HttpResponse(html, status=503), exc)


class DomainErrorMiddleware:
    """Turns a DomainError escaping a view into its error page (404 for missing and not
    yours), and the database out of reach into the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, DomainError):
            return domain_error_page(request, exc.status, exc.message)
        if unavailable.database_unavailable(exc):
            return unavailable_page(request, exc)
        return None
