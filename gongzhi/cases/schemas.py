"""Schemas of the case API: one input per action, the compact case for lists, the full
case with its timeline for the detail. Reporter phones leave only masked; the sealed
value is opened by /reveal-phone alone. Phones and 身份证号 in the free text are masked
too: the title and description are stored masked (/reveal-text opens them as written),
notes, results and reasons are masked here (cases.text)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema

from gongzhi.cases.models import Channel, Urgency
from gongzhi.cases.services.common import MAX_EXTENSION_DAYS
from gongzhi.core.http.schemas import MaskedText
from gongzhi.core.http.types import Id, Lat, Lng, Version, Word

# -- reference data -----------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    description: str
    is_public: bool


class CategoryGroupOut(CategoryOut):
    children: list[CategoryOut]


class QueueOut(Schema):
    key: str
    label: str
    count: int = Field(..., description="Cases in the queue, at most 1000")
    more: bool = Field(..., description="The queue holds more than `count` (counting stops)")


# -- cases ----------------------------------------------------------------------------


class CaseOut(Schema):
    """A case as lists show it."""

    id: int
    number: str
    kind: str
    channel: str
    category_id: int
    category: str = Field(..., description="The category's name")
    category_group: str = Field(..., description="The name of the category's group")
    urgency: str
    title: str
    state: str
    state_label: str
    grid_id: int
    grid: str = Field(..., description="The grid's name")
    org_code: str
    address: str
    reported_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool = Field(..., description="Open, running and past its deadline, now")
    due_soon: bool = Field(..., description="Open, running and in its last share of time, now")
    supervision_level: int = Field(..., description="0 none, 1 跟进办, 2 提级办, 3 高位推")
    escalation_level: int
    is_repeat: bool
    needs_leader_visit: bool
    department: str | None = Field(None, description="The handling department's name")
    reporter_phone_masked: str
    version: int = Field(..., description="Send it back with an action to refuse stale writes")
    handler_id: int | None = Field(None, description="The user handling it, once accepted")

    @staticmethod
    def resolve_category(obj) -> str:
        return obj.category.name

    @staticmethod
    def resolve_category_group(obj) -> str:
        return obj.category.parent.name if obj.category.parent_id else ""

    @staticmethod
    def resolve_state_label(obj) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_grid(obj) -> str:
        return obj.grid.name

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.is_overdue(timezone.now())

    @staticmethod
    def resolve_due_soon(obj) -> bool:
        return obj.is_due_soon(timezone.now())

    @staticmethod
    def resolve_department(obj) -> str | None:
        return obj.department.name if obj.department_id else None


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


def attachment_url(case_id: int, attachment_id: int, *, thumb: bool = False) -> str:
    name = "api:case_attachment_thumb" if thumb else "api:case_attachment"
    return reverse(name, kwargs={"case_id": case_id, "attachment_id": attachment_id})


class AttachmentOut(Schema):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int

    @staticmethod
    def resolve_url(obj) -> str:
        return attachment_url(obj.case_id, obj.pk)

    @staticmethod
    def resolve_thumb_url(obj) -> str:
        return attachment_url(obj.case_id, obj.pk, thumb=True)


class EventOut(Schema):
    """One row of the timeline."""

    at: dt.datetime
    actor_name: str
    action: str
    from_state: str
    to_state: str
    note: MaskedText
    data: dict
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class ActionOut(Schema):
    """An action the caller may take now. Its endpoint is POST /cases/{id}/<action> (with
    "-" for "_"), except verify_pass and verify_fail (/verify with passed), request_extension
    (/extension-requests) and decide_extension (/extension-requests/{request_id}/decide);
    any of them, and a kind's own actions, also as POST /cases/{id}/actions/<action>."""

    action: str = Field(..., description="register, dispatch, verify_pass …")
    label: str


class ExtensionRequestOut(Schema):
    id: int
    case_id: int
    case_number: str
    case_title: str
    days: int
    reason: MaskedText
    status: str
    requested_by: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: MaskedText

    @staticmethod
    def resolve_case_number(obj) -> str:
        return obj.case.number

    @staticmethod
    def resolve_case_title(obj) -> str:
        return obj.case.title

    @staticmethod
    def resolve_requested_by(obj) -> str:
        return obj.requested_by.get_display_name()


class ExtensionRequestPage(Schema):
    items: list[ExtensionRequestOut]
    next_cursor: str | None


