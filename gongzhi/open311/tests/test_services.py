"""Discovery, the service list and service definitions, in both formats."""

import pytest

from gongzhi.open311.tests.conftest import BASE, error, items, parse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_discovery__names_the_georeport_v2_endpoint_in_both_formats(client, fmt):
    response = client.get(f"{BASE}discovery.{fmt}")

    assert response.status_code == 200
    data = parse(response)
    if fmt == "json":
        assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
        (endpoint,) = data["endpoints"]
        formats = endpoint["formats"]
    else:
        assert data.tag == "discovery"
        assert {c.tag for c in data} == {"changeset", "contact", "key_service", "endpoints"}
        (node,) = data.find("endpoints")
        endpoint = {c.tag: c.text for c in node}
        formats = [f.text for f in node.find("formats")]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["changeset"]
    assert formats == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_services__lists_public_leaf_categories_only_with_their_groups(
    client, service, internal_category, fmt
):
    response = client.get(f"{BASE}services.{fmt}")

    assert response.status_code == 200
    services = {s["service_code"]: s for s in items(response)}
    assert "0101" in services and "0103" in services
    assert "01" not in services  # a group is not a service
    assert internal_category.code not in services  # 治安隐患 is not public
    assert not any(code.startswith("09") for code in services)
    garbage = services["0101"]
    assert garbage["service_name"] == "暴露垃圾"
    assert garbage["group"] == "市容环境"
    assert garbage["type"] == "realtime"
    assert garbage["metadata"] in (True, "true")
    assert services["0103"]["metadata"] in (False, "false")
    if fmt == "json":
        assert all(isinstance(s["service_code"], str) for s in services.values())


def test_services__query_count_does_not_grow_with_the_attributes(
    client, service, django_assert_num_queries
):
    with django_assert_num_queries(2):  # categories, and all their attributes at once
        response = client.get(f"{BASE}services.json")
    assert response.status_code == 200


def test_service_definition__json_carries_attributes_and_values(client, service):
    response = client.get(f"{BASE}services/0101.json")

    assert response.status_code == 200
    data = parse(response)
    assert isinstance(data, dict)  # the one reply that is not an array
    assert data["service_code"] == "0101"
    amount, note = data["attributes"]
    assert amount == {
        "variable": True,
        "code": "AMOUNT",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "垃圾有多少？",
        "values": [{"key": "small", "name": "一袋以内"}, {"key": "large", "name": "成堆 & 更多"}],
    }
    assert note["code"] == "NOTE" and note["required"] is False and "values" not in note


def test_service_definition__xml_escapes_and_keeps_chinese(client, service):
    response = client.get(f"{BASE}services/0101.xml")

    assert response.status_code == 200
    root = parse(response)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "0101"
    amount, note = root.find("attributes")
    assert amount.findtext("variable") == "true"
    assert amount.findtext("required") == "true"
    assert amount.findtext("order") == "1"
    assert [(v.findtext("key"), v.findtext("name")) for v in amount.find("values")] == [
        ("small", "一袋以内"),
        ("large", "成堆 & 更多"),
    ]
    assert note.findtext("description") == "补充说明 <可选>"
    assert b"&lt;" in response.content and b"&amp;" in response.content


def test_service_definition__a_public_category_without_questions_has_none(client, plain_service):
    response = client.get(f"{BASE}services/{plain_service.code}.json")

    assert response.status_code == 200
    assert parse(response) == {"service_code": plain_service.code, "attributes": []}


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("code", ["9999", "0901", "01"])
def test_service_definition__unknown_internal_or_group_code_is_404(client, fmt, code):
    response = client.get(f"{BASE}services/{code}.{fmt}")

    assert response.status_code == 404
    assert error(response)[0] == "404"


def test_service_attribute__a_list_datatype_needs_well_formed_choices(service):
    from django.core.exceptions import ValidationError

    from gongzhi.open311.models import ServiceAttribute

    attr = ServiceAttribute(category=service, code="X", datatype="singlevaluelist", description="?")
    with pytest.raises(ValidationError):
        attr.clean()
    attr.values = [{"key": "1"}]  # no name
    with pytest.raises(ValidationError):
        attr.clean()
    attr.values = [{"key": "1", "name": "一"}]
    attr.clean()
