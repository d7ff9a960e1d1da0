"""Hotspots (高频共性问题): category × area combinations whose count in the recent window
rises well above their own history, so the command center can act before residents
have to keep calling (未诉先办).

Areas are grids and communities (from the daily rollups, never from raw cases) and
buildings (from the cases of the window, then the history of only the buildings that
could be hot, through the index case_building_recent). Counted are the cases received
(not rejected, not merged) on the local days of the window [today - window_days + 1,
today] and of the `history_weeks` weeks before it.

For each combination:

    expected = history count / history_weeks × window_days / 7   (its usual count)
    ratio    = recent / (expected + prior)
    score    = (recent - expected) / sqrt(expected + 1)

It is a hotspot when recent ≥ min_count and ratio ≥ factor. The prior (1 by default)
keeps a combination with no history from being a hotspot on chance: three new cases
are (3 / (0 + 1) = 3 ≥ 2), one never is (min_count). The list is ranked by score, then
by the recent count, then the smaller area first (building, grid, community), and cut at
GONGZHI_HOTSPOT_LIMIT.

Settings (defaults): GONGZHI_HOTSPOT_WINDOW_DAYS (7), GONGZHI_HOTSPOT_HISTORY_WEEKS (8),
GONGZHI_HOTSPOT_MIN_COUNT (3), GONGZHI_HOTSPOT_FACTOR (2.0), GONGZHI_HOTSPOT_PRIOR (1.0),
GONGZHI_HOTSPOT_LIMIT (30 hotspots listed), GONGZHI_HOTSPOT_CASES_SHOWN (50 case ids kept
per hotspot; `case_total` has them all).

Cost, whatever the size of the unit: the unit, two rollup sums (window, history of the
candidates), two grouped counts over the cases of buildings (the window in the unit's
code range; the history of the candidate buildings), one read of the ids of the listed
hotspots' cases in the window, and the names (units, categories, buildings) and the open
campaigns that cover them — about a dozen queries.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases.kpis import period_bounds, rollup_rows, units_at
from gongzhi.cases.models import Case, Category, RollupDims, State
from gongzhi.core.errors import Invalid
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.orgs.access import command_unit
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Building

# The area levels a hotspot can be found at, and the code length of the unit ones.
AREA_LENGTHS = {Level.COMMUNITY: CODE_LENGTH[Level.COMMUNITY], Level.GRID: CODE_LENGTH[Level.GRID]}
BUILDING = "building"
LEVEL_RANK = {BUILDING: 0, Level.GRID: 1, Level.COMMUNITY: 2}
NOT_RECEIVED = (State.REJECTED, State.MERGED)

DEFAULTS = {
    "WINDOW_DAYS": 7,
    "HISTORY_WEEKS": 8,
    "MIN_COUNT": 3,
    "FACTOR": 2.0,
    "PRIOR": 1.0,
    "LIMIT": 30,
    "CASES_SHOWN": 50,
}


def setting(name: str):
    """GONGZHI_HOTSPOT_<name>, or its default."""
    return getattr(settings, f"GONGZHI_HOTSPOT_{name}", DEFAULTS[name])


@dataclass
class Hotspot:
    level: str  # "community", "grid" or "building"
    area_code: str  # the unit's code; a building's org code
    building_id: int | None
    area_name: str
    category_id: int
    category_name: str
    recent: int
    history: int
    expected: float
    ratio: float
    score: float
    case_ids: list[int]
    case_total: int
    campaign_id: int | None = None
    campaign_name: str = ""

    @property
    def key(self) -> str:
        where = f"b{self.building_id}" if self.building_id else self.area_code
        return f"{self.level}:{where}:{self.category_id}"

    @property
    def is_new(self) -> bool:
        """Nothing of the kind in the history."""
        return self.history == 0


@dataclass(frozen=True)
class Window:
    today: dt.date
    start: dt.date  # first day of the recent window
    history_start: dt.date  # first day of the history
    window_days: int
    history_weeks: int

    @property
    def history_end(self) -> dt.date:
        return self.start - dt.timedelta(days=1)


def window_of(today: dt.date, window_days: int, history_weeks: int) -> Window:
    start = today - dt.timedelta(days=window_days - 1)
    return Window(
        today, start, start - dt.timedelta(weeks=history_weeks), window_days, history_weeks
    )


def _positive(value, name: str, kind=int):
    try:
        value = kind(value)
    except (TypeError, ValueError):
        value = 0
    if not value > 0:
        message = _("A positive number is required.")
        raise Invalid(message, code="invalid_threshold", details={name: [message]})
    return value


def score_of(recent: int, history: int, window_days: int, history_weeks: int, prior: float):
    """(expected, ratio, score) of a combination (see the module docstring)."""
    expected = history / history_weeks * window_days / 7
    ratio = recent / (expected + prior)
    score = (recent - expected) / math.sqrt(expected + 1)
    return expected, ratio, score


def hotspots(
    user,
    unit_code: str,
    *,
    today: dt.date | None = None,
    window_days: int | None = None,
    history_weeks: int | None = None,
    min_count: int | None = None,
    factor: float | None = None,
) -> list[Hotspot]:
    """The hotspots in `unit_code` (which must lie in the user's COMMAND_VIEW scope: a
    unit outside it is the same NotFound as a missing one), ranked, at most
    GONGZHI_HOTSPOT_LIMIT. Thresholds not given come from the settings."""
    window_days = _positive(window_days or setting("WINDOW_DAYS"), "window_days")
    history_weeks = _positive(history_weeks or setting("HISTORY_WEEKS"), "history_weeks")
    min_count = _positive(min_count or setting("MIN_COUNT"), "min_count")
    factor = _positive(factor or setting("FACTOR"), "factor", float)
    prior = float(setting("PRIOR"))
    code = command_unit(user, unit_code).code
    w = window_of(today or timezone.localdate(), window_days, history_weeks)

    found: list[Hotspot] = []

    def judge(level, area_code, building_id, category_id, recent, history):
        if recent < min_count:
            return
        expected, ratio, score = score_of(recent, history, window_days, history_weeks, prior)
        if ratio >= factor:
            found.append(
                Hotspot(level, area_code, building_id, "", category_id, "", recent, history,
                        expected, ratio, score, [], 0)
            )  # fmt: skip

    for key, (recent, history) in _unit_counts(code, w, min_count).items():
        area_code, category_id = key
        level = Level.GRID if len(area_code) == AREA_LENGTHS[Level.GRID] else Level.COMMUNITY
        judge(level, area_code, None, category_id, recent, history)
    buildings = _building_counts(code, w, min_count)
    building_names = {}
    for (building_id, category_id), (org_code, name, recent, history) in buildings.items():
        building_names[building_id] = name
        judge(BUILDING, org_code, building_id, category_id, recent, history)

    # Ties go to the smaller area: a grid's problem is more actionable than its community's.
    found.sort(key=lambda h: (-h.score, -h.recent, LEVEL_RANK[h.level], h.area_code, h.category_id))
    found = found[: int(setting("LIMIT"))]
    if found:
        _attach_cases(found, code, w)
        _attach_names(found, building_names)
        _attach_campaigns(found, code)
    return found


def _unit_counts(code: str, w: Window, min_count: int) -> dict[tuple[str, int], list[int]]:
    """{(grid or community code, category id): [recent, history]} for the combinations
    with at least `min_count` cases in the window, from the rollups."""
    areas = units_at(code, *AREA_LENGTHS.values())
    counts: dict[tuple[str, int], list[int]] = {}
    rows = rollup_rows(areas, RollupDims.FULL, w.start, w.today, group=("unit_code", "category_id"))
    for r in rows:
        if int(r["received"] or 0) >= min_count and r["category_id"]:
            counts[(r["unit_code"], r["category_id"])] = [int(r["received"]), 0]
    if not counts:
        return counts
    candidates = areas & Q(
        unit_code__in=sorted({c for c, _ in counts}),
        category_id__in=sorted({k for _, k in counts}),
    )
    history = rollup_rows(
        candidates, RollupDims.FULL, w.history_start, w.history_end,
        group=("unit_code", "category_id"),
    )  # fmt: skip
    for r in history:
        key = (r["unit_code"], r["category_id"])
        if key in counts:
            counts[key][1] = int(r["received"] or 0)
    return counts


def _received(code: str):
    return Case.objects.filter(org_code__within=code, building__isnull=False).exclude(
        state__in=NOT_RECEIVED
    )


def _building_counts(code: str, w: Window, min_count: int) -> dict:
    """{(building id, category id): (org code, name, recent, history)} for the buildings of the
    unit with at least `min_count` cases of a category in the window."""
    lower, upper = period_bounds(w.start, w.today)
    rows = (
        _received(code)
        .filter(reported_at__gte=lower, reported_at__lt=upper)
        .values("building_id", "category_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=min_count)
        .order_by()
    )
    counts = {(r["building_id"], r["category_id"]): [r["n"], 0] for r in rows}
    if not counts:
        return {}
    hist_lower, hist_upper = period_bounds(w.history_start, w.history_end)
    # Only the candidate buildings: index case_building_recent (building, reported_at).
    history = (
        Case.objects.filter(
            building_id__in=sorted({b for b, _ in counts}),
            category_id__in=sorted({c for _, c in counts}),
            org_code__within=code,
            reported_at__gte=hist_lower,
            reported_at__lt=hist_upper,
        )
        .exclude(state__in=NOT_RECEIVED)
        .values("building_id", "category_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in history:
        key = (r["building_id"], r["category_id"])
        if key in counts:
            counts[key][1] = r["n"]
    places = {
        pk: (org_code, name)
        for pk, org_code, name in Building.objects.filter(
            pk__in={b for b, _ in counts}
        ).values_list("pk", "org_code", "name")
    }
    return {
        k: (*places.get(k[0], ("", str(k[0]))), recent, hist)
        for k, (recent, hist) in counts.items()
    }


def _attach_cases(found: list[Hotspot], code: str, w: Window) -> None:
    """The ids of each hotspot's cases in the window, newest first (at most
    GONGZHI_HOTSPOT_CASES_SHOWN each), in one read bounded by the listed hotspots' counts."""
    lower, upper = period_bounds(w.start, w.today)
    which = Q(pk__in=[])
    for h in found:
        if h.building_id:
            which |= Q(building_id=h.building_id, category_id=h.category_id)
        else:
            which |= Q(org_code__within=h.area_code, category_id=h.category_id)
    rows = (
        Case.objects.filter(which, org_code__within=code, reported_at__gte=lower)
        .filter(reported_at__lt=upper)
        .exclude(state__in=NOT_RECEIVED)
        .order_by("-reported_at", "-id")
        .values_list("pk", "org_code", "category_id", "building_id")
    )
    by_key = {}
    for h in found:
        by_key[
            ("b", h.building_id, h.category_id) if h.building_id else (h.area_code, h.category_id)
        ] = h
    shown = int(setting("CASES_SHOWN"))
    for pk, org_code, category_id, building_id in rows:
        keys = [(org_code[:n], category_id) for n in AREA_LENGTHS.values()]
        if building_id:
            keys.append(("b", building_id, category_id))
        for key in keys:
            h = by_key.get(key)
            if h is not None:
                h.case_total += 1
                if len(h.case_ids) < shown:
                    h.case_ids.append(pk)


