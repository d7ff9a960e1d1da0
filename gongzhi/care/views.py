"""Pages of care: the worker's due visits (phone first) and the visit form, a resident's
visit history, the plans, the wishes (征集清单) and the figures; the public board of
wishes (no login) and the resident's and volunteer's own page under /my/.

Reads go through care.selectors (outside the user's area: 404); every write is a
service, which checks permission. A refused form shows the page again with the message
(its status). The public pages read `selectors.board()` / `board_wish()` only.
"""

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.care import exports, perms, selectors, services
from gongzhi.care.models import CHECKLIST, CarePhoto, Finding, Period, Visitor, VisitType, WishState
from gongzhi.cases.models import Category
from gongzhi.core import dates, xlsx
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.forms import attempt, parse_float, parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.orgs.geo import distance_label
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Tag
from gongzhi.selfservice import services as my


def _viewer(user):
    if not can(user, perms.VIEW):
        raise NotFound(_("Not found."))


# -- the worker ------------------------------------------------------------------------


@login_required
@require_GET
def due(request):
    """待走访: the visits due and overdue, nearest first once the phone says where."""
    _viewer(request.user)
    lng = parse_float(request.GET.get("lng"), -180, 180)
    lat = parse_float(request.GET.get("lat"), -90, 90)
    rows = selectors.due_list(request.user, lng=lng, lat=lat)
    for row in rows:
        row.distance = distance_label(row.distance_m)
    return render(
        request,
        "care/due.html",
        {
            "rows": rows,
            "located": lng is not None and lat is not None,
            "overdue": sum(1 for r in rows if r.overdue),
            "year_count": selectors.worker_count_this_year(request.user),
            "tab": "due",
        },
    )


@login_required
@require_GET
def residents(request):
    """The cared-for residents of the user's area, to open one and record a visit."""
    _viewer(request.user)
    return render(
        request,
        "care/residents.html",
        {"rows": selectors.cared_for(request.user), "tab": "residents"},
    )


@login_required
@require_GET
def resident_page(request, resident_id):
    """A resident's visits ("第 N 次" this year), open scheduled visits and wishes."""
    resident = selectors.resident_for(request.user, resident_id)
    rows = selectors.history(resident)
    words = {"ok": _("fine"), "concern": _("needs attention"), "na": _("n/a")}
    for row in rows:
        given = row.visit.checklist
        row.answers = [(label, given[k], words[given[k]]) for k, label in CHECKLIST if k in given]
    return render(
        request,
        "care/resident.html",
        {
            "resident": resident,
            "rows": rows,
            "this_year": sum(1 for r in rows if r.nth),
            "open": resident.scheduled_visits.filter(state="open").select_related("plan"),
            "wishes": selectors.wishes_visible_to(request.user).filter(resident=resident),
            "may_visit": scope_for(request.user, perms.VISIT).covers_code(resident.org_code),
            "today": timezone.localdate(),
            "tab": "residents",
        },
    )


def _visit_context(request, resident, values=None, status_errors=None):
    values = values or {}
    return {
        "resident": resident,
        "client_id": values.get("client_id") or uuid.uuid4().hex,
        "kinds": VisitType.choices,
        "roles": Visitor.choices,
        "findings": Finding.choices,
        "checklist": [(k, label, values.get(f"c_{k}", "")) for k, label in CHECKLIST],
        "categories": Category.objects.filter(parent__isnull=False, is_active=True).order_by(
            "code"
        ),
        "values": values,
        "errors": status_errors or {},
        "last_note": resident.visits.exclude(next_note="")
        .values_list("next_note", flat=True)
        .first(),
        "tab": "residents",
    }


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request, resident_id):
    """The visit form (big targets; the phone's place and time sent with it)."""
    resident = selectors.resident_for(request.user, resident_id)
    if not scope_for(request.user, perms.VISIT).covers_code(resident.org_code):
        raise NotFound(_("Not found."))
    if request.method == "GET":
        return render(request, "care/visit.html", _visit_context(request, resident))
    data = request.POST

    def record():
        return services.visit_record(
            actor=request.user,
            resident_id=resident.pk,
            client_id=data.get("client_id", ""),
            kind=data.get("kind", VisitType.HOME),
            visited_at=data.get("visited_at") or None,
            visitor_role=data.get("visitor_role", Visitor.WORKER),
            companions=data.get("companions", ""),
            lng=data.get("lng") or None,
            lat=data.get("lat") or None,
            accuracy_m=data.get("accuracy_m") or None,
            checklist={k: data.get(f"c_{k}") for k, _label in CHECKLIST if data.get(f"c_{k}")},
            notes=data.get("notes", ""),
            finding=data.get("finding", ""),
            finding_text=data.get("finding_text", ""),
            category_id=data.get("category_id") or None,
            next_note=data.get("next_note", ""),
            photos=request.FILES.getlist("photos"),
        )

    try:
        record()
    except DomainError as exc:
        messages.error(request, exc.message)
        details = exc.details if isinstance(exc.details, dict) else {}
        return render(
            request, "care/visit.html", _visit_context(request, resident, data, details),
            status=exc.status,
        )  # fmt: skip
    n = selectors.visits_this_year(resident.pk)
    mine = selectors.worker_count_this_year(request.user)
    messages.success(
        request,
        _("Visit recorded: the resident's visit %(n)d this year, your visit %(mine)d this year.")
        % {"n": n, "mine": mine},
    )
    return redirect("care_resident", resident.pk)


