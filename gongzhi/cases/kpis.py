"""Case KPIs for one org unit and one period (DESIGN.md, "KPIs"), with the counts behind
every rate, so a report can always show "133669 / 135298" beside "98.8%".

The caller names an org unit (district, subdistrict, community, grid …) that must lie
within the user's CASE_VIEW scope — a unit outside it is the same 404 as a missing one —
and a period [start, end] of local dates (Asia/Shanghai), both days included: a case
reported at 23:59:59 on `end` is in, one reported at 00:00 the next day is out.
"In the unit" means the case's place: `org_code` within the unit's code, whoever handles
it. `now` (default: the current time) is the moment the report is taken.

Two kinds of cohort, because the DESIGN's definitions ask two kinds of question:

**The received cohort** — what became of the cases received in the period. It holds the
cases reported in the period in the unit, except those not registered (不予立案, state
rejected) and those merged into another case (state merged): neither is a problem of its
own to handle; their numbers are reported beside (`rejected`, `merged`). Reports still
awaiting registration are received. Outcomes are counted as of `now`: a report on last
month taken today says what has become of last month's cases by today.

- 处置率 handling = handled / received, where handled = `handled_at` set, at or before
  `now`. A case sent back after a failed verification stays handled here (it was
  handled; 返工率 counts the failure).
- 结案率 closure = closed / due and 按期结案率 on-time closure = closed on time / due,
  GB/T 30428.4 style: closed = `closed_at` at or before `now`; overdue = not closed and
  `due_at` before `now`; due = closed + overdue. Cases whose deadline has not come and
  that are not closed are in neither. A suspended case's clock is stopped: it is overdue
  only if it was already past its deadline when it was suspended. (DESIGN leaves the
  cutoff open; `now`, not the end of the period, is used, so a case received in the
  period, past its deadline after the period and still open counts against the rate
  just as one closed late after the period does.)
- 响应率 response = responded on time / response due, where responded on time =
  `responded_at` (first contact) at or before `respond_by`; response due = cases with a
  `respond_by` (set at registration) that were contacted by `now` or whose limit has
  passed by `now` — a case still within its hour and not yet contacted is neither a
  success nor a failure yet.
- 重复率 repeat = flagged as repeats (`is_repeat`) / received.

**Timeline events in the period** — what was done in the period, from the case timeline
(CaseEvent), for the cases in the unit whatever their state now; events after `now` are
not counted.

- 解决率 resolution = callbacks answering solved / callbacks, and 满意率 satisfaction =
  callbacks rated satisfied / callbacks, over the "callback" events (data {"solved",
  "rating"}). A case called back twice (reopened or escalated after an unsatisfied
  callback, then called back again) counts twice. Satisfied ratings are
  `statistics.satisfied_ratings()` (setting GONGZHI_SATISFIED_RATINGS; 满意 and 基本满意 by
  default), read when the report is taken.
- 返工率 rework = verifications that failed (a "verify_fail" event in the period: the
  case is sent back, 返工) / verifications made in the period ("verify_pass" and
  "verify_fail"). Every handling report is verified, so this is "cases sent back / cases
  handled" counted per check: a case sent back twice counts twice, and the rate never
  exceeds 100%. Counted per event so that it adds up from daily rows.

A rate whose denominator is 0 has no value (None), not 0%.

Every count and rate is registered (`cases.statistics` for these; another app registers
its own, e.g. 调解成功率, in its AppConfig.ready()): a report holds every registered
count and rate, in the order they were registered, and nothing here names them but the
three clock-dependent counts (overdue, due, response due) read live.

Two paths compute the same counts. `case_kpis`, `case_kpis_by_child`,
`case_kpis_by_department`, `breakdown` and `trend` — what pages and the API call — read
the rollups (`cases.rollups`): month rows for the whole months of the period, day rows
for the days around them, plus two live counts that depend on the clock (overdue, and
contact limits not yet passed) from partial indexes over the open cases; their cost
does not grow with the number of cases. `raw_case_kpis` and `raw_case_kpis_by_child`
recompute everything from the cases and the timeline for any `now` (one aggregate over
the cases of the period, one over its events); they are the reference the rollups are
tested against, and the baseline of bench/dashboard.py.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gongzhi.cases import rollups, statistics
from gongzhi.cases.models import (
    ROLLUP_COUNTS,
    Case,
    CaseRollup,
    CaseRollupCount,
    Category,
    Channel,
    RollupDims,
    State,
)
from gongzhi.core import manifest
from gongzhi.core.dates import check_period, period_bounds
from gongzhi.core.errors import Invalid, NotFound
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import CODE_LENGTH, Perm, child_level
from gongzhi.orgs.models import Department, OrgUnit


@dataclass(frozen=True)
class Rate:
    """One KPI: numerator / denominator, and the value (None when nothing to divide by)."""

    key: str
    label: str | Promise
    numerator: int
    denominator: int
    value: float | None

    @classmethod
    def of(cls, key, label, numerator: int, denominator: int) -> "Rate":
        value = numerator / denominator if denominator else None
        return cls(key, label, numerator, denominator, value)

    @property
    def percent(self) -> float | None:
        """The value in percent, one decimal (98.8), for display."""
        return None if self.value is None else round(self.value * 100, 1)


def rate_keys() -> list[str]:
    """The registered rates' keys, in the order reports show them."""
    return [r.key for r in manifest.rates()]


