"""Scoped reads of cases. A user sees the cases in their area (CASE_VIEW), the cases
assigned to their department, and the cases they entered themselves; nothing else.

Queues are (queryset, ordering) pairs for keyset paging; each is backed by an index
(see Case.Meta.indexes), so the command center's boards stay fast at millions of cases.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.cases import statistics
from gongzhi.cases.models import (
    OPEN_STATES,
    RUNNING_STATES,
    Case,
    CaseAttachment,
    CaseEvent,
    ExtensionRequest,
    RequestStatus,
    State,
)
from gongzhi.core.errors import Invalid, NotFound
from gongzhi.core.permissions import facts_of, scope_for
from gongzhi.core.roles import Level, Perm, Role
from gongzhi.orgs import selectors as orgs


def _visible_q(user, *, own: bool = True) -> Q:
    """The cases `user` may see: those of their area (units, departments) and, with
    `own`, those they reported anywhere."""
    scope = scope_for(user, Perm.CASE_VIEW)
    if scope.everything:
        # Q() | Q(x) is Q(x) in Django: OR-ing "everything" with anything narrows it.
        return Q()
    q = scope.q("org_code", "department")
    if own and getattr(user, "is_authenticated", False) and user.is_active:
        q |= Q(reported_by=user) | Q(assignee_user=user)
    return q


def cases_visible_to(user, *, own: bool = True) -> QuerySet[Case]:
    return Case.objects.filter(_visible_q(user, own=own)).select_related(
        "category__parent", "grid", "department"
    )


# The columns a list row shows (CaseOut, cases/_row.html and its marks, the deadline
# clock): a page of 50 reads and converts these, not the ~60 columns of each case, the
# timestamps of its category, grid and department, or the units' boundary GeoJSON
# (kilobytes a grid, more for a community: the union of its grids). A field read outside this set
# costs a query per row, which the query-budget tests catch.
LIST_FIELDS = (
    "id", "number", "kind", "channel", "category", "urgency", "title", "state",
    "grid", "org_code", "address", "reported_at", "due_at", "due_soon_at",
    "closed_at", "closed_on_time", "supervision_level", "escalation_level", "is_repeat",
    "repeat_count", "needs_leader_visit", "leader_visited_at", "self_handled",
    "department", "reporter_phone_masked", "version", "handler",
    "category__name", "category__parent", "category__parent__name",
    "grid__name", "grid__level", "grid__parent", "department__name",
)  # fmt: skip


def for_list(qs: QuerySet[Case], *units: str) -> QuerySet[Case]:
    """`qs` reading only what a list row shows; `units` are further joined units whose
    names and levels the row shows too (the page's "community grid" place)."""
    extra = [f"{u}__{f}" for u in units for f in ("name", "level", "parent")]
    if units:  # select_related() with no names would follow every non-null key instead
        qs = qs.select_related(*units)
    return qs.only(*LIST_FIELDS, *extra)


def report_grids(user):
    """The grids (and micro-grids) the user may report a case in, for a form's choice."""
    return (
        orgs.units_visible_to(user, Perm.CASE_REPORT)
        .filter(level__in=(Level.GRID, Level.MICROGRID), is_active=True)
        .order_by("code")
    )


def case_for(user, pk) -> Case:
    try:
        return cases_visible_to(user).get(pk=int(pk))
    except (Case.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("The case does not exist or is outside your area.")) from None


def case_by_number(user, number: str) -> Case:
    case = cases_visible_to(user).filter(number=(number or "").strip().upper()).first()
    if case is None:
        raise NotFound(_("The case does not exist or is outside your area."))
    return case


def timeline(case: Case, *, attachments: bool = True) -> list[CaseEvent]:
    """The case's events, oldest first, with their actors and (unless the caller knows
    there are none: `attachments` False) their photos."""
    events = case.events.select_related("actor")
    if not attachments:
        return [_without_attachments(e) for e in events]
    return list(events.prefetch_related("attachments"))


def _without_attachments(event: CaseEvent) -> CaseEvent:
    event._prefetched_objects_cache = {"attachments": CaseAttachment.objects.none()}
    return event


def handling_units(user) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(department ids, org codes) whose cases `user` handles."""
    scope = scope_for(user, Perm.CASE_HANDLE)
    if scope.everything:
        return (), ()
    return scope.department_ids, scope.org_codes


def _handling_q(user) -> Q:
    departments, codes = handling_units(user)
    q = Q(pk__in=[])
    if departments:
        q |= Q(department__in=departments)
    for code in codes:
        q |= Q(assignee_code__within=code)
    return q


# -- queues -----------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    ordering: tuple[str, ...]


NEWEST = ("-reported_at", "-id")
BY_DEADLINE = ("due_at", "id")

QUEUES = {
    q.key: q
    for q in [
        Queue("all", gettext_lazy("All cases"), NEWEST),
        Queue("new", gettext_lazy("New reports"), NEWEST),  # 待立案
        Queue("to_dispatch", gettext_lazy("Awaiting dispatch"), NEWEST),
        Queue("overdue", gettext_lazy("Overdue now"), BY_DEADLINE),  # open, past deadline
        Queue("due_soon", gettext_lazy("Due soon"), BY_DEADLINE),
        Queue("to_verify", gettext_lazy("Awaiting verification"), NEWEST),
        Queue("callback", gettext_lazy("Awaiting callback"), ("-closed_at", "-id")),
        Queue("supervised", gettext_lazy("Supervised"), BY_DEADLINE),
        Queue("escalated", gettext_lazy("Escalated"), BY_DEADLINE),
        Queue("repeats", gettext_lazy("Repeat problems"), NEWEST),
        Queue("suspended", gettext_lazy("Suspended"), NEWEST),
        Queue("to_accept", gettext_lazy("To accept"), BY_DEADLINE),
        Queue("handling", gettext_lazy("Handling"), BY_DEADLINE),
        Queue("mine", gettext_lazy("Reported by me"), NEWEST),
        Queue("closed", gettext_lazy("Closed"), ("-closed_at", "-id")),
    ]
}

OWN_QUEUES = ("all", "mine")


def queue(user, key: str, *, now=None, within: str = "") -> tuple[QuerySet[Case], Queue]:
    """The cases of one queue that `user` may see, and how to order them."""
    if key not in QUEUES:
        raise NotFound(_("Unknown list."))
    now = now or timezone.now()
    # The work queues hold the cases of the caller's area. "All" and "mine" also hold
    # what the caller reported elsewhere; an operator who registers the hotline's calls
    # has reported tens of thousands of cases, and OR-ing those into every queue made
    # each list read them all.
    qs = cases_visible_to(user, own=key in OWN_QUEUES)
    if within:
        qs = qs.filter(org_code__within=within)
    filters = {
        "all": Q(),
        "new": Q(state=State.REPORTED),
        "to_dispatch": Q(state=State.REGISTERED),
        # The running states written into the SQL, as the index case_running_due has them.
        "overdue": Q(state__among=RUNNING_STATES, due_at__lt=now),
        "due_soon": Q(state__among=RUNNING_STATES, due_soon_at__lte=now, due_at__gte=now),
        "to_verify": Q(state=State.HANDLED),
        # Every closed case is called back (回访) unless it has no one to call.
        "callback": Q(state=State.CLOSED, callback_at__isnull=True)
        & (~Q(reporter_phone_hash="") | Q(reporter_resident__isnull=False)),
        "supervised": Q(state__in=OPEN_STATES, supervision_level__gt=0),
        "escalated": Q(state__in=OPEN_STATES, escalation_level__gt=0),
        "repeats": Q(state__in=[State.REPORTED, *OPEN_STATES])
        & (Q(needs_leader_visit=True) | Q(is_repeat=True)),
        "suspended": Q(state=State.SUSPENDED),
        "to_accept": Q(state=State.DISPATCHED) & _handling_q(user),
        "handling": Q(state__in=[State.IN_PROGRESS, State.SUSPENDED]) & _handling_q(user),
        "mine": Q(reported_by=user) if user.is_authenticated else Q(pk__in=[]),
        "closed": Q(state=State.CLOSED),
    }
    return qs.filter(filters[key]), QUEUES[key]


# Counting stops here: a tab says "1000+" rather than count the million cases of "all"
# (or a district's whole callback backlog) on every visit to a list.
COUNT_CAP = 1000


def queue_counts(user, keys, *, now=None) -> dict[str, int]:
    """How many cases each queue holds (for the tabs and the workbench), up to
    COUNT_CAP + 1: more than COUNT_CAP means "more than that"."""
    now = now or timezone.now()
    return {key: queue(user, key, now=now)[0].order_by()[: COUNT_CAP + 1].count() for key in keys}


def count_label(n: int) -> str:
    """A queue count as a tab shows it: "1000+" past the cap."""
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


def queues_for(user) -> list[str]:
    """The queues that matter to a user's roles, most urgent first."""
    roles = {f.role for f in facts_of(user)}
    keys: list[str] = []

    def add(*names):
        keys.extend(n for n in names if n not in keys)

    if user.is_superuser or roles & {Role.OPERATOR, Role.ADMIN}:
        add("new", "to_dispatch", "overdue", "due_soon", "to_verify", "callback", "supervised")
        add("escalated", "repeats", "suspended")
    if Role.LEADER in roles:
        add("supervised", "escalated", "repeats", "overdue")
    if Role.COMMUNITY_WORKER in roles:
        add("new", "to_accept", "handling", "to_verify", "overdue", "due_soon", "callback")
    if roles & {Role.GRID_WORKER}:
        add("to_accept", "handling", "mine", "due_soon", "overdue")
    if Role.DEPARTMENT_HANDLER in roles:
        add("to_accept", "handling", "due_soon", "overdue")
    if Role.BUILDING_HEAD in roles:
        add("mine")
    add("all")
    return keys


def extension_requests_visible_to(user) -> QuerySet[ExtensionRequest]:
    """Pending extension requests on cases the user decides on."""
    scope = scope_for(user, Perm.CASE_DECIDE)
    return (
        ExtensionRequest.objects.filter(status=RequestStatus.PENDING)
        .filter(scope.q("case__org_code"))
        .select_related("case", "requested_by")
    )


def extension_request_for(user, pk) -> ExtensionRequest:
    try:
        return (
            ExtensionRequest.objects.filter(case__in=cases_visible_to(user))
            .select_related("case")
            .get(pk=int(pk))
        )
    except (ExtensionRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("The request does not exist or is outside your area.")) from None


MAX_FILTERS = 5


def of_kind(qs: QuerySet[Case], kind: str | None, filters=()) -> QuerySet[Case]:
    """`qs` narrowed to one kind of case and by that kind's own list filters
    ("name:value"); an unknown kind or filter is a 400, never an empty list."""
    from gongzhi.cases.kinds import get_kind

    kind = (kind or "").strip()
    if not kind:
        if filters:
            raise Invalid(_("Choose the kind of case the filters belong to."), code="bad_filter")
        return qs
    spec = get_kind(kind)
    qs = qs.filter(kind=spec.code)
    if len(filters) > MAX_FILTERS:
        raise Invalid(_("At most %(n)d filters.") % {"n": MAX_FILTERS}, code="bad_filter")
    for item in filters:
        name, _sep, value = str(item).partition(":")
        found = spec.list_filters.get(name)
        if found is None or not value:
            raise Invalid(_("Unknown filter “%(name)s”.") % {"name": name[:40]}, code="bad_filter")
        qs = found.apply(qs, value[:100])
    return qs


# -- the command center's reads of a whole unit (its scope checked by orgs.access) ----------


def received_in(unit_code: str, lower, upper) -> QuerySet[Case]:
    """The cases placed within the unit, reported in [lower, upper), received (not
    rejected, not merged): what the map draws. The caller has checked the unit."""
    return (
        Case.objects.filter(
            org_code__within=unit_code, reported_at__gte=lower, reported_at__lt=upper
        )
        .exclude(state__in=(State.REJECTED, State.MERGED))
        .order_by()
    )


def latest_reported(unit_code: str, since, limit: int) -> list[dict]:
    """The `limit` cases last reported within the unit since `since`, merged ones left
    out: number, title, category, state, deadline — nothing about who reported them (the
    wall shows them). The caller has checked the unit."""
    return list(
        Case.objects.filter(org_code__within=unit_code, reported_at__gte=since)
        .filter(~Q(state=State.MERGED))
        .order_by("-reported_at", "-id")
        .values("id", "number", "title", "state", "reported_at", "due_at", "category__name")[:limit]
    )


def counted_in(user, key: str, unit_code: str, lower, upper, now, *, exact=False):
    """The cases behind a registered count (cases.statistics) for the unit and the period
    [lower, upper), as of `now`, that `user` may see (CASE_VIEW): a count over cases
    holds the cases reported in the period; one over events the cases with such an
    event in it (a case called back twice is listed once). `exact`: only the cases
    placed on the unit itself, not within it."""
    count = statistics.count(key)
    qs = cases_visible_to(user)
    qs = qs.filter(org_code=unit_code) if exact else qs.filter(org_code__within=unit_code)
    where = count.where(now)
    if count.source == "events":
        events = CaseEvent.objects.filter(where, at__gte=lower, at__lt=upper, at__lte=now).filter(
            case__org_code__within=unit_code
        )
        return qs.filter(pk__in=events.values("case_id"))
    return qs.filter(reported_at__gte=lower, reported_at__lt=upper).filter(where)
