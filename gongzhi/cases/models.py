"""The case loop's reference data: the category taxonomy and the deadline policies.

(The Case itself, its lifecycle and timeline come next; see issue 4.)
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import TimeStampedModel


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")  # 一般
    URGENT = "urgent", _("Urgent")  # 紧急
    EMERGENCY = "emergency", _("Emergency")  # 特急: calendar hours, not working days


class Category(TimeStampedModel):
    """A two-level taxonomy: groups (市容环境, 矛盾纠纷 …) and their categories.

    Codes are stable identifiers for other systems (Open311 service_code, 12345);
    names may be edited. `is_public` marks what residents and Open311 may report.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_public = models.BooleanField(_("residents may report it"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["sort", "code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_in_group")
        ]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError(
                {"parent": _("The taxonomy has two levels: a group and its categories.")}
            )


class DeadlinePolicy(TimeStampedModel):
    """Time limits for a category (or a whole group, or everything) at an urgency.

    The most specific policy wins: category, then its group, then the default (no
    category). Response is in clock hours (contact the reporter); handling is in
    working days, or in clock hours when `handling_hours` is set (emergencies).
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("category or group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policies",
    )
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    response_hours = models.PositiveSmallIntegerField(_("response limit (hours)"), default=1)
    handling_working_days = models.PositiveSmallIntegerField(
        _("handling limit (working days)"), default=5
    )
    handling_hours = models.PositiveSmallIntegerField(
        _("handling limit (clock hours)"),
        null=True,
        blank=True,
        help_text=_("Set for emergencies: the limit then runs in clock hours, holidays included."),
    )
    due_soon_share = models.FloatField(_("due soon at this share of the time"), default=0.8)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency"], name="policy_unique_category_urgency"
            ),
            models.UniqueConstraint(
                fields=["urgency"],
                condition=models.Q(category__isnull=True),
                name="policy_unique_default_urgency",
            ),
        ]

    def __str__(self):
        return f"{self.category or _('default')} · {self.get_urgency_display()}"

    def clean(self):
        if not 0 < self.due_soon_share < 1:
            raise ValidationError({"due_soon_share": _("A share between 0 and 1, e.g. 0.8.")})
