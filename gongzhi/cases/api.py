"""The case loop over the API: the lists (queues), a case with its timeline, intake (with an
Idempotency-Key, and with photos), one endpoint per action, extension requests, the
reporter's phone (audited) and the photos themselves (scoped, never public media).

Every action answers with the case as the caller now sees it, `version` included: send
that version with the next action and a change made by someone else in between is
refused with 409 "stale" instead of being overwritten.
"""

import re
from functools import wraps

from django.db.models import Prefetch, Q
from django.http import FileResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.decorators import decorate_view
from ninja.errors import ValidationError
from pydantic import ValidationError as PydanticValidationError

from gongzhi.cases import actions, selectors, services
from gongzhi.cases.kinds import get_kind, kinds
from gongzhi.cases.models import Case, CaseAttachment, Category, RequestStatus
from gongzhi.cases.schemas import (
    CaseDetailOut,
    CaseIn,
    CasePage,
    CategoryGroupOut,
    DecideIn,
    ExtensionIn,
    ExtensionRequestOut,
    ExtensionRequestPage,
    KindOut,
    NoteIn,
    PhoneOut,
    QueueOut,
    TextOut,
)
from gongzhi.core.errors import NotFound
from gongzhi.core.http.guard import json_object
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, Id, Limit, Search, Text, UnitCode, Word
from gongzhi.core.images import MAX_UPLOAD_BYTES

