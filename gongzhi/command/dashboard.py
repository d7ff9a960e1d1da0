"""The command center's dashboard: every KPI of a unit for a period beside the previous
period of equal length, the trend, breakdowns and rankings — all from the case rollups
(cases.kpis), plus the clock-dependent counts read live from small indexes. Nothing
here scans cases: the cost does not grow with their number.

And the drill-down: the cases behind a number, one keyset page at a time, filtered the
way the rollups count (cases.rollups / cases.kpis define each count).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from gongzhi.cases import kpis, selectors, statistics
from gongzhi.cases.models import Category
from gongzhi.core import dates, manifest
from gongzhi.core.errors import Invalid
from gongzhi.core.http.forms import parse_id
from gongzhi.core.roles import Level, child_level
from gongzhi.orgs.access import command_unit, command_units  # noqa: F401 (re-exported)
from gongzhi.orgs.models import OrgUnit

# Units a dashboard is drawn for (a grid's figures are a row of its community's ranking).

PERIODS = (
    ("today", gettext_lazy("Today")),
    ("week", gettext_lazy("This week")),
    ("month", gettext_lazy("This month")),
    ("year", gettext_lazy("This year")),
    ("custom", gettext_lazy("Custom")),
)
PERIOD_NAMES = tuple(name for name, _label in PERIODS)

# The counts shown as cards, with whether a rise is good news (None: neither).
COUNT_CARDS = (
    ("received", gettext_lazy("Received"), None),
    ("handled", gettext_lazy("Handled"), True),
    ("closed", gettext_lazy("Closed"), True),
    # Of the cases received in the period, those open past their deadline now.
    ("overdue", pgettext_lazy("received in the period", "Overdue"), False),
    ("repeats", gettext_lazy("Repeat problems"), False),
    ("callbacks", gettext_lazy("Callbacks"), None),
)

# Ranking columns one may sort by, and whether the best value is the highest.
SORTS = {
    "on_time_closure": True,
    "satisfaction": True,
    "rework": False,
    "overdue": False,
    "received": True,
}
RANKING_RATES = ("on_time_closure", "satisfaction", "rework")


# -- periods -----------------------------------------------------------------------------


def period_for(
    name: str, today: dt.date, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The days of a named period, up to `today` included: today, this week (from
    Monday), this month, this year; "custom" takes `start` and `end` (checked: not
    reversed, at most three years). Raises Invalid (code "invalid_period")."""
    if name == "today":
        return today, today
    if name == "week":
        return today - dt.timedelta(days=today.weekday()), today
    if name == "month":
        return today.replace(day=1), today
    if name == "year":
        return today.replace(month=1, day=1), today
    if name == "custom":
        dates.check_period(start, end)
        return start, end
    message = _("Unknown period.")
    raise Invalid(message, code="invalid_period", details={"period": [message]})


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same number of days that ends the day before `start`."""
    days = (end - start).days
    last = start - dt.timedelta(days=1)
    return last - dt.timedelta(days=days), last


# -- scope -------------------------------------------------------------------------------


# -- the figures -------------------------------------------------------------------------


def _rate(r: kpis.Rate) -> dict:
    return {
        "key": r.key,
        "label": str(r.label),
        "numerator": r.numerator,
        "denominator": r.denominator,
        "value": r.value,
        "percent": r.percent,
    }


def _change(now: int, before: int) -> dict:
    diff = now - before
    return {
        "change": diff,
        "change_percent": round(diff * 100 / before, 1) if before else None,
    }


def _tone(diff, rise_is_good) -> str:
    """ "good", "bad" or "" for a change, for colouring."""
    if not diff or rise_is_good is None:
        return ""
    return "good" if (diff > 0) == rise_is_good else "bad"


def _kpi_cards(report: kpis.KpiReport, before: kpis.KpiReport) -> list[dict]:
    cards = []
    for r in report.rates:
        p = before.rate(r.key)
        rise_is_good, num_metric, den_metric = rate_links(r.key)
        change = None
        if r.percent is not None and p.percent is not None:
            change = round(r.percent - p.percent, 1)
        cards.append(
            {
                **_rate(r),
                "previous": _rate(p),
                "change_pp": change,
                "rise_is_good": rise_is_good,
                "tone": _tone(change, rise_is_good),
                "numerator_metric": num_metric,
                "denominator_metric": den_metric,
            }
        )
    return cards


def _count_cards(report: kpis.KpiReport, before: kpis.KpiReport) -> list[dict]:
    cards = []
    for key, label, rise_is_good in COUNT_CARDS:
        now, then = report.counts[key], before.counts[key]
        change = _change(now, then)
        cards.append(
            {
                "key": key,
                "label": str(label),
                "value": now,
                "previous": then,
                **change,
                "rise_is_good": rise_is_good,
                "tone": _tone(change["change"], rise_is_good),
            }
        )
    return cards


def _row(code, name, counts: dict, rates) -> dict:
    by_key = {r.key: r for r in (rates.values() if isinstance(rates, dict) else rates)}
    return {
        "code": code,
        "name": str(name),
        "received": counts["received"],
        "handled": counts["handled"],
        "closed": counts["closed"],
        "overdue": counts["overdue"],
        "rates": {k: _rate(by_key[k]) for k in by_key},
    }


def _breakdown_rows(rows: list[dict]) -> list[dict]:
    return [
        {**_row(str(r["key"]), r["label"], r["counts"], r["rates"]), "key": r["key"]} for r in rows
    ]


def _fold_groups(by_category: list[dict]) -> list[dict]:
    """The category breakdown summed into category groups — what
    `kpis.breakdown(by="category_group")` answers, without reading the rollups again."""
    categories = {
        c.pk: c
        for c in Category.objects.filter(pk__in=[r["key"] for r in by_category]).select_related(
            "parent"
        )
    }
    groups: dict = {}
    for r in by_category:
        c = categories.get(r["key"])
        key = (c.parent_id or c.pk) if c else r["key"]
        label = c.parent.name if c and c.parent_id else r["label"]
        acc = groups.setdefault(key, {"key": key, "label": label, "counts": {}})
        for name, value in r["counts"].items():
            acc["counts"][name] = acc["counts"].get(name, 0) + value
    out = []
    for g in groups.values():
        counts = g["counts"]
        g["rates"] = {r.key: r for r in kpis.rates_of(counts)}
        out.append(g)
    out.sort(key=lambda g: (-g["counts"]["received"], str(g["label"])))
    return out


def sort_rows(rows: list[dict], key: str, best_first: bool = True) -> list[dict]:
    """Rows ordered by a ranking column, best first (or worst first); rows without a
    value (nothing to divide by) always last, then by code."""
    if key not in SORTS:
        key = "on_time_closure"
    high_is_best = SORTS[key]
    descending = high_is_best if best_first else not high_is_best

    def value(row):
        return row[key] if key in ("overdue", "received") else row["rates"][key]["value"]

    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: r["code"])
    known.sort(key=value, reverse=descending)
    return known + sorted(unknown, key=lambda r: r["code"])


def _level_ranking(user, unit: OrgUnit, level: str, start, end) -> list[dict]:
    """The units of `level` under `unit` (e.g. the grids of a subdistrict), from
    kpis.case_kpis_at_level; grids are named within their community ("第1网格"), so the
    community is said beside them."""
    reports = kpis.case_kpis_at_level(user, unit_code=unit.code, level=level, start=start, end=end)
    parents = {}
    if level == Level.GRID:
        parents = dict(
            OrgUnit.objects.filter(code__in=[r.unit_code for r in reports])
            .values_list("code", "parent__name")
            .order_by()
        )
    return [
        _row(
            r.unit_code,
            f"{parents[r.unit_code]} {r.unit_name}" if parents.get(r.unit_code) else r.unit_name,
            r.counts,
            r.rates,
        )
        for r in reports
    ]


LEVEL_PLURAL = {
    Level.SUBDISTRICT: gettext_lazy("Subdistricts"),
    Level.COMMUNITY: gettext_lazy("Communities"),
    Level.GRID: gettext_lazy("Grids"),
    Level.MICROGRID: gettext_lazy("Micro-grids"),
}


def dashboard_data(
    user,
    unit_code: str,
    start: dt.date,
    end: dt.date,
    *,
    period: str = "custom",
    sort: str = "on_time_closure",
    best_first: bool = True,
) -> dict:
    """Everything the dashboard shows for `unit_code` over [start, end], JSON-ready
    (dates as ISO text). Raises NotFound (unit outside the user's command-center area,
    or no command-center access) and Invalid (code "invalid_period")."""
    dates.check_period(start, end)
    unit = command_unit(user, unit_code)
    code = unit.code
    prev_start, prev_end = previous_period(start, end)
    report = kpis.case_kpis(user, unit_code=code, start=start, end=end)
    before = kpis.case_kpis(user, unit_code=code, start=prev_start, end=prev_end)

    children_level = child_level(unit.level)
    children = [
        _row(r.unit_code, r.unit_name, r.counts, r.rates)
        for r in kpis.case_kpis_by_child(user, unit_code=code, start=start, end=end)
    ]
    rankings = []
    if children_level:
        rankings.append(
            {
                "key": "children",
                "level": children_level,
                "label": str(LEVEL_PLURAL[children_level]),
                "rows": sort_rows(children, sort, best_first),
            }
        )
        grand = child_level(children_level)
        if grand and grand != Level.MICROGRID:
            rows = _level_ranking(user, unit, grand, start, end)
            rankings.append(
                {
                    "key": "grandchildren",
                    "level": grand,
                    "label": str(LEVEL_PLURAL[grand]),
                    "rows": sort_rows(rows, sort, best_first),
                }
            )
    departments = [
        {**_row(r.unit_code, r.unit_name, r.counts, r.rates), "department": r.unit_code[5:]}
        for r in kpis.case_kpis_by_department(user, unit_code=code, start=start, end=end)
    ]
    rankings.append(
        {
            "key": "departments",
            "level": "department",
            "label": str(_("Handling departments")),
            "rows": sort_rows(departments, sort, best_first),
        }
    )
    by_category = kpis.breakdown(user, unit_code=code, start=start, end=end, by="category")
    breakdowns = {
        "category_group": _breakdown_rows(_fold_groups(by_category)),
        "category": _breakdown_rows(by_category),
        "channel": _breakdown_rows(
            kpis.breakdown(user, unit_code=code, start=start, end=end, by="channel")
        ),
    }
    trend = [
        {**p, "day": p["day"].isoformat()}
        for p in kpis.trend(user, unit_code=code, start=start, end=end)
    ]
    counts = report.counts
    empty = not any(counts.values())
    return {
        "unit": {"code": code, "name": unit.name, "level": unit.level},
        "period": {
            "name": period,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "days": (end - start).days + 1,
        },
        "previous": {"start": prev_start.isoformat(), "end": prev_end.isoformat()},
        "as_of": report.now.isoformat(),
        "empty": empty,
        "counts": dict(counts),
        "previous_counts": dict(before.counts),
        "kpis": _kpi_cards(report, before),
        "count_cards": _count_cards(report, before),
        "trend": trend,
        "trend_grain": "month" if (end - start).days + 1 > 92 else "day",
        "breakdowns": breakdowns,
        "rankings": rankings,
        "sort": sort if sort in SORTS else "on_time_closure",
        "best_first": best_first,
    }


# -- the drill-down ----------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: object
    # "cohort": cases reported in the period; "event": cases with such an event in it
    kind: str = "cohort"
    # the rollups hold this count: the drill-down can show the number the dashboard did
    counted: bool = True


def metric_of(key: str) -> Metric | None:
    """The drill-down behind a registered count (or a rate's numerator link), or None."""
    try:
        count = statistics.count(key)
    except KeyError:
        return None
    cohort = count.source == "cases"
    return Metric(key, count.label, "cohort" if cohort else "event", cohort and count.reported)


def rate_links(key: str) -> tuple[bool, str, str]:
    """Of a registered rate: whether a rise is good news, and the drill-downs of its
    numerator and its denominator."""
    r = next(r for r in manifest.rates() if r.key == key)
    return r.rise_is_good, r.numerator_list or r.numerator, r.denominator_list or r.denominator


NEWEST = ("-reported_at", "-id")
BY_DEADLINE = ("due_at", "id")


@dataclass(frozen=True)
class Filters:
    """What narrows a drill-down besides the unit, period and metric."""

    category: int | None = None
    group: int | None = None
    channel: str = ""
    department: int | None = None
    exact: bool = False  # only cases placed on the unit itself, not on a child


def _int(value, name: str) -> int | None:
    if not (str(value) if value is not None else "").strip():
        return None
    number = parse_id(value)
    if number is None:
        message = _("Not a valid filter.")
        raise Invalid(message, code="invalid_filter", details={name: [message]})
    return number


def filters_from(params) -> Filters:
    return Filters(
        category=_int(params.get("category"), "category"),
        group=_int(params.get("group"), "group"),
        channel=(params.get("channel") or "").strip()[:16],
        department=_int(params.get("department"), "department"),
        exact=(params.get("exact") or "") in ("1", "true"),
    )


def drilldown(user, *, unit_code: str, start: dt.date, end: dt.date, metric: str, filters=None):
    """The cases behind one dashboard number, scoped: placed within the unit and visible
    to the user (CASE_VIEW). Returns (queryset, ordering, metric). Cohort metrics hold
    the cases reported in the period; event metrics the cases with such an event in it
    (a case called back twice is listed once)."""
    spec = metric_of(metric)
    if spec is None:
        message = _("Unknown figure.")
        raise Invalid(message, code="invalid_metric", details={"metric": [message]})
    dates.check_period(start, end)
    unit = command_unit(user, unit_code)
    filters = filters or Filters()
    now = timezone.now()
    lower, upper = dates.period_bounds(start, end)
    qs = selectors.counted_in(user, metric, unit.code, lower, upper, now, exact=filters.exact)
    ordering = BY_DEADLINE if metric == "overdue" else NEWEST
    if filters.category is not None:
        qs = qs.filter(category_id=filters.category)
    if filters.group is not None:
        qs = qs.filter(Q(category__parent_id=filters.group) | Q(category_id=filters.group))
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.department is not None:
        qs = qs.filter(department_id=filters.department)
    return qs, ordering, spec, unit


def drilldown_total(
    user, *, unit_code: str, start: dt.date, end: dt.date, metric: str, filters=None
) -> int | None:
    """The number the dashboard showed for this drill-down, from the rollups (the count
    of cases the list holds), or None when the rollups do not hold it (an event metric,
    or a combination of filters no rollup set has)."""
    filters = filters or Filters()
    spec = metric_of(metric)
    if spec is None or not spec.counted or filters.exact:
        return None
    given = [
        f
        for f in ("category", "group", "channel", "department")
        if getattr(filters, f) not in (None, "")
    ]
    if len(given) > 1:
        return None
    args = {"unit_code": unit_code, "start": start, "end": end}
    if not given:
        return kpis.case_kpis(user, **args).counts[metric]
    if given == ["department"]:
        for r in kpis.case_kpis_by_department(user, **args):
            if r.unit_code == f"dept:{filters.department}":
                return r.counts[metric]
        return 0
    by = {"category": "category", "group": "category_group", "channel": "channel"}[given[0]]
    key = getattr(filters, given[0])
    for r in kpis.breakdown(user, by=by, **args):
        if r["key"] == key:
            return r["counts"][metric]
    return 0
