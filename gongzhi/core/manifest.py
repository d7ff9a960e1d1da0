"""What apps offer, registered in their AppConfig.ready() (Decidim-manifest style).

Readers (the demo command, later the command center) iterate the registry
instead of importing every app.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: Callable[[Callable[[str], None]], None]  # receives a log function


_demo_steps: dict[str, DemoStep] = {}
_audit_actions: dict[str, str] = {}


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
