"""The hazard kind of case (隐患): what an inspection's failed items become. It comes in
only through an inspection (not the report form), carries the premises, the task and the
failed items as its details, and is handled by the one case loop."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from gongzhi.cases.kinds import CaseKind, ListFilter
from gongzhi.cases.models import State
from gongzhi.core.errors import Invalid
from gongzhi.core.manifest import Count
from gongzhi.inspections import demo
from gongzhi.inspections.models import HazardDetail, Severity

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
    }


def by_severity(qs, value):
    if value not in Severity.values:
        raise Invalid(_("Choose one of the options."), details={"f": [value]})
    return qs.filter(hazard__severity=value)


def by_premises(qs, value):
    if not str(value).isdigit():
        raise Invalid(_("Choose one of the options."), details={"f": [value]})
    return qs.filter(hazard__premises_id=int(value))


NOT_RECEIVED = (State.REJECTED, State.MERGED)
HAZARDS = Count(
    "hazards",
    _("Hazards found"),
    "cases",
    lambda now=None: Q(kind=CODE) & ~Q(state__in=NOT_RECEIVED),
    of_case=lambda case: case.kind == CODE and case.state not in NOT_RECEIVED,
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
    statistics=(HAZARDS,),
    demo=demo.run,
)
