"""Scoped reads of care: a worker's due visits (nearest first), a resident's visit history
("第 N 次" this year), wishes, the public board, and the figures.

Everything staff read is filtered by the scope of care.view (or care.visit for the due
list) on the row's `org_code`; outside is NotFound, the same as what does not exist. The
public board reads through `board()` only, which returns the public fields and nothing
else, so no template can reach the resident.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.care import perms
from gongzhi.care.models import (
    ClaimState,
    ScheduledState,
    ScheduledVisit,
    Visit,
    VisitPlan,
    VisitType,
    Wish,
    WishClaim,
    WishState,
)
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.orgs.geo import distance_m
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Resident

MAX_DUE = 500


def year_start(today: dt.date | None = None) -> dt.datetime:
    today = today or timezone.localdate()
    return timezone.make_aware(dt.datetime(today.year, 1, 1))


def residents_visible_to(user) -> QuerySet[Resident]:
    return Resident.objects.filter(scope_for(user, perms.VIEW).q("org_code"))


def resident_for(user, pk) -> Resident:
    try:
        return (
            residents_visible_to(user)
            .select_related("grid", "household__building")
            .prefetch_related("tags")
            .get(pk=parse_id(pk))
        )
    except Resident.DoesNotExist:
        raise NotFound(_("The resident does not exist or is outside your area.")) from None


def cared_for(user, *, limit: int = 500) -> list[Resident]:
    """The cared-for residents (with a care tag) living in the user's area."""
    return list(
        residents_visible_to(user)
        .filter(is_active=True, tags__is_care=True)
        .distinct()
        .select_related("household__building")
        .order_by("org_code", "name", "pk")[:limit]
    )


@dataclass
class HistoryRow:
    visit: Visit
    nth: int | None  # 第 N 次 this year; None for an earlier year


def history(resident: Resident, *, today: dt.date | None = None) -> list[HistoryRow]:
    """The resident's visits, newest first; those of this year numbered in time order."""
    start = year_start(today)
    visits = list(
        Visit.objects.filter(resident=resident)
        .select_related("visitor", "case")
        .prefetch_related("photos")
        .order_by("visited_at", "pk")
    )
    n = 0
    rows = []
    for visit in visits:
        nth = None
        if visit.visited_at >= start:
            n += 1
            nth = n
        rows.append(HistoryRow(visit, nth))
    return rows[::-1]


def visits_this_year(resident_id: int, *, today: dt.date | None = None) -> int:
    return Visit.objects.filter(resident_id=resident_id, visited_at__gte=year_start(today)).count()


def worker_count_this_year(user, *, today: dt.date | None = None) -> int:
    """How many visits the user made this year (the seed's "第51次家访")."""
    return Visit.objects.filter(visitor=user, visited_at__gte=year_start(today)).count()


@dataclass
class Due:
    scheduled: ScheduledVisit
    overdue: bool
    distance_m: float | None


def due_list(user, *, lng=None, lat=None, today: dt.date | None = None) -> list[Due]:
    """The open scheduled visits the user may make whose window has begun, nearest first
    when the phone says where it is (the resident's building), else the earliest due
    first; overdue ones are marked. At most MAX_DUE."""
    today = today or timezone.localdate()
    rows = (
        ScheduledVisit.objects.filter(scope_for(user, perms.VISIT).q("org_code"))
        .filter(state=ScheduledState.OPEN, window_start__lte=today)
        .select_related("resident__household__building", "plan")
        # What the list shows: a resident's sealed columns are not read for it.
        .only(
            "plan__name",
            "resident__name",
            "resident__household__room",
            "resident__household__unit_name",
            "resident__household__building__name",
            "resident__household__building__lng",
            "resident__household__building__lat",
            "resident_id",
            "org_code",
            "window_start",
            "due_on",
            "overdue_on",
            "state",
        )
        .order_by("due_on", "pk")[:MAX_DUE]
    )
    out = []
    for row in rows:
        building = row.resident.household.building if row.resident.household_id else None
        d = None
        if building is not None and None not in (lng, lat, building.lng, building.lat):
            d = distance_m(lng, lat, building.lng, building.lat)
        out.append(Due(row, row.overdue_on < today, d))
    if lng is not None and lat is not None:
        out.sort(key=lambda t: (t.distance_m is None, t.distance_m or 0))
    return out


