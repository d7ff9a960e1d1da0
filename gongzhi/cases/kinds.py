"""The kind manifest: how a kind of case (a hazard, a dispute, a micro-wish, a 12345 work
order …) plugs into the one case loop. docs/architecture.md, "Adding a kind of case",
is the recipe; `gongzhi/cases/tests/kind_example.py` is a whole kind in 100 lines.

A kind lives in its own app and registers itself in its AppConfig.ready():

    register_kind(CaseKind(
        code="hazard",
        label=_("Safety hazard"),
        detail_model=HazardDetail,               # OneToOne to Case
        details_schema=HazardDetailsIn,          # intake input (API `details`, page form)
        details_form=HazardDetailsForm,          # the report page's extra fields
        create_details=hazard_details_create,    # (case, cleaned, actor), in intake's transaction
        details_out=hazard_details_out,          # (case) -> dict: API `details`, the page
        actions=(REINSPECT,),                    # extra actions: buttons and POST …/actions/<name>
        event_labels={"reinspected": _("Re-inspected")},
        guards={"verify_pass": (rectification_notice_served,)},
        on_transition=record_reinspection,       # called in the same transaction
        list_filters={"premises": ListFilter(_("Premises"), by_premises)},
        demo=hazard_demo,                        # (log) -> None: the kind's demo step
    ))

It never adds a second lifecycle: the kind's actions are transitions of the case table
(cases.workflow.CASE_FLOW), restricted to cases of the kind, and they run through the one
transition path (lock, version, guards, timeline, audit, notifications, rollups).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError

# A guard reads the case and the action's input and returns why not, or None.
Guard = Callable[[Any, dict[str, Any]], str | None]


@dataclass(frozen=True)
class ListFilter:
    """A filter a kind adds to the case lists (`?kind=<code>&f=<name>:<value>`)."""

    label: str
    apply: Callable[[Any, str], Any]  # (queryset, value) -> queryset; raise Invalid if bad


@dataclass(frozen=True)
class CaseKind:
    code: str
    label: str
    detail_model: type | None = None
    details_schema: type | None = None  # a ninja Schema: what intake takes as `details`
    details_form: type | None = None  # a Django form: the report page's fields for it
    create_details: Callable[..., None] | None = None  # (*, case, details, actor)
    details_out: Callable[[Any], dict | None] | None = None  # (case) -> JSON-safe dict
    details_template: str = "cases/_details.html"
    actions: tuple = ()  # cases.actions.Action, each with its own transition
    event_labels: Mapping[str, str] = field(default_factory=dict)
    guards: Mapping[str, tuple[Guard, ...]] = field(default_factory=dict)
    on_transition: Callable[..., None] | None = None  # (case, action, actor, inputs) -> None
    list_filters: Mapping[str, ListFilter] = field(default_factory=dict)
    demo: Callable[[Callable[[str], None]], None] | None = None
    reportable: bool = True  # offered in the report form and POST /cases
    # People as assignees (a volunteer, a partner's contact, a mediator): who may be
    # dispatched the case, and who may claim it from the kind's own board. Both default
    # to nobody: a general problem goes to a department or an org unit.
    assignable: Callable[[Any, Any], bool] | None = None  # (user, case) -> bool
    claimable: Callable[[Any, Any], bool] | None = None  # (user, case) -> bool
    # Its counts and rates (core.manifest.Count / Rate), e.g. 调解成功率: registered with
    # the kind, then in every report, the rollups and the drill-downs.
    statistics: tuple = ()
    # Photos a case of the kind may come in with through its own way in (`via`: an
    # inspection brings one per failed item); a person's report keeps the loop's nine.
    max_photos: int | None = None

    def details(self, case) -> dict | None:
        """The kind's details of `case` as the API and the page show them."""
        if self.details_out is None:
            return None
        return self.details_out(case)


_kinds: dict[str, CaseKind] = {}


def register_kind(kind: CaseKind) -> None:
    """Register `kind` and its actions' transitions (replacing an earlier registration of
    the same code, so a test may register a kind again)."""
    if kind.code in _kinds:
        unregister_kind(kind.code)
    _kinds[kind.code] = kind
    if kind.demo is not None:
        from gongzhi.core.manifest import register_demo_step

        # After the loop's own demo (40): a kind's demo reports through the real services.
        register_demo_step(45, f"kind:{kind.code}", kind.demo)
    if kind.actions:
        from gongzhi.cases import actions
        from gongzhi.core.manifest import register_audit_actions

        for action in kind.actions:
            actions.register_kind_action(kind.code, action)
        # Audited as "case.<action>" like the loop's own, labelled as its button.
        register_audit_actions({f"case.{a.name}": a.label for a in kind.actions})
    if kind.statistics:
        from gongzhi.core.manifest import register_statistics

        register_statistics(*kind.statistics)


def unregister_kind(code: str) -> None:
    """Forget a kind and its actions (tests register their own and clean up); the general
    kind stays."""
    if code == GENERAL.code:
        return
    kind = _kinds.pop(code, None)
    if kind is not None and kind.demo is not None:
        from gongzhi.core.manifest import unregister_demo_step

        unregister_demo_step(f"kind:{code}")
    if kind is not None and kind.actions:
        from gongzhi.cases import actions

        for action in kind.actions:
            actions.unregister_kind_action(kind.code, action)
    if kind is not None and kind.statistics:
        from gongzhi.core.manifest import unregister_statistics

        unregister_statistics(*(s.key for s in kind.statistics))


def get_kind(code: str) -> CaseKind:
    try:
        return _kinds[code]
    except KeyError:
        raise DomainError(
            _("Unknown kind of case “%(kind)s”.") % {"kind": code}, code="unknown_kind"
        ) from None


def kinds() -> list[CaseKind]:
    return list(_kinds.values())


def event_label(action: str) -> str | None:
    """A kind's label for a timeline row of its own, or None."""
    for kind in _kinds.values():
        if action in kind.event_labels:
            return str(kind.event_labels[action])
    return None


GENERAL = CaseKind("general", _("General problem"))
register_kind(GENERAL)
