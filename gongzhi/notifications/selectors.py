"""Reads: a notification is its recipient's only. Another user's and a missing one give
the same NotFound, so ids cannot be probed."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.notifications.models import Notification


def notifications_of(user) -> QuerySet[Notification]:
    """The user's inbox (every notification sent to the inbox channel)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk, in_inbox=True).defer(
        "sms_phone_enc", "last_error"
    )


def notification_for(user, notification_id) -> Notification:
    try:
        return notifications_of(user).get(pk=int(notification_id))
    except (Notification.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("The notification does not exist.")) from None


def unread_count(user) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()
