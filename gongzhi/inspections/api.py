"""Inspections over the API, mounted at /api/v1/inspections (registered in
InspectionsConfig.ready(); the api app assembles it with the others).

    GET  /templates                        checklists with their current items
    POST /templates                        a new checklist (inspections.templates)
    POST /templates/{id}                   edit: a new version; past results keep theirs
    GET  /campaigns                        campaigns the caller sees
    POST /campaigns                        a campaign over an area (inspections.manage)
    GET  /campaigns/{id}                   a campaign, its rounds and progress
    POST /campaigns/{id}/rounds            the next round, with its tasks
    POST /rounds/{id}/generate             make the tasks still missing (idempotent)
    GET  /tasks?lng=&lat=                  the caller's tasks to do, nearest first
    GET  /tasks/{id}                       a task, its checklist and result
    POST /tasks/{id}/result                record an inspection (JSON)
    POST /tasks/{id}/result-with-photos    the same, multipart, with photos
    GET  /notices?overdue=true             open (or overdue) rectification notices
    GET  /notices/{id}                     a notice;  GET /notices/{id}/pdf  the A4 PDF
    POST /hazards/{case_id}/serve          serve the open notice, signed with photos
    GET  /map/premises?unit=&bbox=         premises by their last result (a map layer)
    GET  /map/risk-points?unit=&bbox=      risk points, and their reports under an alert

A hazard case's notice is issued, served (refused, as JSON) and handed to enforcement
through the case loop: POST /cases/{id}/actions/issue_notice | serve_notice |
escalate_notice.

Errors: 404 not_found (also outside the caller's area), 403 forbidden, 400 invalid
(field errors in `details`, e.g. `answers.<key>`), 409 already_inspected /
campaign_closed / client_id_taken.
"""

import datetime as dt
import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.cases.api import PHOTOS, case_detail_out
from gongzhi.cases.schemas import CaseDetailOut
from gongzhi.command.map_api import LayerOut
from gongzhi.core import xlsx
from gongzhi.core.errors import Invalid
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit, Text, UnitCode, Version
from gongzhi.core.permissions import can
from gongzhi.inspections import maplayers, notices, perms, printing, risk, selectors, services
from gongzhi.inspections.models import InspectionResult, InspectionTask, Outcome

