"""Special campaigns (专项治理): a named, tracked group of cases about one problem in one
area, opened by the command center — usually from a hotspot (gongzhi.campaigns.hotspots)
— and closed with a summary of what was done.

Writes are in campaigns.services, scoped reads in campaigns.selectors.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.fields import OrgCodeField


class CampaignState(models.TextChoices):
    OPEN = (
        "open",
        pgettext_lazy("campaign", "In progress"),
    )  # 进行中: cases may be added and removed
    CLOSED = (
        "closed",
        pgettext_lazy("campaign", "Closed"),
    )  # 已结束: closed with a summary, no more changes


class Campaign(models.Model):
    """专项治理. The area is an org unit (`unit_code`), optionally narrowed to one building;
    the problem is a category, or any category when empty. `hotspot` says what was seen
    when it was opened ("近7天12件，往常约2件")."""

    name = models.CharField(_("name"), max_length=100)
    unit_code = OrgCodeField(_("area"), db_index=True)
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hotspot = models.TextField(_("hotspot description"), blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("special campaign")
        verbose_name_plural = _("special campaigns")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # A closed campaign always says what was done.
            models.CheckConstraint(
                condition=models.Q(state=CampaignState.OPEN)
                | (~models.Q(summary="") & models.Q(closed_at__isnull=False)),
                name="campaign_closed_has_summary",
            ),
        ]
        indexes = [
            # The hotspot list asks which open campaigns cover its combinations.
            models.Index(fields=["state", "unit_code"], name="campaign_state_unit"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == CampaignState.OPEN


class CampaignCase(models.Model):
    """A case taken into a campaign, by whom and when."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="campaign_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("campaign case")
        verbose_name_plural = _("campaign cases")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "case"], name="campaign_case_unique"),
        ]

    def __str__(self):
        return f"{self.campaign_id}:{self.case_id}"
