"""Pages of volunteers: the organiser's volunteers, activities (with the QR check-in),
hours to approve, partners and figures (xlsx exports), a volunteer's printable yearly
certificate; the public activity board, and the volunteer's own card and sign-ups under
/my/ (WeChat's browser, phone size).

Reads go through volunteers.selectors (outside the user's area: 404); every write is a
service, which checks permission. A refused form shows the page again with the message
(its status)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core import dates
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import attempt
from gongzhi.core.permissions import can, scope_for
from gongzhi.orgs.models import OrgUnit
from gongzhi.points.printing import qr_data_uri
from gongzhi.selfservice import services as my
from gongzhi.volunteers import exports, perms, selectors, services
from gongzhi.volunteers.models import (
    ActivityKind,
    PartnerKind,
    SignupRule,
    Volunteer,
    VolunteerState,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _viewer(user):
    if not can(user, perms.VIEW):
        raise NotFound(_("Not found."))


def _units(user, perm=perms.MANAGE) -> list[OrgUnit]:
    """The communities (or grids) the user may act in, for a form's choice."""
    scope = scope_for(user, perm)
    if scope.is_empty:
        return []
    return list(
        OrgUnit.objects.filter(scope.q("code"), level__in=("community", "grid")).order_by("code")[
            :200
        ]
    )


def _posted(request, calls: dict, to, success=None):
    """A POST runs the service of its `action` (a form of one action: its one call):
    (a redirect to `to`, or to `to(what the service returned)`, and its status) when done,
    with `success` (or `success(what it returned)`) said;
    (None, the refusal's status) with the message on the page; a GET is (None, 200)."""
    if request.method != "POST":
        return None, 200
    call = (
        calls.get(request.POST.get("action", "")) if len(calls) > 1 else next(iter(calls.values()))
    )
    if call is None:
        raise NotFound(_("Not found."))
    done, status = attempt(request, call)
    if done is None:
        return None, status
    messages.success(request, success(done) if callable(success) else success or _("Saved."))
    return redirect(to(done) if callable(to) else to), status


