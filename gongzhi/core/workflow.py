"""A declarative transition table: states, actions, who may, guards.

A table is data: each Transition says from which states an action may be taken,
the state it leads to, the permission the actor needs (checked by the one
resolver, against the object), and optional guards that read the object and the
action's input. `Workflow.check()` raises a clear error for an illegal move;
services call it inside their transaction, then write the new state and a
timeline row. Nothing here touches the database.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, PermissionDenied

# A guard returns None when the move may go ahead, or the reason it may not.
Guard = Callable[[Any, dict[str, Any]], str | None]


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409


class GuardFailed(DomainError):
    code = "guard_failed"
    status = 400


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the action keeps the state (a note, a rating, a flag)
    perm: str | None = None
    guards: tuple[Guard, ...] = ()
    label: str = ""
    # Taken only by a caller that proved the right another way (a resident's verified
    # phone): never listed by available(), refused by check() unless authorized=True.
    authorized_only: bool = False


@dataclass
class Workflow:
    name: str
    states: dict[str, str]  # state -> label
    transitions: list[Transition] = field(default_factory=list)
    state_attr: str = "state"

    def __post_init__(self):
        seen: set[tuple[str, str]] = set()
        for t in self.transitions:
            unknown = (t.sources | ({t.target} if t.target else set())) - set(self.states)
            if unknown:
                raise ValueError(f"{self.name}: {t.action} names unknown states {sorted(unknown)}")
            for s in t.sources:
                if (s, t.action) in seen:
                    raise ValueError(f"{self.name}: two transitions for {t.action} from {s}")
                seen.add((s, t.action))

    def add(
        self,
        action: str,
        sources: Iterable[str] | str,
        target: str | None,
        *,
        perm: str | None = None,
        guards: Iterable[Guard] = (),
        label: str = "",
        authorized_only: bool = False,
    ) -> "Workflow":
        sources = frozenset([sources] if isinstance(sources, str) else sources)
        self.transitions.append(
            Transition(action, sources, target, perm, tuple(guards), label, authorized_only)
        )
        self.__post_init__()
        return self

    def _find(self, state: str, action: str) -> Transition | None:
        for t in self.transitions:
            if t.action == action and state in t.sources:
                return t
        return None

    def check(self, obj, action: str, actor, *, authorized: bool = False, **inputs) -> Transition:
        """The transition `actor` may take now, or a DomainError saying why not.

        authorized=True: the caller has proven the right another way (a resident's
        verified phone matches the case), so the permission is not asked; the state and
        the guards still are."""
        state = getattr(obj, self.state_attr)
        t = self._find(state, action)
        if t is None:
            known = {x.action: x.label or x.action for x in self.transitions}
            if action not in known:
                raise IllegalTransition(_("Unknown action “%(action)s”.") % {"action": action})
            raise IllegalTransition(
                _("“%(action)s” is not allowed while the state is “%(state)s”.")
                % {"action": known[action], "state": self.states.get(state, state)},
                details={"state": state, "action": action},
            )
        if t.authorized_only and not authorized:
            raise PermissionDenied(_("You may not “%(action)s”.") % {"action": t.label or t.action})
        if not authorized and t.perm and not _may(actor, t.perm, obj):
            raise PermissionDenied(_("You may not “%(action)s”.") % {"action": t.label or t.action})
        for guard in t.guards:
            reason = guard(obj, inputs)
            if reason:
                raise GuardFailed(reason, details={"action": action})
        return t

    def available(self, obj, actor) -> list[Transition]:
        """The actions `actor` may take on `obj` now (for buttons on a page)."""
        state = getattr(obj, self.state_attr)
        return [
            t
            for t in self.transitions
            if state in t.sources
            and not t.authorized_only
            and (not t.perm or _may(actor, t.perm, obj))
        ]


def _may(actor, perm: str, obj) -> bool:
    """The object may grant a permission itself (a case its assigned person), else the
    one resolver decides."""
    grants = getattr(obj, "grants", None)
    if grants is not None and grants(actor, perm):
        return True
    return permissions.can(actor, perm, _target(obj, perm))


def _target(obj, perm: str):
    """What `perm` is checked against: the object, or what it names for that permission
    (a case's handling permission is checked against its handling unit)."""
    scope_target = getattr(obj, "scope_target", None)
    return scope_target(perm) if scope_target else obj
