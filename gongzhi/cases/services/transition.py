"""The one transition path: every change of a case goes through `transition()`.

It reads the case through the actor's scope (missing and not yours are the same 404),
locks the row, refuses a stale `version`, asks the transition table (cases.workflow) and
the case's kind whether the move is allowed, then writes the case, a timeline row, the
photos, an audit row, the notifications (`after`), the kind's hook and the rollups, all
or nothing. Three callers, one path:

- staff (`actor` a user): scope, permission, state and guards;
- the reporter (`reporter_phone_hash`, actor None): the case is found by the verified
  phone's hash; the table is asked with authorized=True (state and guards still hold);
- the system (`system=True`, actor None): a move that follows from the system's own
  rule (an unsatisfied callback escalates); state and guards hold, no scope.

The move itself (the table, the kind's guards, the action's change at a given moment,
the state, the version, the timeline row and the audit changes) is `decide()`, which
touches no database: `transition()` takes it under the lock and saves what it decided;
the demo takes it with moments in the past and saves what it decided in bulk. An
action's change is a module-level builder (`handling.dispatch_change(…)`,
`clock.resume_change()` …) that both use.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import rollups, selectors
from gongzhi.cases.kinds import get_kind
from gongzhi.cases.models import Case, CaseAttachment, CaseEvent
from gongzhi.cases.services.common import (
    Stale,
    clean_photos,
    files_removed_on_failure,
    store_photos,
)
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.core import manifest
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Invalid, NotFound
from gongzhi.core.workflow import GuardFailed, Transition

Change = Callable[[Case, dt.datetime], dict[str, Any] | None]
After = Callable[[Case, CaseEvent], None]


def resident_name(phone_masked_or_phone: str) -> str:
    """How a resident appears on the timeline: 居民（尾号1234）, never the full number."""
    digits = "".join(c for c in phone_masked_or_phone if c.isdigit())
    return _("Resident (number ending %(last4)s)") % {"last4": digits[-4:]}


def new_event(case, actor, action, from_state, note="", data=None, *, at, actor_name=None):
    """A timeline row, not saved. `actor_name` names an actor without an account (a
    resident: "居民（尾号1234）")."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return CaseEvent(
        case=case,
        at=at,
        actor=user,
        actor_name=(actor_name or (user.get_display_name() if user else _("System")))[:150],
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data=data or {},
    )


def write_event(
    case, actor, action, from_state, note="", data=None, at=None, actor_name=None
) -> CaseEvent:
    event = new_event(
        case, actor, action, from_state, note, data, at=at or timezone.now(), actor_name=actor_name
    )
    event.save(force_insert=True)
    return event


@dataclass
class Step:
    """What `decide()` made of a move, in memory: the case is changed (the change's fields,
    the state, the version); the timeline row and the audit row's changes are built, not
    saved."""

    transition: Transition
    event: CaseEvent
    audit: dict[str, Any]


def decide(
    case: Case,
    actor,
    action: str,
    *,
    at: dt.datetime,
    note: str = "",
    change: Change | None = None,
    inputs: dict[str, Any] | None = None,
    authorized: bool = False,
    by: str | None = None,
    checked: Transition | None = None,
) -> Step:
    """The move itself, without the database: the transition table and the kind's guards
    say whether `actor` may take `action` now (else a DomainError, the case untouched);
    then `change(case, at)` sets the action's fields, the state follows the table and the
    version goes up. `transition()` calls it under the row lock and saves what it
    decided; the demo calls it with moments in the past and saves in bulk.

    `by`: "reporter" (the verified phone; the timeline names the resident) or "system"
    (a move that follows from the system's rule), which also mark the audit row.
    `checked`: the table's answer when the caller has just asked it for this case."""
    inputs = inputs or {}
    t = checked or CASE_FLOW.check(case, action, actor, authorized=authorized, **inputs)
    for guard in get_kind(case.kind).guards.get(action, ()):
        reason = guard(case, inputs)
        if reason:
            raise GuardFailed(reason, details={"action": action})
    before = case.state
    data = (change(case, at) if change else None) or {}
    if t.target:
        case.state = t.target
    case.version += 1
    by_reporter = by == "reporter"
    event = new_event(
        case,
        actor,
        action,
        before,
        note=note,
        data=data,
        at=at,
        actor_name=resident_name(case.reporter_phone_masked) if by_reporter else None,
    )
    audit = {
        "state": [before, case.state],
        **({"note": note} if note else {}),
        **({"by": "reporter"} if by_reporter else {}),
        **({"by": "system", **data} if by == "system" else {}),
    }
    return Step(t, event, audit)


