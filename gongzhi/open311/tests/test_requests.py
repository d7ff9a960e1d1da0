"""GET requests, requests/{id} and tokens/{token}: the public view of cases."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, Category
from gongzhi.open311.models import Open311Request
from gongzhi.open311.tests.conftest import BASE, error, items, parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_of(people, tree):
    """case_of(code, **kw) → a case in grid A reported by grid worker A (channel grid_worker)."""

    def _case(code="0103", **kw):
        kw.setdefault("description", "路面有油污")
        kw.setdefault("grid_id", tree.grid_a.pk)
        case, _ = case_services.case_report(
            actor=kw.pop("actor", people.gw_a),
            category_id=Category.objects.get(code=code).pk,
            **kw,
        )
        return case

    return _case


def _ids(response) -> list[str]:
    return [r["service_request_id"] for r in items(response)]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_requests__lists_public_cases_of_every_channel_with_the_spec_fields(
    client, case_of, tree, people, fmt
):
    dispatched = case_of(description="井盖缺失")
    case_services.case_dispatch(
        actor=people.op_sub, case_id=dispatched.pk, department_id=tree.department.pk
    )
    waiting = case_of()
    internal = case_of("0901", description="可疑人员")

    response = client.get(f"{BASE}requests.{fmt}")

    assert response.status_code == 200
    replies = {r["service_request_id"]: r for r in items(response)}
    assert set(replies) == {dispatched.number, waiting.number}
    assert internal.number not in response.content.decode()
    dispatched.refresh_from_db()
    row = replies[dispatched.number]
    assert set(row) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
        "lat", "long", "media_url",
    }  # fmt: skip
    assert row["status"] == "open"
    assert row["service_code"] == "0103" and row["service_name"] == "道路不洁"
    assert row["description"] == "井盖缺失"
    assert row["agency_responsible"] == "区城市管理局"
    assert replies[waiting.number]["agency_responsible"] == "桂园社区"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["updated_datetime"].endswith("+08:00")
    assert dt.datetime.fromisoformat(row["expected_datetime"]) == dispatched.due_at.replace(
        microsecond=0
    )
    assert dt.datetime.fromisoformat(row["requested_datetime"]) == dispatched.reported_at.replace(
        microsecond=0
    )
    assert not replies[waiting.number]["expected_datetime"]  # not registered: no deadline yet


def test_requests__newest_first(client, case_of):
    first, second = case_of(), case_of()

    assert _ids(client.get(f"{BASE}requests.json")) == [second.number, first.number]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_requests__status_filter_and_closed_notes(client, case_of, people, fmt):
    open_case = case_of()
    rejected = case_of()
    case_services.case_reject(actor=people.op_sub, case_id=rejected.pk, reason="不属于受理范围")

    closed = client.get(f"{BASE}requests.{fmt}?status=closed")
    opened = client.get(f"{BASE}requests.{fmt}?status=open")

    assert _ids(closed) == [rejected.number]
    assert _ids(opened) == [open_case.number]
    (row,) = items(closed)
    assert row["status"] == "closed"
    assert row["status_notes"]


def test_requests__service_code_list_filters(client, case_of):
    a, b, _c = case_of("0101"), case_of("0102"), case_of("0103")

    response = client.get(f"{BASE}requests.json?service_code=0101,0102")

    assert _ids(response) == [b.number, a.number]


def test_requests__date_range_and_the_default_last_90_days(client, case_of):
    old, recent = case_of(), case_of()
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - dt.timedelta(days=120))

    assert _ids(client.get(f"{BASE}requests.json")) == [recent.number]
    start = (timezone.localdate() - dt.timedelta(days=130)).isoformat()
    end = (timezone.localdate() - dt.timedelta(days=100)).isoformat()
    response = client.get(f"{BASE}requests.json?start_date={start}&end_date={end}")
    assert _ids(response) == [old.number]
    # An offset's '+' sent unencoded arrives as a space, and is read as '+'.
    response = client.get(
        f"{BASE}requests.json?start_date={start}T00:00:00+08:00&end_date={end}T00:00:00+08:00"
    )
    assert _ids(response) == [old.number]


def test_requests__service_request_id_list_overrides_other_filters(client, case_of):
    old, recent, other = case_of(), case_of(), case_of()
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - dt.timedelta(days=400))

    response = client.get(
        f"{BASE}requests.json?service_request_id={old.number},{recent.number},SJ0&"
        "service_code=0999&status=closed"
    )

    assert sorted(_ids(response)) == sorted([old.number, recent.number])
    assert other.number not in response.content.decode()


def test_requests__page_and_page_size(client, case_of):
    cases = [case_of() for _ in range(5)]
    newest_first = [c.number for c in reversed(cases)]

    assert _ids(client.get(f"{BASE}requests.json?page_size=2")) == newest_first[:2]
    assert _ids(client.get(f"{BASE}requests.json?page_size=2&page=3")) == newest_first[4:]
    assert _ids(client.get(f"{BASE}requests.json?page_size=2&page=4")) == []


BAD_QUERIES = [
    ("over 90 days", "start_date=2026-01-01T00:00:00Z&end_date=2026-05-01T00:00:00Z"),
    ("end before start", "start_date=2026-05-01&end_date=2026-04-01"),
    ("unreadable date", "start_date=yesterday"),
    ("unknown status", "status=pending"),
    ("page 0", "page=0"),
    ("page_size over 1000", "page_size=1001"),
]


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(("name", "query"), BAD_QUERIES, ids=[q[0] for q in BAD_QUERIES])
def test_requests__a_bad_query_is_400(client, fmt, name, query, db):
    response = client.get(f"{BASE}requests.{fmt}?{query}")

    assert response.status_code == 400
    assert error(response)[0] == "400"


@pytest.mark.parametrize("rows", [3, 9])
def test_requests__query_count_is_fixed(
    client, case_of, tree, people, rows, django_assert_num_queries
):
    for i in range(rows):
        case = case_of(actor=people.op_sub, grid_id=(tree.grid_a if i % 2 else tree.grid_c).pk)
        if i % 3 == 0:
            case_services.case_dispatch(
                actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
            )

    with django_assert_num_queries(2):  # the page (with category, department, Open311 row)
        response = client.get(f"{BASE}requests.json")  # and the community names

    assert len(items(response)) == rows


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_request_detail__one_case_in_an_array(client, case_of, fmt):
    case = case_of()

    response = client.get(f"{BASE}requests/{case.number}.{fmt}")

    assert response.status_code == 200
    (row,) = items(response)
    assert row["service_request_id"] == case.number


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_request_detail__unknown_or_internal_case_is_404(client, case_of, fmt):
    internal = case_of("0901")

    for number in ("SJ20000101000001", internal.number, "x"):
        response = client.get(f"{BASE}requests/{number}.{fmt}")
        assert response.status_code == 404
        assert error(response)[0] == "404"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_token__answers_the_service_request_id(client, post, fmt):
    created = items(post())[0]

    response = client.get(f"{BASE}tokens/{created['token']}.{fmt}")

    assert response.status_code == 200
    assert items(response) == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]
    missing = client.get(f"{BASE}tokens/{'0' * 32}.{fmt}")
    assert missing.status_code == 404 and error(missing)[0] == "404"


def test_request_detail__an_open311_request_shows_its_full_text_and_media_url(client, post):
    text = "路灯不亮" * 700  # 2,800 characters
    created = items(post(description=text, media_url="https://img.example.com/a.jpg"))[0]

    (row,) = items(client.get(f"{BASE}requests/{created['service_request_id']}.json"))

    assert row["description"] == text
    assert row["media_url"] == "https://img.example.com/a.jpg"
    assert row["lat"] == 34.63 and row["long"] == 112.415


# -- privacy and text -----------------------------------------------------------------


def test_requests__never_show_the_reporters_personal_data(client, post, case_of):
    case_of(
        reporter_name="赵铁柱",
        reporter_phone="13800001111",
        description="赵铁柱反映：楼下垃圾没人管，电话13800001111，身份证410102199001011234",
    )
    created = items(
        post(
            first_name="小明",
            last_name="王",
            phone="13912345678",
            email="wang@example.com",
            description="我是王小明，手机 13912345678，门口垃圾成堆",
        )
    )[0]

    bodies = []
    for fmt in ("xml", "json"):
        bodies.append(client.get(f"{BASE}requests.{fmt}").content.decode())
        bodies.append(
            client.get(f"{BASE}requests/{created['service_request_id']}.{fmt}").content.decode()
        )
        bodies.append(client.get(f"{BASE}tokens/{created['token']}.{fmt}").content.decode())
    for body in bodies:
        for secret in (
            "赵铁柱",
            "13800001111",
            "410102199001011234",
            "王小明",
            "13912345678",
            "wang@example.com",
            *Case.objects.values_list("reporter_phone_masked", flat=True),
        ):
            assert secret not in body
    assert "门口垃圾成堆" in bodies[0]  # the problem itself is still told


@pytest.mark.parametrize(
    "written",
    [
        "138 0000 1111",
        "+86 138-0000-1111",
        "0086 13800001111",
        "86-13800001111",
        "１３８００００１１１１",
        "（0379）6234 5678",
        "410102 19900101 1234",
        "４１０１０２１９９００１０１１２３ｘ",
    ],
)
def test_requests__numbers_in_any_written_form_are_hidden(client, post, written):
    created = items(post(description=f"门口垃圾成堆，联系 {written} 谢谢"))[0]

    bodies = [
        client.get(f"{BASE}requests/{created['service_request_id']}.{fmt}").content.decode()
        for fmt in ("xml", "json")
    ]

    for body in bodies:
        compact = body.replace(" ", "").replace("-", "")
        for secret in ("00001111", "62345678", "19900101", "6234"):
            assert secret not in compact, (written, secret)
        assert "联系 *** 谢谢" in body
    stored = Open311Request.objects.get(token=created["token"]).description
    assert "****" in stored and "0000 1111" not in stored


TRICKY = "井盖 <缺失> & \"危险\" '小心' 🚧 ]]> 第2单元"


def test_chinese_and_markup_round_trip_in_xml(client, post):
    created = items(post("xml", description=TRICKY, address_string="明德路 <东> & 西"))[0]

    response = client.get(f"{BASE}requests/{created['service_request_id']}.xml")

    root = ET.fromstring(response.content)
    request = root.find("request")
    assert request.findtext("description") == TRICKY
    assert request.findtext("address") == "明德路 <东> & 西"
    assert "井盖".encode() in response.content  # UTF-8 itself, not character references


def test_chinese_and_markup_round_trip_in_json(client, post):
    created = items(post("json", description=TRICKY))[0]

    response = client.get(f"{BASE}requests/{created['service_request_id']}.json")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    (row,) = json.loads(response.content.decode("utf-8"))
    assert row["description"] == TRICKY
    assert "井盖".encode() in response.content  # not \\u escapes


# -- formats and jurisdictions ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["services.txt", "services.html", "requests.csv", "discovery.XML", "services", "nothing"],
)
def test_unsupported_suffix_or_unknown_path_is_404_in_xml(client, path, db):
    response = client.get(f"{BASE}{path}")

    assert response.status_code == 404
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert parse(response).tag == "errors"
    assert error(response)[0] == "404"


def test_unknown_path_with_the_json_suffix_is_404_in_json(client, db):
    response = client.get(f"{BASE}nothing.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "资源不存在。"}]


def test_jurisdiction_id__checked_when_configured(client, settings, db):
    settings.OPEN311_JURISDICTION_ID = "qinghe.example.cn"

    assert client.get(f"{BASE}services.json?jurisdiction_id=qinghe.example.cn").status_code == 200
    assert client.get(f"{BASE}services.json").status_code == 200
    other = client.get(f"{BASE}services.json?jurisdiction_id=elsewhere.example.cn")
    assert other.status_code == 404 and error(other)[0] == "404"


def test_jurisdiction_id__checked_on_post_and_nothing_created(post, settings):
    settings.OPEN311_JURISDICTION_ID = "qinghe.example.cn"

    response = post(jurisdiction_id="elsewhere.example.cn")

    assert response.status_code == 404
    assert Case.objects.count() == 0


def test_jurisdiction_id__accepted_when_not_configured(client, db):
    assert client.get(f"{BASE}services.xml?jurisdiction_id=anything").status_code == 200
