"""Patrols over the API, mounted at /api/v1/patrols (registered in PatrolsConfig.ready()).

    GET  /                              the patrols of the caller's area (keyset)
    POST /                              start a patrol (patrols.patrol)
    POST /{id}/checkpoints              a checkpoint visited; with a category, a case
    POST /{id}/track                    a part of the GPS track
    GET  /{id}/track                    the whole track
    POST /{id}/end                      end it (its length and area worked out)

A phone sends each item with its own `client_id` and the time it recorded it: the same
item sent again (a lost reply, a retry after a basement) answers 200 with what was stored
the first time instead of 201, and stores nothing more.
    GET  /months?unit=&start=&end=      patrols a month and kind (夜间巡逻 N 次)

Errors: 404 not_found (also outside the caller's area), 403 forbidden, 400 invalid,
409 patrol_ended.
"""

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.dates import parse_period, period_bounds
from gongzhi.core.errors import NotFound
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, DayText, Id, Lat, Limit, Lng, Text, UnitCode, Word
from gongzhi.core.permissions import can
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols import perms, selectors, services, track

router = Router(tags=["patrols"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class PatrolOut(Schema):
    id: int
    org_code: str
    kind: str
    patrollers: str
    people: int
    route: list[str]
    source: str
    source_key: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    note: str
    client_id: str
    received_at: dt.datetime | None
    length_m: float | None
    area_m2: float | None
    track_points: int


class PatrolPage(Schema):
    items: list[PatrolOut]
    next_cursor: str | None


@router.get("/", response={200: PatrolPage, **ERRORS})
def patrol_list(request, kind: Word = "", limit: Limit | None = None, cursor: Cursor | None = None):
    rows, next_cursor = keyset_page(
        selectors.visible(request.auth).filter(**({"kind": kind} if kind else {})),
        ordering=["-started_at", "-id"],
        cursor=cursor,
        limit=limit or 50,
    )
    return {"items": rows, "next_cursor": next_cursor}


class PatrolIn(Schema):
    unit: UnitCode
    kind: Word = "grid"
    route: list[Text[50]] = Field(default_factory=list, max_length=30)
    patrollers: Text[200] = ""
    people: int = Field(1, ge=1, le=500)
    client_id: Text[64] = Field("", description="the phone's id of this item (retry-safe)")
    started_at: dt.datetime | None = Field(None, description="when it started on the phone")


def _stored(row):
    """201 for what this request stored, 200 for what an earlier send of it stored."""
    return Status(200 if getattr(row, "replayed", False) else 201, row)


@router.post("/", response={200: PatrolOut, 201: PatrolOut, **ERRORS})
def patrol_start(request, payload: PatrolIn):
    data = payload.dict()
    return _stored(services.patrol_start(actor=request.auth, unit_code=data.pop("unit"), **data))


class PatrolPointIn(Schema):
    name: Text[50]
    lng: Lng | None = None
    lat: Lat | None = None
    note: Text[500] = ""
    category_id: Id | None = Field(None, description="a finding: the case's category")
    grid_id: Id | None = None
    client_id: Text[64] = ""
    at: dt.datetime | None = Field(None, description="when it was visited on the phone")


class PatrolPointOut(Schema):
    id: int
    name: str
    at: dt.datetime
    lng: float | None
    lat: float | None
    note: str
    case_id: int | None
    client_id: str
    received_at: dt.datetime | None


@router.post(
    "/{patrol_id}/checkpoints", response={200: PatrolPointOut, 201: PatrolPointOut, **ERRORS}
)
def checkpoint(request, patrol_id: Id, payload: PatrolPointIn):
    """A checkpoint visited; with a category, what was seen becomes a case (channel 巡查)."""
    return _stored(
        services.patrol_checkpoint(actor=request.auth, patrol_id=patrol_id, **payload.dict())
    )


# [unix seconds, longitude, latitude]: bounded here, checked against the patrol's time and
# the Earth by the service (with a message in Chinese).
TrackNumber = Annotated[float, Field(ge=-1e11, le=1e11)]
TrackPoint = Annotated[list[TrackNumber], Field(min_length=3, max_length=3)]


class TrackIn(Schema):
    client_id: Text[64]
    points: list[TrackPoint] = Field(
        ...,
        max_length=track.MAX_PART_POINTS,
        description="[[unix seconds, longitude, latitude], …] (WGS-84), at most 2,000",
    )


class TrackOut(Schema):
    id: int
    client_id: str
    received_at: dt.datetime


@router.post("/{patrol_id}/track", response={200: TrackOut, 201: TrackOut, **ERRORS})
def track_add(request, patrol_id: Id, payload: TrackIn):
    """A part of the patrol's GPS track, once by its `client_id`."""
    return _stored(
        services.patrol_track(
            actor=request.auth,
            patrol_id=patrol_id,
            client_id=payload.client_id,
            points=payload.points,
        )
    )


@router.get("/{patrol_id}/track", response={200: list[list[float]], **ERRORS})
def track_get(request, patrol_id: Id):
    """The whole track in time order: [[unix seconds, longitude, latitude], …]."""
    return services.track_of(selectors.patrol_detail(request.auth, patrol_id))


class PatrolEndIn(Schema):
    note: Text[500] = ""
    ended_at: dt.datetime | None = Field(None, description="when it ended on the phone")


@router.post("/{patrol_id}/end", response={200: PatrolOut, **ERRORS})
def patrol_end(request, patrol_id: Id, payload: PatrolEndIn):
    """End it; the same end sent again by the leader's phone answers the ended patrol."""
    return services.patrol_end(actor=request.auth, patrol_id=patrol_id, **payload.dict())


class PatrolMonthsQuery(Schema):
    unit: UnitCode
    start: DayText
    end: DayText
    kind: Word = ""


class PatrolMonthOut(Schema):
    month: dt.date
    kind: str
    patrols: int


@router.get("/months", response={200: list[PatrolMonthOut], **ERRORS})
def months(request, q: Query[PatrolMonthsQuery]):
    """Patrols started a month and kind in the period (夜间巡逻 N 次), from the records."""
    start, end = parse_period(q.start, q.end)
    unit = OrgUnit.objects.filter(code=q.unit).first()
    if unit is None or not can(request.auth, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    lo, hi = period_bounds(start, end)
    rows = selectors.monthly_counts(
        request.auth, unit_code=unit.code, start=lo, end=hi, kind=q.kind
    )
    return [
        {
            "month": r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"],
            "kind": r["kind"],
            "patrols": r["patrols"],
        }
        for r in rows
    ]
