"""Hostile input over HTTP, by class (issue 14): dates at the edges of the calendar,
integers past 64 bits, bodies too large or malformed, NUL characters, unknown paths and
methods. Every one is a 4xx in the shape of its way in — the API's {"code", "message",
"details"}, Open311's errors body in the format asked, the pages' Chinese error page —
and changes nothing."""

import base64
import json
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.test import Client

from gongzhi.accounts.services import api_token_create
from gongzhi.cases.models import Category

BIG = "99999999999999999999"  # past 2**63 - 1
SUB = "990101001"
NESTED = base64.urlsafe_b64encode(b"[" * 5000).decode()


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


@pytest.fixture
def unchanged(people):
    """Asserts, after the test, that no table gained or lost a row."""
    before = _counts()
    yield
    after = _counts()
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == {}


@pytest.fixture
def op(people, login):
    return login(people.op_district)


@pytest.fixture
def token(people):
    return api_token_create(actor=None, user=people.gw_a, name="t")[1]


def api_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["message"]
    if code:
        assert body["code"] == code
    return body


def open311_error(response, status: int, fmt: str) -> str:
    assert response.status_code == status, response.content[:300]
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        (entry,) = response.json()
        assert entry["code"] == status
        return entry["description"]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    assert root.find("error/code").text == str(status)
    return root.find("error/description").text


def error_page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# -- dates at the edges of the calendar ---------------------------------------------------

EDGE_DATES = [
    f"/api/v1/kpis?unit={SUB}&start=9999-01-01&end=9999-12-31",
    f"/api/v1/kpis?unit={SUB}&start=0001-01-01&end=0001-01-31",
    f"/api/v1/kpis/by-child?unit={SUB}&start=9999-12-01&end=9999-12-31",
    f"/api/v1/command/dashboard?unit={SUB}&period=custom&start=0001-01-01&end=0001-12-31",
    f"/api/v1/command/cases?unit={SUB}&start=9999-12-31&end=9999-12-31",
    f"/api/v1/command/map/grids?unit={SUB}&start=0001-01-01&end=0001-01-02",
    f"/api/v1/command/map/markers?unit={SUB}&start=9999-12-30&end=9999-12-31"
    "&bbox=112,34,113,35&zoom=12",
]


@pytest.mark.parametrize("url", EDGE_DATES)
def test_edge_dates__api_400_invalid_period(op, unchanged, url):
    body = api_error(op.get(url), 400, "invalid_period")
    assert "2000-01-01" in body["message"] and "2100-12-31" in body["message"]


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2101-01"])
@pytest.mark.parametrize("path", ["/api/v1/command/monthly", "/api/v1/command/monthly.xlsx"])
def test_edge_months__api_400_invalid_month(op, unchanged, path, month):
    api_error(op.get(f"{path}?unit={SUB}&month={month}"), 400, "invalid_month")


@pytest.mark.parametrize(
    "query",
    ["start_date=0001-01-01", "end_date=9999-12-31T23:59:59-12:00", "start_date=9999-12-31"],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_edge_dates__open311_400_errors_body(client, unchanged, fmt, query):
    description = open311_error(client.get(f"/open311/v2/requests.{fmt}?{query}"), 400, fmt)
    assert "2000-01-01" in description


@pytest.mark.parametrize(
    "url",
    [
        "/cases/kpis/?start=9999-01-01&end=9999-12-31",
        "/cases/kpis/?start=0001-01-01&end=0001-01-31",
        f"/command/?unit={SUB}&period=custom&start=0001-01-01&end=0001-12-31",
        f"/command/cases/?unit={SUB}&start=9999-12-01&end=9999-12-31",
        f"/command/map/?unit={SUB}&start=9999-12-01&end=9999-12-31",
        f"/command/monthly/?unit={SUB}&month=9999-12",
        f"/command/monthly.xlsx?unit={SUB}&month=0001-01",
    ],
)
def test_edge_dates__pages_400_with_the_chinese_form_error(op, unchanged, url):
    page = error_page(op.get(url), 400)
    assert "2000-01-01" in page or "没有这个月份" in page


# -- integers past 64 bits -------------------------------------------------------------------

BIG_INTEGERS = [
    f"/api/v1/registry/premises?category_id={BIG}",
    f"/api/v1/registry/residents?tag_id={BIG}",
    f"/api/v1/registry/residents?building_id={BIG}",
    f"/api/v1/orgs/units?parent_id={BIG}",
    f"/api/v1/cases?limit={BIG}",
    f"/api/v1/cases/{BIG}",
    f"/api/v1/registry/buildings/{BIG}/households",
    f"/api/v1/command/cases?unit={SUB}&start=2026-01-01&end=2026-01-31&category={BIG}",
    f"/api/v1/notifications?limit={BIG}",
]


@pytest.mark.parametrize("url", BIG_INTEGERS)
def test_big_integers__api_422_validation_error(token, unchanged, url):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(url)
    body = api_error(response, 422, "validation_error")
    assert body["details"][0]["type"] in ("less_than_equal", "int_parsing_size")


@pytest.mark.parametrize("field", ["category_id", "grid_id", "building_id"])
def test_big_integers__in_a_body_422_and_nothing_created(token, tree, unchanged, field):
    payload = {"category_id": Category.objects.filter(parent__isnull=False).first().pk}
    payload |= {"grid_id": tree.grid_a.pk, "description": "路灯不亮", field: 10**20}
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/cases", payload, content_type="application/json"
    )
    api_error(response, 422, "validation_error")


@pytest.mark.parametrize("name", ["page", "page_size"])
def test_big_integers__open311_400(client, unchanged, name):
    open311_error(client.get(f"/open311/v2/requests.json?{name}={BIG}"), 400, "json")


@pytest.mark.parametrize(
    "url,status",
    [
        (f"/cases/{BIG}/", 404),
        (f"/registry/buildings/{BIG}/", 404),
        (f"/inbox/?before={BIG}", 200),
        (f"/cases/new/buildings/?grid_id={BIG}", 200),
        ("/cases/new/buildings/?grid_id=abc", 200),
        # a forged cursor nested past the recursion limit: the first page
        (f"/command/cases/?unit={SUB}&start=2026-01-01&end=2026-01-31&cursor={NESTED}", 200),
        (f"/command/cases/?unit={SUB}&start=2026-01-01&end=2026-01-31&category={BIG}", 400),
        (f"/command/cases/?unit={SUB}&start=2026-01-01&end=2026-01-31&department=²", 400),
    ],
)
def test_big_integers__pages_answer_without_a_server_error(op, unchanged, url, status):
    assert op.get(url).status_code == status


# -- bodies: too large, without a boundary, too deep, not an object, not JSON -----------------


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024


def test_too_large__api_413(token, small_limit, unchanged):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/cases", {"description": "x" * 2000}, content_type="application/json"
    )
    api_error(response, 413, "too_large")


def test_too_large__a_40_mb_json_body_at_the_real_limit_413(token, unchanged):
    body = b'{"description": "' + b"x" * (40 * 1024 * 1024) + b'"}'
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/cases", body, content_type="application/json"
    )
    assert "30 MB" in api_error(response, 413, "too_large")["message"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_too_large__open311_413(client, small_limit, unchanged, fmt):
    response = client.post(
        f"/open311/v2/requests.{fmt}",
        "description=" + "x" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    open311_error(response, 413, fmt)


def test_too_large__page_413(op, small_limit, unchanged):
    response = op.post(
        "/cases/new/", "description=" + "x" * 2000, content_type="application/x-www-form-urlencoded"
    )
    error_page(response, 413)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/cases/with-photos", "/api/v1/cases", "/api/v1/imports/jobs"],
)
def test_multipart_without_boundary__api_400(token, unchanged, path):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        path, b"--x\r\n", content_type="multipart/form-data"
    )
    api_error(response, 400, "bad_request")


