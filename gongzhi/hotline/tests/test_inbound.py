"""Orders in through the signed webhook: the happy path and every refusal."""

import json
import time

import pytest
from django.utils import timezone

from gongzhi.accounts.models import Position
from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseEvent, Channel, State
from gongzhi.core.roles import Role
from gongzhi.hotline import signing
from gongzhi.hotline.models import HotlineNonce, HotlineOrder, OutboundEvent
from gongzhi.hotline.tests.conftest import SECRET, order_data
from gongzhi.registry.models import Building

pytestmark = pytest.mark.django_db


def nothing_created():
    return (
        not Case.objects.exists()
        and not HotlineOrder.objects.exists()
        and not OutboundEvent.objects.exists()
    )


def test_an_order_becomes_one_registered_hotline_case(tree, people, push):
    response = push()
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["code"] == "created"
    assert body["case_id"] == case.pk and body["case_number"] == case.number
    assert body["order_no"] == "GD20261122000123"
    assert case.kind == "hotline_order"
    assert case.channel == Channel.HOTLINE
    assert case.state == State.REGISTERED and case.due_at is not None
    assert case.grid == tree.grid_a
    assert case.category.name == "供电"
    assert case.reporter_phone_masked and "12345678" not in case.reporter_phone_masked
    order = case.hotline_order
    assert order.order_no == "GD20261122000123"
    assert order.hotline_category == "供电"
    assert order.hotline_deadline.isoformat() == "2026-11-25T10:00:00+00:00"
    assert order.payload["contact_phone"] != "13912345678"  # masked at rest
    assert order.source == "webhook"
    # Reported and registered by the gateway, an operator at the district.
    gateway = case.reported_by
    assert gateway.username == "hotline-gateway" and not gateway.has_usable_password()
    assert Position.objects.filter(
        user=gateway, role=Role.OPERATOR, org_unit=tree.district, is_active=True
    ).exists()
    register = CaseEvent.objects.get(case=case, action="register")
    assert "GD20261122000123" in register.note and "2026-11-25 18:00" in register.note
    # The registration is queued for the hotline.
    event = OutboundEvent.objects.get()
    assert event.event == "registered" and event.status == "pending"
    assert event.payload["order_no"] == "GD20261122000123"
    assert event.payload["state"] == "registered"
    assert HotlineNonce.objects.count() == 1


def test_numbers_in_the_order_text_are_masked_on_the_case_and_in_the_payload(tree, people, push):
    content = "路灯不亮，请回电 139 1234 5678 或 ０３７９－６２３４５６７８"
    assert push(order_data(content=content, title="回电139-1234-5678")).status_code == 201

    case = Case.objects.get()
    assert case.description == "路灯不亮，请回电 139****5678 或 0379-****5678"
    assert case.title == "回电139****5678"
    payload = json.dumps(case.hotline_order.payload, ensure_ascii=False)
    assert "1234" not in payload and "６２３４" not in payload
    assert case.hotline_order.payload["order_no"] == "GD20261122000123"
    assert services.case_reveal_text(actor=people.op_district, case_id=case.pk)["description"] == (
        content
    )


def test_the_same_order_twice_is_one_case(tree, people, push):
    first = push()
    second = push()
    assert first.status_code == 201
    assert second.status_code == 200, second.content
    assert second.json()["code"] == "duplicate"
    assert second.json()["case_id"] == first.json()["case_id"]
    assert Case.objects.count() == 1 and HotlineOrder.objects.count() == 1
    assert OutboundEvent.objects.count() == 1


def test_a_second_order_reuses_the_gateway(tree, people, push):
    push()
    push(order_data(order_no="GD2"))
    assert Case.objects.count() == 2
    assert Position.objects.filter(user__username="hotline-gateway").count() == 1


def test_the_gateway_account_and_its_position_are_audited_once(tree, people, push):
    from gongzhi.core.models import AuditLog

    push()
    push(order_data(order_no="GD2"))
    made = AuditLog.objects.filter(action="accounts.user_created")
    gateway = [a for a in made if a.changes.get("username") == "hotline-gateway"]
    granted = AuditLog.objects.filter(
        action="accounts.position_created", changes__user="hotline-gateway"
    )
    assert len(gateway) == 1 and gateway[0].actor is None
    assert granted.count() == 1 and granted.get().changes["role"] == "operator"


def test_bad_signature_is_refused(tree, people, push):
    response = push(secret="not-our-secret")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature" and response.json()["message"]
    assert nothing_created() and not HotlineNonce.objects.exists()


def test_missing_signature_is_refused(tree, people, push):
    response = push(headers={})
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert nothing_created()


