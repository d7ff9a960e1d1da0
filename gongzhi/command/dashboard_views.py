"""The command-center dashboard page (/command/) and the drill-down list of the cases
behind any of its numbers (/command/cases/). Parse, one call, render."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.cases import exports
from gongzhi.cases.views import clock_of, place_label
from gongzhi.command import dashboard
from gongzhi.command.sections import app_sections
from gongzhi.core import dates, permissions, xlsx
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.error_page import domain_error_page
from gongzhi.core.http.forms import parse_id
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.roles import Perm

PAGE = 30


def _date(value, name: str) -> tuple[dt.date | None, str | None]:
    """The date and no error, or no date and the error (nothing given: neither)."""
    if not (value or "").strip():
        return None, None
    try:
        return dates.parse_day(value, name), None
    except DomainError as exc:
        return None, exc.message


def _bad_date() -> str:
    return _("Give the period as a start and an end date (YYYY-MM-DD).")


def _require_command(user) -> None:
    if not permissions.can(user, Perm.COMMAND_VIEW):
        raise NotFound(_("Not found."))


def _period(params, today: dt.date) -> tuple[str, dt.date, dt.date, str | None]:
    """(period name, start, end, error) from the query; an error keeps a usable period
    (this month) so the page still has something to fill the form with."""
    name = params.get("period") or ""
    raw_start, raw_end = params.get("start"), params.get("end")
    if name not in dashboard.PERIOD_NAMES:
        name = "custom" if (raw_start or raw_end) else "month"
    fallback = dashboard.period_for("month", today)
    if name != "custom":
        start, end = dashboard.period_for(name, today)
        return name, start, end, None
    (start, bad_start), (end, bad_end) = _date(raw_start, "start"), _date(raw_end, "end")
    if start is None or end is None:
        error = bad_start or bad_end or _bad_date()
        return name, start or fallback[0], end or fallback[1], error
    try:
        dashboard.period_for("custom", today, start, end)
    except DomainError as exc:
        return name, start, end, exc.message
    return name, start, end, None


@login_required
@require_GET
def dashboard_page(request):
    user = request.user
    _require_command(user)
    units = dashboard.command_units(user)
    today = timezone.localdate()
    name, start, end, error = _period(request.GET, today)
    unit_code = (request.GET.get("unit") or (units[0].code if units else "")).strip()[:24]
    sort = request.GET.get("sort") or "on_time_closure"
    if sort not in dashboard.SORTS:
        sort = "on_time_closure"
    best_first = request.GET.get("order") != "worst"
    data = None
    sections = []
    status = 200
    if not unit_code:
        raise NotFound(_("Not found."))
    if error:
        status = 400
        dashboard.command_unit(user, unit_code)  # a unit not theirs is still a 404
    else:
        data = dashboard.dashboard_data(
            user, unit_code, start, end, period=name, sort=sort, best_first=best_first
        )
        sections = app_sections(user, dashboard.command_unit(user, unit_code), start, end)
    span = {"unit": unit_code, "start": start.isoformat(), "end": end.isoformat()}
    period_params = {"period": name}
    if name == "custom":
        period_params.update(start=start.isoformat(), end=end.isoformat())
    here = {"unit": unit_code, **period_params}
    return render(
        request,
        "command/dashboard.html",
        {
            "units": units,
            "unit_code": unit_code,
            "periods": dashboard.PERIODS,
            "period": name,
            "start": start,
            "end": end,
            "error": error,
            "data": data,
            "sections": sections,
            "sort": sort,
            "best_first": best_first,
            "sorts": _sort_links(here, sort, best_first),
            "cases_query": urlencode(span),
            "period_query": urlencode(period_params),
            "as_of": timezone.localtime(),
            "today": today,
            "chart": _chart(data, reverse("command_cases") + "?" + urlencode(span))
            if data
            else None,
            "active_nav": "command",
        },
        status=status,
    )


def _chart(data: dict, drill: str) -> dict:
    """What the charts draw (dashboard.js), with their labels in the page's language."""

    def bars(rows):
        return [{"key": r["key"], "name": r["name"], "value": r["received"]} for r in rows]

    return {
        "labels": {
            "received": _("Received"),
            "concluded": _("Concluded"),
            "callbacks": _("Callbacks"),
            "satisfied": _("Satisfied"),
            "cases": _("Cases"),
        },
        "grain": data["trend_grain"],
        "trend": data["trend"],
        "groups": bars(data["breakdowns"]["category_group"]),
        "channels": bars(data["breakdowns"]["channel"]),
        "drill": drill,
    }


def _sort_links(here: dict, sort: str, best_first: bool) -> dict:
    """For each sortable column, the query that sorts by it (again: the other way)."""
    links = {}
    for key in dashboard.SORTS:
        order = "worst" if key == sort and best_first else "best"
        links[key] = {
            "query": urlencode({**here, "sort": key, "order": order}),
            "active": key == sort,
            "arrow": ("↓" if best_first else "↑") if key == sort else "",
        }
    return links


