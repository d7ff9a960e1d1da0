"""The dispute kind of case (矛盾纠纷): registered only through disputes.services
(dispute_register: the register page, the phone form, POST /api/v1/disputes), assigned to
a mediator as a person (CaseKind.assignable), and concluded by the mediator's outcome
(its own action, `mediation_conclude`), then verified and closed by the loop.

What the case shows of a dispute (details_out, the case API and page) is the type, the
source, the risk, the public summary, the outcome and counts — never a party or the
confidential account, which only disputes' own pages and API show to those allowed.
Its statistics: disputes registered, mediations concluded and settled, 调解成功率.
"""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from ninja import Field, Schema

from gongzhi.cases.actions import Action
from gongzhi.cases.forms import ActionForm
from gongzhi.cases.kinds import CaseKind, ListFilter
from gongzhi.cases.models import State
from gongzhi.cases.schemas import VersionIn
from gongzhi.core.errors import Invalid, PermissionDenied
from gongzhi.core.manifest import Count, Rate
from gongzhi.core.roles import Perm
from gongzhi.disputes import demo, perms, services
from gongzhi.disputes.models import Dispute, Outcome, Referral, Risk, Source

CODE = "dispute"


class DisputeDetails(Schema):
    """What intake takes from disputes.services.dispute_register (a trusted caller: the
    values are checked and the personal ones sealed before)."""

    type_id: int
    source: str
    risk: str
    summary: str
    place: str = ""
    source_ref: str = ""
    account_enc: str = ""
    parties: list[dict]

    model_config = {"arbitrary_types_allowed": True}


def details_out(case) -> dict | None:
    dispute = Dispute.objects.select_related("type").filter(case=case).first()
    if dispute is None:
        return None
    return {
        "type": dispute.type.name,
        "source": dispute.source,
        "source_label": str(Source(dispute.source).label),
        "risk": dispute.risk,
        "risk_label": str(Risk(dispute.risk).label),
        "summary": dispute.summary,
        "source_ref": dispute.source_ref,
        "parties": dispute.parties.count(),
        "sessions": dispute.sessions.count(),
        "outcome": dispute.outcome,
        "outcome_label": str(Outcome(dispute.outcome).label) if dispute.outcome else "",
        "referred_to": dispute.referred_to,
    }


def by_risk(qs, value):
    if value not in Risk.values:
        raise Invalid(_("Choose one of the options."), details={"f": [value]})
    return qs.filter(dispute__risk=value)


def by_source(qs, value):
    if value not in Source.values:
        raise Invalid(_("Choose one of the options."), details={"f": [value]})
    return qs.filter(dispute__source=value)


class ConcludeIn(VersionIn):
    outcome: str = Field(..., max_length=16, description="settled | failed | withdrawn | referred")
    referred_to: str = Field(
        "", max_length=16, description="court | petition | police | confirmation | subdistrict"
    )
    note: str = Field("", max_length=1000)
    follow_up_on: list[dt.date] = Field(
        default_factory=list,
        max_length=services.MAX_FOLLOW_UPS,
        description="履行回访 dates for a settlement (default: a month and a quarter on)",
    )


def _date_field(label):
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ConcludeForm(ActionForm):
    outcome = forms.ChoiceField(label=pgettext_lazy("dispute", "Outcome"), choices=Outcome.choices)
    referred_to = forms.ChoiceField(
        label=_("Referred to"), choices=[("", "—"), *Referral.choices], required=False
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
    follow_up_1 = _date_field(_("First follow-up (settled; default in a month)"))
    follow_up_2 = _date_field(_("Second follow-up (default in a quarter)"))
    follow_up_3 = _date_field(_("Third follow-up"))


def _conclude_inputs(d, form):
    dates = [d[k] for k in ("follow_up_1", "follow_up_2", "follow_up_3") if d.get(k)]
    return {
        "outcome": d["outcome"], "referred_to": d["referred_to"], "note": d["note"],
        "follow_up_on": dates,
    }  # fmt: skip


def _by_disputes_pages(*, actor, case_id, version=None, note=""):
    raise PermissionDenied(_("Record this on the dispute's page."))


def _own(name, label):
    # A move recorded from disputes' own pages and API (its service calls transition()):
    # in the table and on the timeline, never a form of the case page.
    return Action(
        name,
        label,
        _by_disputes_pages,
        shown=lambda case, pending: False,
        api=False,
        sources=(State.IN_PROGRESS,),
        perm=Perm.CASE_HANDLE,
    )


SESSION = _own(services.SESSION, _("Mediation session"))
DRAFT = _own(services.DRAFT, _("Agreement drafted"))
SIGN = _own(services.SIGN, _("Agreement signed"))
# 履行回访 after the outcome (handled or closed); the service proves the right (the
# dispute's staff or its mediator), so the table's permission is the dispute permission.
FOLLOW_UP = Action(
    services.FOLLOW_UP,
    _("Performance followed up"),
    _by_disputes_pages,
    shown=lambda case, pending: False,
    api=False,
    sources=(State.HANDLED, State.CLOSED),
    perm=perms.VIEW,
)
CONCLUDE = Action(
    services.CONCLUDE,
    _("Record the outcome of mediation"),
    services.mediation_conclude,
    schema=ConcludeIn,
    form=ConcludeForm,
    from_form=_conclude_inputs,
    done=_("The outcome is recorded."),
    primary=True,
    sources=(State.IN_PROGRESS,),
    target=State.HANDLED,
    perm=Perm.CASE_HANDLE,
    guards=(services.settled_needs_agreement,),
    summary="Record the outcome of mediation",
    description="调解结果: settled (needs a signed agreement), failed, withdrawn, referred.",
)

NOT_RECEIVED = (State.REJECTED, State.MERGED)
DISPUTES = Count(
    "disputes",
    _("Disputes registered"),
    "cases",
    lambda now=None: Q(kind=CODE) & ~Q(state__in=NOT_RECEIVED),
    of_case=lambda case: case.kind == CODE and case.state not in NOT_RECEIVED,
)
CONCLUDED = Count(
    "mediations_concluded",
    _("Mediations concluded"),
    "events",
    lambda now=None: Q(action=services.CONCLUDE, data__outcome__in=list(services.CONCLUDING)),
    actions=(services.CONCLUDE,),
)
SETTLED = Count(
    "mediations_settled",
    _("Mediations settled"),
    "events",
    lambda now=None: Q(action=services.CONCLUDE, data__outcome=Outcome.SETTLED),
    actions=(services.CONCLUDE,),
)
SUCCESS_RATE = Rate(
    "mediation_success_rate", _("Mediation success rate"), SETTLED.key, CONCLUDED.key
)

DISPUTE = CaseKind(
    code=CODE,
    label=_("Dispute"),
    detail_model=Dispute,
    details_schema=DisputeDetails,
    create_details=services.create_details,
    details_out=details_out,
    details_template="disputes/_dispute_details.html",
    list_filters={
        "risk": ListFilter(_("Risk"), by_risk),
        "source": ListFilter(_("Source"), by_source),
    },
    reportable=False,
    actions=(SESSION, DRAFT, SIGN, CONCLUDE, FOLLOW_UP),
    assignable=services.may_mediate,
    statistics=(DISPUTES, CONCLUDED, SETTLED, SUCCESS_RATE),
    demo=demo.run,
)
