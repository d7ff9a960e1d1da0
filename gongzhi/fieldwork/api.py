"""Fieldwork over the API, mounted at /api/v1/fieldwork (FieldworkConfig.ready()).

    GET  /my-tasks                          the caller's open tasks, their grid's progress
    POST /tasks/{id}/reports                a report on a task (client_id: 201, then 200)
    POST /tasks/{id}/reports/with-photo     the same, multipart, the photo under `photo`
    GET  /tasks                             the tasks of the caller's area (keyset)
    POST /tasks                             send a task (fieldwork.assign)
    GET  /tasks/{id}                        one task and its progress per grid
    POST /tasks/{id}/cancel                 call it off
    GET  /log?month=&worker=                a worker's month, day by day (工作日志)
    POST /log/note                          today's note
    GET  /summary?unit=&month=              the monthly summary per worker (考核)

Errors: 404 not_found (also outside the caller's area), 403 forbidden, 400 invalid (the
fields in `details`) or invalid_image, 409 task_cancelled / client_id_taken.
"""

import datetime as dt

from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Lat, Limit, Lng, Text, UnitCode, Word
from gongzhi.fieldwork import selectors, services, worklog
from gongzhi.fieldwork.models import TaskReport

router = Router(tags=["fieldwork"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class MyTaskOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    deadline: dt.datetime
    grid_id: int
    grid_name: str
    target: int
    done: int


@router.get("/my-tasks", response={200: list[MyTaskOut], **ERRORS})
def my_tasks(request):
    """The caller's open tasks, one row a grid of theirs (at most 200), the soonest
    deadline first; `done` is that grid's progress (confirmations, cases or the sum of
    the numbers reported)."""
    return [
        {
            "id": t.task_id,
            "title": t.task.title,
            "description": t.task.description,
            "kind": t.task.kind,
            "deadline": t.task.deadline,
            "grid_id": t.grid_id,
            "grid_name": t.grid.name,
            "target": t.target,
            "done": t.done,
        }
        for t in selectors.my_targets(request.auth)
    ]


class ReportIn(Schema):
    client_id: Text[64]
    grid_id: Id
    note: Text[500] = ""
    count: int | None = Field(None, ge=1, le=services.MAX_TARGET)
    case_id: Id | None = None
    observed_at: dt.datetime | None = None
    lng: Lng | None = None
    lat: Lat | None = None


class ReportOut(Schema):
    id: int
    task_id: int
    grid_id: int
    client_id: str
    amount: int
    count: int | None
    note: str
    case_id: int | None
    has_photo: bool
    observed_at: dt.datetime | None
    received_at: dt.datetime
    lng: float | None
    lat: float | None


def report_out(r: TaskReport) -> dict:
    return {
        "id": r.pk,
        "task_id": r.task_id,
        "grid_id": r.target.grid_id,
        "client_id": r.client_id,
        "amount": r.amount,
        "count": r.count,
        "note": r.note,
        "case_id": r.case_id,
        "has_photo": bool(r.photo),
        "observed_at": r.observed_at,
        "received_at": r.received_at,
        "lng": r.lng,
        "lat": r.lat,
    }


REPORT_DESCRIPTION = (
    "`client_id` is made by the phone once a submission (e.g. a UUID): the same one again "
    "answers 200 with the report it made, also when two arrive at once; used for another "
    "task it is 409 client_id_taken. A confirm task takes a note (and a photo); a report "
    "task takes `case_id`, a case the caller reported in that grid; a count task takes "
    "`count`. `observed_at` is the device's time (kept apart from `received_at`, refused "
    "more than 5 minutes ahead)."
)


@router.post(
    "/tasks/{task_id}/reports",
    response={200: ReportOut, 201: ReportOut, **ERRORS},
    description=REPORT_DESCRIPTION,
)
def report_create(request, task_id: Id, payload: ReportIn):
    report, created = services.task_report(actor=request.auth, task_id=task_id, **payload.dict())
    return Status(201 if created else 200, report_out(report))


class ReportForm(Schema):
    client_id: Text[64]
    grid_id: Id
    note: Text[500] = ""
    count: Text[10] = ""
    case_id: Text[20] = ""
    observed_at: Text[40] = ""
    lng: Text[30] = ""
    lat: Text[30] = ""


@router.post(
    "/tasks/{task_id}/reports/with-photo",
    response={200: ReportOut, 201: ReportOut, 413: ErrorOut, **ERRORS},
    description="The same as POST …/reports, multipart: its fields as form fields, the "
    "photo a file field `photo`. " + REPORT_DESCRIPTION,
)
def report_create_with_photo(
    request, task_id: Id, form: Form[ReportForm], photo: File[UploadedFile] = None
):
    report, created = services.task_report(
        actor=request.auth, task_id=task_id, photo=photo, **form.dict()
    )
    return Status(201 if created else 200, report_out(report))


class TaskOut(Schema):
    id: int
    org_code: str
    title: str
    description: str
    kind: str
    state: str
    deadline: dt.datetime
    created_at: dt.datetime
    created_by: str
    grids: int
    completed: int


def task_out(t) -> dict:
    return {
        "id": t.pk,
        "org_code": t.org_code,
        "title": t.title,
        "description": t.description,
        "kind": t.kind,
        "state": t.state,
        "deadline": t.deadline,
        "created_at": t.created_at,
        "created_by": t.created_by.get_display_name(),
        "grids": t.grids,
        "completed": t.completed,
    }


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


@router.get("/tasks", response={200: TaskPage, **ERRORS})
def task_list(request, limit: Limit | None = None, cursor: Cursor | None = None):
    """The tasks sent to grids of the caller's area, newest first; `grids` and `completed`
    count the grids the caller sees."""
    rows, next_cursor = keyset_page(
        selectors.task_list(request.auth).select_related("created_by"),
        ordering=["-created_at", "-id"],
        cursor=cursor,
        limit=limit or 50,
    )
    return {"items": [task_out(t) for t in rows], "next_cursor": next_cursor}


class TargetIn(Schema):
    grid_id: Id
    target: int = Field(..., ge=1, le=services.MAX_TARGET)


class TaskIn(Schema):
    title: Text[100]
    description: Text[2000] = ""
    kind: Word = Field(..., description="confirm | report | count")
    deadline: dt.datetime
    targets: list[TargetIn] = Field(..., max_length=services.MAX_GRIDS)


@router.post("/tasks", response={201: TaskOut, **ERRORS})
def task_create(request, payload: TaskIn):
    """Send a task to the grid workers of chosen grids of the caller's area."""
    task = services.task_create(
        actor=request.auth,
        title=payload.title,
        description=payload.description,
        kind=payload.kind,
        deadline=payload.deadline,
        targets=[(t.grid_id, t.target) for t in payload.targets],
    )
    return Status(201, task_out(selectors.task_list(request.auth).get(pk=task.pk)))


class GridProgressOut(Schema):
    grid_id: int
    grid_name: str
    org_code: str
    target: int
    done: int
    completed_at: dt.datetime | None
    late: bool
    reported_by: list[str]


class TaskDetailOut(TaskOut):
    cancelled_at: dt.datetime | None
    cancel_reason: str
    progress: list[GridProgressOut]


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, **ERRORS})
def task_detail(request, task_id: Id):
    """One task and its progress on each grid the caller sees: done / target, when the
    target was reached, late (reached after the deadline, or not by a deadline passed),
    who reported."""
    return _detail(request.auth, task_id)