def plans_visible_to(user) -> QuerySet[VisitPlan]:
    scope = scope_for(user, perms.VIEW)
    above = {code[:n] for code in scope.org_codes for n in range(6, len(code) + 1, 3)}
    return VisitPlan.objects.filter(scope.q("unit_code") | Q(unit_code__in=above)).select_related(
        "tag"
    )


def wishes_visible_to(user) -> QuerySet[Wish]:
    return Wish.objects.filter(scope_for(user, perms.VIEW).q("org_code"))


def wish_for(user, pk) -> Wish:
    try:
        return (
            wishes_visible_to(user).select_related("resident", "case", "visit").get(pk=parse_id(pk))
        )
    except Wish.DoesNotExist:
        raise NotFound(_("The wish does not exist or is outside your area.")) from None


def held_claim(wish: Wish) -> WishClaim | None:
    return wish.claims.filter(state=ClaimState.HELD).first()


# -- the public board --------------------------------------------------------------------


ON_BOARD = (WishState.PUBLISHED, WishState.CLAIMED, WishState.FULFILLED, WishState.CONFIRMED)


@dataclass(frozen=True)
class PublicWish:
    """What the public board may show of a wish, and nothing more."""

    id: int
    title: str
    community: str
    target_on: dt.date | None
    status: str  # "open" (may be claimed), "claimed", "fulfilled"
    status_label: str


def _public(row: dict, names: dict[str, str], now) -> PublicWish:
    state = row["state"]
    if state == WishState.PUBLISHED or (
        state == WishState.CLAIMED and row["claim_until"] and row["claim_until"] < now
    ):
        status, label = "open", _("Waiting for someone")
    elif state == WishState.CLAIMED:
        status, label = "claimed", _("Claimed")
    else:
        status, label = "fulfilled", _("Fulfilled")
    return PublicWish(
        row["pk"], row["public_title"], names.get(row["community_code"], ""), row["target_on"],
        status, label,
    )  # fmt: skip


def board(*, community_code: str = "", limit: int = 200) -> list[PublicWish]:
    """The wishes on the public board: open ones first (by target date), then claimed,
    then those fulfilled in the last 90 days."""
    now = timezone.now()
    since = now - dt.timedelta(days=90)
    qs = Wish.objects.filter(state__in=ON_BOARD).filter(
        Q(state__in=(WishState.PUBLISHED, WishState.CLAIMED)) | Q(fulfilled_at__gte=since)
    )
    if community_code:
        qs = qs.filter(community_code=community_code)
    rows = list(
        qs.values(
            "pk", "public_title", "community_code", "target_on", "state", "claim_until"
        ).order_by("target_on", "pk")[:limit]
    )
    names = dict(
        OrgUnit.objects.filter(code__in={r["community_code"] for r in rows}).values_list(
            "code", "name"
        )
    )
    order = {"open": 0, "claimed": 1, "fulfilled": 2}
    out = [_public(r, names, now) for r in rows]
    return sorted(out, key=lambda w: order[w.status])


def board_wish(pk) -> PublicWish:
    row = (
        Wish.objects.filter(pk=parse_id(pk), state__in=ON_BOARD)
        .values("pk", "public_title", "community_code", "target_on", "state", "claim_until")
        .first()
    )
    if row is None:
        raise NotFound(_("The wish is not on the board."))
    names = dict(OrgUnit.objects.filter(code=row["community_code"]).values_list("code", "name"))
    return _public(row, names, timezone.now())


@dataclass(frozen=True)
class CommunityTally:
    code: str
    name: str
    fulfilled: int  # 已实现: confirmed by the resident
    listed: int  # on the 征集清单: taken up (published or later), not turned into a case


