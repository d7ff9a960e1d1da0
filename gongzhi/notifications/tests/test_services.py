import pytest
from django.db import transaction
from django.utils import timezone

from gongzhi.core.models import AuditLog
from gongzhi.notifications import channels, services
from gongzhi.notifications.models import DeliveryStatus, Notification

PHONE = "13812345678"


def _notify(user, **kwargs):
    kwargs = {
        "recipients": [user],
        "kind": "case.overdue",
        "title": "案件已超期",
        "body": "请尽快处置",
        "link": "/cases/1/",
        **kwargs,
    }
    return services.notify(**kwargs)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_notify__rows_and_delivery_only_when_the_transaction_commits(people, sms_log):
    with transaction.atomic():
        _notify(people.gw_a, channels=("inbox", "sms"), sms_phones={people.gw_a.pk: PHONE})
        assert sms_log() == []  # nothing is sent before the commit
    n = Notification.objects.get()
    assert (n.recipient, n.channels, n.status) == (people.gw_a, ["inbox", "sms"], "delivered")
    assert n.delivered_channels == ["inbox", "sms"] and n.attempts == 1 and n.delivered_at
    assert [line["to"] for line in sms_log()] == [PHONE]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_notify__rollback_writes_and_sends_nothing(people, sms_log):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(people.gw_a, channels=("inbox", "sms"), sms_phones={people.gw_a.pk: PHONE})
        raise RuntimeError("the caller fails")
    assert not Notification.objects.exists()
    assert not AuditLog.objects.filter(action="notifications.queued").exists()
    assert sms_log() == []


def test_notify__same_dedupe_key_creates_nothing_new_and_sends_once(
    people, sms_log, django_capture_on_commit_callbacks
):
    args = {"channels": ("inbox", "sms"), "sms_phones": {people.gw_a.pk: PHONE}}
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(people.gw_a, dedupe_key="case:1:overdue", **args) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _notify(people.gw_a, dedupe_key="case:1:overdue", **args) == 0
    assert callbacks == []
    assert Notification.objects.count() == 1
    assert len(sms_log()) == 1
    assert AuditLog.objects.filter(action="notifications.queued").count() == 1


def test_notify__dedupe_key_is_per_recipient(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(people.gw_a, dedupe_key="k")
        assert _notify(people.gw_b, dedupe_key="k", recipients=[people.gw_a, people.gw_b]) == 1
        assert _notify(people.gw_a, recipients=[people.gw_a]) == 1  # no key: never deduplicated
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "gw_a",
        "gw_a",
        "gw_b",
    ]


def test_notify__sms_skipped_for_a_recipient_without_phone(
    people, sms_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(
            people.gw_a,
            recipients=[people.gw_a, people.gw_b],
            channels=("inbox", "sms"),
            sms_phones={people.gw_a.pk: PHONE},
        )
    rows = {n.recipient.username: n for n in Notification.objects.all()}
    assert rows["gw_a"].channels == ["inbox", "sms"]
    assert rows["gw_b"].channels == ["inbox"]
    assert {n.status for n in rows.values()} == {"delivered"}
    assert len(sms_log()) == 1


def test_notify__phone_is_sealed_and_never_in_the_audit_log(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(people.gw_a, channels=("sms",), sms_phones={people.gw_a.pk: PHONE})
    n = Notification.objects.get()
    assert PHONE not in n.sms_phone_enc and n.sms_phone_masked == "138****5678"
    assert not n.in_inbox
    audit = AuditLog.objects.get(action="notifications.queued")
    assert PHONE not in str(audit.changes) and "138****5678" in str(audit.changes)
    assert audit.changes["kind"] == "case.overdue"


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "cases/1/"])
def test_notify__link_must_be_a_local_path(people, link):
    with pytest.raises(ValueError):
        _notify(people.gw_a, link=link)
    assert not Notification.objects.exists()


def test_notify__unknown_channel_is_refused(people):
    with pytest.raises(ValueError):
        _notify(people.gw_a, channels=("pigeon",))
    assert not Notification.objects.exists()


