"""Residents' decisions over the API, mounted at /api/v1/decide (registered in
DecideConfig.ready(); the api app assembles it with the others).

    GET  /polls                          polls of the caller's area, newest first (keyset)
    POST /polls                          a poll or an election (draft; decide.manage)
    GET  /polls/{id}                     the poll; its result only once closed
    POST /polls/{id}/open                freeze the electorate and open (decide.manage)
    POST /polls/{id}/ballots             a paper ballot or a show of hands (decide.run)
    POST /polls/{id}/close               close, count, publish; an election writes the roles
    GET  /polls/{id}/result              409 results_hidden until closed
    GET  /topics                         the deliberation board: topics with their resolutions
    POST /topics                         raise a topic (decide.propose)
    POST /topics/{id}/resolutions        a resolution with owner and deadline (decide.run)
    POST /resolutions/{id}/progress      a progress entry; `done` only this way (decide.run)
    GET  /surveys/{id}/results           counts per question, 满意率 with its denominator
    POST /surveys/{id}/responses         an answer (anonymous with a token; idempotent by
                                         submission_id)
    POST /board                          propose a red or black board entry (decide.propose)
    POST /notices                        a notice to an area, optionally by SMS (decide.manage)
    POST /outreach                       a policy session with its attendance (decide.run)

Errors: 404 not_found (also outside the caller's area), 403 forbidden, 400 invalid /
not_eligible, 409 already_voted / poll_closed / results_hidden / already_answered.
"""

import datetime as dt

from ninja import Field, Router, Schema

from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit, Text, Word
from gongzhi.decide import selectors, services
from gongzhi.decide.models import Poll, Survey