def tallies(codes=None) -> list[CommunityTally]:
    """ "已实现 28 / 28" per community, counted from the wishes."""
    listed = (WishState.PUBLISHED, WishState.CLAIMED, WishState.FULFILLED, WishState.CONFIRMED)
    qs = Wish.objects.filter(state__in=listed)
    if codes is not None:
        qs = qs.filter(community_code__in=list(codes))
    rows = qs.values("community_code").annotate(
        listed=Count("pk"), fulfilled=Count("pk", filter=Q(state=WishState.CONFIRMED))
    )
    names = dict(
        OrgUnit.objects.filter(code__in=[r["community_code"] for r in rows]).values_list(
            "code", "name"
        )
    )
    return sorted(
        (
            CommunityTally(r["community_code"], names.get(r["community_code"], ""),
                           r["fulfilled"], r["listed"])
            for r in rows
        ),
        key=lambda t: t.code,
    )  # fmt: skip


def my_wishes(phone_hash: str) -> QuerySet[Wish]:
    """The wishes of the resident whose verified phone this is (/my/)."""
    return Wish.objects.filter(resident__phone_hash=phone_hash).order_by("-collected_at")


def my_claims(phone_hash: str) -> QuerySet[WishClaim]:
    return (
        WishClaim.objects.filter(phone_hash=phone_hash)
        .select_related("wish")
        .order_by("-claimed_at")
    )


# -- figures -----------------------------------------------------------------------------


@dataclass
class Figures:
    code: str
    name: str
    visits: int = 0  # visits made in the period
    due: int = 0  # scheduled visits due in the period
    due_done: int = 0  # … of them visited
    overdue: int = 0  # open now and past their overdue day
    not_visited: int = 0  # cared-for residents with no visit in the last N days
    collected: int = 0  # wishes collected in the period
    claimed: int = 0  # wishes claimed in the period
    fulfilled: int = 0  # wishes confirmed fulfilled in the period
    followed_up: int = 0  # follow-ups made in the period


def _key_of(code: str, length: int) -> str:
    return code[:length]


def figures(
    user, unit: OrgUnit, start: dt.date, end: dt.date, *, days: int = 30,
    today: dt.date | None = None,
) -> tuple[Figures, list[Figures]]:  # fmt: skip
    """The figures of `unit` and of each of its children over [start, end] (local days):
    visits done / due, overdue now, cared-for residents not visited in `days` days, and
    wishes collected / claimed / fulfilled / followed up. A handful of GROUP BYs, one
    per source, whatever the number of children."""
    today = today or timezone.localdate()
    scope = scope_for(user, perms.VIEW)
    if not scope.covers_code(unit.code):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    children = list(OrgUnit.objects.filter(parent=unit).order_by("code"))
    length = len(children[0].code) if children else len(unit.code)
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    within = Q(org_code__gte=unit.code, org_code__lt=unit.code + ":") & scope.q("org_code")
    rows: dict[str, Figures] = {c.code: Figures(c.code, c.name) for c in children}
    total = Figures(unit.code, unit.name)

    def add(key, field, n):
        setattr(total, field, getattr(total, field) + n)
        row = rows.get(_key_of(key, length))
        if row is not None:
            setattr(row, field, getattr(row, field) + n)

    for code, n in _grouped(Visit.objects.filter(within, visited_at__gte=lo, visited_at__lt=hi)):
        add(code, "visits", n)
    sched = ScheduledVisit.objects.filter(within, due_on__gte=start, due_on__lte=end).exclude(
        state=ScheduledState.ENDED
    )
    for code, n in _grouped(sched):
        add(code, "due", n)
    for code, n in _grouped(sched.filter(state=ScheduledState.DONE)):
        add(code, "due_done", n)
    overdue = ScheduledVisit.objects.filter(within, state=ScheduledState.OPEN, overdue_on__lt=today)
    for code, n in _grouped(overdue):
        add(code, "overdue", n)
    for code, n in not_visited_by_code(within, days=days, today=today):
        add(code, "not_visited", n)
    wishes = Wish.objects.filter(within)
    for field, qs in (
        ("collected", wishes.filter(collected_at__gte=lo, collected_at__lt=hi)),
        ("fulfilled", wishes.filter(confirmed_at__gte=lo, confirmed_at__lt=hi)),
        ("followed_up", wishes.filter(followed_up_at__gte=lo, followed_up_at__lt=hi)),
    ):
        for code, n in _grouped(qs):
            add(code, field, n)
    claims = WishClaim.objects.filter(
        Q(wish__org_code__gte=unit.code, wish__org_code__lt=unit.code + ":")
        & scope.q("wish__org_code"),
        claimed_at__gte=lo, claimed_at__lt=hi,
    )  # fmt: skip
    for code, n in claims.values_list("wish__org_code").annotate(n=Count("pk")):
        add(code, "claimed", n)
    return total, list(rows.values())


