"""Daily rollups of cases: what dashboards and reports read instead of millions of cases.

A `CaseRollup` row holds the counts of one org unit for one day (grain "d") or one
month (grain "m", dated on its first day), in one of three sets (`dims`): all cases;
per category × kind × channel; per handling department. A case counts in the rows of
every unit above its place — district, subdistrict, community, grid, micro-grid — so
the figures of a subdistrict for a year are twelve month rows, whatever the number of
cases behind them, and a ranking of its 200 grids is 200 × 12 rows.

What a row counts is registered (core.manifest.Count; the loop's own in
`cases.statistics`, cases.kpis explains each rate):

- on the day a case was reported (Asia/Shanghai), what has become of it so far — the
  "cases" counts: received (not rejected, not merged), rejected, merged, handled,
  closed, closed on time, repeats, response set, responded on time;
- on the day of each timeline event — the "events" counts: callbacks, solved,
  satisfied (callback events), verified (verify_pass + verify_fail), reworked.

The loop's counts are CaseRollup's columns; a count another app registers (a kind's
调解成功率 needs two) is kept in CaseRollupCount rows of the same key plus its name,
by the same code: no column, no migration, and no extra row while it is zero.

What depends on the clock is not stored: a case becomes overdue, or its contact limit
passes, without anything being written. Readers count those live from two small
partial indexes (open cases by deadline; cases awaiting first contact by limit).

**Kept current in the same transaction as every change.** `track(case)` is taken
under the case's row lock before the change and `apply(case)`-ed after it: the case's
counts before and after (read off the instance: `case_counts`, the Python twin of
`cohort_aggregates`) and the events written meanwhile give the difference added to the
rows (one INSERT … ON CONFLICT DO UPDATE, rows in key
order so two transactions never wait on each other in a cycle). A late change to an
old case — closed in November, reported in March — changes March's rows. When the
category, place, kind, channel or department of a case changes, its past events move
with it.

`rebuild(start, end)` recomputes whole months from the cases and the timeline (the
`rebuild_rollups` command); it is what the demo and the bulk loaders call, and what an
administrator runs after changing GONGZHI_SATISFIED_RATINGS (satisfied ratings are
counted when the callback is made).
"""

import datetime as dt
import time

from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import statistics
from gongzhi.cases.models import (
    ROLLUP_COUNTS,
    ROLLUP_KEY,
    Case,
    CaseEvent,
    CaseRollup,
    CaseRollupCount,
    RollupDims,
)
from gongzhi.core.errors import Invalid
from gongzhi.core.roles import CODE_LENGTH

LEVEL_LENGTHS = tuple(sorted(set(CODE_LENGTH.values())))
# The case fields that decide which rows a case's counts go to.
DIM_FIELDS = ("org_code", "category_id", "kind", "channel", "department_id")
KEY_FIELDS = ROLLUP_KEY


def _tz():
    return timezone.get_default_timezone()


# -- what is counted (the definitions are registered: cases.statistics) -----------------


def layout() -> tuple[str, ...]:
    """Every stored count: CaseRollup's own columns first, then the counts apps
    registered, kept in CaseRollupCount rows (no column, no migration)."""
    keys = [c.key for c in (*statistics.stored("cases"), *statistics.stored("events"))]
    return (*ROLLUP_COUNTS, *(k for k in keys if k not in ROLLUP_COUNTS))


def cohort_keys() -> tuple[str, ...]:
    return tuple(c.key for c in statistics.stored("cases"))


def event_keys() -> tuple[str, ...]:
    return tuple(c.key for c in statistics.stored("events"))


def cohort_aggregates() -> dict:
    """Counts over cases, for the day each was reported (as recorded so far)."""
    return statistics.aggregates("cases")


def event_aggregates() -> dict:
    """Counts over timeline events, for the day each happened."""
    return statistics.aggregates("events")


# -- from counts to rows --------------------------------------------------------------