def rates_of(counts: dict) -> tuple[Rate, ...]:
    return tuple(
        Rate.of(r.key, r.label, counts.get(r.numerator, 0), counts.get(r.denominator, 0))
        for r in manifest.rates()
    )


@dataclass(frozen=True)
class KpiReport:
    """The KPIs of one unit over one period, as of `now`. `counts` holds every reported
    count (the registered ones); `rates` every registered rate, in their order."""

    unit_code: str
    unit_name: str
    start: dt.date
    end: dt.date
    now: dt.datetime
    counts: dict[str, int]
    rates: tuple[Rate, ...] = field(default=())

    def rate(self, key: str) -> Rate:
        for r in self.rates:
            if r.key == key:
                return r
        raise KeyError(key)


# -- period and unit ----------------------------------------------------------------


def _unit_in_scope(user, unit_code: str) -> None:
    """The unit must lie wholly within the user's CASE_VIEW scope: a department's handler,
    whose scope is the cases assigned to the department, has no unit to report on."""
    code = (unit_code or "").strip()
    if not code or not scope_for(user, Perm.CASE_VIEW).covers_code(code):
        raise NotFound(_("The unit does not exist or is outside your area."))


def _unit(user, unit_code: str) -> OrgUnit:
    _unit_in_scope(user, unit_code)
    unit = OrgUnit.objects.filter(code=unit_code.strip()).first()
    if unit is None:
        raise NotFound(_("The unit does not exist or is outside your area."))
    return unit


def _unit_and_children(user, unit_code: str) -> tuple[str, dict[str, OrgUnit], str | None]:
    """The unit's code, it and its children by code, and the children's level (None for
    a unit without a level below it)."""
    _unit_in_scope(user, unit_code)
    code = unit_code.strip()
    units = {
        u.code: u
        for u in OrgUnit.objects.filter(Q(code=code) | Q(parent__code=code)).only(
            "code", "name", "level", "is_active", "parent_id"
        )
    }
    unit = units.get(code)
    if unit is None:
        raise NotFound(_("The unit does not exist or is outside your area."))
    return code, units, child_level(unit.level)


# -- the aggregates -----------------------------------------------------------------


def _report(unit_code, unit_name, start, end, now, counts) -> KpiReport:
    counts = {c.key: int(counts.get(c.key) or 0) for c in statistics.reported()}
    return KpiReport(unit_code, unit_name, start, end, now, counts, rates_of(counts))


# -- the same reports from the rollups (what pages and the API read) ------------------
#
# The stored counts come from `CaseRollup` rows: month rows for the whole months of the
# period, day rows for the days before and after them. Two counts depend on the clock
# and are read live, from small partial indexes: the open cases past their deadline
# (`overdue`, index case_open_scope_due) and the cases whose contact limit has not
# passed yet and who have not been contacted (index case_response_pending). The
# outcomes are those of the moment the report is taken (`now` is always the present).


def _period_q(start: dt.date, end: dt.date) -> Q:
    """Rollup rows covering [start, end] exactly: whole months from month rows."""
    first = start if start.day == 1 else rollups._next_month(start)
    months = []
    while rollups._next_month(first) - dt.timedelta(days=1) <= end:
        months.append(first)
        first = rollups._next_month(first)
    if not months:
        return Q(grain="d", day__gte=start, day__lte=end)
    q = Q(grain="m", day__gte=months[0], day__lte=months[-1])
    if start < months[0]:
        q |= Q(grain="d", day__gte=start, day__lt=months[0])
    after = rollups._next_month(months[-1])
    if after <= end:
        q |= Q(grain="d", day__gte=after, day__lte=end)
    return q


def _sums() -> dict:
    return {name: Sum(name) for name in ROLLUP_COUNTS}


