"""The extension point for kinds of case (hazard, dispute, micro-wish, 12345 work order …).

A kind lives in its own app and registers itself in its AppConfig.ready():

    register_kind(CaseKind(
        code="hazard",
        label=_("Safety hazard"),
        detail_model=HazardDetail,          # OneToOne to Case (related_name = the code)
        guards={"verify_pass": (rectification_notice_served,)},
        on_transition=record_reinspection,  # called in the same transaction
    ))

It never adds a second lifecycle: the case loop (cases.workflow) checks the kind's extra
guards after its own, and calls `on_transition` after each change, so the kind can write
its own handling records (a mediation session, a re-inspection) beside the timeline.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError

# A guard reads the case and the action's input and returns why not, or None.
Guard = Callable[[Any, dict[str, Any]], str | None]


@dataclass(frozen=True)
class CaseKind:
    code: str
    label: str
    detail_model: type | None = None
    guards: Mapping[str, tuple[Guard, ...]] = field(default_factory=dict)
    on_transition: Callable[..., None] | None = None  # (case, action, actor, inputs) -> None


_kinds: dict[str, CaseKind] = {}


def register_kind(kind: CaseKind) -> None:
    _kinds[kind.code] = kind


def unregister_kind(code: str) -> None:
    """Forget a kind (tests register their own and clean up); the general kind stays."""
    if code != GENERAL.code:
        _kinds.pop(code, None)


def get_kind(code: str) -> CaseKind:
    try:
        return _kinds[code]
    except KeyError:
        raise DomainError(
            _("Unknown kind of case “%(kind)s”.") % {"kind": code}, code="unknown_kind"
        ) from None


def kinds() -> list[CaseKind]:
    return list(_kinds.values())


GENERAL = CaseKind("general", _("General problem"))
register_kind(GENERAL)