def _keys(day: dt.date, dims: dict, unit_lengths):
    """Every row key a count on `day` for a case with these dimensions goes to."""
    org_code = dims["org_code"] or ""
    month = day.replace(day=1)
    category, kind, channel = dims["category_id"] or 0, dims["kind"], dims["channel"]
    department = dims["department_id"] or 0
    for length in unit_lengths:
        if length > len(org_code):
            break
        unit = org_code[:length]
        for grain, period in (("d", day), ("m", month)):
            yield (grain, RollupDims.TOTAL, unit, period, 0, "", "", 0)
            yield (grain, RollupDims.FULL, unit, period, category, kind, channel, 0)
            if department:
                yield (grain, RollupDims.DEPARTMENT, unit, period, 0, "", "", department)


def _vector(counts: dict, names, keys: tuple[str, ...], sign: int = 1) -> list[int]:
    """The counts named `names` as a full row vector (in `layout()`'s order, `keys`)."""
    return [sign * int(counts.get(n) or 0) if n in names else 0 for n in keys]


def _add(into: dict, day: dt.date, dims: dict, vector: list[int], lengths=LEVEL_LENGTHS) -> None:
    if not any(vector):
        return
    for key in _keys(day, dims, lengths):
        row = into.get(key)
        if row is None:
            into[key] = list(vector)
        else:
            for i, v in enumerate(vector):
                row[i] += v


class LocalDate(TruncDate):
    """The local (installation time zone) date of a moment. On SQLite, for a zone with a
    fixed offset such as Asia/Shanghai, the built-in date() with that offset instead of
    Django's Python function per row: a rebuild over millions of rows is several times
    faster."""

    def as_sqlite(self, compiler, connection, **extra):
        offset = _fixed_offset(self.get_tzname())
        if offset is None:
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, '{offset:+d} seconds')", params


def _fixed_offset(tzname) -> int | None:
    """The zone's offset from UTC in seconds if it has been the same all year since 2000."""
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(tzname)
    except (KeyError, ValueError):
        return None
    offsets = {
        dt.datetime(year, month, 1, tzinfo=zone).utcoffset()
        for year in (2000, 2026, 2040)
        for month in (1, 7)
    }
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds())


def _upsert(rows: dict, keys: tuple[str, ...], *, increment: bool) -> None:
    """Write rows (vectors in `keys`' order): the loop's counts to CaseRollup's columns,
    the registered ones to a CaseRollupCount row each; add to what is there
    (`increment`) or insert fresh ones."""
    width = len(ROLLUP_COUNTS)
    own = {k: v[:width] for k, v in rows.items() if any(v[:width])}
    registered = {
        (*k, metric): [value]
        for k, v in rows.items()
        for metric, value in zip(keys[width:], v[width:], strict=True)
        if value
    }
    _write(CaseRollup, own, ROLLUP_COUNTS, increment=increment)
    _write(CaseRollupCount, registered, ("value",), increment=increment, metric=True)


