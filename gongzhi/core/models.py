from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses update() and delete(): the rows are a record (the points ledger, ballots)."""

    def _refuse(self):
        raise TypeError(self.model.append_only_message)

    def update(self, **kwargs):
        self._refuse()

    def delete(self):
        self._refuse()

    def bulk_update(self, *args, **kwargs):
        self._refuse()


class AppendOnly(models.Model):
    """Rows written once: save() of an existing row, delete() and the queryset's update()
    and delete() raise TypeError with `append_only_message`. The database holds them too
    (each app's triggers: points and decide migrations 0002)."""

    append_only_message = "These rows are append-only."
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(self.append_only_message)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class CalendarDay(TimeStampedModel):
    """A day that breaks the Monday–Friday rule: a statutory holiday on a weekday, or a
    make-up working day (调休上班) on a weekend. Seeded from chinese-calendar; the
    administrator enters each new year's schedule when the State Council publishes it."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"), help_text=_("Ticked: a make-up working day. Unticked: a holiday.")
    )
    name = models.CharField(_("holiday"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working-day calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditLog(models.Model):
    """One row per recorded action, written by services; never updated or deleted.

    The object is stored by type label and id (not a foreign key) so the row
    outlives the object and a partitioned or archived log needs no joins.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept beside the actor so the row reads right after a rename.
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")

    @property
    def action_label(self) -> str:
        from gongzhi.core.manifest import audit_action_label

        return audit_action_label(self.action)