DRILL_PARAMS = ("category", "group", "channel", "department", "exact")


@login_required
@require_GET
def cases_xlsx(request):
    """The drill-down's cases (the same unit, period, figure and filters) as a workbook
    (cases.exports: masked as the list, audited, refused above its size)."""
    user = request.user
    _require_command(user)
    params = request.GET
    unit = dashboard.command_unit(user, (params.get("unit") or "").strip()[:24])
    try:
        start, end = dates.parse_period(params.get("start"), params.get("end"))
        metric = params.get("metric") or "received"
        filters = dashboard.filters_from(params)
        qs, ordering, spec, unit = dashboard.drilldown(
            user, unit_code=unit.code, start=start, end=end, metric=metric, filters=filters
        )
        data = exports.cases_workbook(
            user, qs, ordering=ordering, title=str(spec.label),
            filters={"unit": unit.code, "start": str(start), "end": str(end), "metric": metric,
                     **{k: params[k] for k in DRILL_PARAMS if params.get(k)}},
        )  # fmt: skip
    except DomainError as exc:
        if exc.status == 404:
            raise
        return domain_error_page(request, exc.status, exc.message)
    return xlsx.response(data, f"{unit.name}_{spec.label}_{start:%Y%m%d}-{end:%Y%m%d}.xlsx")


@login_required
@require_GET
def cases_page(request):
    user = request.user
    _require_command(user)
    params = request.GET
    unit_code = (params.get("unit") or "").strip()[:24]
    unit = dashboard.command_unit(user, unit_code)
    (start, bad_start), (end, bad_end) = (
        _date(params.get("start"), "start"),
        _date(params.get("end"), "end"),
    )
    metric = params.get("metric") or "received"
    error = None
    rows, next_cursor, total, spec = [], None, None, None
    if start is None or end is None:
        error = bad_start or bad_end or _bad_date()
        today = timezone.localdate()
        start, end = start or today.replace(day=1), end or today
    else:
        try:
            filters = dashboard.filters_from(params)
            qs, ordering, spec, unit = dashboard.drilldown(
                user, unit_code=unit.code, start=start, end=end, metric=metric, filters=filters
            )
            try:
                rows, next_cursor = keyset_page(
                    qs.select_related("grid__parent__parent"),
                    ordering=ordering,
                    cursor=params.get("cursor"),
                    limit=PAGE,
                )
            except DomainError:  # a forged or stale cursor: the first page
                rows, next_cursor = keyset_page(
                    qs.select_related("grid__parent__parent"),
                    ordering=ordering,
                    cursor=None,
                    limit=PAGE,
                )
            if not params.get("cursor"):
                total = dashboard.drilldown_total(
                    user,
                    unit_code=unit.code,
                    start=start,
                    end=end,
                    metric=metric,
                    filters=filters,
                )
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
    now = timezone.now()
    for case in rows:
        case.clock = clock_of(case, now)
        case.place = place_label(case.grid)
    query = {"unit": unit.code, "start": start.isoformat(), "end": end.isoformat()}
    query["metric"] = metric
    for key in DRILL_PARAMS:
        if params.get(key):
            query[key] = params.get(key)
    back = {
        "unit": unit.code,
        "period": "custom",
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    return render(
        request,
        "command/cases.html",
        {
            "unit": unit,
            "start": start,
            "end": end,
            "metric": spec,
            "metric_key": metric,
            "filter_labels": _filter_labels(params),
            "rows": rows,
            "next_cursor": next_cursor,
            "total": total,
            "error": error,
            "query": urlencode(query),
            "back_query": urlencode(back),
            "active_nav": "command",
        },
        status=400 if error else 200,
    )


def _filter_labels(params) -> list[str]:
    """What narrows the list, as the user reads it (names, not ids)."""
    from gongzhi.cases.models import Category, Channel
    from gongzhi.orgs.models import Department

    labels = []
    ids = []
    for key in ("category", "group"):
        value = parse_id(params.get(key))
        if value is not None:
            ids.append(value)
    if ids:
        labels += list(Category.objects.filter(pk__in=ids).values_list("name", flat=True))
    channel = (params.get("channel") or "").strip()
    if channel in Channel.values:
        labels.append(str(Channel(channel).label))
    department = parse_id(params.get("department"))
    if department is not None:
        labels += list(Department.objects.filter(pk=department).values_list("name", flat=True))
    if params.get("exact") in ("1", "true"):
        labels.append(_("placed on the unit itself"))
    return labels


urlpatterns = [
    path("command/", dashboard_page, name="command_dashboard"),
    path("command/cases/", cases_page, name="command_cases"),
    path("command/cases.xlsx", cases_xlsx, name="command_cases_xlsx"),
]