def _write(model, rows: dict, counts: tuple[str, ...], *, increment: bool, metric=False) -> None:
    if not rows:
        return
    table = model._meta.db_table
    key_fields = (*KEY_FIELDS, "metric") if metric else KEY_FIELDS
    columns = (*key_fields, *counts)
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    conflict = ", ".join(quote(c) for c in key_fields)
    sets = ", ".join(
        f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in counts
    )
    tail = f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}" if increment else ""
    values = [(*k, *v) for k, v in sorted(rows.items(), key=lambda kv: _order(kv[0]))]
    batch = max(1, 900 // len(columns))  # SQLite's limit on bound parameters
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        if not increment:  # a rebuild's fresh rows: one prepared statement, many rows
            cursor.executemany(f"INSERT INTO {quote(table)} ({cols}) VALUES {one}", values)
            return
        for i in range(0, len(values), batch):
            chunk = values[i : i + batch]
            sql = (
                f"INSERT INTO {quote(table)} ({cols}) VALUES {', '.join([one] * len(chunk))}{tail}"
            )
            cursor.execute(sql, [v for row in chunk for v in row])


def _order(key):
    grain, dims, *rest = key
    return (grain, int(dims), *rest)


# -- kept current ---------------------------------------------------------------------


def case_counts(case: Case) -> tuple[dict, dict]:
    """The case's reported time and dimensions, and its cohort counts: what
    `cohort_aggregates()` counts for its row, from the instance in hand (no query). The
    property test holds the two definitions together: the rows kept through the services
    must equal the rows a rebuild counts in SQL."""
    dims = {"reported_at": case.reported_at, **{f: getattr(case, f) for f in DIM_FIELDS}}
    return dims, statistics.of_case(case)


def _events_by_day(case_id, which: Q) -> list[dict]:
    """The counted events of the case that `which` picks, summed per local day."""
    return list(
        CaseEvent.objects.filter(which, case_id=case_id, action__in=statistics.counted_actions())
        .annotate(day=LocalDate("at", tzinfo=_tz()))
        .values("day")
        .annotate(**event_aggregates())
        .order_by()
    )


class Tracker:
    """The case as the rollups know it, taken before a change, under the row lock (so
    no other transaction adds events to it meanwhile: the events after `last_event` are
    this change's)."""

    def __init__(self, case: Case | None = None):
        self.before, self.counts = case_counts(case) if case is not None else (None, {})
        self.last_event = 0
        if case is not None:
            last = CaseEvent.objects.filter(case_id=case.pk).aggregate(last=Max("pk"))["last"]
            self.last_event = last or 0

    def apply(self, case: Case) -> None:
        """Add the difference the change made to the rows, in the caller's transaction."""
        after, counts = case_counts(case)
        before, rows = self.before, {}
        keys, cohort, events = layout(), cohort_keys(), event_keys()
        if before is not None:
            _add(rows, _day(before["reported_at"]), before, _vector(self.counts, cohort, keys, -1))
        _add(rows, _day(after["reported_at"]), after, _vector(counts, cohort, keys))
        if before is not None and any(before[f] != after[f] for f in DIM_FIELDS):
            # Its place, category or handler changed: its earlier events move with it.
            for ev in _events_by_day(case.pk, Q(pk__lte=self.last_event)):
                _add(rows, ev["day"], before, _vector(ev, events, keys, -1))
                _add(rows, ev["day"], after, _vector(ev, events, keys))
        for ev in _events_by_day(case.pk, Q(pk__gt=self.last_event)):
            _add(rows, ev["day"], after, _vector(ev, events, keys))
        _upsert(rows, keys, increment=True)


def track(case: Case) -> Tracker:
    """Take before changing a case (after locking it); call `.apply(case)` after."""
    return Tracker(case)


def added(case: Case) -> None:
    """A case was just created. Its events are its report (or self-handling) and perhaps
    a repeat mark, none of them counted here: only its cohort counts are added, with no
    query for events."""
    after, counts = case_counts(case)
    rows: dict = {}
    keys = layout()
    _add(rows, _day(after["reported_at"]), after, _vector(counts, cohort_keys(), keys))
    _upsert(rows, keys, increment=True)


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(_tz()).date()


# -- rebuilt from the cases -----------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _bounds(start: dt.date, end: dt.date):
    tz = _tz()
    lower = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    upper = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
    return lower, upper


def _data_range() -> tuple[dt.date, dt.date] | None:
    first = Case.objects.order_by("reported_at").values_list("reported_at", flat=True).first()
    if first is None:
        return None
    last_case = Case.objects.order_by("-reported_at").values_list("reported_at", flat=True)[0]
    last_event = CaseEvent.objects.order_by("-at").values_list("at", flat=True).first()
    last = max(last_case, last_event or last_case, timezone.now())
    return _day(first), _day(last)


def rebuild_audited(*, actor, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """`rebuild`, by a person or the system, with an audit row saying what was rebuilt."""
    from gongzhi.core.audit import audit_record

    if start and end and start > end:
        raise Invalid(_("The period starts after it ends."), code="invalid_period")
    started = time.monotonic()
    rows = rebuild(start, end)
    audit_record(
        actor=actor,
        action="cases.rollups_rebuild",
        object_type="cases.caserollup",
        changes={
            "start": start.isoformat() if start else "",
            "end": end.isoformat() if end else "",
            "rows": rows,
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    return rows


def rebuild(start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Recompute the rows of every month touching [start, end] (default: all the data)
    from the cases and their timeline. Returns the number of rows written."""
    if start is None or end is None:
        span = _data_range()
        if span is None:
            CaseRollup.objects.all().delete()
            return 0
        start, end = start or span[0], end or span[1]
    written = 0
    month = _month_start(start)
    while month <= end:
        written += _rebuild_month(month)
        month = _next_month(month)
    return written


def _rebuild_month(month: dt.date) -> int:
    last = _next_month(month) - dt.timedelta(days=1)
    lower, upper = _bounds(month, last)
    tz = _tz()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Changes made meanwhile wait, then add their difference to the new rows.
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(CaseRollup._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        period = Q(grain="d", day__gte=month, day__lte=last) | Q(grain="m", day=month)
        CaseRollup.objects.filter(period).delete()
        CaseRollupCount.objects.filter(period).delete()
        keys, leaf = layout(), {}
        cohort = (
            Case.objects.filter(reported_at__gte=lower, reported_at__lt=upper)
            .annotate(rday=LocalDate("reported_at", tzinfo=tz))
            .values("rday", *DIM_FIELDS)
            .annotate(**cohort_aggregates())
            .order_by()
        )
        for r in cohort:
            _add_leaf(leaf, r["rday"], r, _vector(r, cohort_keys(), keys))
        events = (
            CaseEvent.objects.filter(
                at__gte=lower, at__lt=upper, action__in=statistics.counted_actions()
            )
            .annotate(
                eday=LocalDate("at", tzinfo=tz),
                org_code=F("case__org_code"),
                category_id=F("case__category_id"),
                kind=F("case__kind"),
                channel=F("case__channel"),
                department_id=F("case__department_id"),
            )
            .values("eday", *DIM_FIELDS)
            .annotate(**event_aggregates())
            .order_by()
        )
        for r in events:
            _add_leaf(leaf, r["eday"], r, _vector(r, event_keys(), keys))
        rows = _roll_up(leaf)
        _upsert(rows, keys, increment=False)
    return sum(1 for v in rows.values() if any(v))


def _add_leaf(leaf: dict, day: dt.date, r: dict, vector: list[int]) -> None:
    key = (
        day,
        r["org_code"] or "",
        r["category_id"] or 0,
        r["kind"],
        r["channel"],
        r["department_id"] or 0,
    )
    _sum_into(leaf, key, vector)


def _sum_into(into: dict, key, vector: list[int]) -> None:
    row = into.get(key)
    if row is None:
        into[key] = list(vector)
    else:
        for i, v in enumerate(vector):
            row[i] += v


def _fold(rows: dict, key) -> dict:
    out: dict = {}
    for k, v in rows.items():
        _sum_into(out, key(k), v)
    return out


def _roll_up(leaf: dict) -> dict:
    """From counts per (day, org code of the case, category, kind, channel, department)
    to the rollup rows (`_keys`' scheme): each level folded from the one below it, so
    the work shrinks level by level instead of repeating per case."""
    rows: dict = {}
    deeper: dict = {}
    for length in sorted(LEVEL_LENGTHS, reverse=True):
        here = _fold(deeper, lambda k, n=length: (k[0], k[1][:n], *k[2:]))
        for k, v in leaf.items():
            if len(k[1]) == length:
                _sum_into(here, k, v)
        deeper = here
        for grain in ("d", "m"):
            by = here if grain == "d" else _fold(here, lambda k: (k[0].replace(day=1), *k[1:]))
            full = _fold(by, lambda k: k[:5])
            for (day, unit, category, kind, channel), v in full.items():
                rows[(grain, RollupDims.FULL, unit, day, category, kind, channel, 0)] = v
            for (day, unit), v in _fold(full, lambda k: k[:2]).items():
                rows[(grain, RollupDims.TOTAL, unit, day, 0, "", "", 0)] = v
            handled = {k: v for k, v in by.items() if k[5]}
            for (day, unit, department), v in _fold(handled, lambda k: (k[0], k[1], k[5])).items():
                rows[(grain, RollupDims.DEPARTMENT, unit, day, 0, "", "", department)] = v
    return rows
