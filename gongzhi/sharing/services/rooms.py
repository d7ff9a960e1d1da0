"""Booking rooms. `book_room` is the one way a booking is made — by a resident in /my/,
by staff, and by other modules (a mediation session, a deliberation meeting, a
volunteer activity):

    book_room(*, room_id, starts_at, ends_at, title, actor=None, held=None,
              booker_kind=None, booker_name="", people=1, purpose="", purpose_key="",
              note="") -> Booking

- `held` (the resident's verified phone from /my/) books as a resident; `actor` (a user)
  books as staff, checked against `sharing.book` over the room — unless `purpose` is
  given: then the calling module has validated its event (like points_award) and the
  booking is the module's ("disputes.session", "decide.meeting", "volunteers.activity",
  ≤ 40) with its `purpose_key` (≤ 100): unique together, so a retry returns the first
  booking instead of a second one.
- The rules hold for everyone: inside the opening hours, not on a closed day, not in the
  past, and no overlap with another booking of the room, its buffer included (409
  `clash`, naming the booking in the way). Residents, teams and partners also keep to the
  room's rules: who may book, how far ahead, shortest and longest.
- Refusals raise Invalid (400) with a stable code (`outside_hours`, `closed_day`,
  `too_far_ahead`, `too_long`, `too_short`, `in_the_past`, `not_allowed`) and change
  nothing.
"""

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.permissions import can
from gongzhi.sharing import hours, perms
from gongzhi.sharing.models import (
    HOLDING,
    BookerKind,
    Booking,
    BookingState,
    Room,
    Series,
)

MAX_SERIES_DATES = 60
# No booking (a closure included) is longer: so a window's bookings are found by a bounded
# range of the (room, starts_at) index (selectors.availability).
MAX_SPAN = dt.timedelta(days=7)


def _refuse(code: str, field: str, message: str):
    raise Invalid(message, code=code, details={field: [message]})


