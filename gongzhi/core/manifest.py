"""What apps offer, registered in their AppConfig.ready() (Decidim-manifest style).

Readers (the demo command, later the command center) iterate the registry
instead of importing every app.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: Callable[[Callable[[str], None]], None]  # receives a log function


@dataclass(frozen=True)
class UnitPanel:
    """A panel an app adds to an org unit's page. The page lives in `orgs`, which imports no
    app above it: what a higher app knows about the unit (who holds positions there) comes
    this way. `context(user, unit)` gives the template's `panel`; its optional `figures`,
    a list of (value, label), join the unit's figures at the top of the page."""

    order: int
    name: str
    template: str
    context: Callable[[Any, Any], dict]


@dataclass(frozen=True)
class ApiRouter:
    """A ninja Router an app mounts under /api/v1/<prefix> (the api app assembles them)."""

    prefix: str
    router: Any


@dataclass(frozen=True)
class WorkbenchPanel:
    """A panel an app adds to the workbench (the home page), after the cases panel.
    `context(user)` gives the template's `c`, or None when the panel is not for the user
    (e.g. inspections: the tasks to do, for those who inspect)."""

    order: int
    name: str
    title: Any
    template: str
    context: Callable[[Any], dict | None]


@dataclass(frozen=True)
class MapLayer:
    """Points an app adds to the command center's map (risk points, premises by their
    last inspection …), offered as a switch beside the cases. `url_name` is an API
    route answering `?unit=&bbox=` with `command.map_api.LayerOut`; `legend` lists
    (class, colour, label) for the classes its points carry; `visible(user)` says
    whether the switch is offered to the user."""

    order: int
    name: str
    title: Any
    url_name: str
    legend: tuple[tuple[str, str, Any], ...]
    visible: Callable[[Any], bool]


@dataclass(frozen=True)
class ReportSection:
    """A section an app adds to the command center's dashboard and monthly report (the
    campaign and hazard figures, the disputes' screening …). `context(user, unit, start,
    end)` gives the template's `s` for the unit (an `orgs.OrgUnit` the user commands)
    and period (local dates, both included), or None when there is nothing to show;
    `rows(s)`, when given, turns it into (key, label, value) rows for the monthly workbook
    and the monthly report's API (`key` stable, `value` a number or a short text)."""

    order: int
    name: str
    title: Any
    template: str
    context: Callable[[Any, Any, Any, Any], dict | None]
    rows: Callable[[dict], list[tuple[str, Any, Any]]] | None = None


@dataclass(frozen=True)
class WorklogEntry:
    """One thing a worker did, as a work log shows it: who (`user_id`), which source
    (`kind`, the source's name), when (`at`, aware), a line of text, the minutes it took
    where the record says (a patrol's duration; 0 otherwise) and a link to the record."""

    user_id: int
    kind: str
    at: Any
    text: str
    minutes: int = 0
    link: str = ""


@dataclass(frozen=True)
class WorklogSource:
    """Records an app adds to the grid worker's work log (工作日志) and to the monthly
    summary for the assessment: `entries(user_ids, start, end)` gives the WorklogEntry of
    those users' records in [start, end) (aware moments), in one or two queries whatever
    the number of users. The work log reads the sources, never the apps (care and
    inspections sit beside fieldwork and may not be imported by it)."""

    order: int
    name: str
    label: Any
    entries: Callable[[list[int], Any, Any], list[WorklogEntry]]


_demo_steps: dict[str, DemoStep] = {}
_worklog_sources: dict[str, WorklogSource] = {}
_map_layers: dict[str, MapLayer] = {}
_report_sections: dict[str, ReportSection] = {}
_workbench_panels: dict[str, WorkbenchPanel] = {}
_api_routers: dict[str, ApiRouter] = {}
_audit_actions: dict[str, str] = {}
_unit_panels: dict[str, UnitPanel] = {}
_case_listeners: dict[str, object] = {}


def register_case_listener(name: str, listener) -> None:
    """`listener(case, action, actor)` runs after every move of every case, inside its
    transaction, after the kind's own hook: for a lower app that acts on the loop's moves
    (the points bank pays a resident whose report was verified and closed) without the
    loop knowing it. It must be quick, and whatever it raises undoes the move."""
    _case_listeners[name] = listener


def case_listeners() -> tuple:
    return tuple(_case_listeners.values())


def register_demo_step(order: int, name: str, run) -> None:
    _demo_steps[name] = DemoStep(order, name, run)


def unregister_demo_step(name: str) -> None:
    _demo_steps.pop(name, None)


def demo_steps() -> list[DemoStep]:
    return sorted(_demo_steps.values(), key=lambda s: s.order)


def register_audit_actions(labels: dict[str, str]) -> None:
    """Readable labels for audit actions, shown in logs and the admin."""
    _audit_actions.update(labels)


def audit_action_label(action: str) -> str:
    return str(_audit_actions.get(action, action))