def units_at(unit_code: str, *lengths: int) -> Q:
    """Rollup rows of the units with codes of these lengths under `unit_code`, named one
    by one: each an index seek on (grain, set, unit, day), where a code range with a
    length filter would walk the rows of every deeper level in the range too. (Rows of
    a code with no org unit — a unit deleted since — are left out.)"""
    codes = OrgUnit.objects.filter(code__within=unit_code, code__length__in=lengths)
    return Q(unit_code__in=list(codes.values_list("code", flat=True)))


def rollup_query(unit_q: Q, dims: int, start: dt.date, end: dt.date):
    """The CaseRollup rows of one set covering the period (an index seek on its key)."""
    return CaseRollup.objects.filter(unit_q, _period_q(start, end), dims=dims).order_by()


def rollup_rows(unit_q: Q, dims: int, start: dt.date, end: dt.date, group=()) -> list[dict]:
    """Summed rollup rows of one set over the period, grouped by `group` columns: the
    loop's counts from CaseRollup, the registered ones folded in from CaseRollupCount (one
    more small GROUP BY, only when an app registered a count)."""
    period = _period_q(start, end)
    rows = rollup_query(unit_q, dims, start, end)
    out = list(rows.values(*group).annotate(**_sums())) if group else [rows.aggregate(**_sums())]
    registered = rollups.layout()[len(ROLLUP_COUNTS) :]
    if not registered:
        return out
    by_key = {tuple(r[g] for g in group): r for r in out}
    extra = (
        CaseRollupCount.objects.filter(unit_q, period, dims=dims, metric__in=registered)
        .order_by()
        .values(*group, "metric")
        .annotate(n=Sum("value"))
    )
    for r in extra:
        key = tuple(r[g] for g in group)
        row = by_key.get(key)
        if row is None:
            row = by_key[key] = {
                **dict(zip(group, key, strict=True)),
                **dict.fromkeys(ROLLUP_COUNTS),
            }
            out.append(row)
        row[r["metric"]] = r["n"]
    return out


def live_querysets(unit_code: str, start, end, now):
    """The open cases of the unit and period past their deadline (index
    case_open_scope_due or case_state_scope), and every case whose contact limit has not
    passed and who has not been contacted (index case_response_pending: a few hours'
    worth of cases in the whole installation, filtered by unit and period by the caller —
    asked with the area and period, SQLite's planner would pick the period index)."""
    lower, upper = period_bounds(start, end)
    place = Q(org_code__within=unit_code, reported_at__gte=lower, reported_at__lt=upper)
    overdue = Case.objects.filter(place).filter(statistics.open_overdue(now))
    pending = Case.objects.filter(
        respond_by__gte=now, responded_at__isnull=True, respond_by__isnull=False
    ).exclude(state__in=[State.REJECTED, State.MERGED])
    return overdue.order_by(), pending.order_by()


def _live(unit_code: str, start, end, now, group: str | int | None = None):
    """The clock-dependent counts — overdue, and contact pending — per child unit (group
    = the children's code length), per value of a case column (group = its name), or in
    all (under the key 0)."""
    overdue, pending = live_querysets(unit_code, start, end, now)
    if group is None:
        key = lambda row: 0  # noqa: E731
    elif isinstance(group, int):
        key = lambda row: row["org_code"][:group]  # noqa: E731
    else:
        key = lambda row: row[group]  # noqa: E731
    fields = ("org_code", "reported_at", "category_id", "channel", "kind", "department_id")
    late: dict = {}
    if group is None:
        late[0] = overdue.count()
    else:
        # Counted here, not with GROUP BY: grouping by a column lets SQLite's planner walk
        # that column's index over every case of the period instead of the open ones.
        for row in overdue.values(*fields):
            late[key(row)] = late.get(key(row), 0) + 1
    lower, upper = period_bounds(start, end)
    waiting: dict = {}
    for row in pending.values(*fields):
        code = row["org_code"]
        if code.startswith(unit_code) and lower <= row["reported_at"] < upper:
            waiting[key(row)] = waiting.get(key(row), 0) + 1
    return late, waiting


def _counts(stored: dict, overdue: int, pending: int) -> dict:
    counts = {name: int(stored.get(name) or 0) for name in rollups.layout()}
    counts["overdue"] = overdue
    counts["due"] = counts["closed"] + overdue
    counts["response_due"] = counts["response_set"] - pending
    return counts


def case_kpis(user, *, unit_code: str, start: dt.date, end: dt.date) -> KpiReport:
    """The KPIs of `unit_code` over [start, end] as of now, from the rollups.
    Raises NotFound for a unit outside the user's scope and Invalid (code
    "invalid_period") for a bad period."""
    check_period(start, end)
    unit = _unit(user, unit_code)
    now = timezone.now()
    (stored,) = rollup_rows(Q(unit_code=unit.code), RollupDims.TOTAL, start, end)
    overdue, pending = _live(unit.code, start, end, now)
    counts = _counts(stored, overdue.get(0, 0), pending.get(0, 0))
    return _report(unit.code, unit.name, start, end, now, counts)