def _grouped(qs):
    return qs.order_by().values_list("org_code").annotate(n=Count("pk"))


def not_visited_by_code(within: Q, *, days: int, today: dt.date):
    """(org_code, n) of the active cared-for residents with no visit in the last `days`."""
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time()))
    recent = Visit.objects.filter(visited_at__gte=since).values("resident_id")
    return (
        Resident.objects.filter(within, is_active=True, tags__is_care=True)
        .exclude(pk__in=recent)
        .order_by()
        .values_list("org_code")
        .annotate(n=Count("pk", distinct=True))
    )


def by_worker(user, unit: OrgUnit, start: dt.date, end: dt.date) -> list[dict]:
    """Visits made in the period per visitor within `unit` (those the user may see)."""
    scope = scope_for(user, perms.VIEW)
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    return list(
        Visit.objects.filter(
            scope.q("org_code"),
            org_code__gte=unit.code,
            org_code__lt=unit.code + ":",
            visited_at__gte=lo,
            visited_at__lt=hi,
        )
        .values("visitor_id", "visitor__name", "visitor__username")
        .annotate(visits=Count("pk"), last=Max("visited_at"))
        .order_by("-visits", "visitor_id")
    )


def workbench(user) -> dict | None:
    """The workbench tiles: the due list's size and overdue, the visits this year."""
    if scope_for(user, perms.VISIT).is_empty:
        return None
    rows = due_list(user)
    return {
        "due": len(rows),
        "overdue": sum(1 for r in rows if r.overdue),
        "year": worker_count_this_year(user),
    }


def community_codes_of(code: str) -> str:
    return code[: CODE_LENGTH[Level.COMMUNITY]]


def unit_panel(user, unit) -> dict:
    """The org unit page's figures (core.manifest unit panel): visits this year, visits
    overdue now, and "已实现 N / M" of the wishes — three counts over the unit's range,
    for those who may view care there; nothing for others."""
    if not scope_for(user, perms.VIEW).covers_code(unit.code):
        return {"shown": False}
    within = Q(org_code__gte=unit.code, org_code__lt=unit.code + ":")
    today = timezone.localdate()
    visits = Visit.objects.filter(within, visited_at__gte=year_start(today)).count()
    overdue = ScheduledVisit.objects.filter(
        within, state=ScheduledState.OPEN, overdue_on__lt=today
    ).count()
    listed = (WishState.PUBLISHED, WishState.CLAIMED, WishState.FULFILLED, WishState.CONFIRMED)
    wishes = Wish.objects.filter(within, state__in=listed).aggregate(
        listed=Count("pk"), done=Count("pk", filter=Q(state=WishState.CONFIRMED))
    )
    return {
        "shown": True,
        "code": unit.code,
        "figures": [
            (visits, _("Visits this year")),
            (overdue, _("Visits overdue")),
            (f"{wishes['done']} / {wishes['listed']}", _("Micro-wishes fulfilled")),
        ],
    }


def worklog_entries(user_ids, start, end) -> list:
    """The visits of these users in [start, end), for the work log (registered with
    core.manifest.register_worklog_source): the kind of visit, never the resident's name."""
    from gongzhi.core.manifest import WorklogEntry

    kinds = dict(VisitType.choices)
    rows = Visit.objects.filter(
        visitor_id__in=user_ids, visited_at__gte=start, visited_at__lt=end
    ).values_list("visitor_id", "visited_at", "kind", "resident_id")
    return [
        WorklogEntry(user_id, "care", at, str(kinds.get(kind, kind)), 0, f"/care/residents/{rid}/")
        for user_id, at, kind, rid in rows
    ]
