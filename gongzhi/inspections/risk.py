"""Risk points (风险点位 / 防汛隐患点) and alerts: the register, an alert declared for an
area, its people told, each point's report (checked / problem), and the board of who has
not reported.

"每个点位都有负责同志进行处理": a point has its 分包领导 and its community person, both
users, so an alert reaches them in their inbox. A point reports once an alert (the unique
(alert, point) constraint decides a race); a problem becomes a case in the loop (防汛隐患).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Category, Channel, Urgency
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.inspections import checklists, perms
from gongzhi.inspections.models import Alert, AlertReport, ReportStatus, RiskKind, RiskPoint
from gongzhi.notifications.services import notify
from gongzhi.orgs.models import OrgUnit

FLOOD_CATEGORY = "0705"  # 安全隐患 / 防汛隐患
MIN_MINUTES, MAX_MINUTES = 10, 24 * 60


def _user_in(area_code: str, user_id, errors, name):
    from gongzhi.accounts.models import User

    user = User.objects.filter(pk=parse_id(user_id)).first()
    # Someone of the point's subdistrict, or above it (a district leader in charge).
    codes = [f.org_code for f in user.get_position_facts() if f.org_code] if user else []
    if not any(c.startswith(area_code[:9]) or area_code.startswith(c) for c in codes):
        errors.setdefault(name, []).append(_("Choose a person of this subdistrict."))
    return user


def point_save(
    *, actor, grid_id, name, kind, leader_id, community_person_id, address="", lng=None,
    lat=None, season_start=6, season_end=9, duty_id=None, point_id=None,
) -> RiskPoint:  # fmt: skip
    """Register (or change) a risk point in a grid of the actor's area."""
    grid = OrgUnit.objects.filter(pk=parse_id(grid_id)).first()
    if grid is None or not can(actor, perms.VIEW, grid):
        raise NotFound(_("The grid does not exist or is outside your area."))
    if not can(actor, perms.MANAGE, grid):
        raise PermissionDenied(_("You may not keep the risk points here."))
    errors: dict[str, list[str]] = {}
    name = str(name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Name the point (at most 100 characters).")]
    if kind not in RiskKind.values:
        errors["kind"] = [_("Choose one of the options.")]
    leader = _user_in(grid.code, leader_id, errors, "leader_id")
    person = _user_in(grid.code, community_person_id, errors, "community_person_id")
    try:
        season_start, season_end = int(season_start), int(season_end)
    except (TypeError, ValueError):
        season_start = season_end = 0
    if not (1 <= season_start <= 12 and 1 <= season_end <= 12):
        errors["season_start"] = [_("Months are 1 to 12.")]
    raise_if(errors)
    fields = {
        "name": name, "kind": kind, "grid": grid, "org_code": grid.code,
        "address": str(address or "")[:200], "lng": lng, "lat": lat, "leader": leader,
        "community_person": person, "season_start": season_start, "season_end": season_end,
        "duty_id": duty_id,
    }  # fmt: skip
    with transaction.atomic():
        if point_id is None:
            point = RiskPoint.objects.create(**fields)
        else:
            point = RiskPoint.objects.filter(pk=parse_id(point_id)).first()
            if point is None or not can(actor, perms.MANAGE, point):
                raise NotFound(_("The point does not exist or is outside your area."))
            for k, v in fields.items():
                setattr(point, k, v)
            point.save()
        audit_record(actor=actor, action="inspections.point_save", obj=point)
    return point


def alert_declare(*, actor, unit_code, title, level="", message="", report_minutes=60) -> Alert:
    """Declare an alert over an area: every active point there in season is in it, and
    its leader and community person are told now."""
    unit = OrgUnit.objects.filter(code=str(unit_code or "")).first()
    if unit is None or not can(actor, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    if not can(actor, perms.MANAGE, unit):
        raise PermissionDenied(_("You may not declare alerts here."))
    errors: dict[str, list[str]] = {}
    title = str(title or "").strip()
    if not title or len(title) > 100:
        errors["title"] = [_("Say what the alert is (at most 100 characters).")]
    try:
        minutes = int(report_minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["report_minutes"] = [
            _("Between %(a)d and %(b)d minutes.") % {"a": MIN_MINUTES, "b": MAX_MINUTES}
        ]
    raise_if(errors)
    now = timezone.now()
    month = timezone.localtime(now).month
    points = [
        p
        for p in RiskPoint.objects.filter(is_active=True, org_code__within=unit.code)
        if p.in_season(month)
    ]
    if not points:
        raise Invalid(_("No risk point of this area is in season."), code="no_points")
    with transaction.atomic():
        alert = Alert.objects.create(
            title=title, level=str(level or "")[:10], unit_code=unit.code,
            message=str(message or "")[:500], report_minutes=minutes, declared_by=actor,
            declared_at=now, report_by=now + dt.timedelta(minutes=minutes),
        )  # fmt: skip
        alert.points.set(points)
        link = reverse("inspection_alert", args=[alert.pk])
        by = timezone.localtime(alert.report_by).strftime("%H:%M")
        for point in points:
            notify(
                recipients={point.leader, point.community_person},
                kind="inspections.alert",
                title=_("%(title)s: report on %(point)s by %(time)s")
                % {"title": title, "point": point.name, "time": by},
                body=alert.message,
                link=link,
                dedupe_key=f"alert:{alert.pk}:{point.pk}",
            )
        audit_record(
            actor=actor, action="inspections.alert_declare", obj=alert,
            changes={"points": len(points), "minutes": minutes},
        )  # fmt: skip
    return alert


def may_report(user, point: RiskPoint) -> bool:
    return user.pk in (point.leader_id, point.community_person_id) or scope_for(
        user, perms.INSPECT
    ).covers_code(point.org_code)


def duty_items(point: RiskPoint) -> list[dict]:
    """The items of the point's duty checklist (its current version), or none."""
    if point.duty_id is None or not point.duty.is_active:
        return []
    version = point.duty.current
    return version.items if version else []


def alert_report(
    *, actor, alert_id, point_id, status, note="", answers=None
) -> tuple[AlertReport, bool]:
    """A point's report under an alert; the first wins (a second is 409 already_reported).
    A point with a duty checklist answers it (no photos asked for: the alert is short);
    a failed item makes the report a problem, noted with the items. A problem is
    reported into the loop as a case (防汛隐患), urgent."""
    alert = Alert.objects.filter(pk=parse_id(alert_id)).first()
    point = alert.points.filter(pk=parse_id(point_id)).first() if alert else None
    if point is None or not (may_report(actor, point) or can(actor, perms.VIEW, point)):
        raise NotFound(_("The point does not exist or is outside your area."))
    if not may_report(actor, point):
        raise PermissionDenied(_("Only the point's people and its grid's workers report."))
    if alert.closed_at is not None:
        raise Conflict(_("The alert is over."), code="alert_closed")
    errors: dict[str, list[str]] = {}
    if status not in ReportStatus.values:
        errors["status"] = [_("Choose one of the options.")]
    note = str(note or "").strip()[:500]
    kept = {}
    items = duty_items(point)
    if items:
        checked = checklists.check_answers(items, answers, photos={i["key"] for i in items})
        for key, messages in checked.errors.items():
            errors[f"answers.{key}"] = messages
        kept = checked.answers
        if checked.failed:
            status = ReportStatus.PROBLEM
            found = "；".join(
                i["text"] + (f"（{i['note']}）" if i["note"] else "") for i in checked.failed
            )
            note = "；".join(filter(None, (found, note)))[:500]
    if status == ReportStatus.PROBLEM and not note:
        errors["note"] = [_("Say what the problem is.")]
    raise_if(errors)
    earlier = AlertReport.objects.filter(alert=alert, point=point).first()
    if earlier is not None:
        raise Conflict(_("This point has already reported."), code="already_reported")
    try:
        with transaction.atomic():
            report = AlertReport.objects.create(
                alert=alert, point=point, status=status, note=note, reporter=actor,
                reported_at=timezone.now(), answers=kept,
            )  # fmt: skip
            if status == ReportStatus.PROBLEM:
                category = Category.objects.filter(code=FLOOD_CATEGORY).first()
                report.case, _created = case_services.case_report(
                    actor=actor, category_id=category.pk,
                    title=_("%(point)s: %(alert)s") % {"point": point.name, "alert": alert.title},
                    description=note, grid_id=point.grid_id, lng=point.lng, lat=point.lat,
                    address=point.address or point.name, urgency=Urgency.URGENT,
                    via=Channel.PATROL,
                )  # fmt: skip
                report.save(update_fields=["case"])
            audit_record(actor=actor, action="inspections.alert_report", obj=report,
                         changes={"status": status})  # fmt: skip
    except IntegrityError:
        raise Conflict(_("This point has already reported."), code="already_reported") from None
    return report, True


@dataclass
class BoardRow:
    point: RiskPoint
    report: AlertReport | None
    late: bool


def board(user, alert: Alert, now=None) -> list[BoardRow]:
    """Every point of the alert in the user's area: who reported what, who has not, who
    reported late — those who have not reported first."""
    now = now or timezone.now()
    scope = scope_for(user, perms.VIEW)
    points = (
        alert.points.filter(scope.q("org_code"))
        .select_related("leader", "community_person", "duty")
        .prefetch_related("duty__versions")
    )
    reports = {r.point_id: r for r in alert.reports.select_related("reporter", "case")}
    rows = [
        BoardRow(
            p,
            reports.get(p.pk),
            (reports[p.pk].reported_at if p.pk in reports else now) > alert.report_by,
        )
        for p in points
    ]
    return sorted(rows, key=lambda r: (r.report is not None, r.point.org_code, r.point.name))


def points_visible_to(user):
    return (
        RiskPoint.objects.filter(scope_for(user, perms.VIEW).q("org_code"))
        .select_related("leader", "community_person")
        .order_by("org_code", "name")
    )


def alerts_visible_to(user):
    """Alerts over the user's area or over a part of it (as campaigns are seen)."""
    from gongzhi.inspections.selectors import prefixes

    scope = scope_for(user, perms.VIEW)
    return Alert.objects.filter(scope.q("unit_code") | Q(unit_code__in=prefixes(scope)))


def alert_for(user, pk) -> Alert:
    try:
        return alerts_visible_to(user).get(pk=parse_id(pk))
    except Alert.DoesNotExist:
        raise NotFound(_("The alert does not exist or is outside your area.")) from None
