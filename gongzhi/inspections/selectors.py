"""Scoped reads of inspections: a worker's tasks (nearest first), campaigns and their
progress per round, grid and category.

A campaign is seen by whoever may view inspections within its area, or within a part
of it (a grid worker sees the campaign their tasks belong to, and its figures for their
own grid only). What is outside is NotFound, the same as what does not exist.
"""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.permissions import Scope, scope_for
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.inspections import perms
from gongzhi.inspections.models import (
    ChecklistTemplate,
    InspectionCampaign,
    InspectionResult,
    InspectionRound,
    InspectionTask,
    NoticeService,
    NoticeState,
    Outcome,
    RectificationNotice,
    TaskState,
)
from gongzhi.orgs.geo import distance_m
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import PremisesCategory

MAX_NEAR = 500


def prefixes(scope: Scope) -> set[str]:
    """The codes above (and at) each code of the scope: a campaign over any of them
    covers part of the scope."""
    return {code[:n] for code in scope.org_codes for n in range(6, len(code) + 1, 3)}


def managed_areas(user, limit: int = 200) -> list[OrgUnit]:
    """The units above the grids where `user` runs campaigns and declares alerts: the
    choices of an area on those forms."""
    return list(
        OrgUnit.objects.filter(scope_for(user, perms.MANAGE).q("code"))
        .exclude(level__in=(Level.GRID, Level.MICROGRID))
        .order_by("code")[:limit]
    )


def campaigns_visible_to(user) -> QuerySet[InspectionCampaign]:
    scope = scope_for(user, perms.VIEW)
    q = scope.q("unit_code") | Q(unit_code__in=prefixes(scope))
    return InspectionCampaign.objects.filter(q).prefetch_related("categories")


def campaign_for(user, pk) -> InspectionCampaign:
    try:
        return campaigns_visible_to(user).get(pk=parse_id(pk))
    except InspectionCampaign.DoesNotExist:
        raise NotFound(_("The campaign does not exist or is outside your area.")) from None


def tasks_visible_to(user) -> QuerySet[InspectionTask]:
    return InspectionTask.objects.filter(scope_for(user, perms.VIEW).q("org_code"))


def task_for(user, pk) -> InspectionTask:
    try:
        return (
            tasks_visible_to(user)
            .select_related("premises", "premises__category", "template", "round__campaign")
            .get(pk=parse_id(pk))
        )
    except InspectionTask.DoesNotExist:
        raise NotFound(_("The task does not exist or is not yours.")) from None


def result_of(task: InspectionTask) -> InspectionResult | None:
    return InspectionResult.objects.filter(task=task).select_related("inspector", "hazard").first()


def templates():
    return ChecklistTemplate.objects.prefetch_related("categories", "versions").select_related(
        "case_category"
    )


@dataclass
class Todo:
    task: InspectionTask
    overdue: bool
    distance_m: float | None


def todo(user, *, lng=None, lat=None, today=None) -> list[Todo]:
    """The open tasks the user may inspect whose round has begun (and re-inspections),
    nearest first when the phone says where it is, else the earliest due first; overdue
    ones are marked. At most MAX_NEAR."""
    today = today or timezone.localdate()
    rows = (
        InspectionTask.objects.filter(scope_for(user, perms.INSPECT).q("org_code"))
        .filter(state=TaskState.OPEN)
        .filter(Q(round__starts_on__lte=today) | Q(round__isnull=True))
        .select_related("premises", "premises__category", "round__campaign")
        .order_by("due_on", "id")[:MAX_NEAR]
    )
    out = []
    for task in rows:
        p = task.premises
        d = None
        if None not in (lng, lat, p.lng, p.lat):
            d = distance_m(lng, lat, p.lng, p.lat)
        out.append(Todo(task, task.due_on < today, d))
    if lng is not None and lat is not None:
        out.sort(key=lambda t: (t.distance_m is None, t.distance_m or 0))
    return out


# -- progress ------------------------------------------------------------------------


FIGURES = ("tasks", "inspected", "hazards", "on_time", "open_notices", "reinspected", "passed")


@dataclass
class Figures:
    """One row of a campaign's report: premises to inspect, inspected, hazards found,
    hazards rectified on time (at the first notice's deadline), notices still open, and
    re-inspections (passed of done)."""

    key: str
    label: str
    tasks: int = 0
    inspected: int = 0
    hazards: int = 0
    on_time: int = 0
    open_notices: int = 0
    reinspected: int = 0
    passed: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.inspected / self.tasks, 1) if self.tasks else 0.0

    @property
    def pass_rate(self) -> float | None:
        return round(100 * self.passed / self.reinspected, 1) if self.reinspected else None


