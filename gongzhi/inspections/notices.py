"""Rectification notices (整改通知书) and re-inspection (回头看 / 复查).

A hazard case's notice is issued through the case loop (the kind's action
"issue_notice", a timeline row), served on the spot (signed, with a photo, or refused,
noted), and checked at its deadline by a re-inspection task over the failed items only,
made by a daily job (idempotent: one re-inspection a notice). A passing re-inspection
closes the notice as rectified and reports the case handled, for the loop's verification
to close it; a failing one closes the notice as failed, counts the failure, and issues
the next notice for the enforcement department to act on. Verification cannot pass while
a notice is open (the kind's guard), and escalation to enforcement is explicit.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, State
from gongzhi.cases.services.handling import handle_change
from gongzhi.core.audit import audit_record
from gongzhi.core.calendar import work_calendar
from gongzhi.core.deadlines import add_working_days
from gongzhi.core.errors import Conflict, Invalid
from gongzhi.inspections.models import (
    HazardDetail,
    InspectionResult,
    InspectionTask,
    NoticeCounter,
    NoticeService,
    NoticeState,
    RectificationNotice,
)
from gongzhi.orgs.models import OrgUnit

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 60, 5
REINSPECT_LEAD_DAYS = 1  # the re-inspection task appears the day before the deadline
REINSPECT_DAYS = 2  # and is due two working days after it
LEGAL_TEXT = (
    "经检查，你单位存在下列安全隐患。依据《中华人民共和国消防法》《中华人民共和国安全生产法》"
    "等法律法规，责令你单位于{deadline}前整改完毕，整改期间应采取措施确保安全。"
    "逾期未整改或整改不合格的，将移交相关执法部门依法处理。"
)


def _number(now: dt.datetime) -> str:
    """〔2026〕第0012号, in the order issued within the year (a row lock on the counter)."""
    year = timezone.localtime(now).year
    NoticeCounter.objects.get_or_create(year=year)
    counter = NoticeCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"ZG{year}{counter.last:05d}"


def deadline_after(now: dt.datetime, days: int) -> dt.date:
    return timezone.localtime(add_working_days(now, days, work_calendar())).date()


def clean_days(days) -> int:
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not MIN_DAYS <= days <= MAX_DAYS:
        message = _("Between %(a)d and %(b)d working days.") % {"a": MIN_DAYS, "b": MAX_DAYS}
        raise Invalid(message, details={"days": [message]})
    return days


def open_notice(case) -> RectificationNotice | None:
    return RectificationNotice.objects.filter(hazard=case, state=NoticeState.OPEN).first()


def _issue(case, actor, *, days: int, now, items=None) -> RectificationNotice:
    detail = HazardDetail.objects.select_related("premises").get(case=case)
    unit = OrgUnit.objects.filter(code=case.org_code[:12]).values_list("name", flat=True).first()
    last = case.rectification_notices.order_by("-seq").values_list("seq", flat=True).first()
    return RectificationNotice.objects.create(
        number=_number(now),
        hazard=case,
        premises=detail.premises,
        seq=(last or 0) + 1,
        items=items if items is not None else detail.items,
        days=days,
        deadline=deadline_after(now, days),
        issued_by=actor,
        issuer_name=actor.get_display_name() if actor else _("the system"),
        issuer_unit=unit or "",
        issued_at=now,
    )


def notice_issue(*, actor, case_id, version=None, days=DEFAULT_DAYS, note=""):
    """下达整改通知书 on a hazard case that has no open notice."""
    days = clean_days(days)

    def change(case, now):
        if open_notice(case) is not None:
            raise Conflict(_("A notice of this hazard is still open."), code="notice_open")
        return {"days": days}

    def after(case, event):
        notice = _issue(case, actor, days=days, now=event.at)
        event.data = {**event.data, "notice": notice.number, "deadline": str(notice.deadline)}
        event.save(update_fields=["data"])

    return case_services.transition(
        actor, case_id, "issue_notice", version=version, note=note, change=change, after=after
    )


def notice_serve(*, actor, case_id, version=None, service="", note="", photos=()):
    """送达: signed for (a photo of the signed notice) or refused (noted, with a witness)."""
    errors: dict[str, list[str]] = {}
    if service not in NoticeService.values:
        errors["service"] = [_("Choose one of the options.")]
    elif service == NoticeService.SIGNED and not [p for p in photos or () if p]:
        errors["photos"] = [_("Take a photo of the signed notice.")]
    elif service == NoticeService.REFUSED and not str(note or "").strip():
        errors["note"] = [_("Say how it was served, e.g. who witnessed the refusal.")]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], details=errors)

    def change(case, now):
        notice = open_notice(case)
        if notice is None or notice.served_at is not None:
            raise Conflict(_("There is no notice to serve."), code="no_notice")
        RectificationNotice.objects.filter(pk=notice.pk).update(
            service=service, service_note=str(note or "")[:200], served_at=now
        )
        return {"notice": notice.number, "service": service}

    return case_services.transition(
        actor, case_id, "serve_notice", version=version, note=note, photos=photos, change=change
    )


def notice_escalate(*, actor, case_id, version=None, note=""):
    """移交执法: the open notice is closed as handed to enforcement (explicitly, with why)."""
    if not str(note or "").strip():
        message = _("Say why and to whom it is handed.")
        raise Invalid(message, details={"note": [message]})

    def change(case, now):
        notice = open_notice(case)
        if notice is None:
            raise Conflict(_("There is no open notice."), code="no_notice")
        RectificationNotice.objects.filter(pk=notice.pk).update(
            state=NoticeState.ESCALATED, closed_at=now, closed_note=str(note)[:500]
        )
        return {"notice": notice.number}

    return case_services.transition(
        actor, case_id, "escalate_notice", version=version, note=note, change=change
    )


def verified_only_after_reinspection(case, inputs) -> str | None:
    """The kind's guard on verification: not while a notice is open."""
    if open_notice(case) is not None:
        return _("The rectification notice is still open: it closes on a passing re-inspection.")
    return None


