"""The steps of handling a case: register, reject, dispatch, accept, return, progress,
contact, handle, verify, callback, merge, reopen; and the audited reveals of the phone
and of the text as written."""

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts.models import User
from gongzhi.cases import selectors
from gongzhi.cases.kinds import get_kind
from gongzhi.cases.models import Case, Rating, State, Urgency
from gongzhi.cases.recipients import handlers_of, notify_case, operators_over
from gongzhi.cases.services.clock import set_deadlines
from gongzhi.cases.services.common import MAX_DESCRIPTION, Stale, clean_choice, clean_note, iso
from gongzhi.cases.services.escalation import escalate_unsatisfied, reopen_fields
from gongzhi.cases.services.intake import clean_category, grid_of
from gongzhi.cases.services.transition import Change, new_event, transition
from gongzhi.cases.text import opened_text
from gongzhi.core import crypto, permissions
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs.models import Department, OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.services import clean_text


def case_register(
    *, actor, case_id, version=None, note="", category_id=None, urgency=None, grid_id=None
):
    """立案: the report is a case; its deadlines start now. The category, the urgency and
    the grid (when the point fell in the wrong one) may be corrected in the same step."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    category = clean_category(category_id) if category_id not in (None, "") else None
    if urgency:
        clean_choice(urgency, Urgency.choices, "urgency", errors)
    raise_if(errors)
    grid = None
    if grid_id not in (None, ""):
        grid = grid_of(grid_id)
        if grid is None or not permissions.can(actor, Perm.CASE_TRIAGE, grid):
            raise NotFound(_("The grid does not exist or is outside your area."))

    change = register_change(grid=grid, category=category, urgency=urgency)
    return transition(actor, case_id, "register", version=version, note=note, change=change)


def register_change(*, grid=None, category=None, urgency=None) -> Change:
    """立案 at `now`, with the corrections given: the deadlines start."""

    def change(case, now):
        data = {}
        if grid is not None and grid.pk != case.grid_id:
            data["grid"] = [case.org_code, grid.code]
            case.grid = grid
            case.org_code = grid.code
        if category is not None and category.pk != case.category_id:
            data["category"] = [str(case.category), str(category)]
            case.category = category
        if urgency and urgency != case.urgency:
            data["urgency"] = [case.urgency, urgency]
            case.urgency = urgency
        case.registered_at = now
        set_deadlines(case, now)
        data["due_at"] = iso(case.due_at)
        return data

    return change


def case_reject(*, actor, case_id, version=None, reason=""):
    """不予立案, with the reason (told to the reporter)."""
    errors: dict[str, list[str]] = {}
    reason = clean_note(reason, errors, required=True, name="reason")
    raise_if(errors)
    return transition(actor, case_id, "reject", version=version, note=reason)


def _person(case: Case, user_id):
    """A person the case's kind lets handle it (CaseKind.assignable), or the same 404 as a
    missing one."""
    kind = get_kind(case.kind)
    try:
        person = User.objects.get(pk=int(user_id), is_active=True)
    except (User.DoesNotExist, TypeError, ValueError):
        person = None
    if person is None or kind.assignable is None or not kind.assignable(person, case):
        raise NotFound(_("The person does not exist or may not handle this case."))
    return person


def _dispatch_target(actor, case: Case, department_id, unit_id, user_id=None):
    given = [x for x in (department_id, unit_id, user_id) if x not in (None, "")]
    if len(given) != 1:
        raise Invalid(
            _("Choose one handling unit: a department or a community or grid."),
            details={"department_id": [_("Choose a handling unit.")]},
        )
    if user_id not in (None, ""):
        return None, "", _person(case, user_id)
    if department_id not in (None, ""):
        try:
            dept = Department.objects.select_related("district").get(
                pk=int(department_id), is_active=True
            )
        except (Department.DoesNotExist, TypeError, ValueError):
            dept = None
        if dept is None or not case.org_code.startswith(dept.district.code):
            raise NotFound(_("The department does not exist or is outside your area."))
        return dept, "", None
    try:
        unit = OrgUnit.objects.get(
            pk=int(unit_id), level__in=(Level.COMMUNITY, Level.GRID, Level.MICROGRID)
        )
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        unit = None
    if unit is None or not permissions.can(actor, Perm.CASE_TRIAGE, unit):
        raise NotFound(_("The unit does not exist or is outside your area."))
    if not case.org_code.startswith(unit.code):
        raise Invalid(
            _("A community or grid handles only the cases in its own area."),
            details={"unit_id": [_("A community or grid handles only the cases in its own area.")]},
        )
    return None, unit.code, None


def case_dispatch(
    *, actor, case_id, version=None, department_id=None, unit_id=None, user_id=None, note=""
):
    """派遣 to a department, or to the community or grid the case is in, or (for the kinds
    that allow people) to a person. A report not yet registered is registered in the same
    step."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    raise_if(errors)
    visible = selectors.case_for(actor, case_id)
    dept, code, person = _dispatch_target(actor, visible, department_id, unit_id, user_id)

    def after(case, event):
        notify_case(
            case,
            handlers_of(case),
            "case.dispatched",
            _("A case for you: %(n)s") % {"n": case.number},
        )

    change = dispatch_change(dept, code, person)
    return transition(
        actor, case_id, "dispatch", version=version, note=note, change=change, after=after
    )


