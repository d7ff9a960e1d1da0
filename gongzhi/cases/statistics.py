"""The case loop's counts and rates (DESIGN.md, "KPIs"), registered once in the statistics
manifest (`core.manifest.register_statistics`), beside those other apps register.

Each count is one definition, read by every path: the rollups (`where(None)`: as
recorded so far, and `of_case`, the same condition on the instance in hand), the raw
reference and the drill-down lists (`where(now)`: as of that moment), the KPI reports
(the registered rates over the counts). cases.kpis explains what each rate means.

Three counts are not stored because they depend on the clock — overdue, due (closed or
overdue) and response due (the contact limit has passed or the case was contacted):
the reports read them live (cases.kpis). Two more only name drill-down lists (closed
late, called back and not satisfied).
"""

from django.conf import settings
from django.db.models import Count as Counted
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import OPEN_STATES, State
from gongzhi.core import manifest
from gongzhi.core.manifest import Count, Rate

# What the dashboard's drill-down links call two of the counts (kept for their URLs).
LIST_ALIASES = {"callbacks_solved": "solved", "callbacks_satisfied": "satisfied"}


def satisfied_ratings() -> tuple[str, ...]:
    """The ratings counted as satisfied (满意率): 满意 and 基本满意 unless configured
    (setting GONGZHI_SATISFIED_RATINGS, read when a report is taken)."""
    return tuple(getattr(settings, "GONGZHI_SATISFIED_RATINGS", ("satisfied", "basically")))


# -- the conditions ---------------------------------------------------------------------


def _received(now=None) -> Q:
    return ~Q(state__in=[State.REJECTED, State.MERGED])


def _by(field: str, now) -> Q:
    """`field` set, and (as of `now`) at or before it."""
    return Q(**{f"{field}__lte": now}) if now else Q(**{f"{field}__isnull": False})


def _closed(now=None) -> Q:
    return _received() & _by("closed_at", now)


def _overdue(now) -> Q:
    # The clock of a suspended case is stopped: it is overdue only if it already was.
    # `~closed` also holds where closed_at is NULL: Django's negation keeps NULL rows.
    return (
        _received()
        & ~_by("closed_at", now)
        & Q(due_at__lt=now)
        & (~Q(state=State.SUSPENDED) | Q(suspended_at__gt=F("due_at")))
    )


def _responded_on_time(now=None) -> Q:
    return _received() & _by("responded_at", now) & Q(responded_at__lte=F("respond_by"))


def _callback(now=None) -> Q:
    return Q(action="callback")


def _satisfied() -> Q:
    return Q(data__rating__in=list(satisfied_ratings()))


def _received_case(c) -> bool:
    return c.state not in (State.REJECTED, State.MERGED)


def _closed_case(c) -> bool:
    return _received_case(c) and c.closed_at is not None


def _responded_on_time_case(c) -> bool:
    return (
        _received_case(c)
        and c.responded_at is not None
        and c.respond_by is not None
        and c.responded_at <= c.respond_by
    )


# -- the counts and rates -----------------------------------------------------------------

COUNTS = (
    Count("received", _("Received"), "cases", _received, of_case=_received_case),
    Count(
        "rejected",
        _("Not registered"),
        "cases",
        lambda now=None: Q(state=State.REJECTED),
        of_case=lambda c: c.state == State.REJECTED,
    ),
    Count(
        "merged",
        _("Merged"),
        "cases",
        lambda now=None: Q(state=State.MERGED),
        of_case=lambda c: c.state == State.MERGED,
    ),
    Count(
        "handled",
        _("Handled"),
        "cases",
        lambda now=None: _received() & _by("handled_at", now),
        of_case=lambda c: _received_case(c) and c.handled_at is not None,
    ),
    Count("closed", _("Closed"), "cases", _closed, of_case=_closed_case),
    Count(
        "closed_on_time",
        _("Closed on time"),
        "cases",
        lambda now=None: _closed(now) & Q(closed_on_time=True),
        of_case=lambda c: _closed_case(c) and c.closed_on_time is True,
    ),
    Count(
        "closed_late",
        _("Closed after the deadline"),
        "cases",
        lambda now=None: _closed(now) & Q(closed_on_time=False),
        stored=False,
        reported=False,
    ),
    Count("overdue", _("Overdue"), "cases", _overdue, stored=False),
    Count(
        "due",
        _("Due (closed or overdue)"),
        "cases",
        lambda now: _closed(now) | _overdue(now),
        stored=False,
    ),
    Count(
        "response_set",
        _("Contact limit set"),
        "cases",
        lambda now=None: _received() & Q(respond_by__isnull=False),
        of_case=lambda c: _received_case(c) and c.respond_by is not None,
        reported=False,
    ),
    Count(
        "response_due",
        _("Contact due"),
        "cases",
        lambda now: (
            _received()
            & Q(respond_by__isnull=False)
            & (Q(respond_by__lt=now) | _by("responded_at", now))
        ),
        stored=False,
    ),
    Count(
        "responded_on_time",
        _("Contacted in time"),
        "cases",
        _responded_on_time,
        of_case=_responded_on_time_case,
    ),
    Count(
        "repeats",
        _("Repeat problems"),
        "cases",
        lambda now=None: _received() & Q(is_repeat=True),
        of_case=lambda c: _received_case(c) and bool(c.is_repeat),
    ),
    Count("callbacks", _("Called back"), "events", _callback, actions=("callback",)),
    Count(
        "solved",
        _("Called back: solved"),
        "events",
        lambda now=None: _callback() & Q(data__solved=True),
        actions=("callback",),
    ),
    Count(
        "satisfied",
        _("Called back: satisfied"),
        "events",
        lambda now=None: _callback() & _satisfied(),
        actions=("callback",),
    ),
    Count(
        "callbacks_unsatisfied",
        _("Called back: not satisfied"),
        "events",
        lambda now=None: _callback() & ~_satisfied(),
        stored=False,
        reported=False,
    ),
    Count(
        "verified",
        _("Checked"),
        "events",
        lambda now=None: Q(action__in=("verify_pass", "verify_fail")),
        actions=("verify_pass", "verify_fail"),
    ),
    Count(
        "reworked",
        _("Sent back for rework"),
        "events",
        lambda now=None: Q(action="verify_fail"),
        actions=("verify_fail",),
    ),
)

