"""Writes: queue notifications (inside the caller's transaction), deliver them, read them.

`notify` is called by other services after their own permission check; it takes no
actor and checks nothing but its arguments. Delivery is at least once per channel
towards the gateway, and exactly once as far as this database can tell: a row is
claimed before it is sent and marked in the same transaction.
"""

from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from gongzhi.core import crypto
from gongzhi.core.audit import audit_record
from gongzhi.core.pii_text import mask_personal_text
from gongzhi.notifications import channels as channel_registry
from gongzhi.notifications.models import DeliveryStatus, Notification

MAX_ATTEMPTS = 8
BATCH = 200


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the n-th failed attempt, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _check_link(link: str) -> str:
    # Only a path on this site: the inbox redirects to it, so anything else is an open redirect.
    if link and (
        not link.startswith("/")
        or not url_has_allowed_host_and_scheme(link, allowed_hosts=None, require_https=False)
    ):
        raise ValueError(f"notification links are relative paths, not {link!r}")
    return link


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    channels: Iterable[str] = (channel_registry.INBOX,),
    dedupe_key: str | None = None,
    sms_phones: Mapping[int, str] | None = None,
) -> int:
    """Queue one notification per recipient; returns how many rows were new.

    Call it inside the caller's transaction: the rows land with the caller's change or
    not at all, and delivery is scheduled for when that transaction commits. With a
    `dedupe_key`, a recipient who already has a notification with that key gets nothing
    new (not queued twice, not sent twice). SMS goes to `sms_phones[recipient.pk]`; a
    recipient without one gets the other channels only.

    The title and body are stored and sent with phones and 身份证号 masked: an inbox or a
    text message is no place to read them in full (core.pii_text).
    """
    title, body = mask_personal_text(title), mask_personal_text(body)
    channels = list(dict.fromkeys(channels))
    unknown = set(channels) - set(channel_registry.channel_names())
    if not channels or unknown:
        raise ValueError(f"unknown or no channels: {sorted(unknown) or channels}")
    link = _check_link(link)
    sms_phones = sms_phones or {}
    now = timezone.now()
    rows = []
    for user in dict.fromkeys(recipients):
        wanted = list(channels)
        phone = sms_phones.get(user.pk, "") if channel_registry.SMS in wanted else ""
        if channel_registry.SMS in wanted and not phone:
            wanted.remove(channel_registry.SMS)
        if not wanted:
            continue
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                title=title[:200],
                body=body,
                link=link,
                channels=wanted,
                in_inbox=channel_registry.INBOX in wanted,
                sms_phone_enc=crypto.encrypt(phone, purpose=channel_registry.PHONE_PURPOSE)
                if phone
                else "",
                sms_phone_masked=crypto.mask_phone(phone) if phone else "",
                dedupe_key=dedupe_key,
                next_attempt_at=now,
            )
        )
    if not rows:
        return 0
    with transaction.atomic():
        before = _count(rows, dedupe_key)
        Notification.objects.bulk_create(rows, ignore_conflicts=dedupe_key is not None)
        created = _count(rows, dedupe_key) - before if dedupe_key is not None else len(rows)
        if created:
            audit_record(
                actor=None,
                action="notifications.queued",
                object_type="notifications.notification",
                object_repr=title[:200],
                changes={
                    "kind": kind,
                    "recipients": [r.recipient_id for r in rows],
                    "channels": channels,
                    "dedupe_key": dedupe_key,
                    "created": created,
                    # masked only: the audit log never holds a plain phone number
                    "sms_to": [r.sms_phone_masked for r in rows if r.sms_phone_masked],
                },
            )
            transaction.on_commit(_schedule_delivery)
    return created


def _count(rows, dedupe_key) -> int:
    if dedupe_key is None:
        return 0
    return Notification.objects.filter(
        dedupe_key=dedupe_key, recipient_id__in=[r.recipient_id for r in rows]
    ).count()


def _schedule_delivery() -> None:
    from gongzhi.notifications.tasks import notifications_deliver_task

    notifications_deliver_task()


def notifications_deliver_due(*, limit: int = BATCH) -> int:
    """Deliver the rows that are due (new, or waiting for a retry); returns how many
    were handled. Safe to run twice or concurrently: each row is claimed with a
    conditional update (and, on PostgreSQL, locked with SKIP LOCKED) and marked in the
    same transaction, so a second run finds nothing to send."""
    now = timezone.now()
    handled = 0
    with transaction.atomic():
        qs = Notification.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        for n in list(qs[:limit]):
            claimed = Notification.objects.filter(
                pk=n.pk, status=DeliveryStatus.PENDING, attempts=n.attempts
            ).update(attempts=F("attempts") + 1)
            if not claimed:
                continue  # another run took it
            n.attempts += 1
            _deliver(n, now)
            handled += 1
    return handled


def _deliver(n: Notification, now) -> None:
    """Caller has claimed `n` (attempts already counted) inside its transaction."""
    errors = []
    for name in n.undelivered_channels():
        try:
            channel_registry.get_channel(name).send(n)
        except Exception as exc:  # a channel's failure must not stop the others
            errors.append(f"{name}: {exc.__class__.__name__}: {exc}"[:500])
        else:
            n.delivered_channels = [*n.delivered_channels, name]
    if not errors:
        n.status, n.delivered_at, n.next_attempt_at, n.last_error = (
            DeliveryStatus.DELIVERED,
            now,
            None,
            "",
        )
    else:
        n.last_error = "\n".join(errors)
        if n.attempts >= MAX_ATTEMPTS:
            n.status, n.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            n.next_attempt_at = now + _backoff(n.attempts)
    n.save(
        update_fields=[
            "status",
            "delivered_channels",
            "delivered_at",
            "next_attempt_at",
            "last_error",
        ]
    )


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """Precondition: `notification` came from selectors.notification_for(user, …)."""
    if notification.recipient_id != user.pk:
        raise ValueError("not the recipient's notification")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(
        recipient_id=user.pk, in_inbox=True, read_at__isnull=True
    ).update(read_at=timezone.now())