router = Router(tags=["inspections"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class ChecklistItemIO(Schema):
    key: str = Field("", max_length=40)
    text: str = Field(..., max_length=200)
    answer: str = Field("pass_fail", max_length=16)
    required: bool = True
    photo_on_fail: bool = True
    severity: str = Field("medium", max_length=8)
    category: str = Field("", max_length=16)
    basis: str = Field("", max_length=200)
    min: float | None = Field(None, ge=-1e9, le=1e9)
    max: float | None = Field(None, ge=-1e9, le=1e9)


class ChecklistIn(Schema):
    name: str = Field(..., max_length=50)
    category_ids: list[Id] = Field(..., min_length=1, max_length=50)
    case_category_id: Id
    items: list[ChecklistItemIO] = Field(..., min_length=1, max_length=60)


class ChecklistOut(Schema):
    id: int
    name: str
    category_ids: list[int]
    case_category_id: int
    is_active: bool
    version: int
    items: list[ChecklistItemIO]


def template_out(template) -> dict:
    version = template.current
    return {
        "id": template.pk,
        "name": template.name,
        "category_ids": [c.pk for c in template.categories.all()],
        "case_category_id": template.case_category_id,
        "is_active": template.is_active,
        "version": version.number if version else 0,
        "items": version.items if version else [],
    }


def _save(request, payload: ChecklistIn, template_id=None):
    data = payload.dict()
    data["items"] = [{k: v for k, v in i.items() if v is not None} for i in data["items"]]
    return template_out(services.template_save(actor=request.auth, template_id=template_id, **data))


@router.get("/templates", response={200: list[ChecklistOut], **ERRORS})
def template_list(request):
    """The checklists, each with the items of its current version."""
    if not can(request.auth, perms.VIEW):
        return []
    return [template_out(t) for t in selectors.templates()]


@router.post("/templates", response={201: ChecklistOut, **ERRORS})
def template_create(request, payload: ChecklistIn):
    """A new checklist for some premises categories (one active checklist a category)."""
    return Status(201, _save(request, payload))


@router.post("/templates/{template_id}", response={200: ChecklistOut, **ERRORS})
def template_update(request, template_id: Id, payload: ChecklistIn):
    """Edit a checklist: its items become a new version; results keep the one they used."""
    return _save(request, payload, template_id)


# -- campaigns -------------------------------------------------------------------------


class CampaignPhaseIO(Schema):
    name: str = Field(..., max_length=30)
    start: dt.date
    end: dt.date


class InspectionCampaignIn(Schema):
    unit_code: str = Field(..., max_length=21)
    name: str = Field(..., max_length=100)
    starts_on: dt.date
    ends_on: dt.date
    category_ids: list[Id] = Field(..., min_length=1, max_length=50)
    phases: list[CampaignPhaseIO] = Field([], max_length=12)


class InspectionFiguresOut(Schema):
    key: str
    label: str
    tasks: int = Field(..., description="premises to inspect")
    inspected: int
    hazards: int = Field(..., description="hazard cases found")
    on_time: int = Field(..., description="hazards rectified by the first notice's deadline")
    open_notices: int = Field(..., description="notices still being rectified")
    reinspected: int = Field(..., description="re-inspections done")
    passed: int = Field(..., description="re-inspections passed")
    percent: float = Field(..., description="inspected / tasks, in %")
    pass_rate: float | None = Field(..., description="passed / reinspected, in %")


class InspectionRoundOut(Schema):
    id: int
    number: int
    starts_on: dt.date
    due_on: dt.date
    generated_at: dt.datetime | None
    figures: InspectionFiguresOut | None = None


class InspectionCampaignOut(Schema):
    id: int
    name: str
    unit_code: str
    starts_on: dt.date
    ends_on: dt.date
    state: str
    category_ids: list[int]
    phases: list[CampaignPhaseIO]


class InspectionCampaignDetailOut(InspectionCampaignOut):
    rounds: list[InspectionRoundOut]
    by_grid: list[InspectionFiguresOut]
    by_category: list[InspectionFiguresOut]


def campaign_out(campaign) -> dict:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "unit_code": campaign.unit_code,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "state": campaign.state,
        "category_ids": [c.pk for c in campaign.categories.all()],
        "phases": campaign.phases,
    }


def _figures(f) -> dict:
    return {**vars(f), "percent": f.percent, "pass_rate": f.pass_rate}


def campaign_detail_out(user, campaign, round_number=None) -> dict:
    p = selectors.progress(user, campaign, round_number=round_number)
    rounds = [
        {
            "id": r.pk,
            "number": r.number,
            "starts_on": r.starts_on,
            "due_on": r.due_on,
            "generated_at": r.generated_at,
            "figures": _figures(f),
        }
        for r, f in p.rounds
    ]
    return {
        **campaign_out(campaign),
        "rounds": rounds,
        "by_grid": [_figures(f) for f in p.by_grid],
        "by_category": [_figures(f) for f in p.by_category],
    }


@router.get("/campaigns", response={200: list[InspectionCampaignOut], **ERRORS})
def campaign_list(request):
    """The campaigns over the caller's area or a part of it, newest first."""
    return [campaign_out(c) for c in selectors.campaigns_visible_to(request.auth)[:200]]


@router.post("/campaigns", response={201: InspectionCampaignDetailOut, **ERRORS})
def campaign_create(request, payload: InspectionCampaignIn):
    """整治行动: an area, a period, the premises categories, optional phases."""
    data = payload.dict()
    campaign = services.campaign_create(actor=request.auth, **data)
    return Status(201, campaign_detail_out(request.auth, campaign))


@router.get("/campaigns/{campaign_id}", response={200: InspectionCampaignDetailOut, **ERRORS})
def campaign_detail(request, campaign_id: Id, round: int | None = Query(None, ge=1, le=1000)):
    """The campaign, every round's figures, and one round's (the latest by default) per
    grid and per category, within the caller's area."""
    campaign = selectors.campaign_for(request.auth, campaign_id)
    return campaign_detail_out(request.auth, campaign, round)


class InspectionRoundIn(Schema):
    starts_on: dt.date
    due_on: dt.date


@router.post("/campaigns/{campaign_id}/rounds", response={201: InspectionRoundOut, **ERRORS})
def round_create(request, campaign_id: Id, payload: InspectionRoundIn):
    """The next round (第N轮): a task for each open premises of the campaign's area and
    categories, for the workers of its grid."""
    r = services.round_add(actor=request.auth, campaign_id=campaign_id, **payload.dict())
    return Status(201, {**vars(r), "id": r.pk, "figures": None})


class TasksGeneratedOut(Schema):
    made: int


@router.post("/rounds/{round_id}/generate", response={200: TasksGeneratedOut, **ERRORS})
def round_generate(request, round_id: Id):
    """Make the tasks still missing (premises added since): safe to repeat."""
    return {"made": services.round_generate(actor=request.auth, round_id=round_id)}


# -- tasks -----------------------------------------------------------------------------


class TaskPremisesOut(Schema):
    id: int
    name: str
    category: str
    address: str
    lng: float | None
    lat: float | None


class InspectionTaskOut(Schema):
    id: int
    campaign_id: Id | None
    campaign: str
    round: int | None
    premises: TaskPremisesOut
    org_code: str
    due_on: dt.date
    state: str
    overdue: bool
    reinspects_id: int | None
    distance_m: float | None = None


class InspectionResultOut(Schema):
    id: int
    client_id: str
    outcome: str
    passed: bool
    answers: dict
    failed_keys: list[str]
    note: str
    inspector: str
    device_at: dt.datetime | None
    received_at: dt.datetime
    lng: float | None
    lat: float | None
    hazard_case_id: Id | None
    hazard_case_number: str | None
    version: int


class InspectionTaskDetailOut(InspectionTaskOut):
    template: str
    version: int
    items: list[ChecklistItemIO]
    result: InspectionResultOut | None


def task_out(task: InspectionTask, *, overdue=False, distance=None) -> dict:
    p = task.premises
    campaign = task.round.campaign if task.round_id else None
    return {
        "id": task.pk,
        "campaign_id": campaign.pk if campaign else None,
        "campaign": campaign.name if campaign else _("Re-inspection"),
        "round": task.round.number if task.round_id else None,
        "premises": {
            "id": p.pk,
            "name": p.name,
            "category": p.category.name,
            "address": p.address,
            "lng": p.lng,
            "lat": p.lat,
        },
        "org_code": task.org_code,
        "due_on": task.due_on,
        "state": task.state,
        "overdue": overdue,
        "reinspects_id": task.reinspects_id,
        "distance_m": round(distance, 1) if distance is not None else None,
    }


def result_out(result: InspectionResult | None) -> dict | None:
    if result is None:
        return None
    return {
        "id": result.pk,
        "client_id": result.client_id,
        "outcome": result.outcome,
        "passed": result.passed,
        "answers": result.answers,
        "failed_keys": result.failed_keys,
        "note": result.note,
        "inspector": result.inspector.get_display_name(),
        "device_at": result.device_at,
        "received_at": result.received_at,
        "lng": result.lng,
        "lat": result.lat,
        "hazard_case_id": result.hazard_id,
        "hazard_case_number": result.hazard.number if result.hazard_id else None,
        "version": result.version.number,
    }


def task_detail_out(task: InspectionTask) -> dict:
    result = selectors.result_of(task)
    version = result.version if result else services.version_for(task)
    return {
        **task_out(task),
        "template": task.template.name,
        "version": version.number,
        "items": services.items_for(task, version),
        "result": result_out(result),
    }


@router.get("/tasks", response={200: list[InspectionTaskOut], **ERRORS})
def task_todo(
    request,
    lng: float | None = Query(None, ge=-180, le=180),
    lat: float | None = Query(None, ge=-90, le=90),
):
    """The open tasks the caller may inspect (their round has begun), nearest first when
    `lng`/`lat` (WGS-84) are given, else the earliest due first; at most 500."""
    rows = selectors.todo(request.auth, lng=lng, lat=lat)
    return [task_out(t.task, overdue=t.overdue, distance=t.distance_m) for t in rows]


@router.get("/tasks/{task_id}", response={200: InspectionTaskDetailOut, **ERRORS})
def task_detail(request, task_id: Id):
    """A task, the checklist items to answer (a re-inspection: the failed ones only), and
    its result once recorded."""
    return task_detail_out(selectors.task_for(request.auth, task_id))


class InspectionResultIn(Schema):
    client_id: str = Field(..., min_length=1, max_length=64)
    outcome: Outcome = Outcome.INSPECTED
    answers: dict = Field(default_factory=dict)
    note: str = Field("", max_length=500)
    device_at: dt.datetime | None = None
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)


