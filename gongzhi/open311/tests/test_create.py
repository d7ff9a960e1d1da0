"""POST requests: a client's report becomes a case of channel open311, or nothing at all."""

import pytest

from gongzhi.cases.models import Case, Channel, State
from gongzhi.open311.models import Open311Request
from gongzhi.open311.tests.conftest import (
    BASE,
    POINT_B,
    POINT_NOWHERE,
    error,
    items,
    parse,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post__creates_a_case_of_channel_open311_entered_by_the_token_user(post, people, fmt):
    response = post(
        fmt,
        phone="139 1234 5678",
        first_name="小明",
        last_name="王",
        email="wang@example.com",
        device_id="dev-1",
        account_id="acct-7",
        media_url="https://img.example.com/1.jpg",
        **{"attribute[NOTE]": "靠近东门", "attribute[UNKNOWN]": "ignored"},
    )

    assert response.status_code == 201, response.content
    (reply,) = items(response)
    case = Case.objects.get()
    assert reply["service_request_id"] == case.number
    assert reply["account_id"] == "acct-7"
    assert case.number in reply["service_notice"]
    assert case.channel == Channel.OPEN311
    assert case.state == State.REPORTED
    assert case.reported_by == people.op_sub
    assert case.category.code == "0101"
    assert case.description == "小区门口垃圾堆积三天无人清理"
    assert case.grid.code == "990101001001001"  # found from the point
    assert (case.lng, case.lat) == (112.415, 34.63)
    assert case.reporter_name == "王小明"
    assert case.reporter_phone_masked and "13912345678" not in case.reporter_phone_masked
    assert "13912345678" not in case.reporter_phone_enc  # sealed, not plain
    extra = Open311Request.objects.get(case=case)
    assert reply["token"] == extra.token and len(extra.token) == 32
    assert extra.attributes == {"AMOUNT": "large", "NOTE": "靠近东门"}
    assert (extra.email, extra.device_id, extra.account_id) == (
        "wang@example.com",
        "dev-1",
        "acct-7",
    )
    assert (extra.first_name, extra.last_name) == ("小明", "王")
    assert extra.media_url == "https://img.example.com/1.jpg"
    assert case.events.get().action == "report"


def test_post__address_id_is_one_of_our_buildings(post, building):
    response = post(lat=None, long=None, address_id=str(building.pk))

    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.building == building
    assert case.grid.code == "990101001001001"
    assert case.address == "明德路12号"


def test_post__address_string_naming_one_building_is_placed_there(post, building):
    response = post(lat=None, long=None, address_string="明德路12号")

    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.building == building and case.address == "明德路12号"


def test_post__a_multivaluelist_takes_several_values(post, service):
    from gongzhi.open311.models import ServiceAttribute

    ServiceAttribute.objects.create(
        category=service,
        code="KINDS",
        datatype="multivaluelist",
        order=3,
        description="哪些垃圾？",
        values=[{"key": "a", "name": "生活垃圾"}, {"key": "b", "name": "建筑垃圾"}],
    )
    response = post(**{"attribute[KINDS][]": ["a", "b"]})

    assert response.status_code == 201, response.content
    assert Open311Request.objects.get().attributes["KINDS"] == ["a", "b"]


@pytest.mark.parametrize(
    ("datatype", "value", "status"),
    [
        ("number", "3.5", 201),
        ("number", "three", 400),
        ("datetime", "2026-11-20T08:00:00+08:00", 201),
        ("datetime", "last week", 400),
        ("text", "长" * 2000, 201),
        ("text", "长" * 2001, 400),
        ("multivaluelist", "c", 400),
    ],
)
def test_post__attribute_values_are_checked_against_their_datatype(
    post, service, datatype, value, status
):
    from gongzhi.open311.models import ServiceAttribute

    ServiceAttribute.objects.create(
        category=service,
        code="EXTRA",
        datatype=datatype,
        required=True,
        order=3,
        description="?",
        values=[{"key": "a", "name": "甲"}] if datatype == "multivaluelist" else [],
    )
    response = post(**{"attribute[EXTRA]": value})

    assert response.status_code == status, response.content
    assert Case.objects.count() == (1 if status == 201 else 0)


def test_post__a_description_over_2000_characters_is_kept_whole_beside_the_case(post):
    text = "垃圾" * 1500  # 3,000 characters: within Open311's 4,000, over a case's 2,000

    response = post(description=text)

    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert len(case.description) == 2000 and case.description.endswith("…")
    assert text.startswith(case.description[:-1])
    assert Open311Request.objects.get().description == text


def test_post__needs_no_csrf_token(api_key, service, bounded):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{BASE}requests.json",
        {
            "api_key": api_key,
            "service_code": service.code,
            "description": "垃圾",
            "attribute[AMOUNT]": "small",
            "lat": "34.63",
            "long": "112.415",
        },
    )

    assert response.status_code == 201, response.content


