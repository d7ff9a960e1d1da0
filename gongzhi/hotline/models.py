"""The 12345 exchange: the work orders the city hotline pushed to us, the nonces it used,
and the outbox of status changes we push back."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HotlineOrder(models.Model):
    """A 12345 work order and the case it became (the case kind "hotline_order")."""

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="hotline_order",
    )
    order_no = models.CharField(_("hotline order number"), max_length=40, unique=True)
    hotline_deadline = models.DateTimeField(_("hotline deadline"), null=True, blank=True)
    hotline_category = models.CharField(_("hotline category"), max_length=100, blank=True)
    # The order as received; the contact phone is masked here (the case keeps it encrypted).
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=16, default="webhook")  # webhook | xlsx
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("12345 work order")
        verbose_name_plural = _("12345 work orders")
        ordering = ["-received_at"]

    def __str__(self):
        return self.order_no


class HotlineNonce(models.Model):
    """A nonce the hotline has used; a second request with it is a replay."""

    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.nonce


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for its (next) attempt
    SENT = "sent", _("Sent")  # the hotline answered 2xx
    DEAD = "dead", _("Dead letter")  # every attempt failed; an administrator may retry it


class OutboundEvent(models.Model):
    """One status change to tell the hotline: written in the case's transaction, delivered
    afterwards by a job with retries (the outbox)."""

    order = models.ForeignKey(
        HotlineOrder,
        verbose_name=_("12345 work order"),
        on_delete=models.CASCADE,
        related_name="outbound_events",
    )
    event = models.CharField(_("event"), max_length=32)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound event")
        verbose_name_plural = _("outbound events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="hotline_outbox_due"),
        ]

    def __str__(self):
        return f"{self.order_id} · {self.event} · {self.status}"