@login_required
@require_GET
def photo(request, photo_id):
    """A visit's or a wish's photo, after the scope check of its resident's place."""
    row = CarePhoto.objects.select_related("visit", "wish").filter(pk=parse_id(photo_id)).first()
    owner = row and (row.visit or row.wish)
    if owner is None or not scope_for(request.user, perms.VIEW).covers_code(owner.org_code):
        raise NotFound(_("Not found."))
    return FileResponse(row.file.open("rb"), content_type=row.content_type)


# -- plans -----------------------------------------------------------------------------


def _areas(user):
    return list(
        OrgUnit.objects.filter(scope_for(user, perms.PLAN).q("code")).order_by("code")[:200]
    )


@login_required
@require_http_methods(["GET", "POST"])
def plans(request):
    """走访计划: the plans of the user's area; a new one or an edit (care.plan)."""
    _viewer(request.user)
    status = 200
    if request.method == "POST":
        data = request.POST
        saved, status = attempt(
            request,
            lambda: services.plan_save(
                actor=request.user, plan_id=data.get("plan_id") or None, name=data.get("name", ""),
                tag_id=data.get("tag_id"), unit_code=data.get("unit_code", ""),
                period=data.get("period", ""), grace_days=data.get("grace_days") or 0,
                is_active=data.get("is_active") == "on",
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, _("Plan saved."))
            return redirect("care_plans")
    return render(
        request,
        "care/plans.html",
        {
            "plans": selectors.plans_visible_to(request.user).order_by("unit_code", "name"),
            "tags": Tag.objects.filter(is_care=True, is_active=True),
            "periods": Period.choices,
            "areas": _areas(request.user),
            "may_plan": can(request.user, perms.PLAN),
            "tab": "plans",
        },
        status=status,
    )


# -- wishes ----------------------------------------------------------------------------


@login_required
@require_GET
def wishes(request):
    """微心愿: the wishes of the user's area by state (the 征集清单 first), with each
    community's "已实现 N / M"."""
    _viewer(request.user)
    state = request.GET.get("state") or WishState.COLLECTED
    if state not in WishState.values:
        state = WishState.COLLECTED
    qs = selectors.wishes_visible_to(request.user)
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("pk")))
    communities = {w for w in qs.values_list("community_code", flat=True).distinct()}
    return render(
        request,
        "care/wishes.html",
        {
            "rows": qs.filter(state=state).select_related("resident")[:300],
            "states": [(v, label, counts.get(v, 0)) for v, label in WishState.choices],
            "state": state,
            "tallies": selectors.tallies(communities),
            "tab": "wishes",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def wish_page(request, wish_id):
    """A wish and the actions the user may take on it now."""
    wish = selectors.wish_for(request.user, wish_id)
    status = 200
    if request.method == "POST":
        data, action = request.POST, request.POST.get("action", "")
        calls = {
            "publish": lambda: services.wish_review(
                actor=request.user, wish_id=wish.pk, publish=True,
                public_title=data.get("public_title", ""), plan=data.get("plan", ""),
                target_on=data.get("target_on", ""), version=data.get("version"),
            ),
            "decline": lambda: services.wish_review(
                actor=request.user, wish_id=wish.pk, publish=False, note=data.get("note", ""),
                version=data.get("version"),
            ),
            "claim": lambda: services.wish_claim_for_partner(
                actor=request.user, wish_id=wish.pk, partner=data.get("partner", "")
            ),
            "fulfil": lambda: services.wish_fulfil(
                actor=request.user, wish_id=wish.pk, photos=request.FILES.getlist("photos"),
                note=data.get("note", ""),
            ),
            "confirm": lambda: services.wish_confirm(
                actor=request.user, wish_id=wish.pk, how=data.get("how", "phone")
            ),
            "follow_up": lambda: services.wish_follow_up(
                actor=request.user, wish_id=wish.pk, note=data.get("note", "")
            ),
            "case": lambda: services.wish_to_case(
                actor=request.user, wish_id=wish.pk, category_id=data.get("category_id"),
                version=data.get("version"),
            ),
        }  # fmt: skip
        if action not in calls:
            raise NotFound(_("Not found."))
        done, status = attempt(request, calls[action])
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("care_wish", wish.pk)
        wish = selectors.wish_for(request.user, wish_id)
    may = scope_for(request.user, perms.WISHES).covers_code(wish.org_code)
    return render(
        request,
        "care/wish.html",
        {
            "wish": wish,
            "claim": selectors.held_claim(wish),
            "claims": wish.claims.order_by("-claimed_at"),
            "photos": wish.photos.all(),
            "may": may,
            "categories": Category.objects.filter(parent__isnull=False, is_active=True).order_by(
                "code"
            ),
            "min_target": timezone.localdate(),
            "tab": "wishes",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def wish_new(request, resident_id):
    """A wish taken by phone or at the desk for a resident."""
    resident = selectors.resident_for(request.user, resident_id)
    status = 200
    if request.method == "POST":
        made, status = attempt(
            request,
            lambda: services.wish_collect(
                actor=request.user, resident_id=resident.pk, text=request.POST.get("text", ""),
                source=request.POST.get("source", "desk"),
            ),
        )  # fmt: skip
        if made is not None:
            messages.success(request, _("Wish added to the list."))
            return redirect("care_wish", made.pk)
    return render(
        request, "care/wish_new.html", {"resident": resident, "tab": "wishes"}, status=status
    )


# -- figures ---------------------------------------------------------------------------


@login_required
@require_GET
def figures(request):
    """The figures of a unit of the user's area and of each unit under it."""
    _viewer(request.user)
    scope = scope_for(request.user, perms.VIEW)
    units = OrgUnit.objects.filter(scope.q("code")).order_by("code")
    unit = units.filter(code=request.GET.get("unit", "")).first() or units.first()
    if unit is None:
        raise NotFound(_("Not found."))
    today = timezone.localdate()
    try:
        start, end = dates.parse_period(
            request.GET.get("start") or f"{today.year}-01-01", request.GET.get("end") or str(today)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        start, end = dt.date(today.year, 1, 1), today
    days = parse_id(request.GET.get("days")) or 30
    days = min(days, 366)
    total, children = selectors.figures(request.user, unit, start, end, days=days)
    workers = selectors.by_worker(request.user, unit, start, end)
    if request.GET.get("format") == "xlsx":
        data = exports.figures_workbook(total, children, workers, days=days)
        return xlsx.response(data, f"走访与微心愿-{unit.name}-{start}-{end}.xlsx")
    return render(
        request,
        "care/figures.html",
        {
            "unit": unit, "total": total, "children": children, "start": start, "end": end,
            "days": days, "workers": workers,
            "tab": "figures",
        },
    )  # fmt: skip


# -- the public board and /my/ -----------------------------------------------------------


@never_cache
@require_GET
def board(request):
    """The public board of wishes (no login): titles, communities, target dates."""
    return render(
        request, "care/board.html", {"rows": selectors.board(), "tallies": selectors.tallies()}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def board_wish(request, wish_id):
    """One wish of the board; a volunteer with a verified phone claims it here."""
    wish = selectors.board_wish(wish_id)
    held = my.verified(request.session)
    status = 200
    if request.method == "POST":
        if held is None:
            return redirect(f"{reverse('my_phone')}?next={request.path}")
        made, status = attempt(
            request,
            lambda: services.wish_claim_by_volunteer(
                held=held, wish_id=wish.id, name=request.POST.get("name", "")
            ),
        )
        if made is not None:
            messages.success(request, _("Thank you! The wish is yours until %(until)s.") % {
                "until": timezone.localtime(made.until).strftime("%m-%d %H:%M")})  # fmt: skip
            return redirect("my_wishes")
        wish = selectors.board_wish(wish_id)
    return render(request, "care/board_wish.html", {"wish": wish, "held": held}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def my_wishes(request):
    """/my/wishes/: a resident's own wishes (send one, confirm one fulfilled), and the
    wishes they claimed as a volunteer (fulfil with a photo)."""
    held = my.verified(request.session)
    if held is None:
        return redirect(f"{reverse('my_phone')}?next={request.path}")
    status = 200
    if request.method == "POST":
        data, action = request.POST, request.POST.get("action", "")
        calls = {
            "send": lambda: services.wish_submit_by_resident(held=held, text=data.get("text", "")),
            "confirm": lambda: services.wish_confirm(held=held, wish_id=data.get("wish_id")),
            "fulfil": lambda: services.wish_fulfil(
                held=held, wish_id=data.get("wish_id"), photos=request.FILES.getlist("photos"),
                note=data.get("note", ""),
            ),
        }  # fmt: skip
        if action not in calls:
            raise NotFound(_("Not found."))
        done, status = attempt(request, calls[action])
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("my_wishes")
    return render(
        request,
        "care/my_wishes.html",
        {
            "held": held,
            "wishes": selectors.my_wishes(held["hash"]),
            "claims": selectors.my_claims(held["hash"])[:50],
            "my_tab": "wishes",
            "now": timezone.now(),
        },
        status=status,
    )
