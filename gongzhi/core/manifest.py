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


_demo_steps: dict[str, DemoStep] = {}
_audit_actions: dict[str, str] = {}
_unit_panels: dict[str, UnitPanel] = {}


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