class CaseDetailOut(CaseOut):
    """A case with everything: its timeline and what the caller may do with it now."""

    description: str
    observed_at: dt.datetime | None = Field(
        None, description="When the reporter saw it by their phone's clock, if sent later"
    )
    text_masked: bool = Field(
        ...,
        description="The title or description held a phone or ID number, shown masked: "
        "POST /cases/{id}/reveal-text reads them as written (cases.reveal, audited)",
    )
    lng: float | None
    lat: float | None
    building_id: int | None
    reporter_resident_id: int | None
    reporter_name: str
    assignee_code: str = Field(..., description="The community or grid handling it, or empty")
    result: MaskedText
    self_handled: bool
    rework_count: int
    extended_days: int
    supervision_note: MaskedText
    registered_at: dt.datetime | None
    respond_by: dt.datetime | None
    responded_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    accepted_at: dt.datetime | None
    handled_at: dt.datetime | None
    closed_at: dt.datetime | None
    due_soon_at: dt.datetime | None
    suspended_at: dt.datetime | None
    leader_visited_at: dt.datetime | None
    updated_at: dt.datetime
    closed_on_time: bool | None
    callback_at: dt.datetime | None
    callback_solved: bool | None
    callback_rating: str
    repeat_count: int
    repeat_of: str | None = Field(None, description="The number of the earlier case")
    merged_into: str | None = Field(None, description="The number of the case it joined")
    assignee_user_id: int | None = Field(
        None, description="The person handling it (kinds that allow people)"
    )
    details: dict | None = Field(None, description="The kind's own details (kinds that have some)")
    events: list[EventOut] = Field(..., description="The timeline, oldest first")
    actions: list[ActionOut] = Field(..., description="What the caller may do now")
    pending_extension: ExtensionRequestOut | None = None

    # events, actions and pending_extension are read by the API from the caller's view
    # of the case (cases.api.case_detail_out) and set on the object before rendering.
    @staticmethod
    def resolve_text_masked(obj) -> bool:
        return bool(obj.text_enc)

    @staticmethod
    def resolve_events(obj):
        return obj.api_events

    @staticmethod
    def resolve_actions(obj):
        return [{"action": t.action, "label": str(t.label or t.action)} for t in obj.api_actions]

    @staticmethod
    def resolve_details(obj):
        return obj.api_details

    @staticmethod
    def resolve_pending_extension(obj):
        return obj.api_pending_extension

    @staticmethod
    def resolve_repeat_of(obj) -> str | None:
        return obj.repeat_of.number if obj.repeat_of_id else None

    @staticmethod
    def resolve_merged_into(obj) -> str | None:
        return obj.merged_into.number if obj.merged_into_id else None


# -- inputs ---------------------------------------------------------------------------


class CaseIn(Schema):
    """A new case. The place is a point (the grid is found from it), a building, or a grid."""

    category_id: Id
    title: str = Field("", max_length=100)
    description: str = Field("", max_length=2000)
    channel: Word = Field(Channel.GRID_WORKER.value, description=" | ".join(Channel.values))
    urgency: Word = Field(Urgency.NORMAL.value, description=" | ".join(Urgency.values))
    lng: Lng | None = None
    lat: Lat | None = None
    crs: Word = Field("wgs84", description="wgs84 | gcj02 | bd09")
    building_id: Id | None = None
    grid_id: Id | None = None
    address: str = Field("", max_length=200)
    reporter_resident_id: Id | None = None
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=32)
    self_handle: bool = Field(False, description="自行处置: reported and handled on the spot")
    result: str = Field("", max_length=2000, description="With self_handle: what was done")
    kind: str = Field("general", max_length=32, description="The kind of case (GET /cases/kinds)")
    details: dict | None = Field(
        None, max_length=50, description="The kind's own details, by its schema"
    )
    observed_at: dt.datetime | None = Field(
        None,
        description="When the reporter saw it by the phone's clock (a report queued offline "
        "arrives later): within the last week; deadlines run from the receipt",
    )


class VersionIn(Schema):
    version: Version | None = Field(None, description="The version the caller saw")


class NoteIn(VersionIn):
    note: str = Field("", max_length=1000)


class ReasonIn(VersionIn):
    reason: str = Field(..., max_length=1000)


class RegisterIn(NoteIn):
    category_id: Id | None = Field(None, description="Correct the category while registering")
    urgency: Word | None = None
    grid_id: Id | None = Field(None, description="Correct the grid (a grid in your area)")


class DispatchIn(NoteIn):
    department_id: Id | None = Field(None, description="A department, or …")
    unit_id: Id | None = Field(None, description="… the community or grid the case is in")
    user_id: Id | None = Field(None, description="… or a person (kinds that allow people)")


class ProgressForm(VersionIn):
    note: str = Field(..., max_length=1000)


class HandleForm(VersionIn):
    result: str = Field(..., max_length=2000)


class VerifyIn(NoteIn):
    passed: bool


class CallbackIn(NoteIn):
    solved: bool
    rating: Word = Field(..., description="satisfied | basically | unsatisfied")


class SuperviseIn(NoteIn):
    level: int = Field(..., ge=0, le=3, description="0 lifts it, 1 跟进办, 2 提级办, 3 高位推")


class ExtensionIn(VersionIn):
    days: int = Field(..., ge=1, le=MAX_EXTENSION_DAYS, description="Working days")
    reason: str = Field(..., max_length=1000)


class DecideIn(VersionIn):
    approve: bool
    note: str = Field("", max_length=1000)


class MergeIn(NoteIn):
    target_id: Id


class PhoneOut(Schema):
    phone: str


class TextOut(Schema):
    """A case's title and description as written."""

    title: str
    description: str


class ListFilterOut(Schema):
    name: str
    label: str


class KindOut(Schema):
    """A kind of case: its actions beyond the loop's and the filters its lists take."""

    code: str
    label: str
    reportable: bool
    actions: list[ActionOut]
    filters: list[ListFilterOut]
