"""The wall screen's data (大屏): one JSON-ready dict per unit, refreshed every 30 s.

Everything comes from the KPI read API (`cases.kpis`, i.e. the rollups plus two small
live counts; the grids' figures for the map thumbnail through `command.map`) and
three bounded queries: the overdue and due-soon counts (the same queues as the case
lists, on the partial index of open cases) and the ten latest cases of the last 30
days. About 30 queries whatever the number of cases; see
`tests/test_wall.py` for the pinned count.

The figures of a unit are the same for everyone who may see the unit, so they are
kept in Django's cache for `CACHE_SECONDS`, keyed by unit and language. The caller's
scope is checked *before* the cache is read: a cached unit is never served to a user
outside it.
"""

import datetime as dt

from django.core.cache import cache
from django.utils import timezone, translation

from gongzhi.cases import kpis, selectors
from gongzhi.cases.models import OPEN_STATES, State
from gongzhi.command.map import grid_values
from gongzhi.orgs.access import command_unit

CACHE_SECONDS = 15
REFRESH_SECONDS = 30
TREND_DAYS = 30
TOP_CATEGORIES = 8
TOP_CHILDREN = 10
LATEST = 10


def check_unit(user, unit_code: str) -> str:
    """The unit's code if the user may look at it (orgs.access); else NotFound."""
    return command_unit(user, unit_code).code


def cache_key(code: str) -> str:
    return f"command:wall:{code}:{translation.get_language() or ''}"


def wall_data(user, unit_code: str) -> dict:
    """The wall screen's figures for `unit_code` (see the module docstring). Raises
    NotFound for a unit the user may not see (before anything is read from the cache)."""
    code = check_unit(user, unit_code)
    key = cache_key(code)
    data = cache.get(key)
    if data is None:
        data = _compute(user, code)
        cache.set(key, data, CACHE_SECONDS)
    return data


def _rate(rate: kpis.Rate) -> dict:
    return {
        "key": rate.key,
        "label": str(rate.label),
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "percent": rate.percent,
    }


def _month_before(day: dt.date) -> tuple[dt.date, dt.date]:
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _compute(user, code: str) -> dict:
    now = timezone.now()
    today = timezone.localdate(now)
    month_start = today.replace(day=1)
    last_start, last_end = _month_before(today)

    day = kpis.case_kpis(user, unit_code=code, start=today, end=today)
    month = kpis.case_kpis(user, unit_code=code, start=month_start, end=today)
    last = kpis.case_kpis(user, unit_code=code, start=last_start, end=last_end)
    overdue_qs, _q = selectors.queue(user, "overdue", now=now, within=code)
    due_soon_qs, _q = selectors.queue(user, "due_soon", now=now, within=code)

    rates = []
    for this, before in zip(month.rates, last.rates, strict=True):
        delta = None
        if this.percent is not None and before.percent is not None:
            delta = round(this.percent - before.percent, 1)
        rates.append({**_rate(this), "last": _rate(before), "delta": delta})

    points = kpis.trend(
        user, unit_code=code, start=today - dt.timedelta(days=TREND_DAYS - 1), end=today
    )
    categories = kpis.breakdown(user, unit_code=code, start=month_start, end=today, by="category")
    children = kpis.case_kpis_by_child(user, unit_code=code, start=month_start, end=today)
    grids = grid_values(user, code, month_start, today, "received")

    return {
        "unit": {"code": code, "name": month.unit_name},
        "as_of": now.isoformat(),
        "today": {
            "date": today.isoformat(),
            "received": day.counts["received"],
            "handled": day.counts["handled"],
            "closed": day.counts["closed"],
            "concluded": points[-1]["concluded"] if points else 0,
            "overdue_now": overdue_qs.count(),
            "due_soon": due_soon_qs.count(),
            "satisfaction": _rate(month.rate("satisfaction")),
        },
        "month": {
            "start": month_start.isoformat(),
            "end": today.isoformat(),
            "received": month.counts["received"],
            "last_start": last_start.isoformat(),
            "last_end": last_end.isoformat(),
            "last_received": last.counts["received"],
        },
        "rates": rates,
        "trend": {
            "days": [p["day"].strftime("%m-%d") for p in points],
            "received": [p["received"] for p in points],
            "concluded": [p["concluded"] for p in points],
        },
        "categories": [
            {
                "label": str(row["label"]),
                "received": row["counts"]["received"],
                "overdue": row["counts"]["overdue"],
            }
            for row in categories[:TOP_CATEGORIES]
            if row["counts"]["received"] or row["counts"]["overdue"]
        ],
        "children": _ranking(children),
        "latest": _latest(code, now),
        "grids": {g["code"]: [g["received"], g["overdue"]] for g in grids["grids"]},
    }


def _ranking(reports: list[kpis.KpiReport]) -> list[dict]:
    """Child units by 按期结案率 (best first; no rate yet last), then by overdue count."""
    rows = []
    for r in reports:
        on_time = r.rate("on_time_closure")
        rows.append(
            {
                "code": r.unit_code,
                "name": r.unit_name,
                "received": r.counts["received"],
                "overdue": r.counts["overdue"],
                "on_time": _rate(on_time),
            }
        )
    rows.sort(
        key=lambda row: (
            row["on_time"]["percent"] is None,
            -(row["on_time"]["percent"] or 0),
            row["overdue"],
            row["code"],
        )
    )
    return rows[:TOP_CHILDREN]


def _latest(code: str, now) -> list[dict]:
    """The ten cases last reported in the unit (last 30 days, merged ones left out):
    number, title, category, grid, state — nothing about who reported them."""
    since = now - dt.timedelta(days=TREND_DAYS)
    rows = selectors.latest_reported(code, since, LATEST)
    states = dict(State.choices)
    running = {s for s in OPEN_STATES if s != State.SUSPENDED}  # as the overdue queue
    out = []
    for row in rows:
        local = timezone.localtime(row["reported_at"])
        out.append(
            {
                "id": row["id"],
                "number": row["number"],
                "title": row["title"],
                "category": row["category__name"],
                "state": row["state"],
                "state_label": str(states.get(row["state"], row["state"])),
                "reported_at": local.strftime("%m-%d %H:%M"),
                "overdue": bool(row["state"] in running and row["due_at"] and row["due_at"] < now),
            }
        )
    return out