def case_kpis_by_child(user, *, unit_code: str, start: dt.date, end: dt.date) -> list[KpiReport]:
    """`case_kpis` for each child unit of `unit_code`, ordered by code (see
    `raw_case_kpis_by_child` for which rows there are); from the rollups."""
    check_period(start, end)
    code, units, level = _unit_and_children(user, unit_code)
    if level is None:
        return []
    now = timezone.now()
    length = CODE_LENGTH[level]
    stored = {
        r["unit_code"]: r
        for r in rollup_rows(
            # The unit and its children by name: index seeks, where a code range would
            # walk the rows of every deeper level too.
            Q(unit_code__in=list(units)),
            RollupDims.TOTAL,
            start,
            end,
            group=("unit_code",),
        )
    }
    overdue, pending = _live(code, start, end, now, length)
    # Cases placed on the unit itself, not on a child: what its children do not add up to.
    stored_keys = rollups.layout()
    itself = dict(stored.pop(code, {}))
    for row in stored.values():
        for name in stored_keys:
            itself[name] = int(itself.get(name) or 0) - int(row.get(name) or 0)
    codes = {c for c, u in units.items() if c != code and u.is_active} | set(stored)
    codes |= {c for c in (*overdue, *pending) if c != code}
    if any(itself.get(n) for n in stored_keys) or overdue.get(code) or pending.get(code):
        stored[code] = itself
        codes.add(code)
    return [
        _report(
            c,
            units[c].name if c in units else c,
            start,
            end,
            now,
            _counts(stored.get(c, {}), overdue.get(c, 0), pending.get(c, 0)),
        )
        for c in sorted(codes)
    ]


def case_kpis_at_level(
    user, *, unit_code: str, level: str, start: dt.date, end: dt.date
) -> list[KpiReport]:
    """`case_kpis` for every unit of `level` under `unit_code` (the communities of a
    district, the grids of a subdistrict …), ordered by code: one rollup GROUP BY on the
    codes of that length and the two live counts grouped the same way, whatever the
    number of units. Active units get a row also with nothing in the period; inactive
    ones only with data. Cases placed above that level (on a community, not a grid) are
    in no row."""
    check_period(start, end)
    unit = _unit(user, unit_code)
    length = CODE_LENGTH[level]
    if length <= len(unit.code):
        return []
    names = dict(
        OrgUnit.objects.filter(code__within=unit.code, level=level, is_active=True).values_list(
            "code", "name"
        )
    )
    stored = {
        r["unit_code"]: r
        for r in rollup_rows(
            units_at(unit.code, length),
            RollupDims.TOTAL,
            start,
            end,
            group=("unit_code",),
        )
    }
    now = timezone.now()
    overdue, pending = _live(unit.code, start, end, now, length)
    codes = set(names) | {c for c in (*stored, *overdue, *pending) if c and len(c) == length}
    missing = codes - set(names)
    if missing:
        names.update(OrgUnit.objects.filter(code__in=missing).values_list("code", "name"))
    return [
        _report(
            c,
            names.get(c, c),
            start,
            end,
            now,
            _counts(stored.get(c, {}), overdue.get(c, 0), pending.get(c, 0)),
        )
        for c in sorted(codes)
    ]


def case_kpis_by_department(
    user, *, unit_code: str, start: dt.date, end: dt.date
) -> list[KpiReport]:
    """`case_kpis` per handling department for the cases placed in `unit_code`; one
    report per department that handled any, ordered by name. The report's unit_code is
    "dept:<id>"."""
    check_period(start, end)
    unit = _unit(user, unit_code)
    now = timezone.now()
    stored = {
        r["department_id"]: r
        for r in rollup_rows(
            Q(unit_code=unit.code),
            RollupDims.DEPARTMENT,
            start,
            end,
            group=("department_id",),
        )
    }
    overdue, pending = _live(unit.code, start, end, now, "department_id")
    # A department whose counts all went back to 0 (the case moved on) is not listed.
    ids = {i for i, r in stored.items() if any(r.get(n) for n in rollups.layout())}
    ids = {i for i in (*ids, *overdue, *pending) if i}
    names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    reports = [
        _report(
            f"dept:{i}",
            names.get(i, str(i)),
            start,
            end,
            now,
            _counts(stored.get(i, {}), overdue.get(i, 0), pending.get(i, 0)),
        )
        for i in ids
    ]
    return sorted(reports, key=lambda r: (r.unit_name, r.unit_code))


