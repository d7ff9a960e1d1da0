"""Patrols (巡逻 / 巡查): one model for every role that walks a round.

    Patrol (who, kind, area, started → ended; a planned route of checkpoints; the record
        that asked for it: `source` + `source_key`, e.g. a volunteers' night-patrol
        activity, or none for a grid worker's own round) ─< PatrolPoint (a checkpoint
        visited: when, GPS, note; a finding made a case of the loop)

A volunteers' night patrol (夜间巡逻) is a Patrol whose source is the activity; the grid
worker's 网格巡查 is a Patrol with no source. This app imports nothing of the apps that
start patrols: they name themselves in `source`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField


class PatrolKind(models.TextChoices):
    NIGHT = "night", _("Night patrol")  # 夜间巡逻 (volunteers)
    GRID = "grid", _("Grid patrol")  # 网格巡查 (grid worker)
    SAFETY = "safety", _("Safety patrol")  # 平安巡防


class Patrol(models.Model):
    org_code = OrgCodeField(_("area"), db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=PatrolKind.choices)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    patrollers = models.CharField(_("patrollers"), max_length=200, blank=True)
    people = models.PositiveSmallIntegerField(_("people"), default=1)
    route = models.JSONField(_("route"), default=list, blank=True)  # checkpoint names
    source = models.CharField(max_length=40, blank=True)
    source_key = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Sent from a phone (maybe after a day offline): the id the phone gave it, once per
    # leader; started_at/ended_at are the phone's times, received_at the server's.
    client_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    # From the GPS track, worked out when it ends (and again if a late part arrives).
    length_m = models.FloatField(_("length (m)"), null=True, blank=True)
    area_m2 = models.FloatField(_("area covered (m²)"), null=True, blank=True)
    track_points = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~Q(source=""),
                name="patrols_one_per_source",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="patrols_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["leader", "client_id"],
                condition=~Q(client_id=""),
                name="patrols_one_per_client_id",
            ),
        ]
        indexes = [models.Index(fields=["org_code", "started_at"], name="patrols_area_time")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d}"


class PatrolPoint(models.Model):
    """A checkpoint visited on a patrol, with where the phone was and what was seen."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    name = models.CharField(_("checkpoint"), max_length=50)
    at = models.DateTimeField(_("when"))
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    note = models.CharField(_("what was seen"), max_length=500, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("checkpoint visited")
        verbose_name_plural = _("checkpoints visited")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "client_id"],
                condition=~Q(client_id=""),
                name="patrols_point_once",
            ),
        ]

    def __str__(self):
        return self.name


class PatrolTrack(models.Model):
    """A part of a patrol's GPS track as the phone sent it: [[unix seconds, lng, lat], …]
    (WGS-84), sampled sparingly on the phone (a fix every 15 s at most, and only after
    moving 15 m). Sent in parts while walking, or all at once after a basement; each part
    once (its client id)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="tracks")
    client_id = models.CharField(max_length=64)
    points = models.JSONField(default=list)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("track part")
        verbose_name_plural = _("track parts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "client_id"], name="patrols_track_once")
        ]

    def __str__(self):
        return f"{self.patrol_id}/{self.client_id}"
