"""The monthly report pages: the report on screen (printable) and its Excel download.

/command/monthly/?unit=990101001&month=2026-10
/command/monthly.xlsx?unit=990101001&month=2026-10
"""

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.command import monthly, monthly_xlsx
from gongzhi.core import dates, permissions, xlsx
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.roles import Perm
from gongzhi.orgs.access import command_units

# Units one may pick: down to the community (a grid's figures are its community's row).


def _require_view(user) -> None:
    if not permissions.can(user, Perm.COMMAND_VIEW):
        raise NotFound(_("Not found."))


def _month(request) -> tuple[str, tuple[int, int]]:
    """The month asked for (default: last month), as text and parsed; Invalid if bad."""
    text = (request.GET.get("month") or "").strip()[:16]
    if not text:
        year, month = monthly.last_month()
        return f"{year:04d}-{month:02d}", (year, month)
    return text, dates.parse_month(text)


@login_required
@require_GET
def monthly_page(request):
    user = request.user
    _require_view(user)
    units = command_units(user)
    unit_code = (request.GET.get("unit") or (units[0].code if units else "")).strip()[:24]
    year, month = monthly.last_month()
    month_text = f"{year:04d}-{month:02d}"
    report, error, status = None, None, 200
    try:
        month_text, (year, month) = _month(request)
        if unit_code:
            report = monthly.monthly_report(user, unit_code, year, month)
    except DomainError as exc:
        if exc.status == 404:
            raise
        error, status = exc.message, 400
    return render(
        request,
        "command/monthly.html",
        {
            "units": units,
            "unit_code": unit_code,
            "month": month_text,
            "max_month": "{:04d}-{:02d}".format(*_this_month()),
            "report": report,
            "print_title": _print_title(report),
            "columns": monthly.columns(),
            "error": error,
            "active_nav": "command",
        },
        status=status,
    )


def _print_title(report) -> str:
    """The running head of printed pages (a CSS string: no quotes, backslashes, tags)."""
    if report is None:
        return ""
    text = f"{report.unit_name} {report.label} {_('Monthly report')}"
    return re.sub(r'["\\<>\n\r]', "", text)


def _this_month() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, today.month


def content_disposition(report) -> str:
    """An ASCII name for old clients, the Chinese one (RFC 5987 filename*) for the rest."""
    ascii_name = f"monthly-{report.unit_code}-{report.label}.xlsx"
    utf8 = content_disposition_header(True, monthly_xlsx.filename(report)).split("; ", 1)[1]
    return f'attachment; filename="{ascii_name}"; {utf8}'


@login_required
@require_GET
def monthly_download(request):
    """The workbook; a bad month is the error page (400), a unit not the user's 404."""
    _require_view(request.user)
    _text, (year, month) = _month(request)
    unit_code = (request.GET.get("unit") or "").strip()[:24]
    report, data = monthly_xlsx.monthly_export(request.user, unit_code, year, month)
    response = HttpResponse(data, content_type=xlsx.CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition(report)
    response.headers["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("command/monthly/", monthly_page, name="command_monthly"),
    path("command/monthly.xlsx", monthly_download, name="command_monthly_xlsx"),
]
