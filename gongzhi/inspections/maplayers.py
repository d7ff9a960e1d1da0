"""The inspections' layers on the command center's map (core.manifest.MapLayer):

- premises coloured by their last inspection result (passed, hazard found, could not be
  inspected — closed, not found, refused — or never inspected), and
- risk points (防汛隐患点): during an open alert over them, whether each has reported
  (all well / problem / not yet); otherwise in or out of their season.

Each answers for a unit of the user's command-center area and a box, at most
`command.map.MAX_LAYER_POINTS` points (`total` counts them all), of what the user may see
of inspections. Two or three queries, whatever the size of the area.
"""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.command import map as command_map
from gongzhi.core.manifest import MapLayer
from gongzhi.core.permissions import scope_for
from gongzhi.inspections import perms
from gongzhi.inspections.models import Alert, AlertReport, InspectionResult, Outcome, RiskPoint
from gongzhi.registry.models import Premises

PREMISES_LEGEND = (
    ("passed", "#1f9d55", gettext_lazy("Passed")),
    ("failed", "#d42a20", gettext_lazy("Hazard found")),
    ("absent", "#e0a800", gettext_lazy("Could not inspect")),
    ("never", "#8a94a6", gettext_lazy("Not inspected yet")),
)
RISK_LEGEND = (
    ("waiting", "#e0a800", gettext_lazy("Alert: not reported yet")),
    ("problem", "#d42a20", gettext_lazy("Alert: problem reported")),
    ("checked", "#1f9d55", gettext_lazy("Alert: all well")),
    ("season", "#2359b8", gettext_lazy("In season")),
    ("quiet", "#8a94a6", gettext_lazy("Out of season")),
)


def _in_box(rows, box):
    west, south, east, north = box
    return rows.filter(lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north)


def _answer(name, code, box, total, points):
    return {"name": name, "unit_code": code, "bbox": list(box), "total": total, "points": points}


def premises_points(user, unit_code: str, bbox: str) -> dict:
    """Open premises in the box, each with the class of its latest inspection result
    (re-inspections included: a rectified hazard turns the premises green again)."""
    code, box = command_map.layer_area(user, unit_code, bbox)
    rows = _in_box(
        Premises.objects.filter(
            scope_for(user, perms.VIEW).q("org_code"), org_code__within=code, is_active=True
        ),
        box,
    )
    total = rows.count()
    shown = list(
        rows.order_by("id").values("id", "name", "lat", "lng", "category__name")[
            : command_map.MAX_LAYER_POINTS
        ]
    )
    latest: dict[int, tuple] = {}
    results = (
        InspectionResult.objects.filter(task__premises_id__in=[p["id"] for p in shown])
        .order_by("task__premises_id", "-received_at", "-id")
        .values_list("task__premises_id", "outcome", "passed", "received_at")
    )
    for premises_id, outcome, passed, received_at in results:
        latest.setdefault(premises_id, (outcome, passed, received_at))
    labels = {cls: label for cls, _colour, label in PREMISES_LEGEND}
    outcomes = dict(Outcome.choices)
    points = []
    for p in shown:
        outcome, passed, received_at = latest.get(p["id"], (None, None, None))
        if outcome is None:
            cls, note = "never", str(labels["never"])
        else:
            cls = "passed" if passed else "failed"
            if outcome != Outcome.INSPECTED:
                cls = "absent"
            when = timezone.localtime(received_at).strftime("%Y-%m-%d")
            note = f"{labels[cls]} · {outcomes[outcome]} · {when}"
        points.append(
            {
                "lat": p["lat"],
                "lng": p["lng"],
                "cls": cls,
                "label": f"{p['name']}（{p['category__name']}）",
                "note": note,
                "url": None,
            }
        )
    return _answer("premises", code, box, total, points)


def risk_points(user, unit_code: str, bbox: str) -> dict:
    """Active risk points in the box with their people, and — while an alert over them
    is open — whether each has reported."""
    code, box = command_map.layer_area(user, unit_code, bbox)
    rows = _in_box(
        RiskPoint.objects.filter(
            scope_for(user, perms.VIEW).q("org_code"), org_code__within=code, is_active=True
        ),
        box,
    )
    total = rows.count()
    shown = list(
        rows.select_related("leader", "community_person").order_by("id")[
            : command_map.MAX_LAYER_POINTS
        ]
    )
    ids = [p.pk for p in shown]
    open_alert = dict(
        Alert.points.through.objects.filter(riskpoint_id__in=ids, alert__closed_at__isnull=True)
        .order_by("riskpoint_id", "alert__declared_at")
        .values_list("riskpoint_id", "alert_id")
    )
    reported = dict(
        AlertReport.objects.filter(
            Q(point_id__in=ids), Q(alert_id__in=set(open_alert.values()))
        ).values_list("point_id", "status")
    )
    labels = {cls: label for cls, _colour, label in RISK_LEGEND}
    month = timezone.localdate().month
    points = []
    for p in shown:
        if p.pk in open_alert:
            cls = reported.get(p.pk, "waiting")
            url = reverse("inspection_alert", args=[open_alert[p.pk]])
        else:
            cls = "season" if p.in_season(month) else "quiet"
            url = reverse("inspection_risk")
        people = _("Leader in charge %(leader)s, community %(person)s") % {
            "leader": p.leader.get_display_name(),
            "person": p.community_person.get_display_name(),
        }
        points.append(
            {
                "lat": p.lat,
                "lng": p.lng,
                "cls": cls,
                "label": f"{p.name}（{p.get_kind_display()}）",
                "note": f"{labels[cls]} · {people}",
                "url": url,
            }
        )
    return _answer("risk_points", code, box, total, points)


def _may_view(user) -> bool:
    return not scope_for(user, perms.VIEW).is_empty


LAYERS = (
    MapLayer(
        30,
        "premises",
        gettext_lazy("Premises by last inspection"),
        "api:inspections_map_premises",
        PREMISES_LEGEND,
        _may_view,
    ),
    MapLayer(
        31,
        "risk_points",
        gettext_lazy("Risk points"),
        "api:inspections_map_risk_points",
        RISK_LEGEND,
        _may_view,
    ),
)
