"""The pages: each as the community worker, the refusals in Chinese on the page, the
public board and the volunteer's own card, the exports; reads scoped (404 outside)."""

import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from python_calamine import CalamineWorkbook

from gongzhi.care.tests.test_views import verified_client
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Activity, HourRecord, Participation, PartnerKind
from gongzhi.volunteers.tests.conftest import make_activity

USCC = "91110108551385082Q"


@pytest.fixture
def cw(login, people):
    return login(people.community_worker)


def test_every_page_as_the_community_worker(cw, vol, people, tree):
    services.signup_for(
        actor=people.community_worker, activity_id=vol.activity.pk, volunteer_id=vol.v[0].pk
    )
    partner = services.partner_save(
        actor=people.community_worker,
        unit_code=tree.community.code,
        kind=PartnerKind.INSTITUTION,
        name="区医院",
        uscc=USCC,
    )
    pages = [
        "/volunteers/",
        f"/volunteers/{vol.v[0].pk}/",
        f"/volunteers/{vol.v[0].pk}/certificate/2026/",
        "/volunteers/activities/",
        f"/volunteers/activities/{vol.activity.pk}/",
        "/volunteers/hours/",
        "/volunteers/partners/",
        f"/volunteers/partners/{partner.pk}/",
        f"/volunteers/figures/?unit={tree.community.code}",
        "/activities/",
        f"/activities/{vol.activity.pk}/",
        f"/volunteers/card/{vol.v[0].card_token}/",
        "/patrols/",
    ]
    for url in pages:
        response = cw.get(url)
        assert response.status_code == 200, (url, response.content.decode()[:300])
    page = cw.get(f"/volunteers/{vol.v[0].pk}/").content.decode()
    assert vol.residents[0].phone_masked in page
    assert "13900000000" not in page
    for what, rows in (("volunteers", 6), ("partners", 1)):
        response = cw.get(f"/volunteers/export/{what}.xlsx")
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
        data = sheet.to_python()
        assert len(data) == rows + 1
        assert "13900000000" not in str(data)


def test_outside_the_area_is_not_found(login, vol, people, tree):
    other = login(people.gw_b)  # grid B sees grid B's volunteers, not grid A's
    assert other.get(f"/volunteers/{vol.v[1].pk}/").status_code == 404
    assert other.get(f"/volunteers/{vol.v[0].pk}/").status_code == 200
    handler = login(people.handler)
    assert handler.get("/volunteers/").status_code == 404
    assert handler.get(f"/volunteers/activities/{vol.activity.pk}/").status_code == 404


def test_bad_input_shows_a_chinese_message_and_changes_nothing(cw, vol, tree):
    with translation.override("zh-hans"):
        response = cw.post(
            "/volunteers/activities/",
            {
                "unit": tree.community.code,
                "title": "",
                "kind": "civility",
                "starts_at": "2026-05-01T10:00",
                "ends_at": "2026-05-01T09:00",
                "place": "x",
                "capacity": "0",
            },
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 400
    assert "必填" in response.content.decode() or "此字段" in response.content.decode()
    assert Activity.objects.count() == 1
    response = cw.post(
        "/volunteers/partners/",
        {"unit": tree.community.code, "kind": "institution", "name": "坏代码", "uscc": "123"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "统一社会信用代码" in response.content.decode()


def test_the_volunteer_signs_up_and_checks_in_by_the_activity_code(vol, people, tree):
    vol.activity = make_activity(
        people.community_worker, tree.community, hours_from_now=0.5, length=1
    )
    client: Client = verified_client("13900000001")
    page = client.get("/my/volunteer/").content.decode()
    assert "data:image/svg+xml" in page  # the card's QR
    response = client.post(f"/activities/{vol.activity.pk}/", {"action": "signup"})
    assert response.status_code == 302
    assert Participation.objects.get().volunteer == vol.v[1]
    with time_machine.travel(vol.activity.starts_at + dt.timedelta(minutes=1), tick=False):
        assert client.get(f"/my/volunteer/check/{vol.activity.code}/").status_code == 200
        assert client.post(f"/my/volunteer/check/{vol.activity.code}/").status_code == 302
    with time_machine.travel(vol.activity.starts_at + dt.timedelta(minutes=41), tick=False):
        client.post(f"/my/volunteer/check/{vol.activity.code}/")
    assert HourRecord.objects.get().minutes == 40