router = Router(tags=["cases"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
UPLOAD_ERRORS = {**ERRORS, 413: ErrorOut}
# Nine photos at the largest size each may have, plus the form fields around them.
MAX_MULTIPART_BYTES = services.MAX_PHOTOS * MAX_UPLOAD_BYTES + 1024 * 1024
KIND_FILTERS = Query(
    None, max_length=10, description="A kind's list filter, name:value (repeatable)"
)
PHOTOS = File(None, max_length=services.MAX_PHOTOS, description="Up to 9 photos (JPEG or PNG)")
CASE_NUMBER = re.compile(r"SJ\d{14}")
CASE_NUMBER_PREFIX = re.compile(r"SJ\d{1,13}")


# -- helpers ---------------------------------------------------------------------------


def case_detail_out(user, case: Case, *, new: bool = False, photos: bool = True) -> Case:
    """`case` with what the detail adds for `user`: its timeline, the actions `user` may
    take now and the extension request waiting for a decision (a fixed number of queries,
    however long the timeline; a case created by this request has no request to read,
    nor attachments to read when it came without `photos`)."""
    case.api_events = selectors.timeline(case, attachments=photos or not new)
    case.api_details = get_kind(case.kind).details(case)
    case.api_actions = actions.transitions_available(case, user)
    case.api_pending_extension = (
        None
        if new
        else case.extension_requests.filter(status=RequestStatus.PENDING)
        .select_related("requested_by")
        .first()
    )
    return case


def refuse_oversized(run):
    """413 from the declared Content-Length, before the body is read."""

    @wraps(run)
    def inner(request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_MULTIPART_BYTES:
            message = _("The upload is too large: at most %(n)d photos of %(mb)d MB each.") % {
                "n": services.MAX_PHOTOS,
                "mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            }
            body = {"code": "too_large", "message": message, "details": None}
            return JsonResponse(body, status=413)
        return run(request, *args, **kwargs)

    return inner


# -- reference data and lists ----------------------------------------------------------


@router.get("/categories", response={200: list[CategoryGroupOut], **ERRORS})
def category_list(request):
    """The active taxonomy: groups (市容环境, 矛盾纠纷 …) and their categories."""
    return list(
        Category.objects.filter(is_active=True, parent__isnull=True).prefetch_related(
            Prefetch("children", queryset=Category.objects.filter(is_active=True))
        )
    )


@router.get("/kinds", response={200: list[KindOut], **ERRORS})
def kind_list(request):
    """The kinds of case, with their own actions and list filters."""
    return [
        {
            "code": k.code,
            "label": str(k.label),
            "reportable": k.reportable,
            "actions": [{"action": a.name, "label": str(a.label)} for a in k.actions],
            "filters": [{"name": n, "label": str(x.label)} for n, x in k.list_filters.items()],
        }
        for k in kinds()
    ]


@router.get("/queues", response={200: list[QueueOut], **ERRORS})
def queue_list(request):
    """The lists that matter to the caller's roles, most urgent first, with their sizes."""
    keys = selectors.queues_for(request.auth)
    counts = selectors.queue_counts(request.auth, keys)
    cap = selectors.COUNT_CAP
    return [
        {
            "key": k,
            "label": str(selectors.QUEUES[k].label),
            "count": min(counts[k], cap),
            "more": counts[k] > cap,
        }
        for k in keys
    ]


@router.get("", response={200: CasePage, **ERRORS})
def case_list(
    request,
    queue: Word = "all",
    within: UnitCode | None = None,
    q: Search | None = None,
    kind: Word | None = None,
    f: list[Text[100]] = KIND_FILTERS,
    limit: Limit | None = None,
    cursor: Cursor | None = None,
):
    """One queue (see /cases/queues) in the caller's area, in the queue's order; `within`
    narrows it to an org unit, `q` finds a case number (or its beginning) or words of the
    title or address, `kind` to one kind of case and `f` by that kind's filters."""
    qs, spec = selectors.queue(request.auth, queue, within=(within or "").strip())
    qs = selectors.of_kind(qs, kind, f or ())
    text = (q or "").strip()
    if CASE_NUMBER.fullmatch(text.upper()):
        qs = qs.filter(number=text.upper())
    elif CASE_NUMBER_PREFIX.fullmatch(text.upper()):
        qs = qs.filter(number__startswith=text.upper())
    elif text:
        qs = qs.filter(Q(title__contains=text) | Q(address__contains=text))
    rows, next_cursor = keyset_page(
        selectors.for_list(qs), ordering=spec.ordering, cursor=cursor, limit=limit
    )
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/extension-requests", response={200: ExtensionRequestPage, **ERRORS})
def extension_request_list(request, limit: Limit | None = None, cursor: Cursor | None = None):
    """Pending extension requests on the cases the caller decides on, newest first."""
    rows, next_cursor = keyset_page(
        selectors.extension_requests_visible_to(request.auth),
        ordering=("-requested_at", "-id"),
        cursor=cursor,
        limit=limit,
    )
    return {"items": rows, "next_cursor": next_cursor}


@router.post(
    "/extension-requests/{request_id}/decide", response={200: ExtensionRequestOut, **ERRORS}
)
def extension_request_decide(request, request_id: Id, payload: DecideIn):
    """Approve (the deadline moves by the working days asked) or refuse (with a note)."""
    return services.case_decide_extension(
        actor=request.auth, request_id=request_id, **payload.dict()
    )


# -- intake ----------------------------------------------------------------------------

IDEMPOTENCY_DOC = (
    "Send an `Idempotency-Key` header (at most 64 printable ASCII characters, new for each "
    "report) to make a retry safe: the first request answers 201 with the new case, the "
    "same request resent with the same key by the same user answers 200 with that same "
    "case, and the same key with a different request answers 422 `idempotency_conflict` "
    "and stores nothing. A timeout, a lost connection or a 5xx (503 `unavailable` with "
    "`Retry-After` while the database is out of reach) does not mean the report was not "
    "stored: resend the same request with the same key until it answers 200 or 201."
)
INTAKE_ERRORS = {422: ErrorOut, 503: ErrorOut}


def _report(request, fields: dict, photos=()) -> Status:
    case, created = services.case_report(
        actor=request.auth,
        idempotency_key=request.headers.get("Idempotency-Key"),
        photos=photos or (),
        **fields,
    )
    out = case_detail_out(request.auth, case, new=created, photos=bool(photos))
    return Status(201 if created else 200, out)


@router.post(
    "",
    response={200: CaseDetailOut, 201: CaseDetailOut, **ERRORS, **INTAKE_ERRORS},
    description=IDEMPOTENCY_DOC,
)
def case_create(request, payload: CaseIn):
    """Report a problem (JSON; photos go through /cases/with-photos)."""
    return _report(request, payload.dict())


@router.post(
    "/with-photos",
    response={200: CaseDetailOut, 201: CaseDetailOut, **UPLOAD_ERRORS, **INTAKE_ERRORS},
    description=IDEMPOTENCY_DOC,
)
@decorate_view(refuse_oversized)
def case_create_with_photos(request, payload: Form[CaseIn], photos: list[UploadedFile] = PHOTOS):
    """Report a problem with up to 9 photos (multipart/form-data, files under `photos`).
    Photos are checked, turned upright and stored without EXIF or GPS data."""
    return _report(request, payload.dict(), photos)


# -- one case --------------------------------------------------------------------------


@router.get("/{case_id}", response={200: CaseDetailOut, **ERRORS})
def case_detail(request, case_id: Id):
    """The case, its timeline with photos, and the actions the caller may take now."""
    return case_detail_out(request.auth, selectors.case_for(request.auth, case_id))


def _done(request, case: Case) -> Case:
    return case_detail_out(request.auth, case)


# -- actions: one endpoint per action of the catalogue (cases.actions) --------------------


def _json_endpoint(action: actions.Action):
    def endpoint(request, case_id: Id, payload: action.schema):
        data = payload.dict()
        version = data.pop("version", None)
        return _done(
            request, action.run(actor=request.auth, case_id=case_id, version=version, **data)
        )

    return endpoint


def _photo_endpoint(action: actions.Action):
    @decorate_view(refuse_oversized)
    def endpoint(
        request,
        case_id: Id,
        payload: Form[action.schema],
        photos: list[UploadedFile] = PHOTOS,
    ):
        data = payload.dict()
        version = data.pop("version", None)
        case = action.run(
            actor=request.auth, case_id=case_id, version=version, photos=photos or (), **data
        )
        return _done(request, case)

    return endpoint


for _action in actions.CORE:
    if not _action.api:
        continue
    _make = _photo_endpoint if _action.photos else _json_endpoint
    router.post(
        f"/{{case_id}}/{_action.url_path}",
        response={200: CaseDetailOut, **(UPLOAD_ERRORS if _action.photos else ERRORS)},
        operation_id=f"gongzhi_cases_api_case_{_action.name}",
        summary=_action.summary,
        description=_action.description,
    )(_make(_action))


@router.post(
    "/{case_id}/actions/{name}",
    response={200: CaseDetailOut, **ERRORS, 422: ErrorOut},
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "required": False,
        }
    },
)
def case_action(request, case_id: Id, name: Word):
    """Any action of the catalogue by its name — the loop's (register, dispatch, verify …)
    and a kind's own (GET /cases/{id} lists what the caller may take now under
    `actions`). The JSON body holds the action's input, `version` included; photos go
    through the action's own multipart endpoint."""
    action = actions.get(name)
    if action is None:
        raise NotFound(_("Unknown action “%(action)s”.") % {"action": name})
    body = json_object(request.body, request.content_type) if request.body else {}
    try:
        payload = action.schema.model_validate(body)
    except PydanticValidationError as exc:
        raise ValidationError(exc.errors(include_url=False)) from None
    data = payload.dict()
    version = data.pop("version", None)
    return _done(request, action.run(actor=request.auth, case_id=case_id, version=version, **data))


@router.post("/{case_id}/claim", response={200: CaseDetailOut, **ERRORS})
def case_claim(request, case_id: Id, payload: NoteIn):
    """认领: take a case from its kind's board (kinds that allow people only): it is
    dispatched to the caller and accepted in one step."""
    return _done(
        request, services.case_claim(actor=request.auth, case_id=case_id, **payload.dict())
    )


@router.post("/{case_id}/extension-requests", response={201: ExtensionRequestOut, **ERRORS})
def case_extension_request(request, case_id: Id, payload: ExtensionIn):
    """延期申请: more working days, for the command center to decide."""
    made = services.case_request_extension(actor=request.auth, case_id=case_id, **payload.dict())
    return Status(201, made)


@router.post("/{case_id}/reveal-phone", response={200: PhoneOut, **ERRORS})
def case_reveal_phone(request, case_id: Id):
    """The reporter's phone in full, to call them; every reveal is audited."""
    return {"phone": services.case_reveal_phone(actor=request.auth, case_id=case_id)}


@router.post("/{case_id}/reveal-text", response={200: TextOut, **ERRORS})
def case_reveal_text(request, case_id: Id):
    """The title and description as written, phones and ID numbers in full (everywhere
    else they are masked); for those who may call the reporter back; audited."""
    return services.case_reveal_text(actor=request.auth, case_id=case_id)


# -- photos ----------------------------------------------------------------------------

PHOTO_RESPONSE = {
    "responses": {
        200: {
            "description": "The photo (JPEG or PNG)",
            "content": {"image/jpeg": {}, "image/png": {}},
        }
    }
}


def _photo(request, case_id: int, attachment_id: int, *, thumb: bool) -> FileResponse:
    case = selectors.case_for(request.auth, case_id)
    att = CaseAttachment.objects.filter(case=case, pk=attachment_id).first()
    if att is None:
        raise NotFound(_("The photo does not exist or is outside your area."))
    stored = att.thumb if thumb else att.file
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The photo does not exist or is outside your area.")) from None
    response = FileResponse(handle, content_type="image/jpeg" if thumb else att.content_type)
    # The name is random and the bytes never change; only the caller's browser may keep it.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@router.get(
    "/{case_id}/attachments/{attachment_id}",
    response=ERRORS,
    url_name="case_attachment",
    openapi_extra=PHOTO_RESPONSE,
)
def case_attachment(request, case_id: Id, attachment_id: Id):
    """A photo of the case, for those who may see the case."""
    return _photo(request, case_id, attachment_id, thumb=False)


@router.get(
    "/{case_id}/attachments/{attachment_id}/thumb",
    response=ERRORS,
    url_name="case_attachment_thumb",
    openapi_extra=PHOTO_RESPONSE,
)
def case_attachment_thumb(request, case_id: Id, attachment_id: Id):
    """The photo's thumbnail (JPEG, at most 320 px)."""
    return _photo(request, case_id, attachment_id, thumb=True)