def test_a_body_changed_after_signing_is_refused(tree, people, client):
    body = json.dumps(order_data()).encode()
    headers = signing.signed_headers(SECRET, body)
    tampered = json.dumps(order_data(grid_code="990101001001002")).encode()
    response = client.post(
        "/hotline/orders", data=tampered, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert nothing_created()


def test_an_old_timestamp_is_refused(tree, people, push):
    response = push(timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert response.json()["code"] == "stale_timestamp"
    assert nothing_created() and not HotlineNonce.objects.exists()


def test_a_timestamp_from_the_future_is_refused(tree, people, push):
    response = push(timestamp=int(time.time()) + 600)
    assert response.status_code == 401
    assert response.json()["code"] == "stale_timestamp"
    assert nothing_created()


def test_a_replayed_nonce_is_refused(tree, people, push):
    first = push(nonce="n-0001")
    assert first.status_code == 201
    replay = push(order_data(order_no="GD-OTHER"), nonce="n-0001")
    assert replay.status_code == 401
    assert replay.json()["code"] == "replayed_nonce"
    assert Case.objects.count() == 1 and HotlineOrder.objects.get().order_no != "GD-OTHER"


def test_malformed_json_is_refused(tree, people, push):
    response = push(body=b'{"order_no": "GD1", "content": ')
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert nothing_created() and not HotlineNonce.objects.exists()


def test_a_json_array_is_refused(tree, people, push):
    response = push(body=b"[1, 2]")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert nothing_created()


def test_deeply_nested_json_is_400_not_a_recursion_error(tree, people, push):
    # well within the 256 KB an order may have
    response = push(body=b"[" * 60_000 + b"]" * 60_000)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert nothing_created() and not HotlineNonce.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("deadline", "9999-12-31T23:59:59-12:00"),
        ("deadline", "9999-12-31"),
        ("accepted_at", "0001-01-01T00:00:00+14:00"),
        ("accepted_at", "1999-12-31"),
    ],
)
def test_times_beyond_the_calendar_bounds_are_named(tree, people, push, field, value):
    response = push(order_data(**{field: value}))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["details"]
    assert nothing_created()


def test_nul_in_a_field_is_refused(tree, people, push):
    response = push(order_data(content="路灯\u0000不亮"))
    assert response.status_code == 400 and response.json()["code"] == "nul_character"
    assert nothing_created()


def test_a_body_that_is_not_json_is_415(tree, people, client):
    body = json.dumps(order_data()).encode()
    headers = signing.signed_headers(SECRET, body)
    response = client.post("/hotline/orders", data=body, content_type="text/plain", headers=headers)
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert nothing_created() and not HotlineNonce.objects.exists()


def test_missing_fields_are_named(tree, people, push):
    response = push({"title": "无编号"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["details"]) >= {"order_no", "content"}
    assert nothing_created()


def test_a_bad_deadline_is_refused(tree, people, push):
    response = push(order_data(deadline="下周五"))
    assert response.status_code == 400
    assert "deadline" in response.json()["details"]
    assert nothing_created()


def test_an_unknown_grid_code_is_out_of_area(tree, people, push):
    response = push(order_data(grid_code="440101001001001", address=""))
    assert response.status_code == 422
    assert response.json()["code"] == "out_of_area"
    assert nothing_created() and not HotlineNonce.objects.exists()
    assert not Position.objects.filter(user__username="hotline-gateway").exists()


def test_a_point_outside_our_boundaries_is_out_of_area(bounded, people, push):
    data = order_data(grid_code="", address="某市某路1号", lng=113.60, lat=34.75)
    response = push(data)
    assert response.status_code == 422
    assert response.json()["code"] == "out_of_area"
    assert nothing_created()


def test_a_point_in_a_grid_is_located(bounded, people, push):
    response = push(order_data(grid_code="", lng=112.43, lat=34.62))
    assert response.status_code == 201, response.content
    assert Case.objects.get().grid == bounded.grid_b


def test_an_address_matching_a_building_is_located(tree, people, push):
    building = Building.objects.create(
        grid=tree.grid_c, name="翠竹苑5号楼", address="翠竹路88号", org_code=tree.grid_c.code
    )
    response = push(order_data(grid_code="", address="翠竹路88号"))
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.grid == tree.grid_c and case.building == building


def test_an_unknown_category_falls_back_to_other(tree, people, push):
    response = push(order_data(category="城市管理/井盖丢失之类"))
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.category.code == "0899" and case.category.parent.name == "民生诉求"
    assert case.hotline_order.hotline_category == "城市管理/井盖丢失之类"


def test_a_category_given_as_group_and_name(tree, people, push):
    push(order_data(category="街面秩序/机动车乱停放"))
    category = Case.objects.get().category
    assert (category.parent.name, category.name) == ("街面秩序", "机动车乱停放")


def test_an_unrecognised_phone_does_not_lose_the_order(tree, people, push):
    response = push(order_data(contact_phone="12345"))
    assert response.status_code == 201
    case = Case.objects.get()
    assert not case.reporter_phone_masked and not case.reporter_phone_hash
    assert case.hotline_order.payload["contact_phone"]  # kept, masked, with the order


def test_not_configured_refuses_everything(tree, people, push, settings):
    settings.HOTLINE_SHARED_SECRET = ""
    response = push(secret="")
    assert response.status_code == 503
    assert response.json()["code"] == "not_configured"
    assert nothing_created()


def test_only_post(client):
    assert client.get("/hotline/orders").status_code == 405


def test_old_nonces_are_purged(db):
    from gongzhi.hotline import services

    old = HotlineNonce.objects.create(nonce="old")
    HotlineNonce.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timezone.timedelta(seconds=601)
    )
    HotlineNonce.objects.create(nonce="new")
    assert services.nonces_purge() == 1
    assert list(HotlineNonce.objects.values_list("nonce", flat=True)) == ["new"]


def test_a_huge_body_is_refused(tree, people, push):
    response = push(order_data(content="长" * 100_000))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert nothing_created()