def register_unit_panel(order: int, name: str, template: str, context) -> None:
    _unit_panels[name] = UnitPanel(order, name, template, context)


def unit_panels() -> list[UnitPanel]:
    return sorted(_unit_panels.values(), key=lambda p: p.order)


def register_worklog_source(order: int, name: str, label, entries) -> None:
    _worklog_sources[name] = WorklogSource(order, name, label, entries)


def worklog_sources() -> list[WorklogSource]:
    return sorted(_worklog_sources.values(), key=lambda s: s.order)


def register_workbench_panel(order: int, name: str, title, template: str, context) -> None:
    _workbench_panels[name] = WorkbenchPanel(order, name, title, template, context)


def workbench_panels() -> list[WorkbenchPanel]:
    return sorted(_workbench_panels.values(), key=lambda p: p.order)


def register_map_layer(layer: MapLayer) -> None:
    _map_layers[layer.name] = layer


def map_layers(user=None) -> list[MapLayer]:
    """The layers, in order; with a user, only those offered to them."""
    layers = sorted(_map_layers.values(), key=lambda layer: layer.order)
    return [layer for layer in layers if user is None or layer.visible(user)]


def register_report_section(section: ReportSection) -> None:
    _report_sections[section.name] = section


def unregister_report_section(name: str) -> None:
    _report_sections.pop(name, None)


def report_sections() -> list[ReportSection]:
    return sorted(_report_sections.values(), key=lambda s: s.order)


def register_api_router(prefix: str, router) -> None:
    """Mount `router` at /api/v1/<prefix>; call from AppConfig.ready(), which runs before
    the URLconf (and so the API) is built."""
    _api_routers[prefix] = ApiRouter(prefix, router)


def api_routers() -> list[ApiRouter]:
    return sorted(_api_routers.values(), key=lambda r: r.prefix)


# -- statistics ------------------------------------------------------------------------
#
# A count is defined once, by the app that owns its records, and every reader — the
# KPI API and page, the command center's dashboard, wall and monthly report, the xlsx
# workbook, the drill-down lists, the rollups that keep them fast — takes it from here.


@dataclass(frozen=True)
class Count:
    """A count of cases (`source` "cases": the cases reported in a period, counted on
    the day each was reported) or of timeline events ("events": counted on the day each
    happened, for the cases of the unit). `where(now)` is the condition, a Q over the
    case or the event; `now` None means "as recorded so far" (what the rollups keep),
    a moment means "as of then" (the raw reference and the drill-downs).

    A stored count (`stored`, the default) is kept in the rollups: a "cases" count needs
    `of_case(case)`, the same condition on an instance (the rollups are kept current
    from the case in hand), and an "events" count names the timeline `actions` it can
    count. A count that is not stored is read live (it depends on the clock) or only
    lists cases (a drill-down)."""

    key: str
    label: Any
    source: str  # "cases" | "events"
    where: Callable[[Any], Any]
    of_case: Callable[[Any], bool] | None = None
    actions: tuple[str, ...] = ()
    stored: bool = True
    reported: bool = True  # among a report's counts (False: a drill-down list only)


@dataclass(frozen=True)
class Rate:
    """numerator / denominator, two registered counts. `rise_is_good`: whether a rise is
    good news (for colouring); `numerator_list` / `denominator_list`: the drill-down
    that lists each side (default: the count itself); `column`: shown in the tables of
    the monthly report and its workbook."""

    key: str
    label: Any
    numerator: str
    denominator: str
    rise_is_good: bool = True
    numerator_list: str = ""
    denominator_list: str = ""
    column: bool = True


_counts: dict[str, Count] = {}
_rates: dict[str, Rate] = {}


def register_statistics(*items: Count | Rate) -> None:
    """Register counts and rates, in the order reports show them. A rate's counts must
    be registered first; a key is registered once."""
    for item in items:
        if item.key in _counts or item.key in _rates:
            raise ValueError(f"statistic {item.key!r} is already registered")
        if isinstance(item, Count):
            if item.source not in ("cases", "events"):
                raise ValueError(f"count {item.key!r}: source is 'cases' or 'events'")
            if item.stored and item.source == "cases" and item.of_case is None:
                raise ValueError(f"count {item.key!r}: a stored case count needs of_case")
            if item.stored and item.source == "events" and not item.actions:
                raise ValueError(f"count {item.key!r}: a stored event count names its actions")
            _counts[item.key] = item
        else:
            missing = {item.numerator, item.denominator} - set(_counts)
            if missing:
                raise ValueError(f"rate {item.key!r}: unknown counts {sorted(missing)}")
            _rates[item.key] = item


def unregister_statistics(*keys: str) -> None:
    for key in keys:
        _counts.pop(key, None)
        _rates.pop(key, None)


def counts() -> list[Count]:
    return list(_counts.values())


def rates() -> list[Rate]:
    return list(_rates.values())
