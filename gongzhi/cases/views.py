"""Pages of the case loop: the lists (one tab per queue), reporting a problem, a case with
its timeline and its actions, and the pending extension requests.

Thin, like every page: parse a form, call one selector or service, render. A refused
action shows the page again with the service's message in place (400 for bad input, 409
for "already changed" or a step no longer allowed); a case or unit outside the user's
area, or an action the user may not take, is the error page (404 / 403) through
DomainErrorMiddleware.
"""

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.cases import forms as f
from gongzhi.cases import selectors, services
from gongzhi.cases.models import Case, Channel, Rating, RequestStatus, State, Supervision
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.roles import CODE_LENGTH, Level, Perm, Role
from gongzhi.orgs import selectors as orgs
from gongzhi.registry import selectors as registry

PAGE = 30
MAX_BUILDINGS = 300  # more than this in a select is useless on a phone: choose the grid first
NUMBER = re.compile(r"^SJ\d{8,14}$", re.IGNORECASE)
LOCAL_LEVELS = (Level.COMMUNITY, Level.GRID, Level.MICROGRID)


# -- the clock ---------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """How a case stands against its deadline now: `kind` is overdue, due_soon, running,
    stopped (suspended), on_time or late (closed), or "" (no deadline yet, or final)."""

    kind: str
    text: str


def clock_of(case: Case, now: dt.datetime) -> Clock:
    if case.state == State.SUSPENDED:
        return Clock("stopped", _("Clock stopped while suspended"))
    if case.is_overdue(now):
        return Clock("overdue", _("Overdue by %(t)s") % {"t": timesince(case.due_at, now, depth=1)})
    if case.is_due_soon(now):
        return Clock(
            "due_soon", _("Due soon: %(t)s left") % {"t": timeuntil(case.due_at, now, depth=1)}
        )
    if case.is_open and case.due_at:
        return Clock("running", _("%(t)s left") % {"t": timeuntil(case.due_at, now, depth=1)})
    if case.state == State.CLOSED and case.closed_on_time is not None:
        if case.closed_on_time:
            return Clock("on_time", _("Closed on time"))
        return Clock("late", _("Closed after the deadline"))
    return Clock("", "")


def _page(qs, ordering: tuple[str, ...], cursor: str | None):
    """One page in a queue's order (dates and deadlines too); a forged or stale cursor
    shows the first page."""
    try:
        return keyset_page(qs, ordering=ordering, cursor=cursor, limit=PAGE)
    except DomainError:
        return keyset_page(qs, ordering=ordering, cursor=None, limit=PAGE)


# -- forms and errors -------------------------------------------------------------------


def _form_errors(form, exc: DomainError) -> None:
    """Put a service's field errors on the form's fields, the rest on the form."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if "photos" in form.fields and (exc.code == "invalid_image" or "photos" in details):
        form.add_error("photos", exc.message)
        return
    placed = False
    for name, errors in details.items():
        if name == "location" and hasattr(form, "location_errors"):
            form.location_errors.extend(str(e) for e in errors)
            placed = True
        elif name in form.fields and isinstance(errors, list | tuple):
            for error in errors:
                form.add_error(name, str(error))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def place_label(grid) -> str:
    """The community and the grid ("桂园社区 第1网格"); a micro-grid's name already holds
    its grid's ("第1网格4号微网格"), so the grid is not said twice."""
    parent = grid.parent
    if grid.level == Level.MICROGRID and parent is not None:
        parent = parent.parent
    return f"{parent.name} {grid.name}" if parent is not None else grid.name


def _can_use_cases(user) -> bool:
    return permissions.can(user, Perm.CASE_VIEW) or permissions.can(user, Perm.CASE_REPORT)


# -- the lists ------------------------------------------------------------------------

ALERT_QUEUES = {"overdue": "red", "due_soon": "amber", "supervised": "red"}