BREAKDOWNS = ("category", "category_group", "channel", "kind")


def breakdown(user, *, unit_code: str, start: dt.date, end: dt.date, by: str) -> list[dict]:
    """Counts and rates of `unit_code` over the period per category, category group,
    channel or kind, largest first: [{"key", "label", "counts", "rates"}]."""
    if by not in BREAKDOWNS:
        message = _("Unknown breakdown.")
        raise Invalid(message, code="invalid_breakdown", details={"by": [message]})
    check_period(start, end)
    unit = _unit(user, unit_code)
    now = timezone.now()
    column = "category_id" if by.startswith("category") else by
    stored = rollup_rows(Q(unit_code=unit.code), RollupDims.FULL, start, end, group=(column,))
    overdue, pending = _live(unit.code, start, end, now, column)
    labels, fold = _labels(by, {r[column] for r in stored} | set(overdue) | set(pending))
    groups: dict = {}
    stored_keys = rollups.layout()
    for key in {r[column] for r in stored} | set(overdue) | set(pending):
        target = fold.get(key, key)
        acc = groups.setdefault(target, {"stored": {}, "overdue": 0, "pending": 0})
        acc["overdue"] += overdue.get(key, 0)
        acc["pending"] += pending.get(key, 0)
    for r in stored:
        acc = groups[fold.get(r[column], r[column])]["stored"]
        for name in stored_keys:
            acc[name] = acc.get(name, 0) + int(r.get(name) or 0)
    out = []
    for key, acc in groups.items():
        counts = _counts(acc["stored"], acc["overdue"], acc["pending"])
        rates = {r.key: r for r in rates_of(counts)}
        out.append(
            {"key": key, "label": labels.get(key, str(key)), "counts": counts, "rates": rates}
        )
    out.sort(key=lambda row: (-row["counts"]["received"], str(row["label"])))
    return out


def _labels(by: str, keys: set) -> tuple[dict, dict]:
    """Labels per key, and for category groups which group each category folds into."""
    if by == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}, {}
    if by == "kind":
        from gongzhi.cases.kinds import get_kind

        return {k: str(get_kind(k).label) for k in keys}, {}
    categories = {c.pk: c for c in Category.objects.filter(pk__in=keys).select_related("parent")}
    if by == "category":
        return {k: c.name for k, c in categories.items()}, {}
    fold = {k: (c.parent_id or k) for k, c in categories.items()}
    labels = {
        (c.parent_id or k): (c.parent.name if c.parent_id else c.name)
        for k, c in categories.items()
    }
    return labels, fold


def trend(user, *, unit_code: str, start: dt.date, end: dt.date) -> list[dict]:
    """Per day (per month when the period is longer than 92 days), of `unit_code`:
    received (reported that day), concluded (verify_pass that day), callbacks and
    satisfied. Every day or month of the period has a point, zeros included."""
    check_period(start, end)
    unit = _unit(user, unit_code)
    monthly = (end - start).days + 1 > 92
    if monthly:
        rows = rollup_rows(
            Q(unit_code=unit.code), RollupDims.TOTAL, start, end, group=("grain", "day")
        )
    else:  # day rows only: a whole month inside the period must still give its days
        rows = (
            CaseRollup.objects.filter(
                unit_code=unit.code, dims=RollupDims.TOTAL, grain="d", day__range=(start, end)
            )
            .order_by()
            .values("grain", "day")
            .annotate(**_sums())
        )
    points: dict[dt.date, dict] = {}
    day = start.replace(day=1) if monthly else start
    while day <= end:
        points[day] = {"received": 0, "concluded": 0, "callbacks": 0, "satisfied": 0}
        day = rollups._next_month(day) if monthly else day + dt.timedelta(days=1)
    for r in rows:
        p = points[r["day"].replace(day=1) if monthly else r["day"]]
        p["received"] += int(r["received"] or 0)
        p["concluded"] += int(r["verified"] or 0) - int(r["reworked"] or 0)
        p["callbacks"] += int(r["callbacks"] or 0)
        p["satisfied"] += int(r["satisfied"] or 0)
    return [{"day": d, **p} for d, p in points.items()]


def first_data_month(unit_code: str) -> dt.date | None:
    """The first month with any rollup row in the unit's district: data begins there.
    (One index lookup on the rollup key: grain, dims, unit_code, day.)"""
    return (
        CaseRollup.objects.filter(grain="m", dims=RollupDims.TOTAL, unit_code=unit_code[:6])
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )
