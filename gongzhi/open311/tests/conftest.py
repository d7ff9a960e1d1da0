"""Open311 fixtures: an API token whose user may report in the subdistrict, public and
internal categories, a building, and helpers that read replies in either format."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from gongzhi.accounts.services import api_token_create
from gongzhi.cases.models import Category
from gongzhi.open311.models import ServiceAttribute
from gongzhi.registry.models import Building

BASE = "/open311/v2/"
POINT_A = {"lat": "34.63", "long": "112.415"}  # grid A, outside micro-grid A1
POINT_B = {"lat": "34.63", "long": "112.43"}  # grid B
POINT_NOWHERE = {"lat": "30.0", "long": "120.0"}  # in China, in no grid of ours


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_key(people):
    """A token of op_sub (operator of subdistrict 990101001: grids A, B and C)."""
    _token, raw = api_token_create(actor=None, user=people.op_sub, name="open311 app")
    return raw


@pytest.fixture
def key_for(people):
    def _key(user):
        return api_token_create(actor=None, user=user, name="open311")[1]

    return _key


@pytest.fixture
def service(db):
    """暴露垃圾 (0101), a public category, with a required list question and a free one."""
    category = Category.objects.get(code="0101")
    ServiceAttribute.objects.create(
        category=category,
        code="AMOUNT",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="垃圾有多少？",
        values=[{"key": "small", "name": "一袋以内"}, {"key": "large", "name": "成堆 & 更多"}],
    )
    ServiceAttribute.objects.create(
        category=category,
        code="NOTE",
        datatype="string",
        required=False,
        order=2,
        description="补充说明 <可选>",
    )
    return category


@pytest.fixture
def plain_service(db):
    """道路不洁 (0103): public, no questions."""
    return Category.objects.get(code="0103")


@pytest.fixture
def internal_category(db):
    """治安隐患 (0901): not public; never an Open311 service."""
    return Category.objects.get(code="0901")


@pytest.fixture
def building(tree):
    return Building.objects.create(
        org_code=tree.grid_a.code,
        grid=tree.grid_a,
        name="六安公寓3号楼",
        address="明德路12号",
        lng=112.405,
        lat=34.61,
    )


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def post(client, api_key, service, bounded):
    """post(fmt, headers=None, **fields) → response; a valid request unless fields say
    otherwise (a value None drops the field)."""

    def _post(fmt="json", headers=None, **fields):
        data = {
            "api_key": api_key,
            "service_code": service.code,
            "description": "小区门口垃圾堆积三天无人清理",
            "attribute[AMOUNT]": "large",
            **POINT_A,
        }
        data.update(fields)
        data = {k: v for k, v in data.items() if v is not None}
        return client.post(f"{BASE}requests.{fmt}", data, headers=headers)

    return _post


def parse(response):
    """A reply as Python: JSON as is; XML as its root element (checked to be UTF-8 XML)."""
    body = response.content
    if response["Content-Type"].startswith("application/json"):
        return json.loads(body.decode("utf-8"))
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(body)


def items(response) -> list[dict]:
    """The list a reply holds (services, requests, errors), each item as a flat dict of
    strings in XML or of JSON values."""
    data = parse(response)
    if isinstance(data, list):
        return data
    return [{child.tag: child.text for child in item} for item in data]


def error(response) -> tuple:
    (entry,) = items(response)
    return str(entry["code"]), entry["description"]
