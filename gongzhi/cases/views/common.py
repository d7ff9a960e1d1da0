"""What the case pages share: the deadline clock, paging, form errors, place labels."""

import datetime as dt
from dataclasses import dataclass

from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from gongzhi.cases.models import Case, State
from gongzhi.core import permissions
from gongzhi.core.errors import DomainError
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.roles import Level, Perm

PAGE = 30


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


def page(qs, ordering: tuple[str, ...], cursor: str | None):
    """One page in a queue's order (dates and deadlines too); a forged or stale cursor
    shows the first page."""
    try:
        return keyset_page(qs, ordering=ordering, cursor=cursor, limit=PAGE)
    except DomainError:
        return keyset_page(qs, ordering=ordering, cursor=None, limit=PAGE)


# -- forms and errors -------------------------------------------------------------------


def form_errors(form, exc: DomainError) -> None:
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


def can_use_cases(user) -> bool:
    return permissions.can(user, Perm.CASE_VIEW) or permissions.can(user, Perm.CASE_REPORT)