def fold_figures(rows, key_of, label_of) -> list[Figures]:
    out: dict[str, Figures] = {}
    for row in rows:
        key = key_of(row)
        f = out.setdefault(key, Figures(str(key), label_of(key)))
        for name in FIGURES:
            setattr(f, name, getattr(f, name) + row.get(name, 0))
    return sorted(out.values(), key=lambda f: (f.label, f.key))


def report_rows(scope, campaign) -> list[dict]:
    """The report's counts per (round, org code, premises category), in three grouped
    queries: the tasks, the notices of the hazards they found, and the re-inspections."""
    rows: dict[tuple, dict] = {}

    def add(found, names):
        for r in found:
            row = rows.setdefault(
                (r["r"], r["code"], r["cat"]),
                {"round_id": r["r"], "org_code": r["code"], "premises__category_id": r["cat"]},
            )
            for name in names:
                row[name] = row.get(name, 0) + r[name]

    add(
        InspectionTask.objects.filter(round__campaign=campaign)
        .filter(scope.q("org_code"))
        .values(r=F("round_id"), code=F("org_code"), cat=F("premises__category_id"))
        .annotate(
            tasks=Count("id"),
            inspected=Count("id", filter=Q(state=TaskState.DONE)),
            hazards=Count("result__hazard"),
        )
        .order_by(),
        ("tasks", "inspected", "hazards"),
    )
    task = "hazard__hazard__task__"
    add(
        RectificationNotice.objects.filter(**{f"{task}round__campaign": campaign})
        .filter(scope.q(f"{task}org_code"))
        .values(r=F(f"{task}round_id"), code=F(f"{task}org_code"), cat=F("premises__category_id"))
        .annotate(
            on_time=Count("id", filter=Q(seq=1, state=NoticeState.RECTIFIED,
                                         closed_at__date__lte=F("deadline"))),
            open_notices=Count("id", filter=Q(state=NoticeState.OPEN)),
        )
        .order_by(),
        ("on_time", "open_notices"),
    )  # fmt: skip
    add(
        InspectionResult.objects.filter(
            task__reinspects__round__campaign=campaign, outcome=Outcome.INSPECTED
        )
        .filter(scope.q("task__org_code"))
        .values(
            r=F("task__reinspects__round_id"),
            code=F("task__org_code"),
            cat=F("task__premises__category_id"),
        )
        .annotate(reinspected=Count("id"), passed=Count("id", filter=Q(passed=True)))
        .order_by(),
        ("reinspected", "passed"),
    )
    return list(rows.values())


@dataclass
class Progress:
    rounds: list[tuple[InspectionRound, Figures]]
    by_grid: list[Figures]
    by_category: list[Figures]


def progress(user, campaign: InspectionCampaign, *, round_number=None) -> Progress:
    """The campaign's report (Figures): per round, and for one round (the latest by
    default) per grid and per category — within the user's scope, in three grouped
    queries (report_rows)."""
    scope = scope_for(user, perms.VIEW)
    rounds = list(campaign.rounds.order_by("number"))
    rows = report_rows(scope, campaign)
    by_round = {f.key: f for f in fold_figures(rows, lambda r: str(r["round_id"]), lambda k: k)}
    chosen = next((r for r in rounds if r.number == round_number), rounds[-1] if rounds else None)
    picked = [r for r in rows if chosen is not None and r["round_id"] == chosen.pk]
    grid_len = CODE_LENGTH[Level.GRID]  # a micro-grid's task counts for its grid
    names = {
        code: f"{community} {name}"
        for code, name, community in OrgUnit.objects.filter(
            code__in={r["org_code"][:grid_len] for r in picked}
        ).values_list("code", "name", "parent__name")
    }
    categories = dict(
        PremisesCategory.objects.filter(
            pk__in={r["premises__category_id"] for r in picked}
        ).values_list("pk", "name")
    )
    return Progress(
        rounds=[(r, by_round.get(str(r.pk), Figures(str(r.pk), ""))) for r in rounds],
        by_grid=fold_figures(picked, lambda r: r["org_code"][:grid_len], lambda k: names.get(k, k)),
        by_category=fold_figures(
            picked,
            lambda r: r["premises__category_id"],
            lambda k: categories.get(k, str(k)),
        ),
    )