@login_required
@require_GET
def case_list(request):
    user = request.user
    if not _can_use_cases(user):
        raise NotFound(_("Not found."))
    keys = selectors.queues_for(user)
    key = request.GET.get("queue") or keys[0]
    if key not in selectors.QUEUES:
        key = keys[0]
    now = timezone.now()
    counts = selectors.queue_counts(user, keys, now=now)
    qs, queue = selectors.queue(user, key, now=now)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(number=q.upper()) if NUMBER.match(q) else qs.filter(title__contains=q)
    rows, next_cursor = _page(
        selectors.for_list(qs, "grid__parent", "grid__parent__parent"),
        queue.ordering,
        request.GET.get("cursor"),
    )
    for case in rows:
        case.clock = clock_of(case, now)
        case.place = place_label(case.grid)
    query = urlencode({"queue": key, **({"q": q} if q else {})})
    can_decide = permissions.can(user, Perm.CASE_DECIDE)
    return render(
        request,
        "cases/list.html",
        {
            "tabs": [
                {
                    "key": k,
                    "label": selectors.QUEUES[k].label,
                    "count": selectors.count_label(counts[k]),
                    "tone": ALERT_QUEUES.get(k, "") if counts[k] else "",
                }
                for k in keys
            ],
            "queue": queue,
            "q": q,
            "rows": rows,
            "next_cursor": next_cursor,
            "query": query,
            "can_report": permissions.can(user, Perm.CASE_REPORT),
            "can_see_kpis": permissions.can(user, Perm.CASE_VIEW),
            "extension_count": (
                selectors.extension_requests_visible_to(user).count() if can_decide else None
            ),
        },
    )


# -- reporting ------------------------------------------------------------------------


def _report_grids(user) -> list:
    return list(
        orgs.units_visible_to(user, Perm.CASE_REPORT)
        .filter(level__in=(Level.GRID, Level.MICROGRID), is_active=True)
        .order_by("code")
    )


def _buildings(user, grid_id=None) -> list:
    """Buildings to choose from: those of the chosen grid, or all of the user's area when
    there are few (a grid worker's); none when the area is large (choose the grid first)."""
    if not permissions.can(user, Perm.REGISTRY_VIEW):
        return []
    qs = registry.buildings_visible_to(user).select_related(None).only("id", "name", "org_code")
    if grid_id:
        grid = orgs.unit_for(user, grid_id, Perm.CASE_REPORT)
        return list(qs.filter(org_code__within=grid.code).order_by("name")[:MAX_BUILDINGS])
    rows = list(qs.order_by("name")[: MAX_BUILDINGS + 1])
    return rows if len(rows) <= MAX_BUILDINGS else []