# -- the organiser -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_list(request):
    """志愿者: the area's volunteers (phones masked), to approve, and a form to add one."""
    _viewer(request.user)
    data = request.POST
    calls = {
        "add": lambda: services.volunteer_add(
            actor=request.user,
            unit_code=data.get("unit", ""),
            resident_id=data.get("resident_id") or None,
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            birth_date=data.get("birth_date") or None,
            skills=data.get("skills", ""),
            availability=data.get("availability", ""),
            team_id=data.get("team_id") or None,
        ),
        "approve": lambda: services.volunteer_approve(
            actor=request.user,
            volunteer_id=data.get("volunteer_id"),
            team_id=data.get("team_id") or None,
        ),
        "team": lambda: services.team_save(
            actor=request.user,
            unit_code=data.get("unit", ""),
            name=data.get("name", ""),
            leader_id=data.get("leader_id") or None,
        ),
    }
    done, status = _posted(request, calls, "volunteers_list")
    if done is not None:
        return done
    state = request.GET.get("state", "")
    q = request.GET.get("q", "")[:50]
    rows = list(selectors.volunteer_list(request.user, q=q, state=state)[:200])
    return render(
        request,
        "volunteers/list.html",
        {
            "rows": rows,
            "state": state,
            "q": q,
            "states": VolunteerState.choices,
            "teams": list(selectors.teams(request.user)[:100]),
            "units": _units(request.user),
            "can_manage": can(request.user, perms.MANAGE),
            "tab": "volunteers",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_page(request, volunteer_id):
    _viewer(request.user)
    volunteer = selectors.volunteer_detail(request.user, volunteer_id)
    data = request.POST
    done, status = _posted(
        request,
        {
            "": lambda: services.hours_request(
                actor=request.user,
                volunteer_id=volunteer.pk,
                minutes=data.get("minutes"),
                served_on=data.get("served_on"),
                note=data.get("note", ""),
                corrects_id=data.get("corrects_id") or None,
            ),
            "leave": lambda: services.volunteer_leave(
                actor=request.user, volunteer_id=volunteer.pk, reason=data.get("reason", "")
            ),
        },
        reverse("volunteers_volunteer", args=[volunteer.pk]),
        lambda done: (
            _("Marked as left.") if data.get("action") == "leave" else _("Sent for approval.")
        ),
    )
    if done is not None:
        return done
    year = timezone.localdate().year
    return render(
        request,
        "volunteers/volunteer.html",
        {
            "v": volunteer,
            "hours": list(selectors.hours_of(volunteer)[:100]),
            "year": year,
            "cert": selectors.certificate(volunteer, year),
            "can_manage": can(request.user, perms.MANAGE, volunteer),
            "tab": "volunteers",
        },
        status=status,
    )


@login_required
@require_GET
def certificate(request, volunteer_id, year):
    """志愿服务时长证明: the year's approved hours, printable (A4 from the browser)."""
    _viewer(request.user)
    volunteer = selectors.volunteer_detail(request.user, volunteer_id)
    if not 2000 <= year <= 2100:
        raise NotFound(_("Not found."))
    unit = OrgUnit.objects.filter(code=volunteer.org_code[:12]).first()
    return render(
        request,
        "volunteers/certificate.html",
        {
            "v": volunteer,
            "cert": selectors.certificate(volunteer, year),
            "unit": unit,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_list(request):
    """活动: upcoming and past activities of the area, and a form to create one."""
    _viewer(request.user)
    data = request.POST
    done, status = _posted(
        request,
        {
            "": lambda: services.activity_create(
                actor=request.user,
                unit_code=data.get("unit", ""),
                title=data.get("title", ""),
                kind=data.get("kind", ""),
                starts_at=data.get("starts_at", ""),
                ends_at=data.get("ends_at", ""),
                place=data.get("place", ""),
                capacity=data.get("capacity"),
                rule=data.get("rule", SignupRule.OPEN),
                team_id=data.get("team_id") or None,
                partner_id=data.get("partner_id") or None,
                deadline=data.get("deadline") or None,
                min_age=data.get("min_age") or None,
                checkpoints=data.get("checkpoints", ""),
            )
        },
        "volunteers_activities",
    )
    if done is not None:
        return done
    return render(
        request,
        "volunteers/activities.html",
        {
            "upcoming": list(selectors.activities(request.user, upcoming=True)[:100]),
            "past": list(selectors.activities(request.user, upcoming=False)[:50]),
            "kinds": ActivityKind.choices,
            "rules": SignupRule.choices,
            "teams": list(selectors.teams(request.user)[:100]),
            "units": _units(request.user),
            "can_manage": can(request.user, perms.MANAGE),
            "form": data if status != 200 else {},
            "tab": "activities",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_page(request, activity_id):
    """One activity: its sign-ups, the scanner's form (a card's code), the activity's QR
    for volunteers to scan, the people who came, and a night patrol's patrol."""
    _viewer(request.user)
    activity = selectors.activity_detail(request.user, activity_id)
    data = request.POST
    here = reverse("volunteers_activity", args=[activity.pk])
    calls = {
        "check": lambda: services.check_by_card(
            actor=request.user,
            activity_id=activity.pk,
            card_token=data.get("card", ""),
            direction=data.get("direction", ""),
        ),
        "signup": lambda: services.signup_for(
            actor=request.user, activity_id=activity.pk, volunteer_id=data.get("volunteer_id")
        ),
        "cancel": lambda: services.cancel_for(
            actor=request.user, participation_id=data.get("participation_id")
        ),
        "decide": lambda: services.participation_decide(
            actor=request.user,
            participation_id=data.get("participation_id"),
            approve=data.get("approve") == "1",
        ),
        "attendance": lambda: services.attendance_record(
            actor=request.user,
            activity_id=activity.pk,
            people=data.get("people"),
            note=data.get("note", ""),
        ),
        "patrol": lambda: services.patrol_for_activity(actor=request.user, activity_id=activity.pk),
        "update": lambda: services.activity_update(
            actor=request.user,
            activity_id=activity.pk,
            title=data.get("title", ""),
            place=data.get("place", ""),
            starts_at=data.get("starts_at", ""),
            ends_at=data.get("ends_at", ""),
            capacity=data.get("capacity"),
            deadline=data.get("deadline") or None,
            min_age=data.get("min_age") or None,
        ),
        "call_off": lambda: services.activity_cancel(
            actor=request.user, activity_id=activity.pk, reason=data.get("reason", "")
        ),
    }
    done, status = _posted(
        request,
        calls,
        lambda done: (
            reverse("patrols_patrol", args=[done.pk]) if data.get("action") == "patrol" else here
        ),
    )
    if done is not None:
        return done
    code_url = request.build_absolute_uri(reverse("my_volunteer_check", args=[activity.code]))
    rows = selectors.participants(activity)
    failed = data.get("action") if status != 200 else ""
    local = timezone.localtime
    edit = (
        data
        if failed == "update"
        else {
            "title": activity.title,
            "place": activity.place,
            "starts_at": f"{local(activity.starts_at):%Y-%m-%dT%H:%M}",
            "ends_at": f"{local(activity.ends_at):%Y-%m-%dT%H:%M}",
            "capacity": activity.capacity,
            "deadline": f"{local(activity.deadline):%Y-%m-%dT%H:%M}" if activity.deadline else "",
            "min_age": activity.min_age or "",
        }
    )
    return render(
        request,
        "volunteers/activity.html",
        {
            "a": activity,
            "rows": rows,
            "qr": qr_data_uri(code_url),
            "attendance": sum(r.people for r in activity.attendance.all()),
            "checked_in": sum(1 for r in rows if r.checked_in_at),
            "can_manage": can(request.user, perms.MANAGE, activity),
            "ahead": not activity.is_cancelled and timezone.now() < activity.starts_at,
            "edit": edit,
            "failed": failed,
            "reason": data.get("reason", "") if failed == "call_off" else "",
            "tab": "activities",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def hours_pending(request):
    """待审核时长: hours entered by hand, corrections and forgotten check-outs (flagged)."""
    _viewer(request.user)
    data = request.POST
    done, status = _posted(
        request,
        {
            "": lambda: services.hours_decide(
                actor=request.user,
                record_id=data.get("record_id"),
                approve=data.get("approve") == "1",
            )
        },
        "volunteers_hours",
    )
    if done is not None:
        return done
    return render(
        request,
        "volunteers/hours.html",
        {
            "rows": list(selectors.hours_pending(request.user)[:200]),
            "tab": "hours",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_list(request):
    """合伙人与共建单位: the register by kind, and a form to add one."""
    _viewer(request.user)
    data = request.POST
    done, status = _posted(
        request,
        {
            "": lambda: services.partner_save(
                actor=request.user,
                unit_code=data.get("unit", ""),
                kind=data.get("kind", ""),
                name=data.get("name", ""),
                uscc=data.get("uscc", ""),
                agreement=data.get("agreement", ""),
                valid_from=data.get("valid_from") or None,
                valid_until=data.get("valid_until") or None,
                offers=data.get("offers", ""),
                contact_name=data.get("contact_name", ""),
                contact_phone=data.get("contact_phone", ""),
            )
        },
        "volunteers_partners",
    )
    if done is not None:
        return done
    kind = request.GET.get("kind", "")
    return render(
        request,
        "volunteers/partners.html",
        {
            "rows": list(selectors.partners(request.user, kind=kind)[:300]),
            "kind": kind,
            "kinds": PartnerKind.choices,
            "units": _units(request.user, perms.PARTNERS),
            "can_manage": can(request.user, perms.PARTNERS),
            "tab": "partners",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_page(request, partner_id):
    _viewer(request.user)
    partner = selectors.partner_detail(request.user, partner_id)
    data = request.POST
    calls = {
        "role": lambda: services.partner_role_add(
            actor=request.user,
            partner_id=partner.pk,
            role=data.get("role", ""),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on") or None,
        ),
        "end": lambda: services.partner_role_end(
            actor=request.user, role_id=data.get("role_id"), ends_on=data.get("ends_on")
        ),
    }
    done, status = _posted(request, calls, reverse("volunteers_partner", args=[partner.pk]))
    if done is not None:
        return done
    return render(
        request,
        "volunteers/partner.html",
        {
            "p": partner,
            "roles": list(partner.roles.all()),
            "c": selectors.contributions(partner),
            "can_manage": can(request.user, perms.PARTNERS, partner),
            "tab": "partners",
            "today": timezone.localdate(),
        },
        status=status,
    )


def _period(request):
    today = timezone.localdate()
    start = request.GET.get("start") or f"{today.year}-01-01"
    end = request.GET.get("end") or today.isoformat()
    return dates.parse_period(start, end)


def _unit_for(request) -> OrgUnit:
    code = request.GET.get("unit", "")
    scope = scope_for(request.user, perms.VIEW)
    unit = (
        OrgUnit.objects.filter(code=code).first()
        if code
        else (OrgUnit.objects.filter(scope.q("code")).order_by("code").first())
    )
    if unit is None or not scope.covers_code(unit.code):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    return unit


@login_required
@require_GET
def figures(request):
    """统计: activities, 人次 and hours of the unit and its children, its teams and its
    volunteers, from the records; each line says what it counts."""
    _viewer(request.user)
    start, end = _period(request)
    unit = _unit_for(request)
    total, children = selectors.figures(request.user, unit, start, end)
    return render(
        request,
        "volunteers/figures.html",
        {
            "unit": unit,
            "start": start,
            "end": end,
            "total": total,
            "children": children,
            "teams": selectors.per_team(request.user, unit, start, end),
            "people": selectors.per_volunteer(request.user, unit, start, end, limit=50),
            "night": selectors.night_patrols(request.user, unit, start, end),
            "tab": "figures",
        },
    )


@login_required
@require_GET
def export(request, what):
    """志愿者 / 服务时长 / 合伙人 as a workbook, read through the same scoped selectors."""
    _viewer(request.user)
    if what == "volunteers":
        body = exports.volunteers_workbook(selectors.volunteer_list(request.user)[:50000])
    elif what == "hours":
        start, end = _period(request)
        unit = _unit_for(request)
        body = exports.hours_workbook(
            selectors.per_volunteer(request.user, unit, start, end, limit=50000), start, end
        )
    elif what == "partners":
        body = exports.partners_workbook(selectors.partners(request.user)[:50000])
    else:
        raise NotFound(_("Not found."))
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{what}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def card_scanned(request, token):
    """The organiser's phone opened a volunteer card's QR: the volunteer's confirmed
    activities of today in the organiser's area, each with its check-in/out button."""
    _viewer(request.user)
    volunteer = Volunteer.objects.filter(card_token=str(token)[:32]).first()
    rows = selectors.today_for(request.user, volunteer) if volunteer is not None else []
    if volunteer is None or not (rows or can(request.user, perms.VIEW, volunteer)):
        raise NotFound(_("This volunteer card is not valid."), code="card_invalid")
    done, status = _posted(
        request,
        {
            "": lambda: services.check_by_card(
                actor=request.user, activity_id=request.POST.get("activity_id"), card_token=token
            )
        },
        reverse("volunteers_card", args=[token]),
    )
    if done is not None:
        return done
    return render(
        request,
        "volunteers/card_scanned.html",
        {
            "v": volunteer,
            "rows": rows,
            "tab": "activities",
        },
        status=status,
    )


# -- the public board and the volunteer's own pages (/my/) -------------------------------------


@require_GET
def board(request):
    """志愿活动: the public board of upcoming activities (no login, no names)."""
    rows = selectors.board(unit_code=request.GET.get("unit", "")[:24])
    kinds = dict(ActivityKind.choices)
    for row in rows:
        row["kind_label"] = kinds.get(row["kind"], "")
        row["left"] = max(0, row["capacity"] - row["confirmed"])
    return render(request, "volunteers/board.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
def board_activity(request, activity_id):
    activity = selectors.board_activity(activity_id)
    held = my.verified(request.session)
    if request.method == "POST" and held is None:
        return redirect(f"{reverse('my_phone')}?next={request.path}")
    calls = {
        "signup": lambda: services.signup_by_resident(held=held, activity_id=activity.pk),
        "cancel": lambda: services.cancel_by_resident(held=held, activity_id=activity.pk),
    }
    here = reverse("volunteers_board_activity", args=[activity.pk])
    done, status = _posted(request, calls, here, lambda part: part.get_state_display())
    if done is not None:
        return done
    mine = selectors.my_participation(held, activity) if held else None
    return render(
        request,
        "volunteers/board_activity.html",
        {
            "a": activity,
            "held": held,
            "mine": mine,
            "left": max(0, activity.capacity - activity.confirmed),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_volunteer(request):
    """/my/volunteer/: register as a volunteer, then the card (its QR for the organiser
    to scan), the year's hours and the activities signed up for."""
    held = my.verified(request.session)
    if held is None:
        return redirect(f"{reverse('my_phone')}?next={request.path}")
    data = request.POST
    calls = {
        "register": lambda: services.volunteer_register_by_resident(
            held=held, skills=data.get("skills", ""), availability=data.get("availability", "")
        ),
        "cancel": lambda: services.cancel_by_resident(
            held=held, activity_id=data.get("activity_id")
        ),
    }
    done, status = _posted(request, calls, "my_volunteer")
    if done is not None:
        return done
    volunteer = selectors.my_volunteer(held)
    context = {"held": held, "v": volunteer, "my_tab": "volunteer"}
    if volunteer is not None and volunteer.state == VolunteerState.APPROVED:
        card_url = request.build_absolute_uri(
            reverse("volunteers_card", args=[volunteer.card_token])
        )
        context.update(
            qr=qr_data_uri(card_url),
            cert=selectors.certificate(volunteer, timezone.localdate().year),
            rows=selectors.my_participations(volunteer),
            now=timezone.now(),
        )
    return render(request, "volunteers/my_volunteer.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def my_check(request, code):
    """The volunteer scanned the activity's QR: check in, or out when checked in."""
    held = my.verified(request.session)
    if held is None:
        return redirect(f"{reverse('my_phone')}?next={request.path}")
    done, status = _posted(
        request,
        {"": lambda: services.check_by_code(held=held, code=code)},
        "my_volunteer",
        lambda part: _("Checked out.") if part.checked_out_at else _("Checked in."),
    )
    if done is not None:
        return done
    activity = selectors.activity_by_code(code)
    return render(
        request,
        "volunteers/my_check.html",
        {
            "held": held,
            "a": activity,
            "my_tab": "volunteer",
        },
        status=status,
    )