router = Router(tags=["decide"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class DecidePollOut(Schema):
    id: int
    org_code: str
    building_id: int | None
    title: str
    kind: str
    electorate: str
    role: str
    seats: int
    max_choices: int
    state: str
    closes_at: dt.datetime
    electorate_size: int
    options: list[dict]

    @staticmethod
    def resolve_options(obj):
        return [{"id": o.pk, "label": o.label} for o in obj.options.all()]


class DecidePollPage(Schema):
    items: list[DecidePollOut]
    next_cursor: str | None


@router.get("/polls", response={200: DecidePollPage, **ERRORS})
def poll_list(request, limit: Limit | None = None, cursor: Cursor | None = None):
    """Polls of the caller's area, newest first; no results here (see /result)."""
    qs = selectors.visible(Poll, request.auth).prefetch_related("options")
    rows, next_cursor = keyset_page(qs, ordering=["-id"], cursor=cursor, limit=limit)
    return {"items": rows, "next_cursor": next_cursor}


class DecidePollIn(Schema):
    title: Text[100]
    kind: str = Field(..., max_length=10)
    electorate: str = Field(..., max_length=12)
    closes_at: dt.datetime
    unit_id: Id | None = None
    building_id: Id | None = None
    options: list[Text[100]] = Field(default_factory=list, max_length=30)
    candidate_ids: list[Id] = Field(default_factory=list, max_length=30)
    role: str = Field("", max_length=16)
    seats: int = Field(1, ge=1, le=5)
    max_choices: int = Field(1, ge=1, le=30)
    description: Text[2000] = ""


@router.post("/polls", response={200: DecidePollOut, **ERRORS})
def poll_create(request, payload: DecidePollIn):
    """A poll of households or adult residents of a building or unit, or an election of
    楼栋长 / 信息员 / 宣传员 (role head / informant / publicist) with candidates."""
    return services.poll_create(actor=request.auth, **payload.dict())


@router.get("/polls/{poll_id}", response={200: DecidePollOut, **ERRORS})
def poll_get(request, poll_id: Id):
    return selectors.one(Poll, request.auth, poll_id)


@router.post("/polls/{poll_id}/open", response={200: DecidePollOut, **ERRORS})
def poll_open(request, poll_id: Id):
    """Freeze the electorate from the registry (stored rows) and open the poll."""
    return services.poll_open(actor=request.auth, poll_id=poll_id)


class DecideBallotIn(Schema):
    voter_id: Id
    option_ids: list[Id] = Field(..., min_length=1, max_length=30)
    channel: str = Field("paper", max_length=8)


class DecideBallotOut(Schema):
    id: int
    channel: str
    cast_at: dt.datetime


@router.post("/polls/{poll_id}/ballots", response={200: DecideBallotOut, **ERRORS})
def ballot_enter(request, poll_id: Id, payload: DecideBallotIn):
    """A paper ballot or a show of hands for one frozen voter (409 already_voted when the
    voter has a ballot by any channel)."""
    return services.ballot_enter(actor=request.auth, poll_id=poll_id, **payload.dict())


@router.post("/polls/{poll_id}/close", response={200: DecidePollOut, **ERRORS})
def poll_close(request, poll_id: Id):
    return services.poll_close(actor=request.auth, poll_id=poll_id)


@router.get("/polls/{poll_id}/result", response={200: dict, **ERRORS})
def poll_result(request, poll_id: Id):
    """Ballots, electorate, turnout (with its denominator), votes per option, winners;
    409 results_hidden while the poll is open."""
    return selectors.poll_result(selectors.one(Poll, request.auth, poll_id))


class DecideResolutionOut(Schema):
    id: int
    text: str
    owner: str
    deadline: dt.date
    state: str
    progress: int
    done_at: dt.datetime | None
    case_id: int | None


class DecideTopicOut(Schema):
    id: int
    org_code: str
    title: str
    state: str
    raised_by_kind: str
    created_at: dt.datetime
    resolutions: list[DecideResolutionOut] = []


@router.get("/topics", response={200: list[DecideTopicOut], **ERRORS})
def topic_board(request, state: Word | None = None):
    """The deliberation board of the caller's area: the latest 200 topics."""
    return selectors.board(request.auth, state=state)


class DecideTopicIn(Schema):
    title: Text[100]
    description: Text[2000] = ""
    unit_id: Id | None = None
    building_id: Id | None = None


@router.post("/topics", response={200: DecideTopicOut, **ERRORS})
def topic_raise(request, payload: DecideTopicIn):
    return services.topic_raise(actor=request.auth, **payload.dict())


class DecideMeetingIn(Schema):
    unit_id: Id
    kind: Word = Field(..., description="council | coordination | hearing | courtyard")
    title: Text[100]
    starts_at: dt.datetime
    ends_at: dt.datetime | None = Field(None, description="required with room_id")
    place: Text[100] = Field("", description="required without room_id")
    room_id: Id | None = Field(None, description="a room of the unit's community, booked")
    topic_ids: list[Id] = Field(default_factory=list, max_length=50)
    invitee_ids: list[Id] = Field(default_factory=list, max_length=500)


class DecideMeetingOut(Schema):
    id: int
    org_code: str
    kind: str
    title: str
    starts_at: dt.datetime
    place: str
    booking_id: int | None
    held: bool


@router.post("/meetings", response={200: DecideMeetingOut, **ERRORS})
def meeting_schedule(request, payload: DecideMeetingIn):
    """议事会 / 协调会 / 恳谈会 / 坝坝会 of a unit: at a place, or in a room of its
    community booked for it (409 `clash` names the booking in the way; nothing is made)."""
    return services.meeting_schedule(actor=request.auth, **payload.dict())


class DecideMeetingRecordIn(Schema):
    minutes: Text[10000]
    attendee_ids: list[Id] = Field(default_factory=list, max_length=500)


@router.post("/meetings/{meeting_id}/record", response={200: DecideMeetingOut, **ERRORS})
def meeting_record(request, meeting_id: Id, payload: DecideMeetingRecordIn):
    """The minutes and who came (each registered attendee may earn the meeting's points)."""
    return services.meeting_record(actor=request.auth, meeting_id=meeting_id, **payload.dict())


class DecideResolutionIn(Schema):
    text: Text[2000]
    owner: Text[50]
    deadline: dt.date
    meeting_id: Id | None = None


@router.post("/topics/{topic_id}/resolutions", response={200: DecideResolutionOut, **ERRORS})
def resolution_add(request, topic_id: Id, payload: DecideResolutionIn):
    return services.resolution_add(actor=request.auth, topic_id=topic_id, **payload.dict())


class DecideProgressIn(Schema):
    percent: int = Field(..., ge=0, le=100)
    note: Text[500]
    done: bool = False


@router.post("/resolutions/{resolution_id}/progress", response={200: DecideResolutionOut, **ERRORS})
def resolution_progress(request, resolution_id: Id, payload: DecideProgressIn):
    """A progress entry; with `done` it closes the resolution (the only way)."""
    return services.resolution_progress(
        actor=request.auth, resolution_id=resolution_id, **payload.dict()
    )


@router.get("/surveys/{survey_id}/results", response={200: dict, **ERRORS})
def survey_results(request, survey_id: Id):
    """Counts per option (per row of a matrix), ratings and their mean, responses, and
    满意率 as {part, whole, percent}."""
    return selectors.survey_results(selectors.one(Survey, request.auth, survey_id))


class DecideResponseIn(Schema):
    submission_id: str = Field(..., min_length=1, max_length=64)
    token: str = Field("", max_length=64)
    answers: dict[str, Id | list[Id] | dict[str, Id] | Text[1000]] = Field(..., max_length=100)


class DecideResponseOut(Schema):
    id: int
    created: bool


@router.post("/surveys/{survey_id}/responses", response={200: DecideResponseOut, **ERRORS})
def survey_respond(request, survey_id: Id, payload: DecideResponseIn):
    """An anonymous survey's answer with its token (a paper form typed in, a kiosk). The
    same submission_id again returns the stored response (created false)."""
    response, created = services.survey_submit(
        survey_id=survey_id,
        answers=payload.answers,
        submission_id=payload.submission_id,
        token=payload.token,
    )
    return {"id": response.pk, "created": created}


class DecideBoardIn(Schema):
    unit_id: Id
    color: str = Field(..., max_length=5)
    title: Text[100]
    text: Text[2000]
    basis: Text[200]
    place: Text[100] = ""
    identifies_person: bool = False
    consent: Text[200] = ""
    basis_case_id: Id | None = None


class DecideBoardOut(Schema):
    id: int
    org_code: str
    color: str
    title: str
    state: str


@router.post("/board", response={200: DecideBoardOut, **ERRORS})
def board_propose(request, payload: DecideBoardIn):
    """A red or black board entry, proposed; a black entry that identifies a person needs
    `consent` (400 invalid otherwise)."""
    return services.board_propose(actor=request.auth, **payload.dict())


class DecideNoticeIn(Schema):
    title: Text[100]
    body: Text[2000]
    unit_id: Id | None = None
    building_id: Id | None = None
    sms: bool = False


class DecideNoticeOut(Schema):
    id: int
    org_code: str
    title: str
    sms_sent: int
    published_at: dt.datetime


@router.post("/notices", response={200: DecideNoticeOut, **ERRORS})
def notice_publish(request, payload: DecideNoticeIn):
    """A notice to a unit's or a building's residents (shown in /my/decide/, read counts
    per phone); `sms` also texts their registered mobiles (decide.manage)."""
    return services.notice_publish(actor=request.auth, **payload.dict())


class DecideOutreachIn(Schema):
    unit_id: Id
    kind: str = Field(..., max_length=8)
    topic: Text[100]
    held_on: dt.date
    attendance: int = Field(..., ge=0, le=100000)
    place: Text[100] = ""


class DecideOutreachOut(Schema):
    id: int
    org_code: str
    kind: str
    topic: str
    held_on: dt.date
    attendance: int


@router.post("/outreach", response={200: DecideOutreachOut, **ERRORS})
def outreach_record(request, payload: DecideOutreachIn):
    """A policy session, a door-to-door explanation or a legal-education session with its
    attendance (decide.run): "法治宣传 N 场次，覆盖 M 人次" is counted from these."""
    return services.outreach_record(actor=request.auth, **payload.dict())