def test_multipart_without_boundary__open311_and_page_400(client, op, unchanged):
    response = client.post("/open311/v2/requests.json", b"x", content_type="multipart/form-data")
    open311_error(response, 400, "json")
    error_page(op.post("/cases/new/", b"x", content_type="multipart/form-data"), 400)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
    ids=["array", "object"],
)
@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/1/actions/register"])
def test_deeply_nested_json__api_400(token, unchanged, path, body):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        path, body, content_type="application/json"
    )
    api_error(response, 400, "malformed")


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"12", b"null", b"{", b"\xff\xfe"])
@pytest.mark.parametrize(
    "path", ["/api/v1/cases", "/api/v1/registry/buildings", "/api/v1/cases/1/actions/register"]
)
def test_not_a_json_object__api_400(token, unchanged, path, body):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        path, body, content_type="application/json"
    )
    api_error(response, 400, "malformed")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/orgs/departments"])
def test_json_endpoint_without_json_content_type__415(token, unchanged, path, content_type):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        path, json.dumps({"name": "x"}), content_type=content_type
    )
    api_error(response, 415, "unsupported_media_type")


# -- NUL characters ----------------------------------------------------------------------


def test_nul__in_a_json_body_400_and_nothing_created(token, tree, unchanged):
    payload = {
        "category_id": Category.objects.filter(parent__isnull=False).first().pk,
        "grid_id": tree.grid_a.pk,
        "description": "路灯\u0000不亮",
    }
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/cases", payload, content_type="application/json"
    )
    api_error(response, 400, "nul_character")


def test_nul__in_a_json_key_400(token, unchanged):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/cases", {"a\u0000": 1}, content_type="application/json"
    )
    api_error(response, 400, "nul_character")


@pytest.mark.parametrize(
    "url", ["/api/v1/cases?q=a%00b", "/api/v1/registry/residents?q=%00", "/api/v1/me?x=%00"]
)
def test_nul__in_a_query_400(token, unchanged, url):
    api_error(Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(url), 400, "nul_character")


def test_nul__in_a_multipart_field_of_the_api_400(token, tree, unchanged):
    category = Category.objects.filter(parent__isnull=False).first()
    data = {"category_id": category.pk, "grid_id": tree.grid_a.pk, "description": "a\x00b"}
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post("/api/v1/cases/with-photos", data)
    api_error(response, 400, "nul_character")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul__open311_400(client, unchanged, fmt):
    open311_error(client.get(f"/open311/v2/requests.{fmt}?status=%00"), 400, fmt)
    response = client.post(
        f"/open311/v2/requests.{fmt}",
        "service_code=0101&description=a%00b",
        content_type="application/x-www-form-urlencoded",
    )
    open311_error(response, 400, fmt)


def test_nul__pages_400(op, unchanged):
    error_page(op.get("/cases/?q=%00"), 400)
    response = op.post(
        "/cases/new/", "description=a%00b", content_type="application/x-www-form-urlencoded"
    )
    error_page(response, 400)


# -- unknown paths and methods ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/campaigns/abc", "/api/v1/", "/api/v1/cases/1/nope"]
)
def test_unknown_api_path__404_json(token, unchanged, path):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(path)
    api_error(response, 404, "not_found")


def test_method_not_served__api_405_json_with_allow(token, unchanged):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").delete("/api/v1/cases")
    api_error(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", ["nope", "services/nope/more", "requests/SJ1/more"])
def test_unknown_open311_path__404_errors_body(client, unchanged, path, fmt):
    open311_error(client.get(f"/open311/v2/{path}.{fmt}"), 404, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "discovery"),
        ("post", "services"),
        ("put", "services/0101"),
        ("delete", "requests"),
        ("patch", "requests/SJ1"),
        ("post", "tokens/abc"),
    ],
)
def test_method_not_served__open311_405_errors_body(client, unchanged, method, path, fmt):
    response = getattr(client, method)(f"/open311/v2/{path}.{fmt}")
    open311_error(response, 405, fmt)
    assert "GET" in response["Allow"]


def test_csrf_failure__open311_answers_in_its_shape(unchanged):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/open311/v2/requests.json", {"service_code": "0101"})
    assert response.status_code == 403  # the api_key is missing, not a CSRF page
    open311_error(response, 403, "json")