# -- refusals: nothing created -----------------------------------------------------------


def _nothing_created():
    assert Case.objects.count() == 0
    assert Open311Request.objects.count() == 0


BAD = [
    # (name, fields, status)
    ("missing api_key", {"api_key": None}, 403),
    ("invalid api_key", {"api_key": "gz_not-a-real-token"}, 403),
    ("unknown service_code", {"service_code": "9999"}, 400),
    ("internal category", {"service_code": "0901"}, 400),
    ("a group, not a service", {"service_code": "01"}, 400),
    ("no service_code", {"service_code": None}, 400),
    ("no location", {"lat": None, "long": None}, 400),
    ("lat without long", {"long": None}, 400),
    ("unreadable point", {"lat": "north", "long": "east"}, 400),
    ("point in no grid", POINT_NOWHERE, 400),
    ("address nobody knows", {"lat": None, "long": None, "address_string": "火星路1号"}, 400),
    ("unknown address_id", {"lat": None, "long": None, "address_id": "999999"}, 404),
    ("5,000-character description", {"description": "长" * 5000}, 400),
    ("required attribute missing", {"attribute[AMOUNT]": None}, 400),
    ("value not in the list", {"attribute[AMOUNT]": "huge"}, 400),
    ("bad phone", {"phone": "12"}, 400),
    ("bad email", {"email": "not-an-email"}, 400),
    ("bad media_url", {"media_url": "javascript:alert(1)"}, 400),
]


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(("name", "fields", "status"), BAD, ids=[b[0] for b in BAD])
def test_post__bad_input_is_refused_with_an_errors_body_and_creates_nothing(
    post, fmt, name, fields, status
):
    response = post(fmt, **fields)

    assert response.status_code == status, response.content
    code, description = error(response)
    assert code == str(status)
    assert description
    _nothing_created()


def test_post__error_body_in_json_is_the_spec_array(post):
    response = post("json", api_key=None)

    data = parse(response)
    assert isinstance(data, list) and len(data) == 1
    assert data[0]["code"] == 403 and isinstance(data[0]["description"], str)


def test_post__error_body_in_xml_is_errors_error(post):
    response = post("xml", description="长" * 5000)

    root = parse(response)
    assert root.tag == "errors"
    (entry,) = root
    assert entry.tag == "error"
    assert entry.findtext("code") == "400"
    assert entry.findtext("description").startswith("description:")


def test_post__a_token_of_a_user_who_may_not_report_is_403(post, people, key_for):
    response = post(api_key=key_for(people.resident))

    assert response.status_code == 403
    _nothing_created()


def test_post__a_revoked_token_is_403(post, people, api_key):
    from gongzhi.accounts.models import ApiToken
    from gongzhi.accounts.services import api_token_revoke

    api_token_revoke(actor=people.admin, token=ApiToken.objects.get())
    response = post(api_key=api_key)

    assert response.status_code == 403
    _nothing_created()


def test_post__a_point_outside_the_token_users_area_is_400(post, people, key_for):
    # The building head reports in micro-grid A1 only; grid B is not theirs.
    response = post(api_key=key_for(people.building_head), **POINT_B)

    assert response.status_code == 400
    _nothing_created()


def test_post__another_method_is_405(client, api_key):
    response = client.put(f"{BASE}requests.json")

    assert response.status_code == 405
    assert error(response)[0] == "405"
