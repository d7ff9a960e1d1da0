"""Pages of sharing. Staff: the rooms and huts of their area (/sharing/), a room's week
calendar with the booking, closure and weekly forms, the bookings to handle, the day
board for the service center's screen, a hut's counter and catalogue, its statistics,
the workbooks. Anyone: a room's iCal feed (titles of groups only; a resident's booking
is "已预约"). Residents under /my/sharing/, behind the verified phone: their bookings and
loans, their borrower card (a QR), a room's free times and the booking form, a hut's
catalogue and holds. Reads through sharing.selectors (outside the area: 404); every
write is a service, which checks permission; a refusal shows the page again with its
message (its status)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.audit import audit_record
from gongzhi.core.dates import parse_day
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import attempt, parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.orgs.models import OrgUnit
from gongzhi.points.printing import qr_data_uri
from gongzhi.registry.models import Resident
from gongzhi.selfservice import services as my
from gongzhi.sharing import exports, ical, perms, selectors, services
from gongzhi.sharing.models import HOLDING, BookerKind, Booking, BookingState, Condition, Room


def _viewer(user):
    if not can(user, perms.VIEW) and not selectors.huts_visible(user).exists():
        raise NotFound(_("Not found."))


def _moment(day_text, time_text, field):
    day = parse_day(day_text, field, code="invalid")
    try:
        t = dt.time.fromisoformat(str(time_text or ""))
    except ValueError:
        t = None
    if t is None:
        from gongzhi.core.errors import Invalid

        raise Invalid(_("Enter a valid time."), details={field: [_("Enter a valid time.")]})
    return dt.datetime.combine(day, t, tzinfo=timezone.get_current_timezone())


def _staff(request, template, context, status=200):
    """A staff page with the tabs: the rooms, the huts the user sees or keeps."""
    context.setdefault("hut_id", None)
    context["huts_nav"] = list(selectors.huts_visible(request.user).order_by("pk")[:20])
    return render(request, template, context, status=status)


def _week(request):
    today = timezone.localdate()
    try:
        day = (
            parse_day(request.GET.get("week"), "week", code="invalid")
            if request.GET.get("week")
            else today
        )
    except Exception:  # a bad date shows this week
        day = today
    return selectors.week_start(day)


@login_required
@require_GET
def overview(request):
    """The rooms and huts of the user's area, today's bookings and the requests."""
    _viewer(request.user)
    rooms = list(selectors.rooms_visible(request.user).order_by("org_code", "name")[:200])
    today = timezone.localdate()
    days = selectors.availability(rooms, today, 1)
    manage = scope_for(request.user, perms.MANAGE)
    for room in rooms:
        room.today = days[room.pk][0]
        room.manageable = manage.covers(room)
    return _staff(
        request,
        "sharing/overview.html",
        {
            "rooms": rooms,
            "requests": selectors.bookings_visible(request.user)
            .filter(state=BookingState.REQUESTED)
            .select_related("room")
            .order_by("starts_at")[:50],
            "units": {r.org_unit_id for r in rooms},
            "may_manage": not manage.is_empty,
            "closed": selectors.rooms_closed(request.user).order_by("org_code", "name")[:200],
            "tab": "overview",
        },
    )


def _booking_action(request, booking_id):
    data, action = request.POST, request.POST.get("action", "")
    calls = {
        "approve": lambda: services.booking_decide(
            actor=request.user, booking_id=booking_id, approve=True
        ),
        "deny": lambda: services.booking_decide(
            actor=request.user, booking_id=booking_id, approve=False, reason=data.get("reason", "")
        ),
        "cancel": lambda: services.booking_cancel(
            actor=request.user, booking_id=booking_id, reason=data.get("reason", "")
        ),
        "check_in": lambda: services.booking_check_in(actor=request.user, booking_id=booking_id),
        "no_show": lambda: services.booking_no_show(actor=request.user, booking_id=booking_id),
        "series_cancel": lambda: services.series_cancel(
            actor=request.user,
            series_id=selectors.booking_for(request.user, booking_id).series_id,
            reason=data.get("reason", ""),
        ),
    }
    if action not in calls:
        raise NotFound(_("Not found."))
    return attempt(request, calls[action])


@login_required
@require_http_methods(["GET", "POST"])
def room_page(request, room_id):
    """A room's week: every day's opening and bookings; the forms of whoever may book."""
    room = selectors.room_for(request.user, room_id)
    status = 200
    if request.method == "POST":
        data, form = request.POST, request.POST.get("form", "")
        if form == "booking":
            done, status = _booking_action(request, parse_id(data.get("booking_id")))
        elif form == "series":
            done, status = attempt(
                request,
                lambda: services.series_book(
                    actor=request.user,
                    room_id=room.pk,
                    title=data.get("title", ""),
                    first_date=data.get("first_date", ""),
                    last_date=data.get("last_date", ""),
                    starts=data.get("starts", ""),
                    ends=data.get("ends", ""),
                    booker_kind=data.get("booker_kind", BookerKind.TEAM),
                    booker_name=data.get("booker_name", ""),
                ),
            )
        else:
            done, status = attempt(
                request,
                lambda: services.book_room(
                    actor=request.user,
                    room_id=room.pk,
                    starts_at=_moment(data.get("day"), data.get("starts"), "starts_at"),
                    ends_at=_moment(data.get("day"), data.get("ends"), "ends_at"),
                    title=data.get("title", ""),
                    booker_kind=data.get("booker_kind", BookerKind.STAFF),
                    booker_name=data.get("booker_name", ""),
                    people=parse_id(data.get("people")) or 1,
                ),
            )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect(
                f"{reverse('sharing_room', args=[room.pk])}?week={_week(request):%Y-%m-%d}"
            )
    start = _week(request)
    days = selectors.availability([room], start, 7)[room.pk]
    return _staff(
        request,
        "sharing/room.html",
        {
            "room": room,
            "days": days,
            "start": start,
            "prev": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "may_book": can(request.user, perms.BOOK, room),
            "may_manage": can(request.user, perms.MANAGE, room),
            "kinds": [(k, v) for k, v in BookerKind.choices if k != BookerKind.RESIDENT],
            "tab": "overview",
        },
        status=status,
    )


@login_required
@require_GET
def board(request, unit_id):
    """The service center's screen: every room of the community today (refreshes itself)."""
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None or not scope_for(request.user, perms.VIEW).covers_code(unit.code):
        raise NotFound(_("Not found."))
    rooms = list(selectors.rooms_visible(request.user).filter(org_unit=unit))
    today = timezone.localdate()
    days = selectors.availability(rooms, today, 1)
    for room in rooms:
        room.today = days[room.pk][0]
    return render(
        request,
        "sharing/board.html",
        {"unit": unit, "rooms": rooms, "today": today, "now": timezone.now()},
    )


