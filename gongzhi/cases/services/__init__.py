"""Writes on cases, by concern: intake, the one transition path, handling, escalation and
supervision, the clock (suspension, extensions, reminders), the reporter's own writes,
and who is told (recipients). Callers import the services from here."""

from gongzhi.cases.recipients import (
    handlers_of,
    leaders_over,
    notify_case,
    operators_over,
)
from gongzhi.cases.services.clock import (
    case_decide_extension,
    case_request_extension,
    case_resume,
    case_suspend,
    remind_due,
    set_deadlines,
)
from gongzhi.cases.services.common import (
    MAX_DESCRIPTION,
    MAX_EXTENSION_DAYS,
    MAX_NOTE,
    MAX_PHOTOS,
    Stale,
)
from gongzhi.cases.services.escalation import (
    case_escalate,
    case_leader_visit,
    case_supervise,
    escalate_unsatisfied,
)
from gongzhi.cases.services.handling import (
    case_accept,
    case_callback,
    case_claim,
    case_contact,
    case_dispatch,
    case_handle,
    case_merge,
    case_progress,
    case_register,
    case_reject,
    case_reopen,
    case_return,
    case_reveal_phone,
    case_reveal_text,
    case_verify,
)
from gongzhi.cases.services.intake import case_report, next_number
from gongzhi.cases.services.reporter import (
    RESIDENT_INFO,
    case_add_info_by_reporter,
    case_callback_by_reporter,
    case_report_by_resident,
)
from gongzhi.cases.services.transition import case_event_add, resident_name, transition
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_EXTENSION_DAYS",
    "MAX_NOTE",
    "MAX_PHOTOS",
    "RESIDENT_INFO",
    "Conflict",
    "Invalid",
    "NotFound",
    "PermissionDenied",
    "Stale",
    "case_accept",
    "case_add_info_by_reporter",
    "case_callback",
    "case_callback_by_reporter",
    "case_claim",
    "case_contact",
    "case_decide_extension",
    "case_dispatch",
    "case_escalate",
    "case_event_add",
    "case_handle",
    "case_leader_visit",
    "case_merge",
    "case_progress",
    "case_register",
    "case_reject",
    "case_reopen",
    "case_report",
    "case_report_by_resident",
    "case_request_extension",
    "case_resume",
    "case_return",
    "case_reveal_phone",
    "case_reveal_text",
    "case_supervise",
    "case_suspend",
    "case_verify",
    "escalate_unsatisfied",
    "handlers_of",
    "leaders_over",
    "next_number",
    "notify_case",
    "operators_over",
    "remind_due",
    "resident_name",
    "set_deadlines",
    "transition",
]
