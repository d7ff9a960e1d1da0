"""SMS backends: where a text message goes. Chosen per send by the SMS_BACKEND
environment variable (read here, not in settings, so a deployment switches gateways
without a settings change): "console" (the default) logs it, "file" appends a JSON line
to var/sms.log. A real gateway is one more class with `send`."""

import json
import logging
import os
import threading

from django.conf import settings
from django.utils import timezone

from gongzhi.core.crypto import mask_phone

log = logging.getLogger(__name__)


class SmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        """Hand one message to the gateway; raise when it was not accepted."""
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    def send(self, *, phone: str, text: str) -> None:
        # A log is read by more people than the audit log: the number stays masked.
        log.info("SMS to %s: %s", mask_phone(phone), text)


class FileSmsBackend(SmsBackend):
    """Stands in for the gateway in development and tests: one JSON line per message."""

    _lock = threading.Lock()

    def path(self):
        return settings.VAR_DIR / "sms.log"

    def send(self, *, phone: str, text: str) -> None:
        line = json.dumps(
            {"to": phone, "text": text, "at": timezone.now().isoformat()}, ensure_ascii=False
        )
        path = self.path()
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(line + "\n")


BACKENDS: dict[str, type[SmsBackend]] = {"console": ConsoleSmsBackend, "file": FileSmsBackend}


def get_backend() -> SmsBackend:
    name = os.environ.get("SMS_BACKEND", "console")
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(f"Unknown SMS_BACKEND {name!r}; one of {sorted(BACKENDS)}") from None
