"""The case's clock: deadlines from the working calendar, suspension (挂起) and resumption,
extension requests (延期申请) and their decision, and the due-soon / overdue reminders."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import policies, selectors
from gongzhi.cases.models import Case, ExtensionRequest, RequestStatus, State
from gongzhi.cases.recipients import handlers_of, notify_case, operators_over
from gongzhi.cases.services.common import MAX_EXTENSION_DAYS, clean_note, iso, local
from gongzhi.cases.services.transition import Change, transition
from gongzhi.core.calendar import work_calendar
from gongzhi.core.deadlines import (
    add_working_days,
    add_working_seconds,
    resume_deadline,
    working_seconds_between,
)
from gongzhi.core.errors import Conflict, raise_if


def set_deadlines(case: Case, start: dt.datetime) -> None:
    """The case's clock starts at `start`: its policy's deadlines (the first contact's
    only once, and only when there is a reporter to contact)."""
    respond_by, due, soon = deadlines_from(
        local(start), policies.limits_for(case.category, case.urgency)
    )
    case.respond_by = case.respond_by or (respond_by if case.has_reporter else None)
    case.due_at = due
    case.due_soon_at = soon


def deadlines_from(start: dt.datetime, limits: policies.Limits) -> tuple[dt.datetime, ...]:
    """(respond by, due, due soon) for a clock started at `start` under `limits`."""
    cal = work_calendar()
    respond_by, due = policies.deadlines(start, limits, cal)
    return respond_by, due, _due_soon(start, due, limits.due_soon_share, cal, limits)


def _due_soon(start, due, share, cal, limits=None) -> dt.datetime:
    """The moment `share` of the time allowed from `start` to `due` is used."""
    if limits is not None and limits.handling_hours:
        return start + (due - start) * share
    allowed = working_seconds_between(start, due, cal)
    return add_working_seconds(start, allowed * share, cal)


def case_suspend(*, actor, case_id, version=None, reason=""):
    """挂起: the clock stops (waiting for a court, the weather, a third party)."""
    errors: dict[str, list[str]] = {}
    reason = clean_note(reason, errors, required=True, name="reason")
    raise_if(errors)
    change = suspend_change()
    return transition(actor, case_id, "suspend", version=version, note=reason, change=change)


def suspend_change() -> Change:
    def change(case, now):
        case.suspended_at = now

    return change


def case_resume(*, actor, case_id, version=None, note=""):
    """The clock runs again: the working time left at suspension is added from now."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    raise_if(errors)
    change = resume_change()
    return transition(actor, case_id, "resume", version=version, note=note, change=change)


def resume_change() -> Change:
    """The working time left at suspension runs again from `now` (a limit in clock hours:
    the deadlines move by the clock time stopped)."""

    def change(case, now):
        cal = work_calendar()
        old = case.due_at
        if case.due_at and case.suspended_at:
            if policies.limits_for(case.category, case.urgency).handling_hours:
                # A limit in clock hours (emergencies) moves by the clock time stopped.
                stopped = now - case.suspended_at
                case.due_at += stopped
                if case.due_soon_at:
                    case.due_soon_at += stopped
            else:
                stopped_at, now = local(case.suspended_at), local(now)
                case.due_at = resume_deadline(local(case.due_at), stopped_at, now, cal)
                if case.due_soon_at:
                    case.due_soon_at = resume_deadline(
                        local(case.due_soon_at), stopped_at, now, cal
                    )
        case.suspended_at = None
        return {"due_at": [iso(old), iso(case.due_at)]}

    return change


def case_request_extension(*, actor, case_id, days, reason="", version=None):
    """延期申请: more working days, for the command center to approve or refuse."""
    errors: dict[str, list[str]] = {}
    reason = clean_note(reason, errors, required=True, name="reason")
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        errors.setdefault("days", []).append(
            _("Between 1 and %(n)d working days.") % {"n": MAX_EXTENSION_DAYS}
        )
    raise_if(errors)
    made: list[ExtensionRequest] = []

    def after(case, event):
        if case.extension_requests.filter(status=RequestStatus.PENDING).exists():
            raise Conflict(_("An extension request for this case is already waiting."))
        request = extension_request(case, actor, days, reason, at=event.at)
        request.save(force_insert=True)
        made.append(request)
        notify_case(
            case,
            operators_over(case),
            "case.extension_requested",
            _("Extension requested for case %(n)s") % {"n": case.number},
            reason,
        )

    transition(
        actor,
        case_id,
        "request_extension",
        version=version,
        note=reason,
        change=request_extension_change(days),
        after=after,
    )
    return made[0]


