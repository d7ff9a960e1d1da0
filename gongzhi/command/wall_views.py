"""The wall screen 大屏: /command/wall/?unit=990101 — a standalone dark page for the
command center's 1920×1080 screen, refreshed in place every 30 s from
/api/v1/command/wall (the first figures are in the page, so it shows at once)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from gongzhi.command import wall
from gongzhi.command.map import grid_collection
from gongzhi.core import permissions
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.roles import Perm
from gongzhi.orgs.selectors import scope_roots

MIN_REFRESH, MAX_REFRESH = 2, 600


def default_unit(user) -> str:
    """The user's highest command-center unit (the first district for an administrator)."""
    roots = scope_roots(user, Perm.COMMAND_VIEW)
    return roots[0].code if roots else ""


def _refresh(value) -> int:
    seconds = parse_id(value)
    if seconds is None:
        return wall.REFRESH_SECONDS
    return min(max(seconds, MIN_REFRESH), MAX_REFRESH)


def wall_outlines(user, code: str) -> list[dict]:
    """The grids' outer rings, rounded to ~10 m, for the screen's small map (drawn once;
    the refresh only recolours them)."""
    out = []
    for feature in grid_collection(user, code)["features"]:
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        rings = [[[round(x, 4), round(y, 4)] for x, y, *_z in poly[0]] for poly in polygons]
        out.append(
            {
                "code": feature["properties"]["code"],
                "name": feature["properties"]["name"],
                "rings": rings,
            }
        )
    return out


@login_required
def wall_page(request):
    if not permissions.can(request.user, Perm.COMMAND_VIEW):
        raise NotFound(_("Not found."))
    unit_code = (request.GET.get("unit") or default_unit(request.user)).strip()
    data = wall.wall_data(request.user, unit_code)
    context = {
        "data": data,
        "outlines": wall_outlines(request.user, data["unit"]["code"]),
        "unit_code": data["unit"]["code"],
        "refresh": _refresh(request.GET.get("refresh")),
        "i18n": {
            "received": _("Received"),
            "concluded": _("Concluded"),
            "overdue": _("Overdue"),
            "lastMonth": _("last month"),
            "unit": _("Area"),
            "onTime": _("On-time closure"),
            "noChildren": _("No child units to rank."),
            "noCases": _("No cases in this period yet."),
            "weekdays": [
                _("Monday"),
                _("Tuesday"),
                _("Wednesday"),
                _("Thursday"),
                _("Friday"),
                _("Saturday"),
                _("Sunday"),
            ],
        },
    }
    return render(request, "command/wall.html", context)


urlpatterns = [path("command/wall/", wall_page, name="command_wall")]
