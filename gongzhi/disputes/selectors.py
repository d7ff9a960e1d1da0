"""Every read of disputes, scoped: a dispute (and its parties, sessions, agreements) is
seen by the staff whose `disputes.view` covers its place and by its assigned mediator —
missing and not yours are the same 404. The figures (the screening board, the month's
summary, the KPIs) need `disputes.stats` (or view) over the unit and carry no party data.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Avg,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.dates import period_bounds
from gongzhi.core.errors import NotFound
from gongzhi.core.permissions import can, scope_for
from gongzhi.disputes import perms
from gongzhi.disputes.models import (
    Agreement,
    Dispute,
    FollowUp,
    Mediator,
    Outcome,
    Party,
    Risk,
    Source,
)
from gongzhi.orgs.models import OrgUnit

CONCLUDING = (Outcome.SETTLED, Outcome.FAILED, Outcome.REFERRED)


def _visible_q(user) -> Q:
    q = scope_for(user, perms.VIEW).q("org_code")
    if getattr(user, "is_authenticated", False) and user.is_active:
        q |= Q(case__assignee_user=user)
    return q


def disputes_visible(user) -> QuerySet[Dispute]:
    return Dispute.objects.filter(_visible_q(user)).select_related("case", "type")


def dispute_for(user, dispute_id) -> Dispute:
    try:
        pk = int(dispute_id)
    except (TypeError, ValueError):
        pk = None
    dispute = disputes_visible(user).filter(pk=pk).first() if pk else None
    if dispute is None:
        raise NotFound(_("The dispute does not exist or is outside your area."))
    return dispute


def party_for(user, party_id) -> Party:
    party = (
        Party.objects.select_related("dispute__case")
        .filter(pk=party_id if isinstance(party_id, int) else -1)
        .filter(dispute__in=Dispute.objects.filter(_visible_q(user)))
        .first()
    )
    if party is None:
        raise NotFound(_("Not found."))
    return party


def agreement_for(user, agreement_id) -> Agreement:
    row = (
        Agreement.objects.select_related("dispute__case")
        .filter(pk=agreement_id if isinstance(agreement_id, int) else -1)
        .filter(dispute__in=Dispute.objects.filter(_visible_q(user)))
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return row


def follow_up_for(user, follow_up_id) -> FollowUp:
    row = (
        FollowUp.objects.select_related("agreement__dispute__case")
        .filter(pk=follow_up_id if isinstance(follow_up_id, int) else -1)
        .filter(agreement__dispute__in=Dispute.objects.filter(_visible_q(user)))
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    return row


def mediators_for(dispute: Dispute) -> QuerySet[Mediator]:
    """Active mediators who serve the dispute's subdistrict."""
    reach = dispute.org_code[:9]
    return (
        Mediator.objects.filter(is_active=True)
        .filter(Q(org_code__within=reach) | Q(org_code__in=[reach[:6], reach]))
        .select_related("user", "org_unit")
        .order_by("team", "kind", "pk")
    )


def mediators_visible(user) -> QuerySet[Mediator]:
    scope = scope_for(user, perms.MANAGE)
    return (
        Mediator.objects.filter(scope.q("org_code"))
        .select_related("user", "org_unit")
        .order_by("org_code", "team", "pk")
    )


# -- figures -----------------------------------------------------------------------------


def unit_for_stats(user, unit_id=None) -> OrgUnit:
    """The unit whose figures `user` asks for (default: the widest they may see)."""
    scope = scope_for(user, perms.STATS)
    if unit_id in (None, ""):
        if scope.everything:
            unit = OrgUnit.objects.filter(parent__isnull=True).order_by("code").first()
        else:
            codes = scope.org_codes[:1]
            unit = OrgUnit.objects.filter(code__in=codes).first()
    else:
        try:
            unit = OrgUnit.objects.filter(pk=int(unit_id)).first()
        except (TypeError, ValueError, OverflowError):
            unit = None
    if unit is None or not scope.covers_code(unit.code):
        raise NotFound(_("The unit does not exist or is outside your area."))
    return unit


def screening_level() -> str:
    return getattr(settings, "GONGZHI_DISPUTE_SCREENING_LEVEL", "grid")


def _month_bounds(first: dt.date) -> tuple[dt.datetime, dt.datetime]:
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return period_bounds(first, last)


def found_in(code: str, first: dt.date) -> int:
    start, end = _month_bounds(first)
    return Dispute.objects.filter(
        org_code__within=code, registered_at__gte=start, registered_at__lt=end
    ).count()