def _channel_for(user) -> str:
    roles = permissions.roles_of(user)
    if roles & {Role.GRID_WORKER, Role.COMMUNITY_WORKER}:
        return Channel.GRID_WORKER
    if Role.BUILDING_HEAD in roles:
        return Channel.RESIDENT
    return Channel.OTHER


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    """Report a problem: on a phone, with the camera and the location."""
    user = request.user
    if not permissions.can(user, Perm.CASE_REPORT):
        raise NotFound(_("Not found."))
    grid_id = request.POST.get("grid_id") if request.method == "POST" else None
    try:
        buildings = _buildings(user, grid_id or None)
    except NotFound:
        buildings = []
    choose_channel = permissions.can(user, Perm.CASE_TRIAGE)
    form = f.CaseReportForm(
        request.POST or None,
        request.FILES or None,
        initial={"idempotency_key": uuid.uuid4().hex},
        grids=_report_grids(user),
        buildings=buildings,
        can_self_handle=permissions.can(user, Perm.CASE_SELF_HANDLE),
        choose_channel=choose_channel,
    )
    form.fields["grid_id"].widget.attrs.update(
        {
            "hx-get": reverse("case_new_buildings"),
            "hx-target": "#id_building_id",
            "hx-trigger": "change",
            "hx-swap": "innerHTML",
        }
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case, created = services.case_report(
                actor=user,
                category_id=d["category_id"],
                title=d["title"],
                description=d["description"],
                channel=(d.get("channel") or Channel.PHONE)
                if choose_channel
                else _channel_for(user),
                urgency=d["urgency"],
                lng=d["lng"],
                lat=d["lat"],
                crs=d["crs"] or "wgs84",
                grid_id=d["grid_id"],
                building_id=d["building_id"],
                address=d["address"],
                reporter_name=d["reporter_name"],
                reporter_phone=d["reporter_phone"],
                photos=d["photos"],
                idempotency_key=d["idempotency_key"] or None,
                self_handle=bool(d.get("self_handle")),
                result=d.get("result", ""),
            )
        except DomainError as exc:
            if exc.status == 404:
                raise
            _form_errors(form, exc)
        else:
            if created:
                messages.success(
                    request, _("Reported. The case number is %(n)s.") % {"n": case.number}
                )
            else:
                messages.info(
                    request,
                    _("This report was already received as case %(n)s.") % {"n": case.number},
                )
            return redirect("case_detail", case_id=case.pk)
    return render(
        request,
        "cases/new.html",
        {"form": form, "active_nav": "cases"},
        status=400 if form.errors or form.location_errors else 200,
    )


@login_required
@require_GET
def case_new_buildings(request):
    """The building options of one grid (htmx swaps them into the report form)."""
    if not permissions.can(request.user, Perm.CASE_REPORT):
        raise NotFound(_("Not found."))
    grid_id = request.GET.get("grid_id") or None
    return render(
        request,
        "cases/_building_options.html",
        {"choices": f.building_choices(_buildings(request.user, grid_id))},
    )


# -- a case and its actions --------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One action form on the case page and the service it calls.

    Every form carries the `version` of the case the page showed; the service refuses a
    step taken on a page that was out of date (under the row lock, so no race).
    """

    form: type
    run: Callable[[Any, Case, dict], Any]
    done: Promise
    flows: tuple[str, ...] = ()  # the transitions that make the form available


def _dispatch(actor, case, d, form):
    return services.case_dispatch(
        actor=actor, case_id=case.pk, version=d["version"], note=d["note"], **form.target_ids()
    )


def _merge(actor, case, d, form):
    try:
        target = selectors.case_by_number(actor, d["target"])
    except NotFound as exc:
        raise services.Invalid(exc.message, details={"target": [exc.message]}) from None
    return services.case_merge(
        actor=actor, case_id=case.pk, version=d["version"], target_id=target.pk, note=d["note"]
    )


def _decide(actor, case, d, form):
    return services.case_decide_extension(
        actor=actor,
        request_id=d["request_id"],
        version=d["version"],
        approve=d["decision"] == "approve",
        note=d["note"],
    )


ACTIONS: dict[str, Action] = {
    "register": Action(
        f.RegisterForm,
        lambda a, c, d, _f: services.case_register(
            actor=a,
            case_id=c.pk,
            version=d["version"],
            note=d["note"],
            category_id=d["category_id"],
            urgency=d["urgency"] or None,
            grid_id=d["grid_id"],
        ),
        gettext_lazy("The case is registered; its deadline runs from now."),
    ),
    "dispatch": Action(f.DispatchForm, _dispatch, gettext_lazy("Dispatched.")),
    "reject": Action(
        f.ReasonForm,
        lambda a, c, d, _f: services.case_reject(
            actor=a, case_id=c.pk, version=d["version"], reason=d["reason"]
        ),
        gettext_lazy("The report is not registered."),
    ),
    "accept": Action(
        f.NoteForm,
        lambda a, c, d, _f: services.case_accept(
            actor=a, case_id=c.pk, version=d["version"], note=d["note"]
        ),
        gettext_lazy("Accepted: the case is yours to handle."),
    ),
    "return": Action(
        f.ReasonForm,
        lambda a, c, d, _f: services.case_return(
            actor=a, case_id=c.pk, version=d["version"], reason=d["reason"]
        ),
        gettext_lazy("Returned to the dispatcher."),
    ),
    "contact": Action(
        f.NoteForm,
        lambda a, c, d, _f: services.case_contact(
            actor=a, case_id=c.pk, version=d["version"], note=d["note"]
        ),
        gettext_lazy("The contact is recorded."),
    ),
    "progress": Action(
        f.ProgressForm,
        lambda a, c, d, _f: services.case_progress(
            actor=a, case_id=c.pk, version=d["version"], note=d["note"], photos=d["photos"]
        ),
        gettext_lazy("The progress is recorded."),
    ),
    "handle": Action(
        f.HandleForm,
        lambda a, c, d, _f: services.case_handle(
            actor=a, case_id=c.pk, version=d["version"], result=d["result"], photos=d["photos"]
        ),
        gettext_lazy("Reported as handled; it will be verified next."),
    ),
    "request_extension": Action(
        f.ExtensionRequestForm,
        lambda a, c, d, _f: services.case_request_extension(
            actor=a, case_id=c.pk, version=d["version"], days=d["days"], reason=d["reason"]
        ),
        gettext_lazy("The extension request is sent to the command center."),
    ),
    "decide_extension": Action(
        f.ExtensionDecisionForm,
        _decide,
        gettext_lazy("The extension request is decided."),
    ),
    "verify": Action(
        f.VerifyForm,
        lambda a, c, d, _f: services.case_verify(
            actor=a,
            case_id=c.pk,
            version=d["version"],
            passed=d["outcome"] == "pass",
            note=d["note"],
        ),
        gettext_lazy("The verification is recorded."),
        flows=("verify_pass", "verify_fail"),
    ),
    "callback": Action(
        f.CallbackForm,
        lambda a, c, d, _f: services.case_callback(
            actor=a,
            case_id=c.pk,
            version=d["version"],
            solved=d["solved"] == "yes",
            rating=d["rating"],
            note=d["note"],
        ),
        gettext_lazy("The callback is recorded."),
    ),
    "supervise": Action(
        f.SuperviseForm,
        lambda a, c, d, _f: services.case_supervise(
            actor=a, case_id=c.pk, version=d["version"], level=d["level"], note=d["note"]
        ),
        gettext_lazy("The supervision is recorded."),
    ),
    "escalate": Action(
        f.RequiredNoteForm,
        lambda a, c, d, _f: services.case_escalate(
            actor=a, case_id=c.pk, version=d["version"], note=d["note"]
        ),
        gettext_lazy("Escalated one level up."),
    ),
    "leader_visit": Action(
        f.LeaderVisitForm,
        lambda a, c, d, _f: services.case_leader_visit(
            actor=a, case_id=c.pk, version=d["version"], note=d["note"], photos=d["photos"]
        ),
        gettext_lazy("The on-site visit is recorded."),
    ),
    "suspend": Action(
        f.ReasonForm,
        lambda a, c, d, _f: services.case_suspend(
            actor=a, case_id=c.pk, version=d["version"], reason=d["reason"]
        ),
        gettext_lazy("Suspended: the clock is stopped."),
    ),
    "resume": Action(
        f.NoteForm,
        lambda a, c, d, _f: services.case_resume(
            actor=a, case_id=c.pk, version=d["version"], note=d["note"]
        ),
        gettext_lazy("Resumed: the clock runs again."),
    ),
    "merge": Action(f.MergeForm, _merge, gettext_lazy("Merged.")),
    "reopen": Action(
        f.ReasonForm,
        lambda a, c, d, _f: services.case_reopen(
            actor=a, case_id=c.pk, version=d["version"], reason=d["reason"]
        ),
        gettext_lazy("Reopened."),
    ),
}
# The steps that move a case on; the first one available is the page's main button.
PRIMARY = ("register", "dispatch", "accept", "handle", "verify", "callback", "decide_extension")
ORDER = (
    "dispatch",
    "register",
    "accept",
    "handle",
    "verify",
    "callback",
    "decide_extension",
    "contact",
    "progress",
    "request_extension",
    "return",
    "reject",
    "supervise",
    "escalate",
    "leader_visit",
    "suspend",
    "resume",
    "merge",
    "reopen",
)


def _action_labels() -> dict[str, str]:
    labels = {t.action: t.label for t in CASE_FLOW.transitions}
    labels.update(
        {
            "report": _("Reported"),
            "self_handle": _("Reported and handled on the spot"),
            "merged_in": _("A duplicate was merged in"),
            "verify": _("Verify"),
        }
    )
    return labels


def _event_details(event) -> list[str]:
    """A few words on what a timeline row changed, beside its note."""
    d = event.data or {}
    out = []
    if event.action == "dispatch":
        out.append(d.get("department") or d.get("unit") or "")
    elif event.action == "callback":
        out.append(_("Solved") if d.get("solved") else _("Not solved"))
        if d.get("rating"):
            out.append(str(Rating(d["rating"]).label) if d["rating"] in Rating.values else "")
    elif event.action == "supervise" and isinstance(d.get("level"), list):
        level = d["level"][-1]
        out.append(str(Supervision(level).label) if level in Supervision.values else "")
    elif event.action == "request_extension" and d.get("days"):
        out.append(_("%(n)s working days") % {"n": d["days"]})
    elif event.action == "decide_extension":
        out.append(_("Approved") if d.get("approved") else _("Refused"))
    elif event.action in ("merge", "merged_in"):
        out.append(d.get("into") or d.get("from") or "")
    elif event.action == "escalate" and d.get("level"):
        out.append(_("Level %(n)s") % {"n": d["level"]})
    return [x for x in out if x]


def _state_label(state: str) -> str:
    return str(State(state).label) if state in State.values else state


def _available(case, user, pending) -> list[str]:
    """The action forms to show: what the transition table allows this user now, minus
    what would only be refused (a second callback, a second pending extension)."""
    allowed = {t.action for t in CASE_FLOW.available(case, user)}
    shown = []
    for key in ORDER:
        flows = ACTIONS[key].flows or (key,)
        if not allowed.intersection(flows):
            continue
        if key == "callback" and case.callback_at:
            continue
        if key == "decide_extension" and not pending:
            continue
        if key == "request_extension" and pending:
            continue
        shown.append(key)
    return shown


def _form_for(key, case, *, user, pending, chain=None, data=None, files=None):
    extra: dict[str, Any] = {}
    if key == "dispatch":
        if chain is None:
            chain = [*orgs.unit_ancestors(case.grid), case.grid]
        extra["departments"] = list(
            orgs.departments_visible_to(user)
            .filter(is_active=True, district__code=case.org_code[: CODE_LENGTH[Level.DISTRICT]])
            .order_by("name")
        )
        extra["units"] = [
            u
            for u in chain
            if u.level in LOCAL_LEVELS and permissions.can(user, Perm.CASE_TRIAGE, u)
        ]
    elif key == "register":
        # The grids of the case's community the operator covers, to correct a wrong one.
        community = case.org_code[: CODE_LENGTH[Level.COMMUNITY]]
        extra["grids"] = list(
            orgs.units_visible_to(user, Perm.CASE_TRIAGE)
            .filter(level__in=(Level.GRID, Level.MICROGRID), code__within=community)
            .order_by("code")[:200]
        )
    elif key == "decide_extension":
        extra["requests"] = pending
    initial = {"version": case.version}
    if key == "decide_extension" and pending:
        initial["request_id"] = pending[0].pk
    return ACTIONS[key].form(data, files, initial=initial, case=case, action=key, **extra)


def _detail(
    request, case_id, *, failed: tuple[str, Any] | None = None, error: str = "", status=200
):
    user = request.user
    case = selectors.case_for(user, case_id)
    now = timezone.now()
    events = selectors.timeline(case)
    chain = [*orgs.unit_ancestors(case.grid), case.grid]
    by_code = {u.code: u for u in chain}
    pending = list(
        case.extension_requests.filter(status=RequestStatus.PENDING).select_related("requested_by")
    )
    related = {
        c.pk: c
        for c in selectors.cases_visible_to(user).filter(
            Q(pk__in=[x for x in (case.repeat_of_id, case.merged_into_id) if x])
            | Q(merged_into=case)
            | Q(repeat_of=case)
        )
    }
    shown = _available(case, user, pending)
    if failed and failed[0] not in shown and not error:
        # The form is no longer offered (the case moved on): say why above the actions.
        error = " ".join(str(m) for errors in failed[1].errors.values() for m in errors)
    action_forms = []
    for key in shown:
        if failed and failed[0] == key:
            form = failed[1]
            data = form.data.copy()
            data["version"] = case.version  # the page now shows the case as it is
            form.data = data
        else:
            form = _form_for(key, case, chain=chain, user=user, pending=pending)
        action_forms.append({"key": key, "form": form})
    primary = next((a["key"] for a in action_forms if a["key"] in PRIMARY), None)
    labels = _action_labels()
    for a in action_forms:
        a["label"] = labels.get(a["key"], a["key"])
        a["primary"] = a["key"] == primary
        a["open"] = bool(failed and failed[0] == a["key"])
    timeline = [
        {
            "e": e,
            "label": labels.get(e.action, e.action),
            "from": _state_label(e.from_state) if e.from_state else "",
            "to": _state_label(e.to_state) if e.to_state and e.to_state != e.from_state else "",
            "details": _event_details(e),
            "photos": list(e.attachments.all()),
        }
        for e in events
    ]
    intake = next((t for t in timeline if t["e"].action in ("report", "self_handle")), None)
    map_data = None
    if case.lng is not None and case.lat is not None:
        map_data = {"point": [case.lng, case.lat], "grid": case.grid.boundary}
    context = {
        "case": case,
        "clock": clock_of(case, now),
        "chain": [u for u in chain if u.level not in (Level.DISTRICT,)],
        "assignee": by_code.get(case.assignee_code) if case.assignee_code else None,
        "repeat_of": related.get(case.repeat_of_id),
        "merged_into": related.get(case.merged_into_id),
        "merged": [c for c in related.values() if c.merged_into_id == case.pk],
        "repeats": [c for c in related.values() if c.repeat_of_id == case.pk],
        "pending": pending,
        "timeline": timeline,
        "intake_photos": intake["photos"] if intake else [],
        "reported_by_name": intake["e"].actor_name if intake else "",
        "actions": action_forms,
        "action_error": error,
        "can_reveal": bool(
            (case.reporter_phone_masked or case.reporter_resident_id)
            and permissions.can(user, Perm.CASE_REVEAL, case)
        ),
        "map_data": map_data,
        "tile_url": getattr(settings, "MAP_TILE_URL", "") or "",
        "active_nav": "cases",
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
@require_GET
def case_detail(request, case_id):
    return _detail(request, case_id)


@login_required
@require_POST
def case_act(request, case_id, action):
    """One action from the case page, through its service."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound(_("Not found."))
    user = request.user
    case = selectors.case_for(user, case_id)
    pending = list(case.extension_requests.filter(status=RequestStatus.PENDING))
    form = _form_for(
        action, case, user=user, pending=pending, data=request.POST, files=request.FILES
    )
    if not form.is_valid():
        return _detail(request, case.pk, failed=(action, form), status=400)
    try:
        spec.run(user, case, form.cleaned_data, form)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        if exc.status == 409:
            return _detail(request, case.pk, failed=(action, form), error=exc.message, status=409)
        _form_errors(form, exc)
        return _detail(request, case.pk, failed=(action, form), status=exc.status)
    messages.success(request, str(spec.done))
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def case_reveal(request, case_id):
    """The reporter's phone in full (htmx swaps it in); the service audits it."""
    value = services.case_reveal_phone(actor=request.user, case_id=case_id)
    return render(request, "cases/_revealed.html", {"value": value})


# -- extension requests ------------------------------------------------------------------


def _extensions(request, *, failed: tuple[int, Any] | None = None, status=200):
    user = request.user
    if not permissions.can(user, Perm.CASE_DECIDE):
        raise NotFound(_("Not found."))
    qs = selectors.extension_requests_visible_to(user).select_related("case__category")
    rows, next_cursor = _page(qs, ("id",), request.GET.get("cursor"))
    now = timezone.now()
    items = []
    for r in rows:
        r.case.clock = clock_of(r.case, now)
        if failed and failed[0] == r.pk:
            form = failed[1]
        else:
            form = f.ExtensionDecisionForm(
                initial={"request_id": r.pk, "version": r.case.version},
                requests=[r],
                action=f"ext{r.pk}",
            )
        items.append({"r": r, "form": form})
    return render(
        request,
        "cases/extensions.html",
        {"items": items, "next_cursor": next_cursor, "active_nav": "cases"},
        status=status,
    )


@login_required
@require_GET
def extensions(request):
    """Pending extension requests in the user's area, oldest first, to approve or refuse."""
    return _extensions(request)


@login_required
@require_POST
def extension_decide(request, request_id):
    user = request.user
    if not permissions.can(user, Perm.CASE_DECIDE):
        raise NotFound(_("Not found."))
    ext = selectors.extension_request_for(user, request_id)
    form = f.ExtensionDecisionForm(request.POST, requests=[ext], action=f"ext{ext.pk}")
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.case_decide_extension(
                actor=user,
                request_id=ext.pk,
                version=d["version"],
                approve=d["decision"] == "approve",
                note=d["note"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            if exc.status == 409:
                messages.error(request, exc.message)
                return redirect("case_extensions")
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("The extension request for case %(n)s is decided.") % {"n": ext.case.number},
            )
            return redirect("case_extensions")
    return _extensions(request, failed=(ext.pk, form), status=400)
