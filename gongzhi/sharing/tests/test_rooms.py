"""Booking rooms: the rules refuse with their reason and change nothing; buffers count;
a closure blocks; series change and cancel as a whole or one date at a time; approval,
check-in, no-show; scopes."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from gongzhi.core import calendar
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import CalendarDay
from gongzhi.sharing import selectors, services
from gongzhi.sharing.models import BookerKind, Booking, BookingState
from gongzhi.sharing.tests.conftest import moment


def book(world, a, b, **kw):
    kw.setdefault("held", world.held)
    return services.book_room(room_id=world.room.pk, starts_at=a, ends_at=b, title="练歌", **kw)


def test_a_resident_books_within_the_rules(world):
    b = book(world, moment(1, 9), moment(1, 10))
    assert b.state == BookingState.CONFIRMED and b.booker_kind == BookerKind.RESIDENT
    assert b.blocked_until == moment(1, 10, 15)  # the buffer after it
    assert b.phone_masked == "139****5678" and "13912345678" not in b.phone_enc


@pytest.mark.parametrize(
    ("a", "b", "code"),
    [
        (moment(1, 7), moment(1, 9), "outside_hours"),
        (moment(1, 20), moment(1, 22), "outside_hours"),
        (moment(20, 9), moment(20, 10), "too_far_ahead"),
        (moment(1, 9), moment(1, 13), "too_long"),
        (moment(1, 9), moment(1, 9, 10), "too_short"),
        (moment(-1, 9), moment(-1, 10), "in_the_past"),
        (moment(1, 10), moment(1, 9), "invalid"),
    ],
)
def test_a_booking_against_the_rules_is_refused_with_the_reason(world, a, b, code):
    with pytest.raises(Invalid) as exc:
        book(world, a, b)
    assert exc.value.code == code and exc.value.message
    assert Booking.objects.count() == 0


def test_a_holiday_of_the_working_day_calendar_closes_the_room(world):
    day = moment(2, 9).date()  # Friday
    CalendarDay.objects.create(date=day, is_workday=False)
    calendar.forget()
    with pytest.raises(Invalid) as exc:
        book(world, moment(2, 9), moment(2, 10))
    assert exc.value.code == "closed_day"
    world.room.weekdays = "01234"  # closed at weekends
    world.room.save()
    with pytest.raises(Invalid) as exc:
        book(world, moment(3, 9), moment(3, 10))  # Saturday
    assert exc.value.code == "closed_day"
    assert Booking.objects.count() == 0


def test_an_overlap_or_a_buffer_is_refused_naming_the_booking_in_the_way(world, people):
    first = services.book_room(
        room_id=world.room.pk,
        starts_at=moment(1, 9),
        ends_at=moment(1, 10),
        title="书法班",
        actor=people.community_worker,
        booker_kind=BookerKind.TEAM,
    )
    for a, b in [
        (moment(1, 9, 30), moment(1, 11)),
        (moment(1, 10), moment(1, 11)),
        (moment(1, 8, 30), moment(1, 9, 1)),
    ]:
        with pytest.raises(Conflict) as exc:
            book(world, a, b)
        assert exc.value.code == "clash" and "书法班" in exc.value.message
        assert exc.value.details["booking"] == first.pk
    ok = book(world, moment(1, 10, 15), moment(1, 11))  # after the buffer
    assert Booking.objects.filter(state=BookingState.CONFIRMED).count() == 2
    services.booking_cancel(booking_id=first.pk, reason="老师病了", actor=people.community_worker)
    assert book(world, moment(1, 9), moment(1, 10)).pk not in (first.pk, ok.pk)


def test_a_room_closed_for_an_event_blocks_bookings(world, people):
    services.room_close(
        actor=people.community_worker,
        room_id=world.room.pk,
        starts_at=moment(1, 8, 30),
        ends_at=moment(1, 21),
        reason="消防演练",
    )
    with pytest.raises(Conflict) as exc:
        book(world, moment(1, 14), moment(1, 15))
    assert "消防演练" in exc.value.message


def test_staff_out_of_scope_cannot_book_and_other_modules_book_once_by_key(world, people):
    # A grid worker's area is the grid, not the community's room; the other community's
    # worker does not see it at all.
    with pytest.raises((NotFound, PermissionDenied)):
        services.book_room(
            room_id=world.room.pk,
            starts_at=moment(1, 9),
            ends_at=moment(1, 10),
            title="x",
            actor=people.gw_a,
        )
    with pytest.raises(NotFound):
        services.book_room(
            room_id=world.room.pk,
            starts_at=moment(1, 9),
            ends_at=moment(1, 10),
            title="x",
            actor=people.nobody,
        )
    assert Booking.objects.count() == 0
    kw = dict(
        room_id=world.other_room.pk,
        starts_at=moment(1, 9),
        ends_at=moment(1, 10),
        title="调解",
        actor=people.gw_a,
        purpose="disputes.session",
        purpose_key="7",
        within=world.other_room.org_code,
    )
    # A module booking for its records names the area the room must lie in.
    with pytest.raises(PermissionDenied):
        services.book_room(**{**kw, "within": ""})
    with pytest.raises(NotFound):
        services.book_room(**{**kw, "within": "990101999"})
    assert Booking.objects.count() == 0
    first = services.book_room(**kw)
    assert services.book_room(**kw).pk == first.pk
    assert Booking.objects.count() == 1 and first.purpose == "disputes.session"


def test_changing_one_date_of_a_series_never_touches_the_others(world, people):
    series = services.series_book(
        actor=people.community_worker,
        room_id=world.room.pk,
        title="舞蹈队排练",
        first_date=moment(6, 0).date(),
        last_date=moment(6 + 7 * 5, 0).date(),
        starts=dt.time(19),
        ends=dt.time(21),
    )
    dates = list(series.bookings.order_by("starts_at"))
    assert len(dates) == 6 and {timezone_hour(b) for b in dates} == {19}
    before = {b.pk: (b.starts_at, b.ends_at, b.state) for b in dates[1:]}
    services.booking_change(
        actor=people.community_worker,
        booking_id=dates[0].pk,
        starts_at=moment(6, 18),
        ends_at=moment(6, 20),
    )
    after = {
        b.pk: (b.starts_at, b.ends_at, b.state) for b in series.bookings.exclude(pk=dates[0].pk)
    }
    assert after == before
    services.booking_cancel(
        booking_id=dates[2].pk, reason="场地检修", actor=people.community_worker
    )
    assert series.bookings.filter(state=BookingState.CANCELLED).count() == 1
    # The whole series to 18:30: the date changed on its own and the cancelled one stay.
    services.series_change(
        actor=people.community_worker,
        series_id=series.pk,
        starts=dt.time(18, 30),
        ends=dt.time(20, 30),
    )
    moved = Booking.objects.get(pk=dates[0].pk)
    assert moved.detached and timezone_hour(moved) == 18 and moved.starts_at.minute == 0
    assert {
        timezone_hour(b) for b in series.bookings.filter(detached=False, state="confirmed")
    } == {18}
    services.series_cancel(actor=people.community_worker, series_id=series.pk, reason="换季")
    assert not series.bookings.filter(state=BookingState.CONFIRMED).exclude(pk=dates[0].pk).exists()


def timezone_hour(b):
    from django.utils import timezone

    return timezone.localtime(b.starts_at).hour


def test_a_series_with_a_clash_is_refused_whole(world, people):
    book(world, moment(13, 19), moment(13, 20))
    with pytest.raises(Conflict) as exc:
        services.series_book(
            actor=people.community_worker,
            room_id=world.room.pk,
            title="合唱团",
            first_date=moment(6, 0).date(),
            last_date=moment(27, 0).date(),
            starts=dt.time(19),
            ends=dt.time(21),
        )
    assert exc.value.code == "clash"
    assert Booking.objects.count() == 1


def test_approval_check_in_and_no_show(world, people, clock):
    world.room.needs_approval = True
    world.room.save()
    b = book(world, moment(1, 9), moment(1, 10))
    assert b.state == BookingState.REQUESTED
    with pytest.raises(Conflict):  # holds the slot while it waits
        book(world, moment(1, 9), moment(1, 10), held=world.other_held)
    services.booking_decide(actor=people.community_worker, booking_id=b.pk, approve=True)
    clock.advance(days=1)
    b = services.booking_no_show(actor=people.community_worker, booking_id=b.pk)
    assert b.state == BookingState.NO_SHOW
    with pytest.raises(Conflict):
        services.booking_check_in(actor=people.community_worker, booking_id=b.pk)


def test_a_resident_sees_and_cancels_only_their_own(world):
    mine = book(world, moment(1, 9), moment(1, 10))
    theirs = book(world, moment(1, 11), moment(1, 12), held=world.other_held)
    assert [b.pk for b in selectors.my_bookings(world.held["hash"])] == [mine.pk]
    with pytest.raises(NotFound):
        services.booking_cancel(booking_id=theirs.pk, reason="", held=world.held)
    assert Booking.objects.get(pk=theirs.pk).state == BookingState.CONFIRMED


def test_staff_reads_are_scoped(world, people):
    b = book(world, moment(1, 9), moment(1, 10))
    assert selectors.bookings_visible(people.community_worker).filter(pk=b.pk).exists()
    assert not selectors.bookings_visible(people.gw_a).filter(pk=b.pk).exists()
    assert not selectors.bookings_visible(people.resident).exists()


def test_availability_lists_free_stretches(world):
    book(world, moment(1, 9), moment(1, 10))
    days = selectors.availability([world.room], moment(1, 0).date(), 7)[world.room.pk]
    free = days[0].free
    assert free[0] == (moment(1, 8, 30), moment(1, 9))
    assert free[1][0] == moment(1, 10, 15)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's"
)
def test_the_database_refuses_an_overlap_written_around_the_service(world):
    b = book(world, moment(1, 9), moment(1, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            room=world.room,
            org_code=b.org_code,
            starts_at=moment(1, 10),
            ends_at=moment(1, 11),
            blocked_until=moment(1, 11),
            title="x",
            booker_kind=BookerKind.STAFF,
        )
