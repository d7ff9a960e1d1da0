"""The rollup tables: counts per unit and day (and month), kept by cases.rollups."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField


class RollupGrain(models.TextChoices):
    DAY = "d", _("Day")
    MONTH = "m", _("Month")


class RollupDims(models.IntegerChoices):
    TOTAL = 0, _("All cases")  # every dimension "all"
    FULL = 1, _("Category × kind × channel")
    DEPARTMENT = 2, _("Handling department")


# The counts a rollup row holds (cases.rollups explains each).
ROLLUP_COUNTS = (
    "received",
    "rejected",
    "merged",
    "handled",
    "closed",
    "closed_on_time",
    "repeats",
    "response_set",
    "responded_on_time",
    "callbacks",
    "solved",
    "satisfied",
    "verified",
    "reworked",
)


# What identifies a rollup row, in the order of its key index (every read gives a grain,
# a set and a unit or a code range, then days).
ROLLUP_KEY = (
    "grain",
    "dims",
    "unit_code",
    "day",
    "category_id",
    "kind",
    "channel",
    "department_id",
)


class RollupKey(models.Model):
    """What identifies a rollup row (ROLLUP_KEY): grain, set, unit, day, and the
    dimensions of its set ("all" is 0 or "")."""

    grain = models.CharField(max_length=1, choices=RollupGrain.choices)
    dims = models.PositiveSmallIntegerField(choices=RollupDims.choices)
    unit_code = OrgCodeField()
    day = models.DateField()  # the day, or the month's first day
    category_id = models.IntegerField(default=0)
    kind = models.CharField(max_length=32, default="")
    channel = models.CharField(max_length=16, default="")
    department_id = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseRollup(RollupKey):
    """Case counts per day (and per month) per org unit, for dashboards and reports that
    must not read millions of cases. Kept by `cases.rollups`, never edited by hand.

    A case counts in the row of every unit above its place (district, subdistrict,
    community, grid …), so a unit's figures are one row per day, not a sum over its
    grids. Three sets of rows (`dims`): the total; per category × kind × channel; per
    handling department. "All" is 0 or "" in a dimension column.
    """

    received = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    repeats = models.IntegerField(default=0)
    response_set = models.IntegerField(default=0)
    responded_on_time = models.IntegerField(default=0)
    callbacks = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("case rollup")
        verbose_name_plural = _("case rollups")
        constraints = [
            # Also the index every read uses: grain, set, a unit or a code range, days.
            models.UniqueConstraint(fields=ROLLUP_KEY, name="case_rollup_key"),
        ]

    def __str__(self):
        return f"{self.grain} {self.unit_code} {self.day}"


class CaseRollupCount(RollupKey):
    """The counts apps register (core.manifest.Count) beside the loop's own, one row per
    count: the same key as a CaseRollup row plus `metric`, the count's key. A new count
    needs no column and no migration; only non-zero values have a row.
    """

    metric = models.CharField(max_length=48)
    value = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("registered count rollup")
        verbose_name_plural = _("registered count rollups")
        constraints = [
            models.UniqueConstraint(fields=(*ROLLUP_KEY, "metric"), name="case_rollup_count_key"),
        ]

    def __str__(self):
        return f"{self.grain} {self.unit_code} {self.day} {self.metric}"