def _attach_names(found: list[Hotspot], buildings: dict[int, str]) -> None:
    units = dict(
        OrgUnit.objects.filter(
            code__in={h.area_code for h in found if not h.building_id}
        ).values_list("code", "name")
    )
    categories = {
        c.pk: c.name
        for c in Category.objects.filter(pk__in={h.category_id for h in found}).only("name")
    }
    for h in found:
        if h.building_id:
            h.area_name = buildings.get(h.building_id, str(h.building_id))
        else:
            h.area_name = units.get(h.area_code, h.area_code)
        h.category_name = categories.get(h.category_id, str(h.category_id))


def covering(campaign, hotspot: Hotspot) -> bool:
    """Does the open `campaign` already take on this hotspot? Same category (or any), and
    the hotspot's area lies within the campaign's (its building, for a building one)."""
    if campaign.category_id and campaign.category_id != hotspot.category_id:
        return False
    if campaign.building_id:
        return campaign.building_id == hotspot.building_id
    return hotspot.area_code.startswith(campaign.unit_code)


def _attach_campaigns(found: list[Hotspot], code: str) -> None:
    from gongzhi.campaigns.models import Campaign, CampaignState

    ancestors = [code[:n] for n in sorted(set(CODE_LENGTH.values())) if n < len(code)]
    campaigns = list(
        Campaign.objects.filter(state=CampaignState.OPEN)
        .filter(Q(unit_code__within=code) | Q(unit_code__in=ancestors))
        .order_by("-opened_at", "-id")
        .only("pk", "name", "unit_code", "category_id", "building_id")
    )
    for h in found:
        for c in campaigns:
            if covering(c, h):
                h.campaign_id, h.campaign_name = c.pk, c.name
                break
