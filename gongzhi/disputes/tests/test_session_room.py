"""A mediation session books the community's 调解室 through the rooms' booking service
(sharing.services.book_room), and is recorded in it; the text place stays the fallback."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.cases.tests.support import Clock
from gongzhi.core.errors import Conflict, Invalid, PermissionDenied
from gongzhi.disputes import services
from gongzhi.disputes.models import MediationSession
from gongzhi.sharing.models import Booking, Room


@pytest.fixture
def room(tree):
    return Room.objects.create(
        org_unit=tree.community,
        org_code=tree.community.code,
        name="调解室",
        capacity=8,
        closed_on_holidays=False,
    )


def test_a_session_books_the_mediation_room_and_is_recorded_there(disp, people, room, monkeypatch):
    case = disp.mediating()
    day = timezone.localdate() + dt.timedelta(days=1)
    a, b = f"{day}T10:00:00+08:00", f"{day}T11:00:00+08:00"
    booking = services.session_room_book(
        actor=disp.med_user, dispute_id=case.pk, room_id=room.pk, starts_at=a, ends_at=b
    )
    assert booking.purpose == "disputes.session" and booking.title == "Mediation"
    again = services.session_room_book(
        actor=disp.med_user, dispute_id=case.pk, room_id=room.pk, starts_at=a, ends_at=b
    )
    assert again.pk == booking.pk and Booking.objects.count() == 1
    # The room is taken for anyone else then.
    with pytest.raises(Conflict):
        from gongzhi.sharing.services import book_room

        book_room(actor=people.community_worker, room_id=room.pk, starts_at=a, ends_at=b, title="x")
    # Strangers to the dispute book nothing for it.
    with pytest.raises(Exception):  # noqa: B017  NotFound or PermissionDenied
        services.session_room_book(
            actor=people.gw_b, dispute_id=case.pk, room_id=room.pk, starts_at=a, ends_at=b
        )
    Clock(booking.ends_at + dt.timedelta(hours=1)).install(monkeypatch)
    session = services.session_record(
        actor=disp.med_user,
        dispute_id=case.pk,
        mode="joint",
        held_at=a,
        attendees="甲乙",
        minutes="记录",
        booking_id=booking.pk,
    )
    assert session.booking_id == booking.pk and session.place == "调解室"


def test_a_session_without_a_room_keeps_its_text_place(disp):
    case = disp.mediating()
    with pytest.raises(Invalid) as exc:
        services.session_record(
            actor=disp.med_user,
            dispute_id=case.pk,
            mode="joint",
            held_at="2026-01-01T10:00:00+08:00",
            attendees="甲乙",
            minutes="记录",
            booking_id=999,
        )
    assert "booking_id" in exc.value.details
    s = services.session_record(
        actor=disp.med_user,
        dispute_id=case.pk,
        mode="joint",
        held_at="2026-01-01T10:00:00+08:00",
        place="居委会会议室",
        attendees="甲乙",
        minutes="记录",
    )
    assert s.booking is None and s.place == "居委会会议室"
    assert MediationSession.objects.count() == 1
    _ = PermissionDenied


def test_a_room_of_another_community_is_not_the_disputes_to_book(disp, tree, room):
    from gongzhi.core.errors import NotFound

    elsewhere = Room.objects.create(
        org_unit=tree.community2, org_code=tree.community2.code, name="别处调解室", capacity=8,
        closed_on_holidays=False,
    )  # fmt: skip
    case = disp.mediating()
    day = timezone.localdate() + dt.timedelta(days=1)
    for room_id in (elsewhere.pk, 999_999):
        with pytest.raises(NotFound):
            services.session_room_book(
                actor=disp.med_user, dispute_id=case.pk, room_id=room_id,
                starts_at=f"{day}T10:00:00+08:00", ends_at=f"{day}T11:00:00+08:00",
            )  # fmt: skip
    assert not Booking.objects.exists()