@dataclass(slots=True)
class BoardRow:
    unit_id: int
    code: str
    name: str
    state: str  # on_time | late | missing | overdue (missing past the due date)
    is_zero: bool = False
    found: int = 0
    filed_at: dt.datetime | None = None
    revision: int = 0


@dataclass
class Board:
    unit: OrgUnit
    month: dt.date
    due: dt.date
    rows: list[BoardRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _moment(text: str) -> dt.datetime:
    """A timestamp the database gave as text (UTC: the connections' time zone)."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def board(unit: OrgUnit, first: dt.date) -> Board:
    """月排查月上报 of a month: each reporting unit under `unit`, filed on time, late,
    missing, or missing past the due date (one query, whatever the history)."""
    from gongzhi.disputes.services import due_date

    due = due_date(first)
    # One LEFT JOIN: each reporting unit with its report of the month, if any. The filing
    # moment comes as text and is read by fromisoformat: Django's SQLite converter for
    # 2,000 timestamps cost 3 of the 8 ms the whole board took (docs/performance.md).
    rows_of = (
        OrgUnit.objects.filter(code__within=unit.code, level=screening_level())
        .annotate(
            r=FilteredRelation(
                "dispute_screening_reports",
                condition=Q(dispute_screening_reports__month=first),
            ),
            filed=Cast("r__first_filed_at", output_field=CharField()),
        )
        .order_by("code")
        .values_list(
            "pk", "code", "name", "r__pk", "r__is_zero", "r__found", "filed", "r__late",
            "r__revision",
        )
    )  # fmt: skip
    past_due = timezone.localdate() > due
    out = Board(unit=unit, month=first, due=due)
    counts = {"on_time": 0, "late": 0, "missing": 0, "overdue": 0, "zero": 0}
    absent = "overdue" if past_due else "missing"
    rows = out.rows
    for pk, code, name, report, zero, found, filed_at, late, revision in rows_of:
        if report is None:
            rows.append(BoardRow(pk, code, name, absent))
            counts[absent] += 1
        else:
            state = "late" if late else "on_time"
            rows.append(BoardRow(pk, code, name, state, zero, found, _moment(filed_at), revision))
            counts[state] += 1
            counts["zero"] += zero
    counts["units"] = len(rows)
    out.counts = counts
    return out


def month_summary(unit: OrgUnit, first: dt.date) -> dict:
    """The month's summary from the register: new, concluded by outcome, carried over
    from earlier months, open at the end; the new by type and by risk."""
    start, end = _month_bounds(first)
    rows = Dispute.objects.filter(org_code__within=unit.code, registered_at__lt=end).filter(
        Q(concluded_at__isnull=True) | Q(concluded_at__gte=start)
    )
    in_month = Q(concluded_at__gte=start, concluded_at__lt=end)
    totals = rows.aggregate(
        new=Count("pk", filter=Q(registered_at__gte=start)),
        carried_over=Count("pk", filter=Q(registered_at__lt=start)),
        settled=Count("pk", filter=in_month & Q(outcome=Outcome.SETTLED)),
        failed=Count("pk", filter=in_month & Q(outcome=Outcome.FAILED)),
        referred=Count("pk", filter=in_month & Q(outcome=Outcome.REFERRED)),
        withdrawn=Count("pk", filter=in_month & Q(outcome=Outcome.WITHDRAWN)),
        open_at_end=Count("pk", filter=Q(concluded_at__isnull=True) | Q(concluded_at__gte=end)),
    )
    new = rows.filter(registered_at__gte=start)
    by_type = list(new.values("type__name").annotate(n=Count("pk")).order_by("-n", "type__name"))
    by_risk = dict(new.values_list("risk").annotate(n=Count("pk")).order_by())
    totals["concluded"] = totals["settled"] + totals["failed"] + totals["referred"]
    return {
        "unit": unit,
        "month": first,
        **totals,
        "success": rate(totals["settled"], totals["concluded"]),
        "by_type": [(r["type__name"], r["n"]) for r in by_type],
        "by_risk": [(str(label), by_risk.get(value, 0)) for value, label in Risk.choices],
    }


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> str:
        v = self.value
        return "—" if v is None else f"{v * 100:.1f}%"


def rate(n: int, d: int) -> Ratio:
    return Ratio(n, d)


def kpis(unit: OrgUnit, start: dt.date, end: dt.date) -> dict:
    """调解成功率 (settled / concluded), withdrawn beside it, the disputes registered by
    type, source and risk, the mean days to settle, and 矛盾不出小区 (settled by a mediator
    of the dispute's own community / settled) — each with its denominator."""
    lo, hi = period_bounds(start, end)
    mine = Dispute.objects.filter(org_code__within=unit.code)
    concluded = mine.filter(concluded_at__gte=lo, concluded_at__lt=hi)
    done = concluded.aggregate(
        settled=Count("pk", filter=Q(outcome=Outcome.SETTLED)),
        concluded=Count("pk", filter=Q(outcome__in=CONCLUDING)),
        withdrawn=Count("pk", filter=Q(outcome=Outcome.WITHDRAWN)),
        local=Count("pk", filter=Q(outcome=Outcome.SETTLED, settled_locally=True)),
        mean=Avg(
            ExpressionWrapper(F("concluded_at") - F("registered_at"), output_field=DurationField()),
            filter=Q(outcome=Outcome.SETTLED),
        ),
    )
    registered = mine.filter(registered_at__gte=lo, registered_at__lt=hi)
    total = registered.count()
    by_type = list(
        registered.values_list("type__name").annotate(n=Count("pk")).order_by("-n", "type__name")
    )
    by_source = dict(registered.values_list("source").annotate(n=Count("pk")).order_by())
    by_risk = dict(registered.values_list("risk").annotate(n=Count("pk")).order_by())
    mean = done["mean"]
    return {
        "unit": unit,
        "start": start,
        "end": end,
        "registered": total,
        "success": rate(done["settled"], done["concluded"]),
        "withdrawn": done["withdrawn"],
        "local": rate(done["local"], done["settled"]),
        "days_to_settle": round(mean.total_seconds() / 86400, 1) if mean is not None else None,
        "by_type": by_type,
        "by_source": [(v, str(label), by_source.get(v, 0)) for v, label in Source.choices],
        "by_risk": [(v, str(label), by_risk.get(v, 0)) for v, label in Risk.choices],
    }


def workbench(user) -> dict | None:
    """The workbench panel: disputes to mediate (as mediator), open ones in the area —
    one query for both."""
    sees = can(user, perms.VIEW)
    screens = can(user, perms.SCREEN)
    staff = sees or screens or can(user, perms.STATS)
    if not staff and not Mediator.objects.filter(user_id=user.pk, is_active=True).exists():
        return None
    counts = Dispute.objects.filter(outcome="").aggregate(
        mine=Count("pk", filter=Q(case__assignee_user_id=user.pk)),
        open=Count("pk", filter=scope_for(user, perms.VIEW).q("org_code")),
    )
    return {**counts, "sees": sees, "screens": screens}


def disputes_list(user, *, open_only: bool | None = None) -> QuerySet[Dispute]:
    """The register as a list, newest first (keyset-friendly: the registered index)."""
    qs = (
        Dispute.objects.filter(_visible_q(user))
        .select_related("type", "case__grid", "case__assignee_user")
        .only(
            "case_id", "org_code", "registered_at", "type__name", "source", "source_ref", "risk",
            "summary", "outcome", "concluded_at", "case__number", "case__state", "case__version",
            "case__grid__name", "case__assignee_user__username", "case__assignee_user__name",
        )
        .order_by("-registered_at", "-case_id")
    )  # fmt: skip
    if open_only is True:
        qs = qs.filter(outcome="")
    elif open_only is False:
        qs = qs.exclude(outcome="")
    return qs


@dataclass
class Full:
    parties: list
    sessions: list
    agreements: list
    follow_ups: list


def dispute_full(dispute: Dispute) -> Full:
    """The confidential part of a dispute the caller may see (dispute_for said so)."""
    return Full(
        parties=list(dispute.parties.order_by("seq")),
        sessions=list(dispute.sessions.select_related("recorded_by")),
        agreements=list(dispute.agreements.order_by("version")),
        follow_ups=list(
            FollowUp.objects.filter(agreement__dispute=dispute).select_related("agreement")
        ),
    )


def party_in(dispute_id, party_id) -> bool:
    return Party.objects.filter(pk=party_id, dispute_id=dispute_id).exists()


def types():
    from gongzhi.disputes.models import DisputeType

    return DisputeType.objects.order_by("sort", "name")


def last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def default_period(start: str, end: str) -> tuple[dt.date, dt.date]:
    from gongzhi.core.dates import parse_period

    if not start and not end:
        today = timezone.localdate()
        return today.replace(month=1, day=1), today
    return parse_period(start, end)
