"""Escalation and supervision: 提级办理 (by a person, or by the system after an
unsatisfied callback), 督办 levels, and the leader's on-site visit a repeat problem needs."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from gongzhi.cases.models import Case, Supervision
from gongzhi.cases.recipients import handlers_of, notify_case, users_at
from gongzhi.cases.services.clock import set_deadlines
from gongzhi.cases.services.common import clean_note
from gongzhi.cases.services.transition import Change, transition
from gongzhi.core.errors import raise_if
from gongzhi.core.roles import CODE_LENGTH, Level, Role


def reopen_fields(case: Case, now) -> None:
    case.closed_at = None
    case.closed_on_time = None
    case.callback_at = None
    case.callback_solved = None
    case.callback_rating = ""
    case.department = None
    case.assignee_code = ""
    case.assignee_user = None
    case.handler = None
    case.accepted_at = None
    case.suspended_at = None
    set_deadlines(case, now)


def _escalation_unit_code(case: Case, level: int) -> str:
    """Level 1: the subdistrict; level 2 and above: the district."""
    length = CODE_LENGTH[Level.SUBDISTRICT] if level <= 1 else CODE_LENGTH[Level.DISTRICT]
    return case.org_code[:length]


def _leaders_at(code: str) -> list:
    return users_at([code], [Role.LEADER])


def escalate_change(note: str, leaders_at: Callable[[str], list] = _leaders_at) -> Change:
    """提级 at `now`: one level up, supervised by a leader there (the first of
    `leaders_at(unit code)`; a bulk builder passes the positions it has loaded), reopened
    with new deadlines."""

    def change(case, now):
        case.escalation_level += 1
        case.supervision_level = max(case.supervision_level, Supervision.RAISED)
        unit_code = _escalation_unit_code(case, case.escalation_level)
        leaders = leaders_at(unit_code)
        case.supervisor = leaders[0] if leaders else case.supervisor
        case.supervision_note = note[:200]
        reopen_fields(case, now)
        return {"level": case.escalation_level, "unit": unit_code}

    return change


def _escalate_after(case, event):
    unit_code = _escalation_unit_code(case, case.escalation_level)
    recipients = users_at([unit_code], [Role.LEADER, Role.OPERATOR])
    notify_case(
        case,
        recipients,
        "case.escalated",
        _("Case %(n)s escalated to you") % {"n": case.number},
        event.note,
    )


def escalate_unsatisfied(case_id, note) -> Case:
    """提级 that follows from the system's own rule (an unsatisfied callback): the one
    transition path in its system mode (no actor, no scope; state and guards hold)."""
    return transition(
        None,
        case_id,
        "escalate",
        system=True,
        note=note,
        change=escalate_change(note),
        after=_escalate_after,
    )


def case_escalate(*, actor, case_id, version=None, note=""):
    """提级办理 by the command center or a leader: reopened one level up, supervised."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors, required=True)
    raise_if(errors)
    return transition(
        actor,
        case_id,
        "escalate",
        version=version,
        note=note,
        change=escalate_change(note),
        after=_escalate_after,
    )


def case_supervise(*, actor, case_id, level, note="", version=None):
    """督办: 1 跟进办, 2 提级办, 3 高位推 (0 lifts it)."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors, required=True)
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = -1
    if level not in Supervision.values:
        errors.setdefault("level", []).append(_("Choose one of the options."))
    raise_if(errors)

    def after(case, event):
        if level:
            notify_case(
                case,
                handlers_of(case),
                "case.supervised",
                _("Case %(n)s is supervised: %(level)s")
                % {"n": case.number, "level": Supervision(level).label},
                note,
            )

    change = supervise_change(level, note, actor)
    return transition(
        actor, case_id, "supervise", version=version, note=note, change=change, after=after
    )


def supervise_change(level: int, note: str, supervisor) -> Change:
    def change(case, now):
        data = {"level": [case.supervision_level, level]}
        case.supervision_level = level
        case.supervision_note = note[:200]
        case.supervisor = supervisor if level else None
        return data

    return change


def case_leader_visit(*, actor, case_id, version=None, note="", photos=()):
    """领导到现场: a leader records the on-site visit a repeat problem requires."""
    errors: dict[str, list[str]] = {}
    note = clean_note(note, errors, required=True)
    raise_if(errors)
    change = leader_visit_change()
    return transition(
        actor, case_id, "leader_visit", version=version, note=note, photos=photos, change=change
    )


def leader_visit_change() -> Change:
    def change(case, now):
        case.leader_visited_at = now

    return change
