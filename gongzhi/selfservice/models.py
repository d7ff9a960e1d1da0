"""What resident self-service keeps: SMS codes (hashed) and rate-limit counters.

Neither holds a phone number: a phone appears only as its keyed hash."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PhoneCode(models.Model):
    """A 6-digit code sent to a phone. Only its keyed hash is stored; it expires, and it
    dies after too many wrong attempts or once used."""

    phone_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    dead = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        indexes = [models.Index(fields=["phone_hash", "created_at"], name="phonecode_latest")]

    def __str__(self):
        return f"{self.phone_hash[:8]}… {self.created_at:%Y-%m-%d %H:%M}"


class RateCounter(models.Model):
    """How many times `key` (a step and a hashed phone or IP) was used in the fixed
    window starting at `window_start`. Rows are shared by every app process."""

    key = models.CharField(max_length=80)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_unique")
        ]
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window")]

    def __str__(self):
        return f"{self.key} {self.window_start:%Y-%m-%d %H:%M:%S} {self.count}"
