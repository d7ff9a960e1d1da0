"""The action catalogue: every action a person takes on a case, once — its transitions,
its page form, its API input schema, its service and its success message. The case page
(its buttons and forms) and the API (`POST /cases/{id}/<path>` and
`POST /cases/{id}/actions/{name}`) are both produced from it, so an action cannot exist
on one and be missing or different on the other.

A kind adds actions of its own (`CaseKind.actions`): each brings its transition (source
states, target, permission, guards), which joins the case table restricted to cases of
that kind, and runs through the same transition path.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gongzhi.cases import forms as f
from gongzhi.cases import schemas as s
from gongzhi.cases import selectors, services
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.core.errors import NotFound
from gongzhi.core.roles import Perm


@dataclass(frozen=True)
class Action:
    """One action on a case.

    `service(actor=, case_id=, version=, **inputs)` does it and returns the case; `inputs`
    come from the API schema's fields (less `version`) or from the page form through
    `from_form`. `flows` are the transitions that make it available (default: its name).
    A kind's action also names its own transition: `sources`, `target` (None keeps the
    state), `perm` and `guards`.
    """

    name: str
    label: Promise | str
    service: Callable[..., Any]
    schema: type = s.NoteIn
    form: type = f.NoteForm
    done: Promise | str = ""
    from_form: Callable[[dict, Any], dict] | None = None
    flows: tuple[str, ...] = ()
    path: str = ""  # the API path segment (default: the name with "-" for "_")
    photos: bool = False  # the API endpoint takes multipart with photos
    primary: bool = False  # a step that moves the case on: the page's main button
    api: bool = True  # produce POST /cases/{id}/<path> (False: it has an endpoint of its own)
    summary: str = ""  # the API operation's summary and description
    description: str = ""
    form_extra: Callable[..., dict] | None = None  # (case, user, pending, chain) -> form kwargs
    shown: Callable[[Any, list], bool] | None = None  # (case, pending) -> offer it?
    # A kind's own transition:
    sources: tuple[str, ...] = ()
    target: str | None = None
    perm: str | None = Perm.CASE_HANDLE
    guards: tuple = field(default_factory=tuple)

    @property
    def transitions(self) -> tuple[str, ...]:
        return self.flows or (self.name,)

    @property
    def url_path(self) -> str:
        return self.path or self.name.replace("_", "-")

    def inputs_from_form(self, cleaned: dict, form) -> dict:
        if self.from_form is not None:
            return self.from_form(cleaned, form)
        return {k: v for k, v in cleaned.items() if k != "version"}

    def run(self, *, actor, case_id, version, **inputs):
        return self.service(actor=actor, case_id=case_id, version=version, **inputs)


# -- the loop's own actions -----------------------------------------------------------


def _dispatch_inputs(d, form):
    return {"note": d["note"], **form.target_ids()}


def _merge_inputs(d, form):
    try:
        target = selectors.case_by_number(form.actor, d["target"])
    except NotFound as exc:
        raise services.Invalid(exc.message, details={"target": [exc.message]}) from None
    return {"target_id": target.pk, "note": d["note"]}


def _decide(*, actor, case_id, version, request_id, approve, note=""):
    services.case_decide_extension(
        actor=actor, request_id=request_id, version=version, approve=approve, note=note
    )
    return selectors.case_for(actor, case_id)


def _request_extension(*, actor, case_id, version, days, reason=""):
    services.case_request_extension(
        actor=actor, case_id=case_id, version=version, days=days, reason=reason
    )
    return selectors.case_for(actor, case_id)


CORE: tuple[Action, ...] = (
    Action(
        "dispatch",
        _("Dispatch"),
        services.case_dispatch,
        schema=s.DispatchIn,
        form=f.DispatchForm,
        done=_("Dispatched."),
        from_form=_dispatch_inputs,
        primary=True,
        summary="Case Dispatch",
        description="派遣 to a department or to the community or grid the case is in.",
    ),
    Action(
        "register",
        _("Register"),
        services.case_register,
        schema=s.RegisterIn,
        form=f.RegisterForm,
        done=_("The case is registered; its deadline runs from now."),
        from_form=lambda d, _f: {
            "note": d["note"],
            "category_id": d["category_id"],
            "urgency": d["urgency"] or None,
            "grid_id": d["grid_id"],
        },
        primary=True,
        summary="Case Register",
        description="立案: the deadlines start now; category, urgency and grid may be corrected.",
    ),
    Action(
        "accept",
        _("Accept"),
        services.case_accept,
        done=_("Accepted: the case is yours to handle."),
        primary=True,
        summary="Case Accept",
        description="签收 by the handling unit.",
    ),
    Action(
        "handle",
        _("Report handled"),
        services.case_handle,
        schema=s.HandleForm,
        form=f.HandleForm,
        done=_("Reported as handled; it will be verified next."),
        photos=True,
        primary=True,
        summary="Case Handle",
        description="处置完毕: the result, with up to 9 photos as evidence (multipart/form-data).",
    ),
    Action(
        "verify",
        _("Verify"),
        services.case_verify,
        schema=s.VerifyIn,
        form=f.VerifyForm,
        done=_("The verification is recorded."),
        from_form=lambda d, _f: {"passed": d["outcome"] == "pass", "note": d["note"]},
        flows=("verify_pass", "verify_fail"),
        primary=True,
        summary="Case Verify",
        description=(
            "核查: passed closes the case; not passed sends it back to handling "
            "(返工, note required)."
        ),
    ),
    Action(
        "callback",
        _("Record the callback"),
        services.case_callback,
        schema=s.CallbackIn,
        form=f.CallbackForm,
        done=_("The callback is recorded."),
        from_form=lambda d, _f: {
            "solved": d["solved"] == "yes",
            "rating": d["rating"],
            "note": d["note"],
        },
        primary=True,
        shown=lambda case, pending: not case.callback_at,
        summary="Case Callback",
        description=(
            '回访: solved or not, and the rating; "unsatisfied" escalates the case one level up.'
        ),
    ),
    Action(
        "decide_extension",
        _("Decide on the extension"),
        _decide,
        schema=s.DecideIn,
        form=f.ExtensionDecisionForm,
        done=_("The extension request is decided."),
        from_form=lambda d, _f: {
            "request_id": d["request_id"],
            "approve": d["decision"] == "approve",
            "note": d["note"],
        },
        primary=True,
        api=False,
        shown=lambda case, pending: bool(pending),
    ),
    Action(
        "contact",
        _("Record contact with the reporter"),
        services.case_contact,
        done=_("The contact is recorded."),
        summary="Case Contact",
        description="Contact with the reporter (the first one stops the one-hour clock).",
        shown=lambda case, pending: case.has_reporter,  # a patrol's finding has no one
    ),
    Action(
        "progress",
        _("Add progress"),
        services.case_progress,
        schema=s.ProgressForm,
        form=f.ProgressForm,
        done=_("The progress is recorded."),
        photos=True,
        summary="Case Progress",
        description="A progress note while handling, with up to 9 photos (multipart/form-data).",
    ),
    Action(
        "request_extension",
        _("Request an extension"),
        _request_extension,
        schema=s.ExtensionIn,
        form=f.ExtensionRequestForm,
        done=_("The extension request is sent to the command center."),
        api=False,
        shown=lambda case, pending: not pending,
    ),
    Action(
        "return",
        _("Return"),
        services.case_return,
        schema=s.ReasonIn,
        form=f.ReasonForm,
        done=_("Returned to the dispatcher."),
        summary="Case Return",
        description="退回 to the dispatcher, with the reason.",
    ),
    Action(
        "reject",
        _("Reject"),
        services.case_reject,
        schema=s.ReasonIn,
        form=f.ReasonForm,
        done=_("The report is not registered."),
        summary="Case Reject",
        description="不予立案, with the reason.",
    ),
    Action(
        "supervise",
        _("Supervise"),
        services.case_supervise,
        schema=s.SuperviseIn,
        form=f.SuperviseForm,
        done=_("The supervision is recorded."),
        summary="Case Supervise",
        description="督办 at a level (0 lifts it), with a note.",
    ),
    Action(
        "escalate",
        _("Escalate"),
        services.case_escalate,
        form=f.RequiredNoteForm,
        done=_("Escalated one level up."),
        summary="Case Escalate",
        description="提级办理: reopened one level up and supervised (note required).",
    ),
    Action(
        "leader_visit",
        _("Record a leader's on-site visit"),
        services.case_leader_visit,
        form=f.LeaderVisitForm,
        done=_("The on-site visit is recorded."),
        summary="Case Leader Visit",
        description="领导到现场: the on-site visit a repeat problem needs before it can close.",
    ),
    Action(
        "suspend",
        _("Suspend"),
        services.case_suspend,
        schema=s.ReasonIn,
        form=f.ReasonForm,
        done=_("Suspended: the clock is stopped."),
        summary="Case Suspend",
        description="挂起: the clock stops until the case is resumed.",
    ),
    Action(
        "resume",
        _("Resume"),
        services.case_resume,
        done=_("Resumed: the clock runs again."),
        summary="Case Resume",
        description="The clock runs again with the time that was left.",
    ),
    Action(
        "merge",
        _("Merge into another case"),
        services.case_merge,
        schema=s.MergeIn,
        form=f.MergeForm,
        done=_("Merged."),
        from_form=_merge_inputs,
        summary="Case Merge",
        description="并案: this duplicate joins the target case and stops.",
    ),
    Action(
        "reopen",
        _("Reopen"),
        services.case_reopen,
        schema=s.ReasonIn,
        form=f.ReasonForm,
        done=_("Reopened."),
        summary="Case Reopen",
        description="A closed or rejected case is registered again, with new deadlines.",
    ),
)

# Kind actions by name, with the kind they belong to.
_kind_actions: dict[str, tuple[str, Action]] = {}


def _only_kind(code: str):
    def guard(case, inputs):
        if case.kind != code:
            return _("This action is not available for this kind of case.")
        return None

    return guard


def register_kind_action(kind_code: str, action: Action) -> None:
    """The kind's action joins the catalogue, and its transition the case table."""
    if action.name in BY_NAME or action.name in _kind_actions:
        raise ValueError(f"case action {action.name!r} exists already")
    if not action.sources:
        raise ValueError(f"case action {action.name!r} of kind {kind_code!r} names no states")
    CASE_FLOW.add(
        action.name,
        action.sources,
        action.target,
        perm=action.perm,
        guards=(_only_kind(kind_code), *action.guards),
        label=action.label,
    )
    _kind_actions[action.name] = (kind_code, action)


