"""Scoped reads of volunteers: volunteers, teams, activities and their sign-ups, hours,
partners, the public board, and the figures (activities, 人次, hours) from the records.

Everything staff read is filtered by the scope of volunteers.view on the row's
`org_code`; outside is NotFound, the same as what does not exist. The public board reads
`board()` only: titles, times, places and free places, no person."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.dates import period_bounds
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import scope_for
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols.models import Patrol, PatrolKind
from gongzhi.volunteers import perms
from gongzhi.volunteers.models import (
    Activity,
    Attendance,
    HourRecord,
    HourState,
    Participation,
    ParticipationState,
    Partner,
    Team,
    Volunteer,
    VolunteerState,
)

P = ParticipationState


def _q(user, field_name="org_code") -> Q:
    return scope_for(user, perms.VIEW).q(field_name)


def volunteers_visible(user) -> QuerySet[Volunteer]:
    return Volunteer.objects.filter(_q(user))


def volunteer_list(user, *, q: str = "", state: str = "", team_id=None) -> QuerySet[Volunteer]:
    qs = volunteers_visible(user).select_related("team", "partner")
    if q:
        qs = qs.filter(name__contains=q[:50])
    if state:
        qs = qs.filter(state=state)
    if team_id not in (None, ""):
        qs = qs.filter(team_id=parse_id(team_id))
    return qs.order_by("-id")


def _one(qs, pk, message):
    obj = qs.filter(pk=parse_id(pk)).first()
    if obj is None:
        raise NotFound(message)
    return obj


def volunteer_detail(user, volunteer_id) -> Volunteer:
    return _one(
        volunteers_visible(user).select_related("team", "partner", "resident"),
        volunteer_id,
        _("The volunteer does not exist or is outside your area."),
    )


def teams(user) -> QuerySet[Team]:
    return (
        Team.objects.filter(_q(user))
        .select_related("leader")
        .annotate(size=Count("members"))
        .order_by("org_code", "name")
    )


def activities(user, *, upcoming: bool | None = None, kind: str = "") -> QuerySet[Activity]:
    qs = Activity.objects.filter(_q(user)).select_related("team", "partner")
    now = timezone.now()
    if upcoming is True:
        qs = qs.filter(ends_at__gte=now).order_by("starts_at", "id")
    elif upcoming is False:
        qs = qs.filter(ends_at__lt=now)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def activity_detail(user, activity_id) -> Activity:
    return _one(
        Activity.objects.filter(_q(user)).select_related("team", "partner"),
        activity_id,
        _("The activity does not exist or is outside your area."),
    )


def participants(activity: Activity) -> list[Participation]:
    return list(
        activity.participations.select_related("volunteer", "hours").order_by(
            "state", "created_at", "id"
        )
    )


def hours_pending(user) -> QuerySet[HourRecord]:
    return (
        HourRecord.objects.filter(_q(user), state=HourState.PENDING)
        .select_related("volunteer", "activity")
        .order_by("served_on", "id")
    )


def hours_of(volunteer: Volunteer) -> QuerySet[HourRecord]:
    return volunteer.hours.select_related("activity").order_by("-served_on", "-id")


def partners(user, *, kind: str = "", q: str = "") -> QuerySet[Partner]:
    qs = Partner.objects.filter(_q(user))
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__contains=q[:50])
    return qs.order_by("kind", "name")


def partner_detail(user, partner_id) -> Partner:
    return _one(
        Partner.objects.filter(_q(user)),
        partner_id,
        _("The partner does not exist or is outside your area."),
    )


def contributions(partner: Partner) -> dict:
    """What a partner contributed, from the records: activities hosted, volunteers sent,
    their turns and approved hours."""
    minutes = (
        HourRecord.objects.filter(volunteer__partner=partner, state=HourState.APPROVED).aggregate(
            m=Sum("minutes")
        )["m"]
        or 0
    )
    return {
        "hosted": partner.activities.filter(is_cancelled=False).count(),
        "sent": partner.volunteers.count(),
        "turns": Participation.objects.filter(
            volunteer__partner=partner, checked_in_at__isnull=False
        ).count(),
        "hours": round(minutes / 60, 1),
    }


def board(*, unit_code: str = "", limit: int = 100) -> list[dict]:
    """The resident board: upcoming activities, their places left, nobody's name."""
    qs = Activity.objects.filter(is_cancelled=False, ends_at__gte=timezone.now())
    if unit_code:
        qs = qs.filter(org_code__startswith=unit_code)
    return list(
        qs.order_by("starts_at", "id").values(
            "pk",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            "confirmed",
            "rule",
            "deadline",
            "min_age",
            "org_code",
        )[:limit]
    )


