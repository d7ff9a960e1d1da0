import sys

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from gongzhi.core.http.error_page import domain_error_page, unavailable_page
from gongzhi.core.http.unavailable import database_unavailable
from gongzhi.web import workbench


@login_required
def home(request):
    """The workbench: one panel per role the user holds."""
    return render(request, "web/home.html", {"panels": workbench.panels_for(request.user)})


def favicon(request):
    """/favicon.ico, which browsers ask for on pages without an icon link (the Django
    admin): the logo, instead of a 404 in every console."""
    return HttpResponsePermanentRedirect(static("img/logo.svg"))


@never_cache
def healthz(request):
    """Liveness and database status for the load balancer; no login, no personal data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = {"status": "ok", "vendor": connection.vendor}
        status = 200
    except Exception as exc:
        db = {"status": "error", "vendor": connection.vendor, "error": type(exc).__name__}
        status = 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "database": db}, status=status
    )


def error_403(request, exception=None):
    return domain_error_page(request, 403, _("You do not have permission to open this page."))


def error_404(request, exception=None):
    return domain_error_page(
        request, 404, _("The page does not exist, or it is outside your area.")
    )


def error_500(request):
    # Django calls this while handling the exception (DEBUG off), also for one raised
    # outside a view (in a middleware), which DomainErrorMiddleware never sees.
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        return unavailable_page(request, exc)
    return domain_error_page(
        request, 500, _("Something went wrong on our side. Please try again later.")
    )
