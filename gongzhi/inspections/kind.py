"""The hazard kind of case (隐患): what an inspection's failed items become. It comes in
only through an inspection (not the report form), carries the premises, the task and the
failed items as its details, and is handled by the one case loop."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from gongzhi.cases.actions import Action
from gongzhi.cases.forms import ActionForm, PhotosField
from gongzhi.cases.kinds import CaseKind, ListFilter
from gongzhi.cases.models import OPEN_STATES, State
from gongzhi.cases.schemas import NoteIn
from gongzhi.core.errors import Invalid, PermissionDenied
from gongzhi.core.http.forms import parse_id
from gongzhi.core.manifest import Count, Rate
from gongzhi.inspections import checklists, demo, notices, perms
from gongzhi.inspections.models import HazardDetail, NoticeService, NoticeState, Severity

CODE = "hazard"


class HazardItem(Schema):
    key: str = Field(..., max_length=40)
    text: str = Field(..., max_length=200)
    severity: str = Field(..., max_length=8)
    note: str = Field("", max_length=200)
    basis: str = Field("", max_length=200)


class HazardIn(Schema):
    premises_id: int
    task_id: int
    items: list[HazardItem] = Field(..., min_length=1, max_length=60)
    severity: str = Field(..., max_length=8)


def create_details(*, case, details: HazardIn, actor):
    HazardDetail.objects.create(
        case=case,
        premises_id=details.premises_id,
        task_id=details.task_id,
        items=[i.dict() for i in details.items],
        severity=details.severity,
    )


def details_out(case) -> dict | None:
    detail = HazardDetail.objects.select_related("premises").filter(case=case).first()
    if detail is None:
        return None
    return {
        "premises_id": detail.premises_id,
        "premises": detail.premises.name,
        "task_id": detail.task_id,
        "severity": detail.severity,
        "severity_label": str(Severity(detail.severity).label),
        "items": detail.items,
        "failed_reinspections": notices.failures(case),
        "notices": [
            {
                "id": n.pk,
                "number": n.number,
                "seq": n.seq,
                "deadline": n.deadline.isoformat(),
                "state": n.state,
                "state_label": str(NoticeState(n.state).label),
                "served": n.service,
                "items": [i["key"] for i in n.items],
            }
            for n in case.rectification_notices.order_by("seq")
        ],
    }


def by_severity(qs, value):
    if value not in Severity.values:
        raise Invalid(_("Choose one of the options."), details={"f": [value]})
    return qs.filter(hazard__severity=value)


def by_premises(qs, value):
    premises_id = parse_id(value)
    if premises_id is None:
        raise Invalid(_("Choose one of the options."), details={"f": [value]})
    return qs.filter(hazard__premises_id=premises_id)


class NoticeIssueIn(NoteIn):
    days: int = Field(notices.DEFAULT_DAYS, ge=notices.MIN_DAYS, le=notices.MAX_DAYS)


class NoticeForm(ActionForm):
    days = forms.IntegerField(
        label=_("Working days to rectify"),
        min_value=notices.MIN_DAYS,
        max_value=notices.MAX_DAYS,
        initial=notices.DEFAULT_DAYS,
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class NoticeServeIn(NoteIn):
    service: NoticeService


class ServeForm(ActionForm):
    service = forms.ChoiceField(
        label=_("Served"), choices=NoticeService.choices, widget=forms.RadioSelect
    )
    photos = PhotosField(capture=True, label=_("Photo of the signed notice"))
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class EscalateForm(ActionForm):
    note = forms.CharField(label=_("Handed to whom, and why"), max_length=1000)


def _no_open_notice(case, pending) -> bool:
    return notices.open_notice(case) is None


def _open_unserved(case, pending) -> bool:
    notice = notices.open_notice(case)
    return notice is not None and notice.served_at is None


def _open(case, pending) -> bool:
    return notices.open_notice(case) is not None


LIVE = (State.REPORTED, *(s for s in OPEN_STATES if s != State.HANDLED))
ISSUE = Action(
    "issue_notice",
    _("Issue a rectification notice"),
    notices.notice_issue,
    schema=NoticeIssueIn,
    form=NoticeForm,
    done=_("The rectification notice is issued: print it and serve it."),
    primary=True,
    shown=_no_open_notice,
    sources=LIVE,
    perm=perms.INSPECT,
    summary="Issue a rectification notice",
    description="整改通知书: the hazard's failed items, a deadline in working days.",
)
SERVE = Action(
    "serve_notice",
    _("Serve the notice"),
    notices.notice_serve,
    schema=NoticeServeIn,
    form=ServeForm,
    done=_("The notice is recorded as served."),
    shown=_open_unserved,
    sources=LIVE,
    perm=perms.INSPECT,
    summary="Serve the notice",
    description="送达: signed for (with a photo: POST /inspections/hazards/{id}/serve) or refused.",
)
ESCALATE = Action(
    "escalate_notice",
    _("Hand to enforcement"),
    notices.notice_escalate,
    form=EscalateForm,
    done=_("The notice is handed to enforcement."),
    shown=_open,
    sources=LIVE,
    perm=perms.MANAGE,
    summary="Hand the notice to enforcement",
    description="移交执法: closes the open notice explicitly (执法中队, 市场监管, 消防).",
)


def _by_reinspection_only(*, actor, case_id, version=None, note=""):
    raise PermissionDenied(_("A re-inspection records this itself."))


# The re-inspection's own timeline row, written as a system move (notices.reinspected)
# so the rollups count it like any action; nobody takes it by hand.
REINSPECTED = Action(
    "reinspected",
    _("Re-inspected"),
    _by_reinspection_only,
    shown=lambda case, pending: False,
    api=False,
    sources=(State.REPORTED, *OPEN_STATES),
    perm=perms.INSPECT,
)

NOT_RECEIVED = (State.REJECTED, State.MERGED)
HAZARDS = Count(
    "hazards",
    _("Hazards found"),
    "cases",
    lambda now=None: Q(kind=CODE) & ~Q(state__in=NOT_RECEIVED),
    of_case=lambda case: case.kind == CODE and case.state not in NOT_RECEIVED,
)
REINSPECTIONS = Count(
    "reinspections",
    _("Re-inspections"),
    "events",
    lambda now=None: Q(action="reinspected"),
    actions=("reinspected",),
)
REINSPECTIONS_PASSED = Count(
    "reinspections_passed",
    _("Re-inspections passed"),
    "events",
    lambda now=None: Q(action="reinspected", data__passed=True),
    actions=("reinspected",),
)
REINSPECTION_RATE = Rate(
    "reinspection_pass_rate",
    _("Re-inspection pass rate"),
    REINSPECTIONS_PASSED.key,
    REINSPECTIONS.key,
)

HAZARD = CaseKind(
    code=CODE,
    label=_("Safety hazard"),
    detail_model=HazardDetail,
    details_schema=HazardIn,
    create_details=create_details,
    details_out=details_out,
    details_template="inspections/_hazard_details.html",
    list_filters={
        "severity": ListFilter(_("Severity"), by_severity),
        "premises": ListFilter(_("Premises"), by_premises),
    },
    reportable=False,
    actions=(ISSUE, SERVE, ESCALATE, REINSPECTED),
    event_labels={
        "issue_notice": _("Rectification notice issued"),
        "serve_notice": _("Notice served"),
        "escalate_notice": _("Handed to enforcement"),
        "reinspected": _("Re-inspected"),
    },
    guards={"verify_pass": (notices.verified_only_after_reinspection,)},
    statistics=(HAZARDS, REINSPECTIONS, REINSPECTIONS_PASSED, REINSPECTION_RATE),
    max_photos=checklists.MAX_ITEMS,  # a photo for each failed item
    demo=demo.run,
)
