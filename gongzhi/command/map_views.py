"""The command center's map: /command/map/?unit=&start=&end= — the unit's grids shaded
by the period's cases (or overdue ones), and the cases as markers, clustered by the
server when many (command.map; the page draws with Leaflet, without tiles)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.command import map as command_map
from gongzhi.command.wall_views import default_unit
from gongzhi.core import manifest, permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs import access

PICKABLE = (*access.PICKABLE, Level.GRID)


@login_required
def map_page(request):
    user = request.user
    if not permissions.can(user, Perm.COMMAND_VIEW):
        raise NotFound(_("Not found."))
    units = access.command_units(user, PICKABLE)
    unit_code = (request.GET.get("unit") or default_unit(user)).strip()[:24]
    preset = request.GET.get("period") or ""
    metric = request.GET.get("metric") if request.GET.get("metric") in command_map.METRICS else ""
    collection = command_map.grid_collection(user, unit_code)  # 404 outside the area
    today_start, today_end = command_map.preset_period("month", timezone.localdate())
    error, status = None, 200
    try:
        start, end = command_map.period(request.GET.get("start"), request.GET.get("end"), preset)
    except DomainError as exc:
        start, end, error, status = today_start, today_end, exc.message, 400
    chosen = set(request.GET.getlist("layer"))
    layers = [
        {
            "name": layer.name,
            "title": str(layer.title),
            "url": reverse(layer.url_name),
            "on": layer.name in chosen,
            "legend": [
                {"cls": cls, "colour": colour, "label": str(label)}
                for cls, colour, label in layer.legend
            ],
        }
        for layer in manifest.map_layers(user)
    ]
    context = {
        "units": units,
        "layers": layers,
        "unit_code": unit_code,
        "start": start,
        "end": end,
        "preset": preset if preset in command_map.PRESETS else "",
        "presets": [
            ("today", _("Today")),
            ("week", _("This week")),
            ("month", _("This month")),
            ("year", _("This year")),
        ],
        "metric": metric or "received",
        "error": error,
        "collection": collection,
        "grid_count": len(collection["features"]),
        "active_nav": "command",
        "i18n": {
            "received": _("Received"),
            "overdue": _("Overdue"),
            "openCase": _("Open case"),
            "closedCase": _("Closed case"),
            "open": _("Open the case"),
            "loading": _("Loading…"),
            "failed": _("Could not load the map data. Retrying when you move the map."),
            "legendReceived": _("Cases received in the period"),
            "legendOverdue": _("Overdue cases"),
            "many": _("%(n)s cases here; zoom in to see each one"),
            "layerMore": _("%(shown)s of %(total)s shown; zoom in to see the rest"),
        },
    }
    return render(request, "command/map.html", context, status=status)


urlpatterns = [path("command/map/", map_page, name="command_map")]