@require_GET
def room_ical(request, room_id):
    """The room's bookings from 30 days back to 90 ahead as iCalendar (RFC 5545)."""
    room = Room.objects.filter(pk=room_id, is_active=True).first()
    if room is None:
        raise NotFound(_("Not found."))
    now = timezone.now()
    rows = Booking.objects.filter(
        room=room,
        state__in=HOLDING,
        starts_at__gte=now - dt.timedelta(days=30),
        starts_at__lt=now + dt.timedelta(days=90),
    ).order_by("starts_at")[:2000]
    body = ical.calendar(room, rows, host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="room-{room.pk}.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def hut_page(request, hut_id):
    """The hut's counter (check out, check in), holds, overdue loans and its catalogue."""
    hut = selectors.hut_for(request.user, hut_id)
    status = 200
    if request.method == "POST":
        data, form = request.POST, request.POST.get("form", "")
        calls = {
            "out": lambda: services.check_out(
                actor=request.user,
                hut_id=hut.pk,
                item_number=data.get("item", ""),
                card=data.get("card", ""),
                deposit_paid=data.get("deposit_paid") == "on",
                trained=data.get("trained") == "on",
            ),
            "in": lambda: services.check_in(
                actor=request.user,
                hut_id=hut.pk,
                item_number=data.get("item", ""),
                condition=data.get("condition", ""),
                note=data.get("note", ""),
                repair=data.get("repair") == "on",
            ),
            "repair": lambda: services.item_repair(
                actor=request.user,
                item_id=parse_id(data.get("item_id")),
                in_repair=data.get("in_repair") == "1",
                note=data.get("note", ""),
            ),
            "cancel": lambda: services.hold_cancel(
                actor=request.user, loan_id=parse_id(data.get("loan_id"))
            ),
        }
        if form not in calls:
            raise NotFound(_("Not found."))
        done, status = attempt(request, calls[form])
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("sharing_hut", hut_id=hut.pk)
    loans = selectors.loans_visible(request.user).filter(hut=hut)
    return _staff(
        request,
        "sharing/hut.html",
        {
            "hut": hut,
            "hut_id": hut.pk,
            "items": selectors.catalogue([hut.pk], query=request.GET.get("q", "")[:50]),
            "holds": loans.filter(state__in=("requested", "held")).select_related(
                "item", "resident"
            )[:100],
            "overdue": selectors.overdue(hut)[:100],
            "conditions": Condition.choices,
            "open_now": services.tools.hut_open_now(hut),
            "may_manage": can(request.user, perms.MANAGE, hut),
            "tab": "huts",
        },
        status=status,
    )


@login_required
@require_GET
def hut_stats(request, hut_id):
    """Loans per item and month, the most wanted items, the overdue loans."""
    hut = selectors.hut_for(request.user, hut_id)
    wanted = parse_id(request.GET.get("year"))
    year = wanted if wanted and 2000 <= wanted <= 2100 else timezone.localdate().year
    table = selectors.loans_per_item_month(hut, year)
    since = timezone.now() - dt.timedelta(days=365)
    return _staff(
        request,
        "sharing/stats.html",
        {
            "hut": hut,
            "hut_id": hut.pk,
            "year": year,
            "table": table,
            "months": range(1, 13),
            "wanted": selectors.most_wanted(hut, since),
            "overdue": selectors.overdue(hut),
            "tab": "huts",
        },
    )


@login_required
@require_GET
def export_bookings(request):
    _viewer(request.user)
    rows = (
        selectors.bookings_visible(request.user)
        .select_related("room")
        .order_by("-starts_at")[:200_000]
    )
    audit_record(actor=request.user, action="sharing.export", object_type="sharing.booking")
    return exports.response(exports.bookings_workbook(rows), "bookings")


@login_required
@require_GET
def export_loans(request):
    _viewer(request.user)
    rows = (
        selectors.loans_visible(request.user)
        .select_related("item", "hut", "resident")
        .order_by("-created_at")[:200_000]
    )
    audit_record(actor=request.user, action="sharing.export", object_type="sharing.loan")
    return exports.response(exports.loans_workbook(rows), "loans")


# -- residents (/my/sharing/) ----------------------------------------------------------


def _held(request):
    return my.verified(request.session)


def _need_phone(request):
    return redirect(f"{reverse('my_phone')}?next={request.path}")


@never_cache
@require_http_methods(["GET", "POST"])
def my_sharing(request):
    """/my/sharing/: my bookings and loans (cancel, renew), my borrower card, the rooms and
    huts of my community."""
    held = _held(request)
    if held is None:
        return _need_phone(request)
    status = 200
    if request.method == "POST":
        data, action = request.POST, request.POST.get("action", "")
        calls = {
            "cancel_booking": lambda: services.booking_cancel(
                held=held, booking_id=parse_id(data.get("id")), reason=data.get("reason", "")
            ),
            "cancel_hold": lambda: services.hold_cancel(
                held=held, loan_id=parse_id(data.get("id"))
            ),
            "renew": lambda: services.renew(held=held, loan_id=parse_id(data.get("id"))),
        }
        if action not in calls:
            raise NotFound(_("Not found."))
        done, status = attempt(request, calls[action])
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("my_sharing")
    resident = (
        Resident.objects.filter(phone_hash=held["hash"], is_active=True).order_by("pk").first()
    )
    return render(
        request,
        "sharing/my.html",
        {
            "held": held,
            "my_tab": "sharing",
            "now": timezone.now(),
            "bookings": selectors.my_bookings(held["hash"]),
            "loans": selectors.my_loans(held["hash"]),
            "rooms": selectors.rooms_for_resident(held["hash"]),
            "huts": selectors.huts_for_resident(held["hash"]),
            "card": qr_data_uri(services.card_token(resident)) if resident else None,
            "resident": resident,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_room(request, room_id):
    """A room's free times this week and next, and the booking form."""
    held = _held(request)
    if held is None:
        return _need_phone(request)
    room = Room.objects.filter(pk=room_id, is_active=True, residents_may_book=True).first()
    if room is None:
        raise NotFound(_("Not found."))
    status = 200
    if request.method == "POST":
        data = request.POST
        done, status = attempt(
            request,
            lambda: services.book_room(
                held=held,
                room_id=room.pk,
                starts_at=_moment(data.get("day"), data.get("starts"), "starts_at"),
                ends_at=_moment(data.get("day"), data.get("ends"), "ends_at"),
                title=data.get("title", ""),
                people=parse_id(data.get("people")) or 1,
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("Booked.")
                if done.state == BookingState.CONFIRMED
                else _("Requested: the community will confirm it."),
            )
            return redirect("my_sharing")
    today = timezone.localdate()
    days = selectors.availability([room], today, min(14, room.max_days_ahead + 1))[room.pk]
    return render(
        request,
        "sharing/my_room.html",
        {"held": held, "my_tab": "sharing", "room": room, "days": days},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_hut(request, hut_id):
    """A hut's catalogue with what is free, and holds."""
    held = _held(request)
    if held is None:
        return _need_phone(request)
    hut = next((h for h in selectors.huts_for_resident(held["hash"]) if h.pk == hut_id), None)
    if hut is None:
        raise NotFound(_("Not found."))
    status = 200
    if request.method == "POST":
        done, status = attempt(
            request,
            lambda: services.hold_place(held=held, item_id=parse_id(request.POST.get("item_id"))),
        )
        if done is not None:
            messages.success(request, _("Held: collect it at the hut."))
            return redirect("my_sharing")
    items = selectors.catalogue([hut.pk], query=request.GET.get("q", "")[:50])
    return render(
        request,
        "sharing/my_hut.html",
        {
            "held": held,
            "my_tab": "sharing",
            "hut": hut,
            "items": items,
            "q": request.GET.get("q", "")[:50],
        },
        status=status,
    )