def _detail(user, task_id) -> dict:
    task = selectors.task_for(user, task_id)
    board = selectors.board(user, task)
    task.grids, task.completed = board["grids"], board["completed"]
    return {
        **task_out(task),
        "cancelled_at": task.cancelled_at,
        "cancel_reason": task.cancel_reason,
        "progress": [
            {
                "grid_id": r["grid_id"],
                "grid_name": r["grid_name"],
                "org_code": r["org_code"],
                "target": r["target_value"],
                "done": r["done"],
                "completed_at": r["completed_at"],
                "late": r["late"],
                "reported_by": r["who"],
            }
            for r in board["rows"]
        ],
    }


class CancelIn(Schema):
    reason: Text[200] = ""


@router.post("/tasks/{task_id}/cancel", response={200: TaskDetailOut, **ERRORS})
def task_cancel(request, task_id: Id, payload: CancelIn):
    services.task_cancel(actor=request.auth, task_id=task_id, reason=payload.reason)
    return _detail(request.auth, task_id)


class EntryOut(Schema):
    kind: str
    label: str
    at: dt.datetime
    text: str
    minutes: int


class WorkDayOut(Schema):
    day: dt.date
    minutes: int
    note: str
    entries: list[EntryOut]


class LogOut(Schema):
    worker_id: int
    worker: str
    month: str
    attendance_days: int
    counts: dict[str, float]
    days: list[WorkDayOut]