def dispatch_change(department, unit_code: str = "", person=None) -> Change:
    """派遣 to one of a department, a unit's code or a person; a case not yet registered
    is registered at the same moment."""

    def change(case, now):
        if case.registered_at is None:
            case.registered_at = now
            set_deadlines(case, now)
        case.department = department
        case.assignee_code = unit_code
        case.assignee_user = person
        case.handler = None
        case.dispatched_at = now
        case.accepted_at = None
        data = {"department": str(department) if department else "", "unit": unit_code}
        if person is not None:
            data["person"] = person.get_display_name()
        return data

    return change


def case_accept(*, actor, case_id, version=None, note=""):
    """签收: the handling unit takes the case on."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    raise_if(errors)
    change = accept_change(actor)
    return transition(actor, case_id, "accept", version=version, note=note, change=change)


def accept_change(handler) -> Change:
    def change(case, now):
        case.handler = handler
        case.accepted_at = now

    return change


def case_return(*, actor, case_id, version=None, reason=""):
    """退回: not ours (or not possible), with the reason; back to the dispatcher."""
    errors: dict[str, list[str]] = {}
    reason = clean_note(reason, errors, required=True, name="reason")
    raise_if(errors)

    def after(case, event):
        dispatcher = case.events.filter(action="dispatch").order_by("-at", "-id").first()
        who = [dispatcher.actor] if dispatcher and dispatcher.actor else operators_over(case)
        notify_case(
            case, who, "case.returned", _("Case %(n)s was returned") % {"n": case.number}, reason
        )

    change = return_change()
    return transition(
        actor, case_id, "return", version=version, note=reason, change=change, after=after
    )


def return_change() -> Change:
    """退回: the case is no one's until it is dispatched again."""

    def change(case, now):
        data = {"department": str(case.department or ""), "unit": case.assignee_code}
        if case.assignee_user_id:
            data["person"] = case.assignee_user.get_display_name()
        case.department = None
        case.assignee_code = ""
        case.assignee_user = None
        case.handler = None
        case.accepted_at = None
        return data

    return change


def case_progress(*, actor, case_id, version=None, note="", photos=()):
    """A progress note (with photos) while handling."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors, required=True)
    raise_if(errors)
    return transition(actor, case_id, "progress", version=version, note=note, photos=photos)


def case_contact(*, actor, case_id, version=None, note=""):
    """The first contact with the reporter (the one-hour rule) — later ones are notes."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    raise_if(errors)
    change = contact_change()
    return transition(actor, case_id, "contact", version=version, note=note, change=change)