RATES = (
    Rate("handling", _("Handling rate"), "handled", "received", column=False),  # 处置率
    Rate("closure", _("Closure rate"), "closed", "due", column=False),  # 结案率
    Rate("on_time_closure", _("On-time closure rate"), "closed_on_time", "due"),  # 按期结案率
    Rate("response", _("Response rate"), "responded_on_time", "response_due"),  # 响应率
    Rate(
        "resolution",
        _("Resolution rate"),
        "solved",
        "callbacks",
        numerator_list="callbacks_solved",
        column=False,
    ),  # 解决率
    Rate(
        "satisfaction",
        _("Satisfaction rate"),
        "satisfied",
        "callbacks",
        numerator_list="callbacks_satisfied",
    ),  # 满意率
    Rate("rework", _("Rework rate"), "reworked", "verified", rise_is_good=False),  # 返工率
    Rate("repeat", _("Repeat rate"), "repeats", "received", rise_is_good=False),  # 重复率
)

# The counts the rollups keep in CaseRollup's own columns (models.ROLLUP_COUNTS); every
# other stored count, an app's, is kept in CaseRollupCount rows, with no migration.
BUILT_IN = tuple(c.key for c in COUNTS)


def register() -> None:
    """Called once, from CasesConfig.ready()."""
    manifest.register_statistics(*COUNTS, *RATES)


# -- what the readers ask ---------------------------------------------------------------


def count(key: str) -> Count:
    """The registered count `key` (or its drill-down alias); KeyError when unknown."""
    key = LIST_ALIASES.get(key, key)
    for c in manifest.counts():
        if c.key == key:
            return c
    raise KeyError(key)


def stored(source: str) -> list[Count]:
    """The counts the rollups keep, of one source, in registration order."""
    return [c for c in manifest.counts() if c.stored and c.source == source]


def reported() -> list[Count]:
    return [c for c in manifest.counts() if c.reported]


def counted_actions() -> tuple[str, ...]:
    """The timeline actions some stored count counts."""
    return tuple(sorted({a for c in stored("events") for a in c.actions}))


def aggregates(source: str, now=None, *, only_stored: bool = True) -> dict:
    """COUNT(…) FILTER (…) for every count of `source`: stored ones (the rollups; `now`
    None), or every reported one as of `now` (the raw reference)."""
    chosen = stored(source) if only_stored else [c for c in reported() if c.source == source]
    return {c.key: Counted("pk", filter=c.where(now)) for c in chosen}


def of_case(case) -> dict[str, int]:
    """The stored case counts of one case, from the instance (no query): the twin of
    `aggregates("cases")`, held together by the rollup property test."""
    return {c.key: int(bool(c.of_case(case))) for c in stored("cases")}


def open_overdue(now) -> Q:
    """The open cases past their deadline, as the lists and the map count them (an index
    on open cases by deadline): `overdue` for a case not closed."""
    return Q(state__in=OPEN_STATES, due_at__lt=now) & (
        ~Q(state=State.SUSPENDED) | Q(suspended_at__gt=F("due_at"))
    )