RESULT_DOC = (
    "`client_id` is made by the phone once per submission (e.g. a UUID): sending it again "
    "answers 200 with the result it made, so an offline phone may resend safely. "
    "`answers` maps each item key to `{value, note}`: pass_fail values are `pass`, `fail` "
    "or `na`. The first submission of a task wins; a later one is 409 already_inspected."
)


def _submit(request, task_id, data: dict, photos=None):
    result, created = services.task_submit(
        actor=request.auth, task_id=task_id, photos=photos, **data
    )
    task = selectors.task_for(request.auth, result.task_id)
    return Status(201 if created else 200, task_detail_out(task))


@router.post(
    "/tasks/{task_id}/result",
    response={200: InspectionTaskDetailOut, 201: InspectionTaskDetailOut, **ERRORS},
    description=RESULT_DOC,
)
def task_result(request, task_id: Id, payload: InspectionResultIn):
    """Record an inspection without photos."""
    return _submit(request, task_id, payload.dict())


class InspectionResultForm(Schema):
    payload: str = Field(..., max_length=100_000)


@router.post(
    "/tasks/{task_id}/result-with-photos",
    response={200: InspectionTaskDetailOut, 201: InspectionTaskDetailOut, 413: ErrorOut, **ERRORS},
    description=RESULT_DOC
    + " Multipart: `payload` is the JSON of /result; each failed item's photo is the file "
    "field `photo_<key>`.",
)
def task_result_with_photos(request, task_id: Id, form: Form[InspectionResultForm]):
    """Record an inspection with a photo for each failed item."""
    try:
        data = InspectionResultIn.model_validate(json.loads(form.payload)).dict()
    except (ValueError, TypeError, RecursionError) as exc:
        raise Invalid(_("The payload is not valid JSON of a result."), code="invalid") from exc
    photos = {
        name.removeprefix("photo_"): f
        for name, f in request.FILES.items()
        if name.startswith("photo_")
    }
    return _submit(request, task_id, data, photos)