def request_extension_change(days: int) -> Change:
    """延期申请: nothing moves until it is decided; the timeline says how many days."""
    return lambda case, now: {"days": days}


def extension_request(case: Case, actor, days: int, reason: str, *, at) -> ExtensionRequest:
    """The request beside the `request_extension` row, not saved."""
    return ExtensionRequest(
        case=case, days=days, reason=reason, requested_by=actor, requested_at=at
    )


def case_decide_extension(*, actor, request_id, approve: bool, note="", version=None):
    """Approve (the deadline moves by the days asked) or refuse an extension request."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors, required=not approve)
    raise_if(errors)
    request = selectors.extension_request_for(actor, request_id)
    decided: list[ExtensionRequest] = []

    def change(case, now):
        req = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if req.status != RequestStatus.PENDING:
            raise Conflict(_("This request has already been decided."))
        data = extension_decided(req, approve=approve, actor=actor, note=note)(case, now)
        req.save()
        decided.append(req)
        return data

    def after(case, event):
        notify_case(
            case,
            [decided[0].requested_by],
            "case.extension_decided",
            (
                _("Extension approved for case %(n)s")
                if approve
                else _("Extension refused for case %(n)s")
            )
            % {"n": case.number},
            note,
        )

    transition(
        actor,
        request.case_id,
        "decide_extension",
        version=version,
        note=note,
        change=change,
        after=after,
    )
    return decided[0]


def extension_decided(request: ExtensionRequest, *, approve: bool, actor, note: str) -> Change:
    """The pending `request` decided at `now`; approved, the deadlines move by its working
    days."""

    def change(case, now):
        request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
        request.decided_by = actor
        request.decided_at = now
        request.decision_note = note[:200]
        data = {"approved": bool(approve), "days": request.days}
        if approve and case.due_at:
            cal = work_calendar()
            old = case.due_at
            case.due_at = add_working_days(local(case.due_at), request.days, cal)
            if case.due_soon_at:
                case.due_soon_at = add_working_days(local(case.due_soon_at), request.days, cal)
            case.extended_days += request.days
            data["due_at"] = [iso(old), iso(case.due_at)]
        return data

    return change


def remind_due(*, now=None, batch: int = 500) -> int:
    """Tell the handling unit about cases due soon, and the command center too about
    overdue ones (only the command center while a case waits for its verification).
    Idempotent: a reminder is keyed by case, kind and deadline, so running this twice
    sends nothing twice, and a moved deadline earns a new reminder. Returns how many
    notifications were new. Suspended cases are skipped: their clock is stopped."""
    now = now or timezone.now()
    sent = 0
    running = [State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS, State.HANDLED]
    due_soon = Case.objects.filter(
        state__in=running, due_soon_at__lte=now, due_at__gte=now
    ).select_related("department")
    overdue = Case.objects.filter(state__in=running, due_at__lt=now).select_related("department")
    for kind, qs in (("due_soon", due_soon), ("overdue", overdue)):
        last_id = 0
        while True:
            rows = list(qs.filter(pk__gt=last_id).order_by("pk")[:batch])
            if not rows:
                break
            last_id = rows[-1].pk
            for case in rows:
                # Awaiting verification, the handling unit has done its part.
                handlers = handlers_of(case) if case.state != State.HANDLED else []
                who = handlers or operators_over(case)
                if kind == "overdue":
                    who = who + operators_over(case)
                title = (
                    _("Case %(n)s is due soon")
                    if kind == "due_soon"
                    else _("Case %(n)s is overdue")
                ) % {"n": case.number}
                with transaction.atomic():
                    sent += notify_case(
                        case,
                        who,
                        f"case.{kind}",
                        title,
                        dedupe=f"case:{case.pk}:{kind}:{case.due_at:%Y%m%d%H%M%S}",
                    )
    return sent


# -- residents (self-service) ------------------------------------------------------
#
# A resident has no account: the right to a case is proven by the verified phone whose
# keyed hash the case carries (reporter_phone_hash). These services take that proof
# from the caller (the self-service views verify the phone by an SMS code), so the
