from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # some requested channel is not delivered yet
    DELIVERED = "delivered", _("Delivered")  # every requested channel took it
    FAILED = "failed", _("Failed")  # gave up after the last retry; last_error says why


class Notification(models.Model):
    """One message to one user: the outbox row and, when `in_inbox`, the inbox item.

    Written by `services.notify` inside the caller's transaction and delivered after
    it commits; `delivered_channels` records each channel that took it, so a retry
    only tries the others and a repeated delivery run sends nothing twice.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(
        _("kind"), max_length=64, help_text=_("A short code, e.g. case.overdue")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    channels = models.JSONField(_("channels"), default=list)
    # Denormalised from `channels` so the inbox is one indexed filter on every database.
    in_inbox = models.BooleanField(_("in inbox"), default=True)
    # The SMS number, sealed like every stored phone (see registry.pii); empty without SMS.
    sms_phone_enc = models.TextField(_("SMS phone (encrypted)"), blank=True)
    sms_phone_masked = models.CharField(_("SMS phone"), max_length=32, blank=True)
    # NULL, not "": a notification without a key must never collide with another.
    dedupe_key = models.CharField(  # noqa: DJ001
        _("dedupe key"), max_length=200, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    delivered_channels = models.JSONField(_("delivered channels"), default=list)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            # NULL keys never collide, so notifications without a key are never deduplicated.
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_dedupe_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "in_inbox", "id"], name="notification_inbox_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def undelivered_channels(self) -> list[str]:
        return [c for c in self.channels if c not in self.delivered_channels]