# -- notices ---------------------------------------------------------------------------


class RectificationNoticeOut(Schema):
    id: int
    number: str
    hazard_case_id: Id
    hazard_case_number: str
    premises_id: int
    premises: str
    seq: int
    items: list[dict]
    days: int
    deadline: dt.date
    overdue: bool
    issuer_name: str
    issuer_unit: str
    issued_at: dt.datetime
    service: str
    served_at: dt.datetime | None
    state: str
    closed_at: dt.datetime | None


def notice_out(n) -> dict:
    from django.utils import timezone

    return {
        "id": n.pk,
        "number": n.number,
        "hazard_case_id": n.hazard_id,
        "hazard_case_number": n.hazard.number,
        "premises_id": n.premises_id,
        "premises": n.premises.name,
        "seq": n.seq,
        "items": n.items,
        "days": n.days,
        "deadline": n.deadline,
        "overdue": n.state == "open" and n.deadline < timezone.localdate(),
        "issuer_name": n.issuer_name,
        "issuer_unit": n.issuer_unit,
        "issued_at": n.issued_at,
        "service": n.service,
        "served_at": n.served_at,
        "state": n.state,
        "closed_at": n.closed_at,
    }


class RectificationNoticePage(Schema):
    items: list[RectificationNoticeOut]
    next_cursor: str | None


def notice_row_out(row: dict) -> dict:
    """A notice of selectors.notices_page (a plain row) as the API shows notices."""
    return {
        **{k: row[k] for k in RectificationNoticeOut.model_fields if k in row},
        "hazard_case_id": row["hazard_id"],
        "hazard_case_number": row["hazard__number"],
        "premises": row["premises__name"],
    }


@router.get("/notices", response={200: RectificationNoticePage, **ERRORS})
def notice_list(
    request, overdue: bool = False, limit: Limit | None = None, cursor: Cursor | None = None
):
    """The open rectification notices in the caller's area (`overdue=true`: past their
    deadline), the earliest deadline first, a keyset page at a time (`next_cursor`)."""
    rows, next_cursor = selectors.notices_page(
        request.auth, overdue=overdue, cursor=cursor, limit=limit
    )
    return {"items": [notice_row_out(r) for r in rows], "next_cursor": next_cursor}


