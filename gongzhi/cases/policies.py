"""Which time limits a case gets, and the deadlines they give. Reads only."""

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models import Q

from gongzhi.cases.models import Category, DeadlinePolicy, Urgency
from gongzhi.core.deadlines import WorkCalendar, add_working_days


@dataclass(frozen=True)
class Limits:
    response_hours: int = 1
    handling_working_days: int = 5
    handling_hours: int | None = None
    due_soon_share: float = 0.8


# When no policy is stored at all: the 12345 rule — contact within an hour, handle in
# five working days.
FALLBACK = Limits()


_held: ContextVar[dict | None] = ContextVar("held_limits", default=None)


@contextmanager
def held():
    """Within the block, each category and urgency is looked up once: for a bulk builder
    (the demo) that asks thousands of times while nobody edits the policies."""
    token = _held.set({})
    try:
        yield
    finally:
        _held.reset(token)


def limits_for(category: Category | None, urgency: str) -> Limits:
    """The most specific policy: the category's, its group's, else the default one."""
    memo = _held.get()
    if memo is None:
        return _limits_for(category, urgency)
    key = (category.pk if category else None, urgency)
    if key not in memo:
        memo[key] = _limits_for(category, urgency)
    return memo[key]


def _limits_for(category: Category | None, urgency: str) -> Limits:
    chain = [c for c in (category, category.parent if category else None) if c]
    rows = DeadlinePolicy.objects.filter(urgency=urgency).filter(
        Q(category__in=chain) | Q(category__isnull=True)
    )
    by_category = {p.category_id: p for p in rows}
    for key in [*(c.pk for c in chain), None]:
        if key in by_category:
            p = by_category[key]
            return Limits(
                p.response_hours, p.handling_working_days, p.handling_hours, p.due_soon_share
            )
    return FALLBACK


def deadlines(
    registered_at: dt.datetime, limits: Limits, cal: WorkCalendar
) -> tuple[dt.datetime, dt.datetime]:
    """(respond by, handle by) for a case registered at `registered_at`."""
    respond_by = registered_at + dt.timedelta(hours=limits.response_hours)
    if limits.handling_hours:
        due = registered_at + dt.timedelta(hours=limits.handling_hours)
    else:
        due = add_working_days(registered_at, limits.handling_working_days, cal)
    return respond_by, due


def ensure_reference_data() -> None:
    """The taxonomy and the policies are seeded by a migration; a flushed database (after
    transactional tests, or an emptied demo) has lost them: seed them again."""
    if not Category.objects.filter(parent__isnull=False, is_active=True).exists():
        from importlib import import_module

        from django.apps import apps

        import_module("gongzhi.cases.migrations.0002_seed_categories_and_policies").seed(apps, None)


__all__ = ["FALLBACK", "Limits", "Urgency", "deadlines", "ensure_reference_data", "limits_for"]
