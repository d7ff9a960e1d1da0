"""Pages of patrols: the area's patrols with their counts a month (夜间巡逻 N 次) and a
form to start one; one patrol run on a phone — checkpoints with GPS, what was seen, a
finding made a case — and ended. The same pages for a volunteers' night patrol and a
grid worker's own round."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gongzhi.cases.models import Category
from gongzhi.core import dates
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import attempt
from gongzhi.core.permissions import can, scope_for
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols import perms, selectors, services
from gongzhi.patrols.models import PatrolKind


@login_required
@require_http_methods(["GET", "POST"])
def patrol_list(request):
    if not can(request.user, perms.VIEW):
        raise NotFound(_("Not found."))
    status = 200
    if request.method == "POST":
        data = request.POST
        patrol, status = attempt(
            request,
            lambda: services.patrol_start(
                actor=request.user,
                unit_code=data.get("unit", ""),
                kind=data.get("kind", ""),
                route=data.get("route", ""),
                patrollers=data.get("patrollers", ""),
                people=data.get("people") or 1,
            ),
        )
        if patrol is not None:
            return redirect("patrols_patrol", patrol.pk)
    today = timezone.localdate()
    lo, hi = dates.period_bounds(today.replace(month=1, day=1), today)
    scope = scope_for(request.user, perms.PATROL)
    units = (
        []
        if scope.is_empty
        else list(
            OrgUnit.objects.filter(scope.q("code"), level__in=("community", "grid")).order_by(
                "code"
            )[:200]
        )
    )
    months = selectors.monthly_counts(request.user, unit_code="", start=lo, end=hi)
    return render(
        request,
        "patrols/list.html",
        {
            "rows": list(selectors.patrol_list(request.user)[:100]),
            "months": months,
            "year_total": sum(m["patrols"] for m in months),
            "kinds": PatrolKind.choices,
            "units": units,
            "open": selectors.open_patrols(request.user),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def patrol_page(request, patrol_id):
    patrol = selectors.patrol_detail(request.user, patrol_id)
    status = 200
    if request.method == "POST":
        data, action = request.POST, request.POST.get("action", "")
        calls = {
            "point": lambda: services.patrol_checkpoint(
                actor=request.user,
                patrol_id=patrol.pk,
                name=data.get("name", ""),
                lng=data.get("lng"),
                lat=data.get("lat"),
                note=data.get("note", ""),
                category_id=data.get("category_id") or None,
            ),
            "end": lambda: services.patrol_end(
                actor=request.user, patrol_id=patrol.pk, note=data.get("note", "")
            ),
        }
        if action not in calls:
            raise NotFound(_("Not found."))
        done, status = attempt(request, calls[action])
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect(reverse("patrols_patrol", args=[patrol.pk]))
    points = selectors.points_of(patrol)
    visited = {p.name for p in points}
    track = services.track_of(patrol)
    spots = [[c.lng, c.lat, c.name] for c in points if c.lng is not None and c.lat is not None]
    duration = (patrol.ended_at - patrol.started_at) if patrol.ended_at else None
    return render(
        request,
        "patrols/patrol.html",
        {
            "p": patrol,
            "points": points,
            "minutes": round(duration.total_seconds() / 60) if duration else None,
            "map_data": (
                {"track": [[x[1], x[2]] for x in track], "points": spots}
                if track or spots
                else None
            ),
            "tile_url": getattr(settings, "MAP_TILE_URL", "") or "",
            "todo": [n for n in patrol.route if n not in visited],
            "categories": list(
                Category.objects.filter(parent__isnull=False, is_active=True).order_by("code")[:200]
            ),
            "can_patrol": can(request.user, perms.PATROL, patrol),
        },
        status=status,
    )