def case_event_add(
    *, case: Case, actor, action: str, note: str = "", data: dict | None = None
) -> CaseEvent:
    """A timeline row of a kind's own (a mediation session, a re-inspection, a 12345 order
    number), inside the caller's transaction, beside the loop's own rows. The state does
    not change; the label comes from the kind's `event_labels`. Call it from a kind's
    hook or action service, where the case is already locked."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_event_add runs inside the transaction that changed the case")
    return write_event(case, actor, action, case.state, note=note, data=data)


def _version(version) -> int | None:
    if version in (None, ""):
        return None
    try:
        return int(version)
    except (TypeError, ValueError):
        message = _("The version must be a whole number.")
        raise Invalid(message, details={"version": [message]}) from None


def _locked(actor, case_id, version) -> Case:
    version = _version(version)
    case = selectors.case_for(actor, case_id)
    return _lock(case.pk, version)


def _lock(pk: int, version: int | None = None) -> Case:
    # OF self: the nullable join to the category's group cannot be locked on PostgreSQL.
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("category__parent").get(pk=pk)
    )
    if version is not None and version != case.version:
        raise Stale(
            _("Someone else has already changed this case; reload it and try again."),
            details={"version": case.version},
        )
    return case


def reporter_case(phone_hash: str, case_id) -> Case:
    """The reporter's own case, locked; another's or a missing one is the same 404."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        pk = None
    case = None
    if phone_hash and pk is not None:
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("category__parent")
            .filter(pk=pk, reporter_phone_hash=phone_hash)
            .first()
        )
    if case is None:
        raise NotFound(_("The case does not exist."))
    return case


def transition(
    actor,
    case_id,
    action: str,
    *,
    version=None,
    note: str = "",
    photos: Iterable = (),
    inputs: dict[str, Any] | None = None,
    change: Change | None = None,
    after: After | None = None,
    reporter_phone_hash: str | None = None,
    system: bool = False,
    locate: Callable[[Any], Case] | None = None,
) -> Case:
    """Check and take one action on a case, in one transaction (see the module's doc)."""
    inputs = inputs or {}
    by_reporter = reporter_phone_hash is not None
    # `locate` finds and locks the case for a caller whose right it proves itself (a
    # claim from a kind's board): the table is asked without the permission, like the
    # reporter's and the system's moves.
    authorized = by_reporter or system or locate is not None

    def find(lock_version):
        if locate is not None:
            return locate(lock_version)
        if by_reporter:
            return reporter_case(reporter_phone_hash, case_id)
        if system:
            return _lock(case_id)
        return _locked(actor, case_id, lock_version)

    cleaned = []
    if photos:
        # Photos are decoded before the row is locked (it takes a while), but not for
        # someone who may not take the action at all: a case out of sight stays a 404
        # and an illegal move a 409, whatever was uploaded. Checked again under the lock.
        with transaction.atomic():
            seen = find(None) if authorized else selectors.case_for(actor, case_id)
            CASE_FLOW.check(seen, action, actor, authorized=authorized, **inputs)
        cleaned = clean_photos(photos)
    stored: list[CaseAttachment] = []
    with files_removed_on_failure(stored), transaction.atomic():
        case = find(version)
        t = CASE_FLOW.check(case, action, actor, authorized=authorized, **inputs)
        tracked = rollups.track(case)
        kind = get_kind(case.kind)
        step = decide(
            case,
            actor,
            action,
            at=timezone.now(),
            note=note,
            change=change,
            inputs=inputs,
            authorized=authorized,
            by="reporter" if by_reporter else "system" if system else None,
            checked=t,
        )
        case.save()
        event = step.event
        event.save(force_insert=True)
        stored += store_photos(case, event, cleaned, actor)
        audit_record(actor=actor, action=f"case.{action}", obj=case, changes=step.audit)
        if after:
            after(case, event)
        if kind.on_transition:
            kind.on_transition(case, action, actor, inputs)
        for listener in manifest.case_listeners():
            listener(case, action, actor)
        tracked.apply(case)
    return case
