"""Delivery channels, registered by name (an app may add its own in ready()).

A channel's `send` delivers one notification or raises; the delivery service records
the error and retries later. Channels must not write to the database themselves.
"""

from typing import Protocol

from gongzhi.core import crypto
from gongzhi.notifications import sms

INBOX = "inbox"
SMS = "sms"
PHONE_PURPOSE = "phone"  # the purpose every stored phone is sealed under (registry.pii)


class Channel(Protocol):
    name: str

    def send(self, notification) -> None: ...


class InboxChannel:
    """The row is the inbox item: writing it delivered it."""

    name = INBOX

    def send(self, notification) -> None:
        return None


class SmsChannel:
    name = SMS

    def send(self, notification) -> None:
        if not notification.sms_phone_enc:
            raise ValueError("no phone for this SMS")
        phone = crypto.decrypt(notification.sms_phone_enc, purpose=PHONE_PURPOSE)
        sms.get_backend().send(phone=phone, text=sms_text(notification))


def sms_text(notification) -> str:
    return f"【共治】{notification.title}" + (f"：{notification.body}" if notification.body else "")


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    _channels[channel.name] = channel


def get_channel(name: str) -> Channel:
    return _channels[name]


def channel_names() -> list[str]:
    return list(_channels)


register_channel(InboxChannel())
register_channel(SmsChannel())
