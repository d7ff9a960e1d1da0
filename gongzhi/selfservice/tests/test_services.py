"""Phone verification, rate limits and the resident's case services, on the real database."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, CaseAttachment, CaseEvent, Channel, Rating, State
from gongzhi.cases.tests.support import fresh, snapshot
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.core.errors import Invalid, NotFound, PermissionDenied
from gongzhi.core.images import ImageRejected
from gongzhi.core.workflow import GuardFailed, IllegalTransition
from gongzhi.factories import UserFactory
from gongzhi.notifications.models import Notification
from gongzhi.registry import pii
from gongzhi.selfservice import services
from gongzhi.selfservice.models import PhoneCode, RateCounter

from .conftest import IN_GRID_A, OTHER_PHONE, OUTSIDE, PHONE, jpeg

IP = "203.0.113.7"


# -- codes ------------------------------------------------------------------------------


def test_send_code__texts_six_digits_and_stores_only_hashes(db, clock, sms_log, last_code):
    assert services.send_code(phone=" 139 1234 5678 ", ip=IP) == PHONE
    (message,) = sms_log()
    assert message["to"] == PHONE and message["text"].startswith("【共治】")
    code = last_code()
    row = PhoneCode.objects.get()
    assert row.phone_hash == pii.phone_hash(PHONE)
    assert code not in row.code_hash and PHONE not in row.phone_hash
    assert (row.expires_at - row.created_at).total_seconds() == 600
    assert (row.attempts, row.used_at, row.dead) == (0, None, False)


def test_send_code__a_landline_or_garbage_is_refused_and_nothing_is_sent(db, clock, sms_log):
    for bad in ("0379-62345678", "12345", "", "1391234567x"):
        with pytest.raises(Invalid) as exc:
            services.send_code(phone=bad, ip=IP)
        assert "phone" in exc.value.details
    assert sms_log() == [] and not PhoneCode.objects.exists() and not RateCounter.objects.exists()


def test_verify__the_right_code_proves_the_phone_once(db, clock, last_code):
    services.send_code(phone=PHONE, ip=IP)
    sealed = services.verify_code(phone=PHONE, code=last_code(), ip=IP)
    assert sealed["phone_hash"] == pii.phone_hash(PHONE)
    assert sealed["phone_masked"] == "139****5678"
    assert PhoneCode.objects.get().used_at is not None
    with pytest.raises(services.CodeRefused):
        services.verify_code(phone=PHONE, code=last_code(), ip=IP)  # used up


def test_verify__a_wrong_code_counts_an_attempt_and_the_fifth_kills_it(db, clock, last_code):
    services.send_code(phone=PHONE, ip=IP)
    right = last_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    with translation.override("en"):
        for left in (4, 3, 2, 1):
            with pytest.raises(services.CodeRefused) as exc:
                services.verify_code(phone=PHONE, code=wrong, ip=IP)
            assert exc.value.status == 400
            expected = "attempt left" if left == 1 else "attempts left"
            assert f"{left} {expected}" in exc.value.message
        with pytest.raises(services.CodeRefused) as exc:
            services.verify_code(phone=PHONE, code=wrong, ip=IP)
        assert "too many wrong attempts" in exc.value.message
        row = PhoneCode.objects.get()
        assert (row.attempts, row.dead, row.used_at) == (5, True, None)
        with pytest.raises(services.CodeRefused) as exc:  # even the right one, now
            services.verify_code(phone=PHONE, code=right, ip=IP)
        assert "too many wrong attempts" in exc.value.message
    assert PhoneCode.objects.get().used_at is None


def test_verify__an_expired_code_is_refused(db, clock, last_code):
    services.send_code(phone=PHONE, ip=IP)
    clock.advance(minutes=10, seconds=1)
    with translation.override("en"), pytest.raises(services.CodeRefused) as exc:
        services.verify_code(phone=PHONE, code=last_code(), ip=IP)
    assert "expired" in exc.value.message
    assert PhoneCode.objects.get().used_at is None


def test_verify__a_new_code_replaces_the_old_one(db, clock, last_code):
    services.send_code(phone=PHONE, ip=IP)
    first = last_code()
    clock.advance(seconds=61)
    services.send_code(phone=PHONE, ip=IP)
    second = last_code()
    if first != second:
        with pytest.raises(services.CodeRefused):
            services.verify_code(phone=PHONE, code=first, ip=IP)
    assert services.verify_code(phone=PHONE, code=second, ip=IP)["phone_hash"]
    assert PhoneCode.objects.filter(dead=True).count() == 1


def test_verify__without_a_code_sent(db, clock):
    with translation.override("en"), pytest.raises(services.CodeRefused) as exc:
        services.verify_code(phone=PHONE, code="123456", ip=IP)
    assert "Ask for a code first" in exc.value.message


# -- rate limits ------------------------------------------------------------------------


def test_rate__one_code_a_minute_per_phone(db, clock, sms_log):
    services.send_code(phone=PHONE, ip=IP)
    clock.advance(seconds=30)
    with translation.override("en"), pytest.raises(services.RateLimited) as exc:
        services.send_code(phone=PHONE, ip="198.51.100.1")
    assert exc.value.status == 429 and "try again in 30 seconds" in exc.value.message
    assert len(sms_log()) == 1 and PhoneCode.objects.count() == 1
    clock.advance(seconds=31)
    services.send_code(phone=PHONE, ip=IP)
    assert len(sms_log()) == 2


def test_rate__five_codes_an_hour_per_phone(db, clock, sms_log):
    clock.set(2026, 11, 23, 9, 0)
    for _ in range(5):
        services.send_code(phone=PHONE, ip=IP)
        clock.advance(seconds=61)
    with translation.override("en"), pytest.raises(services.RateLimited) as exc:
        services.send_code(phone=PHONE, ip=IP)
    assert "minutes" in exc.value.message
    assert len(sms_log()) == 5 and PhoneCode.objects.count() == 5
    clock.set(2026, 11, 23, 10, 0, 1)  # the next hour's window
    services.send_code(phone=PHONE, ip=IP)
    assert len(sms_log()) == 6


def test_rate__twenty_codes_an_hour_per_ip(db, clock, sms_log):
    clock.set(2026, 11, 23, 9, 0)
    for n in range(20):
        services.send_code(phone=f"1390000{n:04d}", ip=IP)
    with pytest.raises(services.RateLimited):
        services.send_code(phone="13811112222", ip=IP)
    assert len(sms_log()) == 20
    # The refused phone was not counted: another IP may still send it a code at once.
    services.send_code(phone="13811112222", ip="198.51.100.9")
    assert len(sms_log()) == 21


def test_rate__verification_attempts_per_ip(db, clock, settings, last_code):
    settings.SELFSERVICE_PER_IP_HOUR = 3
    services.send_code(phone=PHONE, ip=IP)
    for _ in range(3):
        with pytest.raises(services.CodeRefused):
            services.verify_code(
                phone=PHONE, code="000000" if last_code() != "000000" else "1", ip=IP
            )
    with pytest.raises(services.RateLimited):
        services.verify_code(phone=PHONE, code=last_code(), ip=IP)
    assert PhoneCode.objects.get().attempts == 3  # the refused try did not reach the code


def test_rate__counters_are_rows_shared_by_processes(db, clock):
    limit = services.Limit("test", "key", 2, 60)
    services.take([limit])
    services.take([limit])
    with pytest.raises(services.RateLimited):
        services.take([limit])
    (row,) = RateCounter.objects.all()
    assert row.count == 2 and "key" not in row.key  # the value is hashed into the key
    clock.advance(days=2)
    assert services.purge_counters() == 1


# -- reporting ---------------------------------------------------------------------------


def test_report__a_resident_case_from_a_building(people, tree, resident_case):
    case = resident_case()
    assert case.channel == Channel.RESIDENT and case.reported_by is None
    assert case.state == State.REPORTED and case.grid == tree.grid_a
    assert case.reporter_phone_hash == pii.phone_hash(PHONE)
    assert case.reporter_phone_masked == "139****5678"
    assert pii.open_phone(type("P", (), {"phone_enc": case.reporter_phone_enc})) == PHONE
    event = CaseEvent.objects.get(case=case)
    assert event.actor is None and event.action == "report"
    assert "5678" in event.actor_name and PHONE not in event.actor_name


def test_report__the_grid_is_found_from_the_point_anywhere_in_the_tree(people, bounded, category):
    case, created = case_services.case_report_by_resident(
        phone=PHONE, category_id=category.pk, description="井盖缺失", lng=IN_GRID_A[0],
        lat=IN_GRID_A[1], photos=[jpeg()],
    )  # fmt: skip
    assert created and case.grid == bounded.grid_a
    assert CaseAttachment.objects.filter(case=case, event__action="report").count() == 1


def test_report__a_point_outside_every_grid_is_refused(people, bounded, category):
    with pytest.raises(Invalid) as exc:
        case_services.case_report_by_resident(
            phone=PHONE, category_id=category.pk, description="x", lng=OUTSIDE[0], lat=OUTSIDE[1]
        )
    assert exc.value.code == "outside_grids"
    assert not Case.objects.exists()


def test_report__refusals_store_nothing(people, tree, resident_case, private_category):
    bad = [
        {"category_id": private_category.pk},
        {"description": ""},
        {"description": "长" * 2001},
        {"name": "名" * 51},
        {"photos": [SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")]},
        {"photos": [jpeg() for _ in range(10)]},
        {"building_id": 999999},
        {"building_id": None},  # no location at all
    ]
    for kw in bad:
        with pytest.raises((Invalid, NotFound, ImageRejected)):
            resident_case(**kw)
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()


def test_report__the_same_key_from_the_same_phone_is_one_case(people, tree, resident_case):
    first = resident_case(idempotency_key="k-1")
    case, created = case_services.case_report_by_resident(
        phone=PHONE, category_id=first.category_id, description=" 3号楼门口路灯坏了一周 ",
        building_id=str(resident_case.building.pk), idempotency_key="k-1",
    )  # fmt: skip
    assert (case.pk, created) == (first.pk, False)
    other = resident_case(phone=OTHER_PHONE, idempotency_key="k-1")
    assert other.pk != first.pk and Case.objects.count() == 2


def test_report__the_same_key_with_another_report_is_refused(people, tree, resident_case):
    first = resident_case(idempotency_key="k-1")
    with pytest.raises(case_services.IdempotencyConflict) as exc:
        case_services.case_report_by_resident(
            phone=PHONE, category_id=first.category_id, description="again",
            building_id=resident_case.building.pk, idempotency_key="k-1",
        )  # fmt: skip
    assert (exc.value.code, exc.value.status) == ("idempotency_conflict", 422)
    assert list(Case.objects.values_list("pk", "description")) == [
        (first.pk, "3号楼门口路灯坏了一周")
    ]


# -- rating and adding information ----------------------------------------------------------


def test_callback__the_reporter_rates_a_closed_case(people, tree, resident_case, closed):
    case = closed(resident_case())
    with pytest.raises(NotFound):  # another phone: the same answer as a missing case
        case_services.case_callback_by_reporter(
            phone_hash=pii.phone_hash(OTHER_PHONE), case_id=case.pk, solved=True,
            rating=Rating.SATISFIED,
        )  # fmt: skip
    rated = case_services.case_callback_by_reporter(
        phone_hash=pii.phone_hash(PHONE), case_id=case.pk, solved=True, rating=Rating.SATISFIED,
        note="很快就修好了",
    )  # fmt: skip
    assert (rated.state, rated.callback_solved, rated.callback_rating) == (
        State.CLOSED, True, Rating.SATISFIED,
    )  # fmt: skip
    event = CaseEvent.objects.filter(case=case).latest("at", "id")
    assert (event.action, event.actor, event.note) == ("callback", None, "很快就修好了")
    assert "5678" in event.actor_name
    before = snapshot(case)
    with pytest.raises(GuardFailed):  # already called back
        case_services.case_callback_by_reporter(
            phone_hash=pii.phone_hash(PHONE), case_id=case.pk, solved=False,
            rating=Rating.UNSATISFIED,
        )  # fmt: skip
    assert snapshot(case) == before


def test_callback__unsatisfied_escalates(people, tree, resident_case, closed):
    case = closed(resident_case())
    rated = case_services.case_callback_by_reporter(
        phone_hash=pii.phone_hash(PHONE), case_id=case.pk, solved=False,
        rating=Rating.UNSATISFIED, note="灯还是不亮",
    )  # fmt: skip
    assert rated.state == State.REGISTERED and rated.escalation_level == 1
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions[-2:] == ["callback", "escalate"]


def test_callback__refused_while_open_or_with_a_bad_rating(people, tree, resident_case):
    case = resident_case()
    before = snapshot(case)
    with pytest.raises(IllegalTransition):
        case_services.case_callback_by_reporter(
            phone_hash=pii.phone_hash(PHONE), case_id=case.pk, solved=True, rating="satisfied"
        )
    with pytest.raises(Invalid):
        case_services.case_callback_by_reporter(
            phone_hash=pii.phone_hash(PHONE), case_id=case.pk, solved=True, rating="great"
        )
    assert snapshot(case) == before


def test_add_info__while_open_with_a_photo(people, tree, resident_case):
    case = resident_case()
    case_services.case_dispatch(
        actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
    )
    updated = case_services.case_add_info_by_reporter(
        phone_hash=pii.phone_hash(PHONE), case_id=case.pk, note="晚上更暗了", photos=[jpeg()]
    )
    assert updated.state == State.DISPATCHED
    event = CaseEvent.objects.filter(case=case).latest("at", "id")
    assert (event.action, event.actor, event.note) == ("resident_info", None, "晚上更暗了")
    assert event.attachments.count() == 1
    assert Notification.objects.filter(recipient=people.handler, kind="case.resident_info").exists()


def test_add_info__refused_when_closed_empty_or_not_an_image(people, tree, resident_case, closed):
    case = resident_case()
    before = snapshot(case)
    h = pii.phone_hash(PHONE)
    with pytest.raises(Invalid):
        case_services.case_add_info_by_reporter(phone_hash=h, case_id=case.pk, note="")
    with pytest.raises(Invalid):
        case_services.case_add_info_by_reporter(phone_hash=h, case_id=case.pk, note="x" * 1001)
    with pytest.raises(ImageRejected):
        case_services.case_add_info_by_reporter(
            phone_hash=h, case_id=case.pk, note="看图",
            photos=[SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")],
        )  # fmt: skip
    assert snapshot(case) == before and not CaseAttachment.objects.exists()
    closed(case)
    with pytest.raises(IllegalTransition):
        case_services.case_add_info_by_reporter(phone_hash=h, case_id=case.pk, note="补充")


def test_resident_info__is_never_offered_to_staff(people, tree, resident_case):
    case = resident_case()
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    for user in (people.op_sub, people.admin, superuser):
        assert "resident_info" not in [t.action for t in CASE_FLOW.available(case, user)]
        with pytest.raises(PermissionDenied):
            CASE_FLOW.check(case, "resident_info", user)
    assert "register" in [t.action for t in CASE_FLOW.available(case, people.op_sub)]
    assert fresh(case).version == case.version


def test_old_rate_counters_are_purged_by_the_hourly_job(db):
    import datetime as dt

    from django.utils import timezone

    from gongzhi.selfservice.models import RateCounter
    from gongzhi.selfservice.tasks import selfservice_purge_task

    now = timezone.now()
    RateCounter.objects.create(key="ip:1.2.3.4", window_start=now - dt.timedelta(days=2), count=3)
    RateCounter.objects.create(key="ip:1.2.3.4", window_start=now, count=1)
    assert selfservice_purge_task.call_local() == 1
    assert list(RateCounter.objects.values_list("count", flat=True)) == [1]
