"""Every read of patrols, scoped to the user's area: the list, one patrol, and the
counts per month (巡逻 N 次) from the records."""

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import scope_for
from gongzhi.patrols import perms
from gongzhi.patrols.models import Patrol


def visible(user):
    return Patrol.objects.filter(scope_for(user, perms.VIEW).q("org_code"))


def _filtered(user, *, unit_code: str = "", kind: str = "", start=None, end=None):
    qs = visible(user)
    if unit_code:
        qs = qs.filter(org_code__startswith=unit_code)
    if kind:
        qs = qs.filter(kind=kind)
    if start is not None:
        qs = qs.filter(started_at__gte=start)
    if end is not None:
        qs = qs.filter(started_at__lt=end)
    return qs


def patrol_list(user, **filters):
    """The area's patrols, newest first, each with its number of checkpoints visited."""
    return _filtered(user, **filters).select_related("leader").annotate(checkpoints=Count("points"))


def patrol_detail(user, patrol_id) -> Patrol:
    patrol = visible(user).filter(pk=parse_id(patrol_id)).select_related("leader").first()
    if patrol is None:
        raise NotFound(_("The patrol does not exist or is outside your area."))
    return patrol


def points_of(patrol: Patrol):
    return list(patrol.points.select_related("case").order_by("at", "id"))


def open_patrols(user):
    return list(
        Patrol.objects.filter(
            scope_for(user, perms.PATROL).q("org_code"), ended_at=None, leader=user
        ).order_by("-started_at")[:10]
    )


def monthly_counts(user, *, unit_code: str, start, end, kind: str = "") -> list[dict]:
    """[{month, kind, patrols, people}] of the area's patrols started in [start, end)."""
    qs = _filtered(user, unit_code=unit_code, kind=kind, start=start, end=end)
    rows = (
        qs.order_by()
        .annotate(month=TruncMonth("started_at"))
        .values("month", "kind")
        .annotate(patrols=Count("id"))
        .order_by("month", "kind")
    )
    return list(rows)


def count(user, *, unit_code: str, start, end, kind: str = "") -> int:
    return _filtered(user, unit_code=unit_code, kind=kind, start=start, end=end).count()


def workbench(user) -> dict | None:
    """The workbench panel: the patrols under way and those of this month in the area."""
    from django.utils import timezone

    scope = scope_for(user, perms.VIEW)
    if scope.is_empty:
        return None
    month = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Patrol.objects.filter(scope.q("org_code")).aggregate(
        open=Count("id", filter=Q(ended_at__isnull=True)),
        month=Count("id", filter=Q(started_at__gte=month)),
    )