def test_deliver__running_twice_sends_once(people, sms_log, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _notify(people.gw_a, channels=("sms",), sms_phones={people.gw_a.pk: PHONE})
    assert services.notifications_deliver_due() == 1
    assert services.notifications_deliver_due() == 0
    assert len(sms_log()) == 1
    assert Notification.objects.get().attempts == 1


def test_deliver__a_row_claimed_by_another_run_is_skipped(
    people, sms_log, django_capture_on_commit_callbacks, monkeypatch
):
    """The claim is a conditional update: a row another run claimed first is not sent."""
    with django_capture_on_commit_callbacks(execute=False):
        _notify(people.gw_a, channels=("sms",), sms_phones={people.gw_a.pk: PHONE})
    real_filter = Notification.objects.filter

    def racing_filter(*args, **kwargs):
        if "attempts" in kwargs:  # the other run's claim lands between our read and our claim
            Notification.objects.update(attempts=1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Notification.objects, "filter", racing_filter)
    assert services.notifications_deliver_due() == 0
    assert sms_log() == []


class Flaky:
    name = "flaky"

    def __init__(self):
        self.fail = True
        self.sent = []

    def send(self, notification):
        if self.fail:
            raise ConnectionError("gateway down")
        self.sent.append(notification.pk)


@pytest.fixture
def flaky(monkeypatch):
    channel = Flaky()
    monkeypatch.setitem(channels._channels, "flaky", channel)
    return channel


def test_deliver__failing_channel_records_the_error_and_is_retried_later(
    people, flaky, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(people.gw_a, channels=("inbox", "flaky"))
    n = Notification.objects.get()
    assert (n.status, n.attempts, n.delivered_channels) == ("pending", 1, ["inbox"])
    assert "ConnectionError: gateway down" in n.last_error
    assert n.next_attempt_at > timezone.now()

    # not due yet: the periodic run leaves it alone
    assert services.notifications_deliver_due() == 0

    flaky.fail = False
    Notification.objects.update(next_attempt_at=timezone.now())
    assert services.notifications_deliver_due() == 1
    n.refresh_from_db()
    assert (n.status, n.attempts, n.delivered_channels, n.last_error) == (
        "delivered",
        2,
        ["inbox", "flaky"],
        "",
    )
    assert flaky.sent == [n.pk]  # the inbox was not "sent" twice, the flaky channel once


def test_deliver__backoff_grows_and_gives_up_after_the_last_attempt(
    people, flaky, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _notify(people.gw_a, channels=("flaky",))
    gaps = []
    for _ in range(services.MAX_ATTEMPTS):
        Notification.objects.update(next_attempt_at=timezone.now())
        start = timezone.now()
        services.notifications_deliver_due()
        n = Notification.objects.get()
        if n.next_attempt_at:
            gaps.append(round((n.next_attempt_at - start).total_seconds() / 60))
    assert gaps == [1, 2, 4, 8, 16, 32, 64]
    assert (n.status, n.attempts) == (DeliveryStatus.FAILED, services.MAX_ATTEMPTS)


def test_retry_task__delivers_rows_whose_first_run_was_lost(
    people, sms_log, django_capture_on_commit_callbacks
):
    from gongzhi.notifications.tasks import notifications_retry_task

    with django_capture_on_commit_callbacks(execute=False):
        _notify(people.gw_a, channels=("sms",), sms_phones={people.gw_a.pk: PHONE})
    notifications_retry_task()
    assert Notification.objects.get().status == "delivered" and len(sms_log()) == 1


def test_mark_read__and_mark_all_read_touch_only_the_users_rows(people):
    _notify(people.gw_a)
    _notify(people.gw_a)
    _notify(people.gw_b)
    first = Notification.objects.filter(recipient=people.gw_a).first()
    services.notification_mark_read(user=people.gw_a, notification=first)
    read_at = Notification.objects.get(pk=first.pk).read_at
    assert read_at is not None
    services.notification_mark_read(user=people.gw_a, notification=first)
    assert Notification.objects.get(pk=first.pk).read_at == read_at  # reading again changes nothing
    assert services.notifications_mark_all_read(user=people.gw_a) == 1
    assert Notification.objects.filter(recipient=people.gw_b, read_at__isnull=True).count() == 1


def test_notify__phones_and_id_numbers_in_the_text_are_masked(people):
    _notify(
        people.gw_a,
        title="案件 SJ20261207000012：电话 +86 138 1234 5678",
        body="身份证 410302 19900101 1234，座机（0379）62345678",
    )
    n = Notification.objects.get()
    assert n.title == "案件 SJ20261207000012：电话 138****5678"
    assert n.body == "身份证 4103**********1234，座机0379-****5678"