def board_activity(activity_id) -> Activity:
    return _one(
        Activity.objects.filter(is_cancelled=False), activity_id, _("The activity does not exist.")
    )


def my_volunteer(held: dict) -> Volunteer | None:
    """The verified phone's volunteer registration (approved first), or None."""
    return (
        Volunteer.objects.filter(phone_hash=held["hash"])
        .exclude(state=VolunteerState.LEFT)
        .order_by("state", "pk")
        .first()
    )


def my_participation(held: dict, activity: Activity) -> Participation | None:
    volunteer = my_volunteer(held)
    if volunteer is None:
        return None
    return activity.participations.filter(volunteer=volunteer).first()


def activity_by_code(code: str) -> Activity:
    activity = Activity.objects.filter(code=str(code)[:32]).first()
    if activity is None:
        raise NotFound(_("This activity code is not valid."), code="code_invalid")
    return activity


def today_for(user, volunteer: Volunteer) -> list[Participation]:
    """The volunteer's confirmed sign-ups for activities of today (open for check-in)
    in the area the organiser manages."""
    now = timezone.now()
    return list(
        volunteer.participations.filter(
            scope_for(user, perms.MANAGE).q("org_code"),
            state=P.CONFIRMED,
            starts_at__lte=now + dt.timedelta(hours=12),
            ends_at__gte=now - dt.timedelta(hours=1),
        )
        .select_related("activity")
        .order_by("starts_at")
    )


def my_participations(volunteer: Volunteer) -> list[Participation]:
    return list(
        volunteer.participations.select_related("activity")
        .exclude(state=P.CANCELLED)
        .order_by("-starts_at")[:50]
    )


# -- figures from the records ----------------------------------------------------------------


@dataclass
class Figures:
    """The seeds' line: N activities, N 人次 (volunteers checked in), N hours (approved
    records), N people who came (non-volunteers), N patrols, N volunteers approved."""

    code: str
    name: str
    activities: int = 0
    turns: int = 0
    minutes: int = 0
    attendance: int = 0
    patrols: int = 0
    volunteers: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def figures(user, unit: OrgUnit, start: dt.date, end: dt.date) -> tuple[Figures, list[Figures]]:
    """The figures of `unit` and of each of its children over [start, end] (local days),
    one GROUP BY a source whatever the number of children. 人次: sign-ups checked in at
    activities starting in the period; hours: approved hour records served in it."""
    scope = scope_for(user, perms.VIEW)
    if not scope.covers_code(unit.code):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    children = list(OrgUnit.objects.filter(parent=unit).order_by("code"))
    length = len(children[0].code) if children else len(unit.code)
    lo, hi = period_bounds(start, end)
    within = Q(org_code__gte=unit.code, org_code__lt=unit.code + ":") & scope.q("org_code")
    rows: dict[str, Figures] = {c.code: Figures(c.code, c.name) for c in children}
    total = Figures(unit.code, unit.name)

    # Records kept at the unit itself (a community's activities, when its children are
    # grids) are the unit's own row, after the children's.
    own = Figures(unit.code, _("%(name)s itself") % {"name": unit.name})

    def add(code, name, n):
        n = n or 0
        setattr(total, name, getattr(total, name) + n)
        row = rows.get(code[:length], own) if len(code) >= length else own
        setattr(row, name, getattr(row, name) + n)

    sources = (
        (
            "activities",
            Activity.objects.filter(
                within, is_cancelled=False, starts_at__gte=lo, starts_at__lt=hi
            ),
            Count("pk"),
        ),
        (
            "turns",
            Participation.objects.filter(
                within, starts_at__gte=lo, starts_at__lt=hi, checked_in_at__isnull=False
            ),
            Count("pk"),
        ),
        (
            "minutes",
            HourRecord.objects.filter(
                within, state=HourState.APPROVED, served_on__gte=start, served_on__lte=end
            ),
            Sum("minutes"),
        ),
        (
            "attendance",
            Attendance.objects.filter(
                within, activity__starts_at__gte=lo, activity__starts_at__lt=hi
            ),
            Sum("people"),
        ),
        (
            "patrols",
            Patrol.objects.filter(within, started_at__gte=lo, started_at__lt=hi),
            Count("pk"),
        ),
        (
            "volunteers",
            Volunteer.objects.filter(within, state=VolunteerState.APPROVED),
            Count("pk"),
        ),
    )
    for name, qs, agg in sources:
        for code, n in qs.order_by().values_list("org_code").annotate(n=agg):
            add(code, name, n)
    shown = ("activities", "turns", "minutes", "attendance", "patrols", "volunteers")
    mine = [own] if children and any(getattr(own, f) for f in shown) else []
    return total, list(rows.values()) + mine


