"""The KPI page: the eight rates with their counts for a unit of the user's area and a
period, and the same per child unit (the ranking the monthly report needs)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import kpis
from gongzhi.core import dates, permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs.selectors import units_visible_to

# Units one may pick: down to the community (a grid's own numbers are its community's row).
PICKABLE = (Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)


def _date(value, name: str, default: dt.date) -> tuple[dt.date, str | None]:
    if not (value or "").strip():
        return default, None
    try:
        return dates.parse_day(value, name), None
    except DomainError as exc:
        return default, exc.message


@login_required
def kpi_page(request):
    user = request.user
    if not permissions.can(user, Perm.CASE_VIEW):
        raise NotFound(_("Not found."))
    units = list(
        units_visible_to(user, Perm.CASE_VIEW).filter(level__in=PICKABLE).order_by("code")[:500]
    )
    today = timezone.localdate()
    start, bad_start = _date(request.GET.get("start"), "start", today.replace(day=1))
    end, bad_end = _date(request.GET.get("end"), "end", today)
    unit_code = (request.GET.get("unit") or (units[0].code if units else "")).strip()[:24]
    error = bad_start or bad_end
    report = rows = None
    status = 200
    if not error and unit_code:
        try:
            report = kpis.case_kpis(user, unit_code=unit_code, start=start, end=end)
            rows = kpis.case_kpis_by_child(user, unit_code=unit_code, start=start, end=end)
        except DomainError as exc:
            if exc.status == 404:
                raise
            error, status = exc.message, 400
    elif error:
        status = 400
    return render(
        request,
        "cases/kpis.html",
        {
            "units": units,
            "unit_code": unit_code,
            "start": start,
            "end": end,
            "error": error,
            "report": report,
            "rows": rows,
            "active_nav": "cases",
        },
        status=status,
    )
