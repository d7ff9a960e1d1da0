"""Who is told about a case: its handlers, the operators and leaders over its place."""

from collections.abc import Iterable

from gongzhi.accounts.models import Position
from gongzhi.cases.models import Case
from gongzhi.core.roles import CODE_LENGTH, Role
from gongzhi.notifications.services import notify


def users_at(codes: Iterable[str], roles: Iterable[str]) -> list:
    """Active holders of `roles` at exactly these org codes."""
    return [
        p.user
        for p in Position.objects.filter(
            is_active=True, role__in=list(roles), org_code__in=list(codes)
        ).select_related("user")
        if p.user.is_active
    ]


def ancestor_codes(code: str) -> list[str]:
    return [code[:n] for n in sorted(set(CODE_LENGTH.values())) if n <= len(code)]


def handlers_of(case: Case) -> list:
    """Who handles the case now: the person it is assigned to, the department's
    handlers, or the workers of the unit."""
    if case.assignee_user_id:
        return [case.assignee_user] if case.assignee_user.is_active else []
    if case.department_id:
        return [
            p.user
            for p in Position.objects.filter(
                is_active=True, role=Role.DEPARTMENT_HANDLER, department_id=case.department_id
            ).select_related("user")
            if p.user.is_active
        ]
    if case.assignee_code:
        return users_at([case.assignee_code], [Role.GRID_WORKER, Role.COMMUNITY_WORKER])
    return []


def operators_over(case: Case) -> list:
    return users_at(ancestor_codes(case.org_code), [Role.OPERATOR])


def leaders_over(code: str) -> list:
    return users_at(ancestor_codes(code), [Role.LEADER])


def notify_case(case: Case, recipients, kind: str, title: str, body: str = "", dedupe=None) -> int:
    """Queue an inbox notification about `case`; returns how many rows were new."""
    recipients = [u for u in dict.fromkeys(recipients) if u is not None]
    if recipients:
        return notify(
            recipients=recipients,
            kind=kind,
            title=title,
            body=body or case.title,
            link=f"/cases/{case.pk}/",
            dedupe_key=dedupe,
        )
    return 0


# -- intake ------------------------------------------------------------------------
