"""Status changes out: the outbox row in the case's transaction, signed delivery to the
hotline's webhook, backoff, dead letters and their retry."""

import datetime as dt
import json
import time

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from gongzhi.cases import services as case_services
from gongzhi.factories import UserFactory
from gongzhi.hotline import services, signing
from gongzhi.hotline.models import OutboundEvent, OutboundStatus
from gongzhi.hotline.tests.conftest import SECRET, order_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotline_case(tree, people):
    case, created = services.order_receive(order_data())
    assert created
    return case


def test_a_dispatch_writes_an_outbound_event(tree, people, hotline_case):
    before = OutboundEvent.objects.count()
    case = case_services.case_dispatch(
        actor=people.op_sub, case_id=hotline_case.pk, department_id=tree.department.pk
    )
    events = list(OutboundEvent.objects.order_by("pk"))
    assert len(events) == before + 1
    event = events[-1]
    assert event.event == "dispatched" and event.status == OutboundStatus.PENDING
    assert event.payload["order_no"] == "GD20261122000123"
    assert event.payload["case_number"] == case.number
    assert event.payload["state"] == "dispatched"
    assert event.payload["handling_unit"] == tree.department.name
    assert "13912345678" not in json.dumps(event.payload, ensure_ascii=False)


def test_a_refused_action_writes_no_event(tree, people, hotline_case):
    before = OutboundEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 (the loop's own refusal)
        case_services.case_accept(actor=people.handler, case_id=hotline_case.pk)
    assert OutboundEvent.objects.count() == before


def test_delivery_is_signed_and_marks_the_event_sent(hotline_case, receiver):
    event = OutboundEvent.objects.get()
    assert services.event_deliver(event.pk) == OutboundStatus.SENT
    event.refresh_from_db()
    assert event.status == OutboundStatus.SENT and event.attempts == 1 and event.sent_at
    (request,) = receiver.received
    headers = {k.lower(): v for k, v in request.headers.items()}
    ts, nonce = headers["x-hotline-timestamp"], headers["x-hotline-nonce"]
    assert abs(int(ts) - time.time()) < 60
    assert signing.valid_signature(SECRET, ts, nonce, request.body, headers["x-hotline-signature"])
    assert not signing.valid_signature(
        "other", ts, nonce, request.body, headers["x-hotline-signature"]
    )
    body = json.loads(request.body)
    assert body["id"] == event.pk and body["event"] == "registered"
    assert body["order_no"] == "GD20261122000123"
    assert headers["x-hotline-event"] == "registered"
    # Sent is sent: a second run does not send again.
    assert services.event_deliver(event.pk) is None and services.events_deliver_due() == 0
    assert len(receiver.received) == 1


def test_a_failing_server_backs_off_then_dead_letters(hotline_case, receiver):
    receiver.default_status = 500
    event = OutboundEvent.objects.get()
    now = timezone.now()
    waits = []
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        status = services.event_deliver(event.pk, now=now)
        event.refresh_from_db()
        assert event.attempts == attempt
        assert "500" in event.last_error
        if attempt < services.MAX_ATTEMPTS:
            assert status == OutboundStatus.PENDING
            waits.append(round((event.next_attempt_at - now).total_seconds() / 60))
            # Not due yet: nothing is sent.
            assert services.event_deliver(event.pk, now=now + dt.timedelta(seconds=30)) is None
            now = event.next_attempt_at
        else:
            assert status == OutboundStatus.DEAD
    assert waits == [1, 2, 4, 8, 16, 32, 60]
    assert event.status == OutboundStatus.DEAD
    assert len(receiver.received) == services.MAX_ATTEMPTS
    # A dead letter is not sent by the periodic run.
    assert services.events_deliver_due(now=now + dt.timedelta(days=1)) == 0


def test_an_unreachable_server_counts_as_a_failure(hotline_case, settings):
    settings.HOTLINE_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    event = OutboundEvent.objects.get()
    assert services.event_deliver(event.pk) == OutboundStatus.PENDING
    event.refresh_from_db()
    assert event.attempts == 1 and event.last_error


def test_admin_retry_requeues_a_dead_letter(hotline_case, receiver, client):
    event = OutboundEvent.objects.get()
    OutboundEvent.objects.filter(pk=event.pk).update(
        status=OutboundStatus.DEAD, attempts=8, last_error="HTTPError 500"
    )
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/hotline/outboundevent/?status__exact=dead")
    assert listing.status_code == 200 and f">{event.pk}<" in listing.content.decode()
    response = client.post(
        "/admin/hotline/outboundevent/",
        {"action": "retry_dead_letters", ACTION_CHECKBOX_NAME: [event.pk]},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == OutboundStatus.PENDING and event.attempts == 0
    assert event.next_attempt_at <= timezone.now()
    from gongzhi.core.models import AuditLog

    retried = AuditLog.objects.get(action="hotline.dead_letters_retried")
    assert retried.actor == admin and retried.changes == {"events": [event.pk]}
    assert services.events_deliver_due() == 1
    event.refresh_from_db()
    assert event.status == OutboundStatus.SENT and len(receiver.received) == 1


def test_changes_of_one_order_go_out_in_order(tree, people, hotline_case, receiver):
    first = OutboundEvent.objects.get()
    case_services.case_dispatch(
        actor=people.op_sub, case_id=hotline_case.pk, department_id=tree.department.pk
    )
    second = OutboundEvent.objects.exclude(pk=first.pk).get()
    OutboundEvent.objects.filter(pk=first.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert services.event_deliver(second.pk) is None  # waits for the registration
    assert services.events_deliver_due() == 0
    OutboundEvent.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    assert services.events_deliver_due() == 2
    assert [json.loads(r.body)["event"] for r in receiver.received] == [
        "registered",
        "dispatched",
    ]


def test_without_a_webhook_nothing_is_attempted(hotline_case):
    event = OutboundEvent.objects.get()
    assert services.event_deliver(event.pk) is None
    event.refresh_from_db()
    assert event.status == OutboundStatus.PENDING and event.attempts == 0


def test_the_closing_event_carries_the_result(tree, people, hotline_case, receiver):
    case = case_services.case_dispatch(
        actor=people.op_sub, case_id=hotline_case.pk, department_id=tree.department.pk
    )
    case_services.case_accept(actor=people.handler, case_id=case.pk)
    case_services.case_handle(actor=people.handler, case_id=case.pk, result="已更换灯泡，恢复照明")
    names = list(OutboundEvent.objects.order_by("pk").values_list("event", flat=True))
    assert names == ["registered", "dispatched", "accepted", "handled"]
    handled = OutboundEvent.objects.order_by("pk").last()
    assert handled.payload["result"] == "已更换灯泡，恢复照明"
    assert handled.payload["state"] == "handled"
    case_services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    case_services.case_callback(
        actor=people.op_sub, case_id=case.pk, solved=True, rating="satisfied"
    )
    verified, callback = OutboundEvent.objects.order_by("pk")[4:6]
    assert verified.event == "verified" and verified.payload["state"] == "closed"
    assert verified.payload["closed_at"] and "rating" not in verified.payload
    assert callback.event == "callback" and callback.payload["rating"] == "satisfied"
    assert callback.payload["result"] == "已更换灯泡，恢复照明"


def test_an_unsatisfied_callback_sends_the_escalation(tree, people, hotline_case):
    case = case_services.case_dispatch(
        actor=people.op_sub, case_id=hotline_case.pk, department_id=tree.department.pk
    )
    case_services.case_accept(actor=people.handler, case_id=case.pk)
    case_services.case_handle(actor=people.handler, case_id=case.pk, result="已处理")
    case_services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    case_services.case_callback(
        actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied"
    )
    last = OutboundEvent.objects.order_by("pk").last()
    assert last.event == "escalated" and last.payload["state"] == "registered"


def test_the_dead_letter_page_lists_and_retries(hotline_case, people, login):
    event = OutboundEvent.objects.get()
    OutboundEvent.objects.filter(pk=event.pk).update(
        status=OutboundStatus.DEAD, attempts=8, last_error="URLError: refused"
    )
    admin = login(people.admin)
    page = admin.get("/hotline/dead-letters/")
    assert page.status_code == 200
    assert "GD20261122000123" in page.content.decode() and "URLError: refused" in (
        page.content.decode()
    )
    for user in (people.op_district, people.gw_a):
        assert login(user).get("/hotline/dead-letters/").status_code == 403
        assert login(user).post("/hotline/dead-letters/", {"all": "1"}).status_code == 403
    assert OutboundEvent.objects.get().status == OutboundStatus.DEAD
    response = admin.post("/hotline/dead-letters/", {"event": [str(event.pk)]})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == OutboundStatus.PENDING and event.attempts == 0
    assert "GD20261122000123" not in admin.get("/hotline/dead-letters/").content.decode()