def contact_change() -> Change:
    """The first contact sets `responded_at` (on time or not); later ones change nothing."""

    def change(case, now):
        if case.responded_at is None:
            case.responded_at = now
            return {"first": True, "on_time": bool(case.respond_by and now <= case.respond_by)}
        return {"first": False}

    return change


def case_handle(*, actor, case_id, version=None, result="", photos=()):
    """处置完毕: the result and the evidence; the command center verifies it next."""
    errors: dict[str, list[str]] = {}
    result = clean_text(result, MAX_DESCRIPTION, "result", errors, required=True)
    raise_if(errors)
    change = handle_change(result)
    return transition(
        actor, case_id, "handle", version=version, note=result, photos=photos, change=change
    )


def handle_change(result: str) -> Change:
    def change(case, now):
        case.result = result
        case.handled_at = now

    return change


def case_verify(*, actor, case_id, version=None, passed: bool, note=""):
    """核查: passed → 结案; not passed → back to the handling unit (返工)."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors, required=not passed)
    raise_if(errors)
    if passed:
        change = close_change()
        return transition(actor, case_id, "verify_pass", version=version, note=note, change=change)

    def after(case, event):
        notify_case(
            case,
            handlers_of(case),
            "case.rework",
            _("Case %(n)s sent back") % {"n": case.number},
            note,
        )

    change = rework_change()
    return transition(
        actor, case_id, "verify_fail", version=version, note=note, change=change, after=after
    )


def close_change() -> Change:
    """核查通过: closed now, on time or not."""

    def change(case, now):
        case.closed_at = now
        case.closed_on_time = bool(case.due_at is None or now <= case.due_at)
        return {"on_time": case.closed_on_time}

    return change


def rework_change() -> Change:
    """返工: back to the handling unit, counted."""

    def change(case, now):
        case.rework_count += 1
        return {"rework": case.rework_count}

    return change


def case_callback(*, actor, case_id, solved: bool, rating: str, note="", version=None):
    """回访: did it get solved, and how satisfied is the reporter. An unsatisfied rating
    escalates the case one level up (不满意件提级办理)."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    clean_choice(rating, Rating.choices, "rating", errors)
    raise_if(errors)
    change = callback_change(solved, rating)

    # The callback and the escalation it calls for land together or not at all.
    with transaction.atomic():
        case = transition(
            actor,
            case_id,
            "callback",
            version=version,
            note=note,
            change=change,
            inputs={"solved": solved, "rating": rating},
        )
        if rating == Rating.UNSATISFIED:
            case = escalate_unsatisfied(case.pk, note or _("The reporter is not satisfied."))
    return case


def callback_change(solved, rating: str, *, by_reporter: bool = False) -> Change:
    """回访 at `now`: solved or not, and the rating (an unsatisfied one escalates next)."""

    def change(case, now):
        case.callback_at = now
        case.callback_solved = bool(solved)
        case.callback_rating = rating
        return {
            "solved": bool(solved),
            "rating": rating,
            **({"by": "reporter"} if by_reporter else {}),
        }

    return change


def case_merge(*, actor, case_id, version=None, target_id, note=""):
    """并案: a duplicate joins the case it duplicates and stops there."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    raise_if(errors)
    target = selectors.case_for(actor, target_id)
    source = selectors.case_for(actor, case_id)

    def after(case, event):
        merged_in_event(target, actor, case, note, at=event.at).save(force_insert=True)

    with transaction.atomic():
        # Both rows are locked in id order, so merging A into B and B into A at once
        # cannot deadlock, and the later one sees the earlier one's result.
        locked = {
            c.pk: c
            for c in Case.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        target = locked[target.pk]
        if target.state in NOT_MERGEABLE:
            message = _("A case can only be merged into a live case.")
            raise Invalid(message, details={"target_id": [message]})
        return transition(
            actor,
            case_id,
            "merge",
            version=version,
            note=note,
            change=merge_change(target),
            after=after,
            inputs={"target": target},
        )


NOT_MERGEABLE = (State.MERGED, State.REJECTED)  # a duplicate joins only a live case


def merge_change(target: Case) -> Change:
    def change(case, now):
        case.merged_into = target
        return {"into": target.number}

    return change


def merged_in_event(target: Case, actor, source: Case, note: str, *, at):
    """The row on the target's timeline beside the merge (its state does not change)."""
    return new_event(target, actor, "merged_in", target.state, note, {"from": source.number}, at=at)