def workbench(user) -> dict | None:
    """The workbench panel: tasks to do and overdue (for those who inspect), and the
    active campaigns; None for those who may not view inspections."""
    if not scope_for(user, perms.VIEW).org_codes and not scope_for(user, perms.VIEW).everything:
        return None
    today = timezone.localdate()
    mine = InspectionTask.objects.filter(scope_for(user, perms.INSPECT).q("org_code")).filter(
        state=TaskState.OPEN
    )
    counts = mine.filter(Q(round__starts_on__lte=today) | Q(round__isnull=True)).aggregate(
        todo=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today))
    )
    return {
        "inspects": not scope_for(user, perms.INSPECT).is_empty,
        "todo": counts["todo"],
        "overdue": counts["overdue"],
        "campaigns": campaigns_visible_to(user).filter(state="active").count(),
    }


# -- notices -------------------------------------------------------------------------


def notices_visible_to(user) -> QuerySet[RectificationNotice]:
    return RectificationNotice.objects.filter(
        scope_for(user, perms.VIEW).q("hazard__org_code")
    ).select_related("premises", "hazard")


def notice_for(user, pk) -> RectificationNotice:
    try:
        return notices_visible_to(user).get(pk=parse_id(pk))
    except RectificationNotice.DoesNotExist:
        raise NotFound(_("The notice does not exist or is outside your area.")) from None


def notices_list(user, *, overdue: bool = False, today=None) -> QuerySet[RectificationNotice]:
    """Open notices (overdue ones: past their deadline), the earliest deadline first."""
    today = today or timezone.localdate()
    # Of the case and the premises only what a list shows (a case row has ~70 columns).
    own = [f.name for f in RectificationNotice._meta.concrete_fields]
    rows = (
        notices_visible_to(user)
        .filter(state=NoticeState.OPEN)
        .only(*own, "hazard__number", "hazard__org_code", "premises__name")
    )
    if overdue:
        rows = rows.filter(deadline__lt=today)
    return rows.order_by("deadline", "id")


# What the notices page and API list show of each notice: read as plain rows (.values()),
# not as three model objects a row.
NOTICE_ROW = (
    "id", "number", "seq", "items", "days", "deadline", "state", "service", "served_at",
    "issuer_name", "issuer_unit", "issued_at", "closed_at", "hazard_id", "premises_id",
    "hazard__number", "premises__name",
)  # fmt: skip


def notices_page(user, *, overdue: bool = False, cursor=None, limit=None, today=None):
    """One keyset page of the open (or overdue) notices, the earliest deadline first, as
    dicts of NOTICE_ROW plus `overdue` and `service_label`: (rows, next_cursor). The
    deadline index (`notice_state_deadline`) gives each page as one range read."""
    today = today or timezone.localdate()
    qs = RectificationNotice.objects.filter(
        scope_for(user, perms.VIEW).q("hazard__org_code"), state=NoticeState.OPEN
    )
    if overdue:
        qs = qs.filter(deadline__lt=today)
    rows, next_cursor = keyset_page(
        qs.values(*NOTICE_ROW), ordering=("deadline", "id"), cursor=cursor, limit=limit
    )
    labels = dict(NoticeService.choices)
    for row in rows:
        row["overdue"] = row["deadline"] < today
        row["service_label"] = str(labels.get(row["service"], ""))
    return rows, next_cursor


def worklog_entries(user_ids, start, end) -> list:
    """The inspections these users recorded in [start, end) (by the server's receipt; shown
    at the device's time when it gave one), for the work log (core.manifest)."""
    from gongzhi.core.manifest import WorklogEntry

    outcomes = dict(Outcome.choices)
    rows = InspectionResult.objects.filter(
        inspector_id__in=user_ids, received_at__gte=start, received_at__lt=end
    ).values_list(
        "inspector_id", "device_at", "received_at", "task_id", "task__premises__name", "outcome"
    )
    return [
        WorklogEntry(
            user_id,
            "inspections",
            device_at or received_at,
            f"{name} · {outcomes.get(outcome, outcome)}",
            0,
            f"/inspections/tasks/{task_id}/",
        )
        for user_id, device_at, received_at, task_id, name, outcome in rows
    ]