@router.get("/notices/xlsx", response={200: None, **ERRORS})
def notices_xlsx(request, overdue: bool = False):
    """The open (or overdue) rectification notices as a workbook."""
    from gongzhi.inspections import exports

    return xlsx.response(exports.notices_workbook(request.auth, overdue=overdue), "notices.xlsx")


@router.get("/notices/{notice_id}", response={200: RectificationNoticeOut, **ERRORS})
def notice_detail(request, notice_id: Id):
    return notice_out(selectors.notice_for(request.auth, notice_id))


@router.get("/notices/{notice_id}/pdf", response={200: None, **ERRORS})
def notice_pdf(request, notice_id: Id):
    """The notice as an A4 PDF, with a QR code of the case's page."""
    from django.urls import reverse

    notice = selectors.notice_for(request.auth, notice_id)
    url = request.build_absolute_uri(reverse("case_detail", args=[notice.hazard_id]))
    response = HttpResponse(printing.notice_pdf(notice, url), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    return response


class NoticeServeForm(Schema):
    service: str = Field(..., max_length=8)
    note: str = Field("", max_length=1000)
    version: Version | None = None


@router.post(
    "/hazards/{case_id}/serve",
    response={200: CaseDetailOut, 413: ErrorOut, **ERRORS},
)
def hazard_serve(
    request, case_id: Id, form: Form[NoticeServeForm], photos: list[UploadedFile] = PHOTOS
):
    """送达 the open notice (multipart): `service` signed (with the photo of the signed
    notice under `photos`) or refused (with a note of how it was served)."""
    case = notices.notice_serve(
        actor=request.auth, case_id=case_id, version=form.version, service=form.service,
        note=form.note, photos=photos or (),
    )  # fmt: skip
    return case_detail_out(request.auth, case)


# -- risk points and alerts ------------------------------------------------------------


class RiskPersonOut(Schema):
    id: int
    name: str


class RiskPointIn(Schema):
    grid_id: Id
    name: str = Field(..., max_length=100)
    kind: str = Field(..., max_length=10)
    leader_id: Id
    community_person_id: Id
    address: str = Field("", max_length=200)
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    season_start: int = Field(6, ge=1, le=12)
    season_end: int = Field(9, ge=1, le=12)


class RiskPointOut(Schema):
    id: int
    name: str
    kind: str
    org_code: str
    address: str
    lng: float | None
    lat: float | None
    leader: RiskPersonOut
    community_person: RiskPersonOut
    season_start: int
    season_end: int
    is_active: bool


def point_out(p) -> dict:
    return {
        **{k: getattr(p, k) for k in ("id", "name", "kind", "org_code", "address", "lng", "lat",
                                      "season_start", "season_end", "is_active")},
        "leader": {"id": p.leader_id, "name": p.leader.get_display_name()},
        "community_person": {
            "id": p.community_person_id, "name": p.community_person.get_display_name()
        },
    }  # fmt: skip


@router.get("/risk-points", response={200: list[RiskPointOut], **ERRORS})
def risk_point_list(request):
    """The risk points (防汛隐患点 …) in the caller's area, with their people."""
    return [point_out(p) for p in risk.points_visible_to(request.auth)[:1000]]


@router.post("/risk-points", response={201: RiskPointOut, **ERRORS})
def risk_point_create(request, payload: RiskPointIn):
    """Register a point with its 分包领导 and community person (users of the subdistrict)."""
    return Status(201, point_out(risk.point_save(actor=request.auth, **payload.dict())))


class AlertIn(Schema):
    unit_code: str = Field(..., max_length=21)
    title: str = Field(..., max_length=100)
    level: str = Field("", max_length=10)
    message: str = Field("", max_length=500)
    report_minutes: int = Field(60, ge=risk.MIN_MINUTES, le=risk.MAX_MINUTES)


class BoardRowOut(Schema):
    point: RiskPointOut
    duty: list[ChecklistItemIO]
    status: str | None
    note: str
    answers: dict
    reporter: str | None
    reported_at: dt.datetime | None
    late: bool
    case_id: Id | None


class AlertOut(Schema):
    id: int
    title: str
    level: str
    unit_code: str
    message: str
    declared_at: dt.datetime
    report_by: dt.datetime
    closed_at: dt.datetime | None
    points: int
    reported: int
    missing: int
    board: list[BoardRowOut]


def alert_out(user, alert) -> dict:
    rows = risk.board(user, alert)
    return {
        **{k: getattr(alert, k) for k in ("id", "title", "level", "unit_code", "message",
                                          "declared_at", "report_by", "closed_at")},
        "points": len(rows),
        "reported": sum(1 for r in rows if r.report),
        "missing": sum(1 for r in rows if not r.report),
        "board": [
            {
                "point": point_out(r.point),
                "duty": risk.duty_items(r.point),
                "status": r.report.status if r.report else None,
                "note": r.report.note if r.report else "",
                "answers": r.report.answers if r.report else {},
                "reporter": r.report.reporter.get_display_name() if r.report else None,
                "reported_at": r.report.reported_at if r.report else None,
                "late": r.late,
                "case_id": r.report.case_id if r.report else None,
            }
            for r in rows
        ],
    }  # fmt: skip


@router.post("/alerts", response={201: AlertOut, **ERRORS})
def alert_create(request, payload: AlertIn):
    """Declare an alert (e.g. 暴雨预警) over an area: the people of every point in season
    are told, and each point must report within `report_minutes`."""
    alert = risk.alert_declare(actor=request.auth, **payload.dict())
    return Status(201, alert_out(request.auth, alert))


@router.get("/alerts/{alert_id}", response={200: AlertOut, **ERRORS})
def alert_detail(request, alert_id: Id):
    """The alert board: every point in the caller's area, who has not reported first."""
    return alert_out(request.auth, risk.alert_for(request.auth, alert_id))


class AlertReportIn(Schema):
    status: str = Field(..., max_length=8)
    note: str = Field("", max_length=500)
    answers: dict = Field(
        default_factory=dict,
        max_length=60,
        description="The point's duty checklist, when it has one: key -> value or "
        "{value, note} (as an inspection's answers; no photos). A failed item makes the "
        "report a problem.",
    )


@router.post("/alerts/{alert_id}/points/{point_id}/report", response={201: AlertOut, **ERRORS})
def alert_point_report(request, alert_id: Id, point_id: Id, payload: AlertReportIn):
    """A point's report: `checked` or `problem` (with what; it becomes an urgent case).
    Once a point: a second report is 409 already_reported."""
    risk.alert_report(actor=request.auth, alert_id=alert_id, point_id=point_id, **payload.dict())
    return Status(201, alert_out(request.auth, risk.alert_for(request.auth, alert_id)))


@router.get("/campaigns/{campaign_id}/xlsx", response={200: None, **ERRORS})
def campaign_xlsx(request, campaign_id: Id):
    """The campaign's report as a workbook: per round, per grid and category of each
    round, and every task with its outcome (what the caller may see)."""
    from gongzhi.inspections import exports

    campaign = selectors.campaign_for(request.auth, campaign_id)
    return xlsx.response(exports.campaign_workbook(request.auth, campaign), "campaign.xlsx")


# -- map layers (the command center's map; core.manifest.MapLayer) -----------------------

MAP_UNIT = Query(..., description="Org unit code in the caller's command-center area")
MAP_BBOX = Query(..., description="west,south,east,north (WGS-84 degrees)")


@router.get(
    "/map/premises",
    response={200: LayerOut, **ERRORS},
    url_name="inspections_map_premises",
)
def map_premises(request, unit: UnitCode = MAP_UNIT, bbox: Text[100] = MAP_BBOX):
    """Premises in the box coloured by their latest inspection (at most 500 points)."""
    return maplayers.premises_points(request.auth, unit, bbox)


@router.get(
    "/map/risk-points",
    response={200: LayerOut, **ERRORS},
    url_name="inspections_map_risk_points",
)
def map_risk_points(request, unit: UnitCode = MAP_UNIT, bbox: Text[100] = MAP_BBOX):
    """Risk points in the box: their reports under an open alert, else their season."""
    return maplayers.risk_points(request.auth, unit, bbox)
