"""The case lifecycle as one transition table. Services call `CASE_FLOW.check()` in their
transaction; pages and the API list `available()` actions as buttons.

    reported ─register→ registered ─dispatch→ dispatched ─accept→ in_progress ─handle→ handled
        └reject→ rejected                        └return→ registered     │ ↑suspend/resume
    handled ─verify(pass)→ closed ─callback(unsatisfied)→ registered (提级, one level up)
          └verify(fail)→ in_progress (返工)
    self_handle: a grid worker reports and handles in one step → handled (still verified)
    merge: an open duplicate → merged; reopen: closed or rejected → registered
"""

from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import OPEN_STATES, State
from gongzhi.core.roles import Perm
from gongzhi.core.workflow import Workflow


def _leader_visit_recorded(case, inputs):
    if case.needs_leader_visit and not case.leader_visited_at:
        return _(
            "This problem was reported again and again: a leader must record an on-site "
            "visit before the case can close."
        )
    return None


def _not_called_back(case, inputs):
    if case.callback_at:
        return _("The callback has already been made.")
    return None


def _has_reporter(case, inputs):
    if not case.has_reporter:
        return _("This case has no reporter to contact.")
    return None


def _not_merged_into_itself(case, inputs):
    target = inputs.get("target")
    # Model equality: the same row, or (unsaved, as in the demo) the same instance.
    if target is not None and target == case:
        return _("A case cannot be merged into itself.")
    return None


BEFORE_HANDLING = (State.REPORTED, State.REGISTERED, State.DISPATCHED)

CASE_FLOW = (
    Workflow(
        "case",
        states=dict(State.choices),
    )
    .add("register", State.REPORTED, State.REGISTERED, perm=Perm.CASE_TRIAGE, label=_("Register"))
    .add("reject", State.REPORTED, State.REJECTED, perm=Perm.CASE_TRIAGE, label=_("Reject"))
    .add(
        "dispatch",
        (State.REPORTED, State.REGISTERED),
        State.DISPATCHED,
        perm=Perm.CASE_TRIAGE,
        label=_("Dispatch"),
    )
    .add("accept", State.DISPATCHED, State.IN_PROGRESS, perm=Perm.CASE_HANDLE, label=_("Accept"))
    .add(
        "return",
        (State.DISPATCHED, State.IN_PROGRESS),
        State.REGISTERED,
        perm=Perm.CASE_HANDLE,
        label=_("Return"),
    )
    .add(
        "progress",
        State.IN_PROGRESS,
        None,
        perm=Perm.CASE_HANDLE,
        label=_("Add progress"),
    )
    .add(
        "handle", State.IN_PROGRESS, State.HANDLED, perm=Perm.CASE_HANDLE, label=_("Report handled")
    )
    .add(
        "request_extension",
        State.IN_PROGRESS,
        None,
        perm=Perm.CASE_HANDLE,
        label=_("Request an extension"),
    )
    .add(
        "decide_extension",
        (State.IN_PROGRESS, State.SUSPENDED, State.HANDLED),
        None,
        perm=Perm.CASE_DECIDE,
        label=_("Decide on the extension"),
    )
    .add("suspend", State.IN_PROGRESS, State.SUSPENDED, perm=Perm.CASE_DECIDE, label=_("Suspend"))
    .add("resume", State.SUSPENDED, State.IN_PROGRESS, perm=Perm.CASE_DECIDE, label=_("Resume"))
    .add(
        "verify_pass",
        State.HANDLED,
        State.CLOSED,
        perm=Perm.CASE_TRIAGE,
        guards=[_leader_visit_recorded],
        label=_("Verified: close"),
    )
    .add(
        "verify_fail",
        State.HANDLED,
        State.IN_PROGRESS,
        perm=Perm.CASE_TRIAGE,
        label=_("Not solved: send back"),
    )
    .add(
        "callback",
        State.CLOSED,
        None,
        perm=Perm.CASE_TRIAGE,
        guards=[_not_called_back],
        label=_("Record the callback"),
    )
    .add(
        "escalate",
        (State.CLOSED, *BEFORE_HANDLING[1:], State.IN_PROGRESS, State.SUSPENDED, State.HANDLED),
        State.REGISTERED,
        perm=Perm.CASE_SUPERVISE,
        label=_("Escalate"),
    )
    .add(
        "supervise",
        (*BEFORE_HANDLING, State.IN_PROGRESS, State.SUSPENDED, State.HANDLED),
        None,
        perm=Perm.CASE_SUPERVISE,
        label=_("Supervise"),
    )
    .add(
        "leader_visit",
        (*BEFORE_HANDLING, State.IN_PROGRESS, State.SUSPENDED, State.HANDLED),
        None,
        perm=Perm.CASE_LEADER_VISIT,
        label=_("Record a leader's on-site visit"),
    )
    .add(
        "contact",
        (*BEFORE_HANDLING, State.IN_PROGRESS, State.SUSPENDED),
        None,
        perm=Perm.CASE_VIEW,
        guards=[_has_reporter],
        label=_("Record contact with the reporter"),
    )
    .add(
        "merge",
        BEFORE_HANDLING,
        State.MERGED,
        perm=Perm.CASE_TRIAGE,
        guards=[_not_merged_into_itself],
        label=_("Merge into another case"),
    )
    .add(
        "reopen",
        (State.CLOSED, State.REJECTED),
        State.REGISTERED,
        perm=Perm.CASE_DECIDE,
        label=_("Reopen"),
    )
    # A resident's added information (self-service): taken only by a caller that proved
    # the right another way (the verified reporter phone), never offered on staff pages.
    .add(
        "resident_info",
        (State.REPORTED, *OPEN_STATES),
        None,
        perm="cases.resident_info",  # held by no role
        authorized_only=True,
        label=_("Reporter added information"),
    )
    # 认领: a person takes a case from its kind's board (CaseKind.claimable decides who),
    # dispatched and accepted in one step; never offered on the case page.
    .add(
        "claim",
        (State.REPORTED, State.REGISTERED),
        State.IN_PROGRESS,
        perm="cases.claim",  # held by no role: the kind's claimable() proves the right
        authorized_only=True,
        label=_("Claim"),
    )
)