@router.get("/log", response={200: LogOut, **ERRORS})
def log(request, month: Text[7] = "", worker: Id | None = None):
    """A worker's month day by day, from the records (the caller's own, or a grid worker
    of the caller's fieldwork.assess area), with the day's note. `month`: 2026-12."""
    year, number = worklog.month_of(month)
    who = worklog.worker_for(request.auth, worker)
    data = worklog.day_by_day(who, year, number)
    return {
        "worker_id": who.pk,
        "worker": who.get_display_name(),
        "month": f"{year}-{number:02d}",
        "attendance_days": data["attendance"],
        "counts": data["counts"],
        "days": [
            {
                "day": d["day"],
                "minutes": d["minutes"],
                "note": d["note"],
                "entries": [
                    {
                        "kind": e["entry"].kind,
                        "label": e["label"],
                        "at": e["entry"].at,
                        "text": e["entry"].text,
                        "minutes": e["entry"].minutes,
                    }
                    for e in d["entries"]
                ],
            }
            for d in data["days"]
        ],
    }


class WorkNoteIn(Schema):
    text: Text[500]


class WorkNoteOut(Schema):
    day: dt.date
    text: str
    updated_at: dt.datetime


@router.post("/log/note", response={200: WorkNoteOut, **ERRORS})
def note_save(request, payload: WorkNoteIn):
    """Today's note of the caller's work log (a past day's cannot change)."""
    return services.note_save(actor=request.auth, text=payload.text)


class WorkRateOut(Schema):
    part: int
    whole: int
    percent: float | None


class WorkerSummaryOut(Schema):
    worker_id: int
    worker: str
    grids: str
    counts: dict[str, float]
    attendance: WorkRateOut
    rest_days: int
    tasks_on_time: WorkRateOut


class SummaryOut(Schema):
    unit: str
    month: str
    working_days: int
    workers: list[WorkerSummaryOut]


class SummaryQuery(Schema):
    unit: UnitCode
    month: Text[7] = ""


@router.get("/summary", response={200: SummaryOut, **ERRORS})
def summary(request, q: Query[SummaryQuery]):
    """The month of each grid worker of a unit, from the records (考核): patrols and
    patrol_hours, cases, tasks (reports), care (visits), inspections; attendance = working
    days with any record, of the working days so far (rest_days: days off with a record);
    tasks_on_time = their grids' tasks due this month done by the deadline, of those due."""
    year, number = worklog.month_of(q.month)
    data = worklog.summary(request.auth, q.unit, year, number)
    return {
        "unit": data["unit"].code,
        "month": f"{year}-{number:02d}",
        "working_days": data["working_days"],
        "workers": [
            {
                "worker_id": r["user_id"],
                "worker": r["name"],
                "grids": r["units"],
                "counts": r["counts"],
                "attendance": r["attendance"],
                "rest_days": r["rest_days"],
                "tasks_on_time": r["tasks_on_time"],
            }
            for r in data["rows"]
        ],
    }