def _when(value, field: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            _refuse("invalid", field, _("Enter a valid date and time."))
    if not isinstance(value, dt.datetime):
        _refuse("invalid", field, _("Enter a valid date and time."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not (2000 <= value.year <= 2100):
        _refuse("invalid", field, _("Enter a valid date and time."))
    return value


def _text(value, limit: int, field: str, *, required=False) -> str:
    value = str(value or "").strip()
    if required and not value:
        _refuse("invalid", field, _("This field is required."))
    if len(value) > limit:
        _refuse("invalid", field, _("At most %(n)s characters.") % {"n": limit})
    return value


def describe(booking: Booking) -> str:
    """How a refusal names a booking: “书法班” 12月8日 19:00–21:00."""
    start, end = timezone.localtime(booking.starts_at), timezone.localtime(booking.ends_at)
    title = booking.title if booking.booker_kind != BookerKind.RESIDENT else _("a booking")
    return f"“{title}” {start:%m-%d %H:%M}–{end:%H:%M}"


def check_rules(room: Room, starts: dt.datetime, ends: dt.datetime, *, kind: str) -> None:
    """The room's rules for a booking of `kind` (Invalid with the reason), not the clash."""
    now = timezone.now()
    if ends <= starts:
        _refuse("invalid", "ends_at", _("The end must be after the start."))
    if starts < now - dt.timedelta(minutes=5):
        _refuse("in_the_past", "starts_at", _("A booking cannot start in the past."))
    local = timezone.localtime(starts)
    if ends - starts > MAX_SPAN:
        _refuse("too_long", "ends_at", _("A booking or closure is at most 7 days."))
    if kind == BookerKind.CLOSURE:
        return
    if hours.is_closed_day(room, local.date()):
        _refuse(
            "closed_day",
            "starts_at",
            _("%(room)s is closed on %(day)s.") % {"room": room.name, "day": f"{local:%Y-%m-%d}"},
        )
    if not hours.within_hours(room, starts, ends):
        _refuse(
            "outside_hours",
            "starts_at",
            _("%(room)s is open from %(a)s to %(b)s.")
            % {"room": room.name, "a": f"{room.opens_at:%H:%M}", "b": f"{room.closes_at:%H:%M}"},
        )
    if kind == BookerKind.STAFF:
        return
    allowed = {
        BookerKind.RESIDENT: room.residents_may_book,
        BookerKind.TEAM: room.teams_may_book,
        BookerKind.PARTNER: room.partners_may_book,
    }
    if not allowed.get(kind, False):
        _refuse("not_allowed", "booker_kind", _("This room cannot be booked this way."))
    minutes = (ends - starts).total_seconds() / 60
    if minutes > room.max_minutes:
        _refuse(
            "too_long",
            "ends_at",
            _("A booking is at most %(n)s minutes.") % {"n": room.max_minutes},
        )
    if minutes < room.min_minutes:
        _refuse(
            "too_short",
            "ends_at",
            _("A booking is at least %(n)s minutes.") % {"n": room.min_minutes},
        )
    if (local.date() - timezone.localdate()).days > room.max_days_ahead:
        _refuse(
            "too_far_ahead",
            "starts_at",
            _("%(room)s is booked at most %(n)s days ahead.")
            % {"room": room.name, "n": room.max_days_ahead},
        )


def _clash(room: Room, starts, blocked_until, *, exclude=()) -> Booking | None:
    return (
        Booking.objects.filter(
            room=room,
            state__in=HOLDING,
            starts_at__gte=starts - MAX_SPAN - dt.timedelta(minutes=room.buffer_minutes),
            starts_at__lt=blocked_until,
            blocked_until__gt=starts,
        )
        .exclude(pk__in=list(exclude))
        .order_by("starts_at")
        .first()
    )


def _refuse_clash(clash: Booking):
    raise Conflict(
        _("The room is taken then: %(booking)s.") % {"booking": describe(clash)},
        code="clash",
        details={"booking": clash.pk, "starts_at": clash.starts_at.isoformat()},
    )


def _lock_room(room_id) -> Room:
    """The room's row lock: every booking of a room waits its turn (on SQLite the write
    transaction is BEGIN IMMEDIATE, so it is already alone)."""
    room = Room.objects.select_for_update().filter(pk=room_id, is_active=True).first()
    if room is None:
        raise NotFound(_("Not found."))
    return room


def _save_holding(booking: Booking, room: Room, *, exclude=()) -> Booking:
    """Check the clash under the room's lock and save; on PostgreSQL the exclusion
    constraint is the last word (a savepoint, so the caller's transaction survives)."""
    booking.blocked_until = booking.ends_at + dt.timedelta(minutes=room.buffer_minutes)
    clash = _clash(room, booking.starts_at, booking.blocked_until, exclude={booking.pk, *exclude})
    if clash is not None:
        _refuse_clash(clash)
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError:
        if connection.vendor != "postgresql":
            raise
        clash = _clash(room, booking.starts_at, booking.blocked_until, exclude={booking.pk})
        if clash is None:
            raise
        _refuse_clash(clash)
    return booking


def book_room(
    *,
    room_id,
    starts_at,
    ends_at,
    title,
    actor=None,
    held=None,
    booker_kind=None,
    booker_name="",
    people=1,
    purpose="",
    purpose_key="",
    within="",
    note="",
    series=None,
) -> Booking:
    """One booking of a room (see the module). A module that books for its own records
    (`purpose`, `purpose_key`: a mediation session, a meeting) has proved its caller's
    right itself and names the area the room must lie in (`within`, e.g. the dispute's
    community): a room elsewhere is 404 — the service checks it, not each caller."""
    starts, ends = _when(starts_at, "starts_at"), _when(ends_at, "ends_at")
    title = _text(title, 100, "title", required=True)
    booker_name = _text(booker_name, 50, "booker_name")
    note = _text(note, 200, "note")
    purpose = _text(purpose, 40, "purpose")
    purpose_key = _text(purpose_key, 100, "purpose_key", required=bool(purpose))
    if purpose and not within:
        raise PermissionDenied(_("You may not do this."))
    if not isinstance(people, int) or not 1 <= people <= 10_000:
        _refuse("invalid", "people", _("Enter a number of people."))
    if held is not None:
        kind = BookerKind.RESIDENT
    elif actor is None:
        raise PermissionDenied(_("You may not do this."))
    else:
        kind = booker_kind or BookerKind.STAFF
        if kind not in BookerKind.values or kind == BookerKind.RESIDENT:
            _refuse("invalid", "booker_kind", _("Choose who books."))
    with transaction.atomic():
        if purpose:
            first = Booking.objects.filter(purpose=purpose, purpose_key=purpose_key).first()
            if first is not None:
                return first
        room = _lock_room(room_id)
        if purpose and not room.org_code.startswith(within):
            raise NotFound(_("The room does not exist or is not the community's."))
        if actor is not None and not purpose and held is None:
            need = perms.MANAGE if kind == BookerKind.CLOSURE else perms.BOOK
            if not can(actor, perms.VIEW, room) and not can(actor, need, room):
                raise NotFound(_("Not found."))
            if not can(actor, need, room):
                raise PermissionDenied(_("You may not do this."))
        check_rules(room, starts, ends, kind=kind)
        if people > room.capacity and kind != BookerKind.CLOSURE:
            _refuse(
                "too_many",
                "people",
                _("%(room)s holds %(n)s people.") % {"room": room.name, "n": room.capacity},
            )
        approval = room.needs_approval and kind in (
            BookerKind.RESIDENT,
            BookerKind.TEAM,
            BookerKind.PARTNER,
        )
        booking = Booking(
            room=room,
            org_code=room.org_code,
            series=series,
            starts_at=starts,
            ends_at=ends,
            state=BookingState.REQUESTED if approval else BookingState.CONFIRMED,
            booker_kind=kind,
            title=title,
            booker_name=booker_name,
            people=people,
            purpose=purpose,
            purpose_key=purpose_key,
            note=note,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        if held is not None:
            booking.phone_enc, booking.phone_hash = held["enc"], held["hash"]
            booking.phone_masked = held["masked"]
            booking.booker_name = booker_name or held["masked"]
        _save_holding(booking, room)
        audit_record(
            actor=booking.created_by,
            action="sharing.book",
            obj=booking,
            changes={
                "room": room.pk,
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "kind": kind,
                "purpose": purpose,
            },
        )
        return booking


def room_close(*, actor, room_id, starts_at, ends_at, reason) -> Booking:
    """The room closed for an event: a booking that blocks every other."""
    return book_room(
        actor=actor,
        room_id=room_id,
        starts_at=starts_at,
        ends_at=ends_at,
        title=reason,
        booker_kind=BookerKind.CLOSURE,
    )


def _staff_booking(actor, booking_id, perm=perms.BOOK, *, lock=True) -> Booking:
    with transaction.atomic():
        booking = Booking.objects.select_related("room").filter(pk=booking_id).first()
        if booking is None or not can(actor, perms.VIEW, booking):
            raise NotFound(_("Not found."))
        if not can(actor, perm, booking):
            raise PermissionDenied(_("You may not do this."))
        if lock:
            _lock_room(booking.room_id)
            booking.refresh_from_db()
        return booking


def _mine(held, booking_id) -> Booking:
    booking = (
        Booking.objects.select_related("room")
        .filter(pk=booking_id, phone_hash=held["hash"], booker_kind=BookerKind.RESIDENT)
        .first()
    )
    if booking is None:
        raise NotFound(_("Not found."))
    return booking


def booking_cancel(*, booking_id, reason, actor=None, held=None) -> Booking:
    """Cancelled with its reason, by staff or by the resident whose booking it is."""
    reason = _text(reason, 200, "reason", required=actor is not None)
    with transaction.atomic():
        booking = _mine(held, booking_id) if held is not None else _staff_booking(actor, booking_id)
        if booking.state not in (BookingState.REQUESTED, BookingState.CONFIRMED):
            raise Conflict(_("This booking can no longer be cancelled."), code="not_cancellable")
        booking.state, booking.reason = BookingState.CANCELLED, reason
        booking.save(update_fields=["state", "reason"])
        audit_record(
            actor=actor, action="sharing.booking_cancel", obj=booking, changes={"reason": reason}
        )
        return booking


def booking_change(*, actor, booking_id, starts_at, ends_at) -> Booking:
    """Move one booking (one date of a series: the others are untouched; it leaves the
    series' changes from then on)."""
    starts, ends = _when(starts_at, "starts_at"), _when(ends_at, "ends_at")
    with transaction.atomic():
        booking = _staff_booking(actor, booking_id)
        if booking.state not in (BookingState.REQUESTED, BookingState.CONFIRMED):
            raise Conflict(_("This booking can no longer be changed."), code="not_changeable")
        room = booking.room
        check_rules(room, starts, ends, kind=booking.booker_kind)
        before = (booking.starts_at.isoformat(), booking.ends_at.isoformat())
        booking.starts_at, booking.ends_at = starts, ends
        booking.detached = booking.series_id is not None
        _save_holding(booking, room)
        audit_record(
            actor=actor,
            action="sharing.booking_change",
            obj=booking,
            changes={"from": before, "to": (starts.isoformat(), ends.isoformat())},
        )
        return booking


def booking_decide(*, actor, booking_id, approve: bool, reason="") -> Booking:
    reason = _text(reason, 200, "reason", required=not approve)
    with transaction.atomic():
        booking = _staff_booking(actor, booking_id)
        if booking.state != BookingState.REQUESTED:
            raise Conflict(_("This booking is not awaiting approval."), code="not_requested")
        booking.state = BookingState.CONFIRMED if approve else BookingState.DENIED
        booking.reason = reason
        booking.save(update_fields=["state", "reason"])
        audit_record(
            actor=actor,
            action="sharing.booking_decide",
            obj=booking,
            changes={"approve": approve, "reason": reason},
        )
        return booking


def booking_check_in(*, actor, booking_id) -> Booking:
    with transaction.atomic():
        booking = _staff_booking(actor, booking_id, lock=False)
        if booking.state != BookingState.CONFIRMED:
            raise Conflict(_("Only a confirmed booking is checked in."), code="not_confirmed")
        booking.state, booking.checked_in_at = BookingState.CHECKED_IN, timezone.now()
        booking.save(update_fields=["state", "checked_in_at"])
        audit_record(actor=actor, action="sharing.booking_check_in", obj=booking)
        return booking


def booking_no_show(*, actor, booking_id) -> Booking:
    """Nobody came: after the start. A resident's no-show costs the room's points when the
    community says so (once a booking: its key)."""
    from gongzhi.sharing.services.penalties import deduct

    with transaction.atomic():
        booking = _staff_booking(actor, booking_id, lock=False)
        if booking.state != BookingState.CONFIRMED:
            raise Conflict(_("Only a confirmed booking can be a no-show."), code="not_confirmed")
        if booking.starts_at > timezone.now():
            raise Conflict(_("The booking has not started yet."), code="not_started")
        booking.state = BookingState.NO_SHOW
        booking.save(update_fields=["state"])
        audit_record(actor=actor, action="sharing.booking_no_show", obj=booking)
        if booking.room.no_show_points and booking.phone_hash:
            deduct(
                phone_hash=booking.phone_hash,
                org_code=booking.org_code,
                amount=booking.room.no_show_points,
                key=f"sharing.no_show:{booking.pk}",
                reason=_("No-show: %(b)s") % {"b": describe(booking)},
                actor=actor,
            )
        return booking


# -- series --------------------------------------------------------------------------


def _dates(first: dt.date, last: dt.date) -> list[dt.date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def _moment(day: dt.date, t: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=timezone.get_current_timezone())


def _time(value, field) -> dt.time:
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            _refuse("invalid", field, _("Enter a valid time."))
    if not isinstance(value, dt.time):
        _refuse("invalid", field, _("Enter a valid time."))
    return value


def _day(value, field) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            _refuse("invalid", field, _("Enter a valid date."))
    if not isinstance(value, dt.date) or not 2000 <= value.year <= 2100:
        _refuse("invalid", field, _("Enter a valid date."))
    return value


def series_book(
    *,
    actor,
    room_id,
    title,
    first_date,
    last_date,
    starts,
    ends,
    booker_kind=BookerKind.TEAM,
    booker_name="",
) -> Series:
    """Every week on the weekday of `first_date`, from `starts` to `ends`, until
    `last_date`: one Series and a booking a date, all or nothing (a clash on any date
    refuses the whole series, naming it). Closed days are left out and listed."""
    first, last = _day(first_date, "first_date"), _day(last_date, "last_date")
    t0, t1 = _time(starts, "starts"), _time(ends, "ends")
    title = _text(title, 100, "title", required=True)
    if last < first:
        _refuse("invalid", "last_date", _("The last date must not be before the first."))
    dates = _dates(first, last)
    if len(dates) > MAX_SERIES_DATES:
        _refuse("invalid", "last_date", _("At most %(n)s dates.") % {"n": MAX_SERIES_DATES})
    if booker_kind not in (BookerKind.TEAM, BookerKind.PARTNER, BookerKind.STAFF):
        _refuse("invalid", "booker_kind", _("Choose who books."))
    with transaction.atomic():
        room = _lock_room(room_id)
        if not can(actor, perms.BOOK, room):
            raise (PermissionDenied if can(actor, perms.VIEW, room) else NotFound)(
                _("You may not do this.") if can(actor, perms.VIEW, room) else _("Not found.")
            )
        series = Series.objects.create(
            room=room,
            org_code=room.org_code,
            title=title,
            booker_kind=booker_kind,
            booker_name=_text(booker_name, 50, "booker_name"),
            first_date=first,
            last_date=last,
            starts=t0,
            ends=t1,
            created_by=actor,
        )
        skipped = []
        for day in dates:
            if hours.is_closed_day(room, day):
                skipped.append(day.isoformat())
                continue
            a, b = _moment(day, t0), _moment(day, t1)
            # Staff book a season ahead: the days-ahead rule is for one-off bookings.
            check_rules(room, a, b, kind=BookerKind.STAFF)
            booking = Booking(
                room=room,
                org_code=room.org_code,
                series=series,
                starts_at=a,
                ends_at=b,
                state=BookingState.CONFIRMED,
                booker_kind=booker_kind,
                title=title,
                booker_name=series.booker_name,
                created_by=actor,
            )
            _save_holding(booking, room)
        series.skipped = skipped
        series.save(update_fields=["skipped"])
        audit_record(
            actor=actor,
            action="sharing.series_book",
            obj=series,
            changes={"dates": len(dates) - len(skipped), "skipped": skipped},
        )
        return series


def _series_for(actor, series_id) -> Series:
    series = Series.objects.select_related("room").filter(pk=series_id).first()
    if series is None or not can(actor, perms.VIEW, series):
        raise NotFound(_("Not found."))
    if not can(actor, perms.BOOK, series):
        raise PermissionDenied(_("You may not do this."))
    return series


def _coming(series: Series):
    return series.bookings.filter(
        state__in=(BookingState.REQUESTED, BookingState.CONFIRMED),
        detached=False,
        starts_at__gte=timezone.now(),
    ).order_by("starts_at")


def series_change(*, actor, series_id, starts, ends) -> Series:
    """The coming dates of the series to a new time, all or nothing; a date changed on
    its own keeps its own time."""
    t0, t1 = _time(starts, "starts"), _time(ends, "ends")
    with transaction.atomic():
        series = _series_for(actor, series_id)
        room = _lock_room(series.room_id)
        coming = list(_coming(series))
        ids = {b.pk for b in coming}
        for booking in coming:
            day = timezone.localtime(booking.starts_at).date()
            booking.starts_at, booking.ends_at = _moment(day, t0), _moment(day, t1)
            check_rules(room, booking.starts_at, booking.ends_at, kind=BookerKind.STAFF)
            _save_holding(booking, room, exclude=ids)
        series.starts, series.ends = t0, t1
        series.save(update_fields=["starts", "ends"])
        audit_record(
            actor=actor,
            action="sharing.series_change",
            obj=series,
            changes={"starts": t0.isoformat(), "ends": t1.isoformat(), "dates": len(coming)},
        )
        return series


def series_cancel(*, actor, series_id, reason) -> Series:
    """Every coming date of the series cancelled, with the reason."""
    reason = _text(reason, 200, "reason", required=True)
    with transaction.atomic():
        series = _series_for(actor, series_id)
        n = series.bookings.filter(
            state__in=(BookingState.REQUESTED, BookingState.CONFIRMED),
            starts_at__gte=timezone.now(),
        ).update(state=BookingState.CANCELLED, reason=reason)
        series.cancelled_at, series.cancel_reason = timezone.now(), reason
        series.save(update_fields=["cancelled_at", "cancel_reason"])
        audit_record(
            actor=actor,
            action="sharing.series_cancel",
            obj=series,
            changes={"reason": reason, "dates": n},
        )
        return series