def unregister_kind_action(kind_code: str, action: Action) -> None:
    if _kind_actions.get(action.name, (None,))[0] == kind_code:
        del _kind_actions[action.name]
        CASE_FLOW.transitions[:] = [t for t in CASE_FLOW.transitions if t.action != action.name]


BY_NAME: dict[str, Action] = {a.name: a for a in CORE}


def get(name: str) -> Action | None:
    """The catalogue's action `name` (the loop's or a kind's), or None."""
    if name in BY_NAME:
        return BY_NAME[name]
    found = _kind_actions.get(name)
    return found[1] if found else None


def for_kind(kind_code: str) -> list[Action]:
    """The loop's actions, then the kind's own, in the page's order."""
    return [*CORE, *(a for code, a in _kind_actions.values() if code == kind_code)]


def labels() -> dict[str, str]:
    """Timeline and button labels of every action and transition."""
    out = {t.action: str(t.label or t.action) for t in CASE_FLOW.transitions}
    out.update({a.name: str(a.label) for a in CORE})
    return out


def available(case, user, pending: Iterable = ()) -> list[Action]:
    """The actions to offer `user` on `case` now: what the transition table allows, less
    what would only be refused (a second callback, a second pending extension)."""
    allowed = {t.action for t in CASE_FLOW.available(case, user)}
    pending = list(pending)
    return [
        a
        for a in for_kind(case.kind)
        if allowed.intersection(a.transitions) and (a.shown is None or a.shown(case, pending))
    ]


def transitions_available(case, user, pending: Iterable = ()) -> list:
    """The transitions the API lists for `user` on `case` now: the table's, less a kind's
    own actions on cases of another kind, and those the kind does not offer now (its
    `shown`)."""
    pending = list(pending)
    out = []
    for t in CASE_FLOW.available(case, user):
        owner = _kind_actions.get(t.action)
        if owner is not None:
            code, action = owner
            if code != case.kind or (action.shown is not None and not action.shown(case, pending)):
                continue
        out.append(t)
    return out
