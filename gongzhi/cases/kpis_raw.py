"""The KPIs recomputed from the cases and the timeline, for any `now`: one aggregate over
the cases of the period and one over its events. Slow at city scale, and not what pages
read (cases.kpis reads the rollups); the reference the rollups are tested against and the
baseline of bench/dashboard.py. The definitions are the registered counts
(cases.statistics), as of `now`."""

import datetime as dt

from django.db.models.functions import Substr
from django.utils import timezone

from gongzhi.cases import kpis, statistics
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core.dates import check_period, period_bounds
from gongzhi.core.roles import CODE_LENGTH


def _case_aggregates(now: dt.datetime) -> dict:
    """Every reported count over cases, as of `now` (cases.statistics)."""
    return statistics.aggregates("cases", now, only_stored=False)


def _event_aggregates(now: dt.datetime) -> dict:
    return statistics.aggregates("events", now, only_stored=False)


def _cases(unit_code, lower, upper):
    return Case.objects.filter(
        org_code__within=unit_code, reported_at__gte=lower, reported_at__lt=upper
    ).order_by()


def _events(unit_code, lower, upper, now):
    return CaseEvent.objects.filter(
        action__in=statistics.counted_actions(),
        at__gte=lower,
        at__lt=upper,
        at__lte=now,
        case__org_code__within=unit_code,
    ).order_by()


def raw_case_kpis(
    user, *, unit_code: str, start: dt.date, end: dt.date, now=None
) -> kpis.KpiReport:
    """The KPIs of `unit_code` over [start, end] as of `now` (see the module docstring).
    Raises NotFound for a unit outside the user's scope and Invalid (code
    "invalid_period") for a bad period."""
    check_period(start, end)
    unit = kpis._unit(user, unit_code)
    now = now or timezone.now()
    lower, upper = period_bounds(start, end)
    counts = _cases(unit.code, lower, upper).aggregate(**_case_aggregates(now))
    counts.update(_events(unit.code, lower, upper, now).aggregate(**_event_aggregates(now)))
    return kpis._report(unit.code, unit.name, start, end, now, counts)


def raw_case_kpis_by_child(
    user, *, unit_code: str, start: dt.date, end: dt.date, now=None
) -> list[kpis.KpiReport]:
    """The same KPIs for each child unit of `unit_code` (the communities of a
    subdistrict, the grids of a community …), ordered by code, for rankings.

    Every child unit gets a row, also with nothing in the period (its rates are None);
    an inactive child only when it has cases or events in the period. Cases placed on
    the unit itself rather than on a child (a grid's cases outside its micro-grids) get
    a row of their own, with the unit's code and name. The rows' counts add up to the
    unit's. A micro-grid has no children: the list is empty.
    """
    check_period(start, end)
    code, units, level = kpis._unit_and_children(user, unit_code)
    if level is None:
        return []
    now = now or timezone.now()
    lower, upper = period_bounds(start, end)
    length = CODE_LENGTH[level]

    by_code: dict[str, dict] = {c: {} for c, u in units.items() if c != code and u.is_active}
    case_rows = (
        _cases(code, lower, upper)
        .annotate(child=Substr("org_code", 1, length))
        .values("child")
        .annotate(**_case_aggregates(now))
    )
    for row in case_rows:
        by_code.setdefault(row.pop("child"), {}).update(row)
    event_rows = (
        _events(code, lower, upper, now)
        .annotate(child=Substr("case__org_code", 1, length))
        .values("child")
        .annotate(**_event_aggregates(now))
    )
    for row in event_rows:
        by_code.setdefault(row.pop("child"), {}).update(row)
    return [
        kpis._report(c, units[c].name if c in units else c, start, end, now, counts)
        for c, counts in sorted(by_code.items())
    ]