def case_reopen(*, actor, case_id, version=None, reason=""):
    """重新办理: a closed or rejected case is registered again, with a new deadline."""
    errors: dict[str, list[str]] = {}
    reason = clean_note(reason, errors, required=True, name="reason")
    raise_if(errors)
    change = reopen_change()
    return transition(actor, case_id, "reopen", version=version, note=reason, change=change)


def reopen_change() -> Change:
    """重新办理: registered again now, with new deadlines."""

    def change(case, now):
        if case.registered_at is None:
            case.registered_at = now
        reopen_fields(case, now)
        return {"due_at": iso(case.due_at)}

    return change


def case_reveal_phone(*, actor, case_id) -> str:
    """The reporter's phone in full, for those who must call back; audited."""
    case = selectors.case_for(actor, case_id)
    if not permissions.can(actor, Perm.CASE_REVEAL, case):
        raise PermissionDenied(_("You may not see the full phone number."))
    phone = (
        crypto.decrypt(case.reporter_phone_enc, purpose=pii.PHONE_PURPOSE)
        if case.reporter_phone_enc
        else ""
    )
    if not phone and case.reporter_resident_id:
        phone = pii.open_phone(case.reporter_resident)
    audit_record(actor=actor, action="case.reveal_phone", obj=case, changes={"field": "phone"})
    return phone


def case_reveal_text(*, actor, case_id) -> dict[str, str]:
    """The title and description as the reporter wrote them, phones and 身份证号 in full,
    for those who may call the reporter back (cases.reveal on the case); audited. Every
    other reader, and every list, export and notification, has the masked text."""
    case = selectors.case_for(actor, case_id)
    if not permissions.can(actor, Perm.CASE_REVEAL, case):
        raise PermissionDenied(_("You may not see the text as written."))
    written = opened_text(case)
    audit_record(
        actor=actor,
        action="case.reveal_text",
        obj=case,
        changes={"fields": ["title", "description"], "masked": bool(case.text_enc)},
    )
    return written


# -- people as assignees ------------------------------------------------------------


def case_claim(*, actor, case_id, version=None, note=""):
    """认领: a person takes a case from its kind's board (a volunteer a micro-wish) — it is
    dispatched to them and accepted in one step, with the deadlines, the return and the
    overdue of any handling. Only kinds with `claimable` allow it, and only for the people
    it names; a case one may not claim is the same 404 as a missing one. Two claims at
    once: the row lock lets one in, the other finds the case taken (409)."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors)
    raise_if(errors)
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to claim."))

    def locate(lock_version):
        try:
            case = Case.objects.select_for_update(of=("self",)).get(pk=int(case_id))
        except (Case.DoesNotExist, TypeError, ValueError):
            case = None
        claimable = get_kind(case.kind).claimable if case is not None else None
        if case is None or claimable is None or not claimable(actor, case):
            raise NotFound(_("The case does not exist or is outside your area."))
        if lock_version not in (None, "") and int(lock_version) != case.version:
            raise Stale(
                _("Someone else has already changed this case; reload it and try again."),
                details={"version": case.version},
            )
        return case

    change = claim_change(actor)
    return transition(
        actor, case_id, "claim", version=version, note=note, change=change, locate=locate
    )


def claim_change(person) -> Change:
    """认领: dispatched to `person` and accepted by them at the same moment."""

    def change(case, now):
        if case.registered_at is None:
            case.registered_at = now
            set_deadlines(case, now)
        case.department = None
        case.assignee_code = ""
        case.assignee_user = person
        case.handler = person
        case.dispatched_at = case.accepted_at = now
        return {"person": person.get_display_name()}

    return change