def night_patrols(user, unit: OrgUnit, start: dt.date, end: dt.date) -> int:
    lo, hi = period_bounds(start, end)
    return Patrol.objects.filter(
        _q(user),
        org_code__startswith=unit.code,
        kind=PatrolKind.NIGHT,
        started_at__gte=lo,
        started_at__lt=hi,
    ).count()


def per_volunteer(user, unit: OrgUnit, start: dt.date, end: dt.date, *, limit=200) -> list[dict]:
    """Each volunteer's 人次 and approved hours in the period, most hours first."""
    lo, hi = period_bounds(start, end)
    within = Q(org_code__startswith=unit.code) & _q(user)
    minutes = dict(
        HourRecord.objects.filter(
            within, state=HourState.APPROVED, served_on__gte=start, served_on__lte=end
        )
        .order_by()
        .values_list("volunteer_id")
        .annotate(m=Sum("minutes"))
    )
    turns = dict(
        Participation.objects.filter(
            within, starts_at__gte=lo, starts_at__lt=hi, checked_in_at__isnull=False
        )
        .order_by()
        .values_list("volunteer_id")
        .annotate(n=Count("pk"))
    )
    ids = sorted(set(minutes) | set(turns), key=lambda v: (-(minutes.get(v) or 0), v))[:limit]
    people = Volunteer.objects.filter(pk__in=ids).select_related("team").in_bulk()
    return [
        {
            "volunteer": people[v],
            "turns": turns.get(v, 0),
            "hours": round((minutes.get(v) or 0) / 60, 1),
        }
        for v in ids
        if v in people
    ]


def per_team(user, unit: OrgUnit, start: dt.date, end: dt.date) -> list[dict]:
    lo, hi = period_bounds(start, end)
    within = Q(org_code__startswith=unit.code) & _q(user)
    minutes = dict(
        HourRecord.objects.filter(
            within,
            state=HourState.APPROVED,
            served_on__gte=start,
            served_on__lte=end,
            volunteer__team__isnull=False,
        )
        .order_by()
        .values_list("volunteer__team_id")
        .annotate(m=Sum("minutes"))
    )
    turns = dict(
        Participation.objects.filter(
            within,
            starts_at__gte=lo,
            starts_at__lt=hi,
            checked_in_at__isnull=False,
            volunteer__team__isnull=False,
        )
        .order_by()
        .values_list("volunteer__team_id")
        .annotate(n=Count("pk"))
    )
    out = []
    for team in Team.objects.filter(within).annotate(size=Count("members")).order_by("name"):
        out.append(
            {
                "team": team,
                "turns": turns.get(team.pk, 0),
                "hours": round((minutes.get(team.pk) or 0) / 60, 1),
            }
        )
    return out


def certificate(volunteer: Volunteer, year: int) -> dict:
    """A volunteer's year: approved hours (minutes summed), turns and activities."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lo, hi = period_bounds(start, end)
    minutes = (
        volunteer.hours.filter(
            state=HourState.APPROVED, served_on__gte=start, served_on__lte=end
        ).aggregate(m=Sum("minutes"))["m"]
        or 0
    )
    turns = volunteer.participations.filter(
        starts_at__gte=lo, starts_at__lt=hi, checked_in_at__isnull=False
    ).count()
    return {"year": year, "hours": round(minutes / 60, 1), "minutes": minutes, "turns": turns}


def workbench(user) -> dict | None:
    scope = scope_for(user, perms.MANAGE)
    if scope.is_empty:
        return None
    now = timezone.now()
    return {
        "registered": Volunteer.objects.filter(
            scope.q("org_code"), state=VolunteerState.REGISTERED
        ).count(),
        "upcoming": Activity.objects.filter(
            scope.q("org_code"), is_cancelled=False, ends_at__gte=now
        ).count(),
        "pending": HourRecord.objects.filter(scope.q("org_code"), state=HourState.PENDING).count(),
    }