# -- re-inspection -----------------------------------------------------------------------


def reinspections_due(today: dt.date | None = None) -> int:
    """Make the re-inspection task of each open notice whose deadline is near (the day
    before), over the failed items only. Idempotent (one task a notice). Returns how many."""
    today = today or timezone.localdate()
    made = 0
    due = RectificationNotice.objects.filter(
        state=NoticeState.OPEN,
        deadline__lte=today + dt.timedelta(days=REINSPECT_LEAD_DAYS),
        reinspection__isnull=True,
    ).select_related("hazard__hazard__task")
    for notice in due:
        original = notice.hazard.hazard.task
        now = timezone.now()
        _task, created = InspectionTask.objects.get_or_create(
            notice=notice,
            defaults={
                "reinspects": original,
                "premises_id": notice.premises_id,
                "org_code": original.org_code,
                "template_id": original.template_id,
                "item_keys": [i["key"] for i in notice.items],
                "due_on": deadline_after(now, REINSPECT_DAYS)
                if notice.deadline < today
                else notice.deadline,
            },
        )
        made += created
    return made


def failures(case) -> int:
    """How many re-inspections of this hazard failed (the Nth failed re-inspection)."""
    return InspectionResult.objects.filter(
        task__notice__hazard=case, passed=False, outcome="inspected"
    ).count()


def _record(actor, case, note: str, data: dict) -> None:
    """The re-inspection on the case's timeline, by its inspector: a move of the kind's
    own ("reinspected", the state kept) that follows from the result, so it is taken in
    the system's mode (the inspector need not handle the case), and the rollups count it
    (复查合格率)."""

    def change(case, now):
        return data

    case_services.transition(actor, case.pk, "reinspected", system=True, note=note, change=change)


def reinspected(actor, task, result) -> None:
    """A re-inspection's result, in its transaction: close the notice, and move the case."""
    notice = RectificationNotice.objects.select_for_update().get(pk=task.notice_id)
    now = result.received_at
    case = notice.hazard
    if result.passed:
        notice.state, notice.closed_at = NoticeState.RECTIFIED, now
        notice.save(update_fields=["state", "closed_at"])
        note = _("Re-inspection passed: notice %(n)s rectified.") % {"n": notice.number}
        _record(actor, case, note, {"notice": notice.number, "passed": True})
        if Case.objects.filter(pk=case.pk, state=State.IN_PROGRESS).exists():
            # Reported handled by the inspector, in the system's mode: it follows from the
            # result, whoever handles the case (verification stays with the loop).
            case_services.transition(
                actor, case.pk, "handle", system=True, note=note, change=handle_change(note)
            )
        return
    # Failed — or not done (closed, not found, entry refused: nothing shows it rectified):
    # the notice closes as failed and the next one covers what is still open.
    inspected = result.outcome == "inspected"
    notice.state, notice.closed_at = NoticeState.FAILED, now
    notice.closed_note = (
        _("Re-inspection failed.") if inspected else _("The re-inspection could not be done.")
    )
    notice.save(update_fields=["state", "closed_at", "closed_note"])
    failed = {i["key"] for i in notice.items}
    if inspected:
        failed &= set(result.failed_keys)
    next_notice = _issue(
        case,
        actor,
        days=notice.days,
        now=now,
        items=[i for i in notice.items if i["key"] in failed],
    )
    note = _("Re-inspection failed: notice %(n)s issued.") % {"n": next_notice.number}
    data = {"notice": notice.number, "passed": False, "failures": failures(case)}
    _record(actor, case, note, {**data, "next_notice": next_notice.number,
                                "deadline": str(next_notice.deadline)})  # fmt: skip
    audit_record(
        actor=actor, action="inspections.notice_reissued", obj=next_notice,
        changes={"after": notice.number, "failures": failures(case)},
    )  # fmt: skip
