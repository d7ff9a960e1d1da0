import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField
from gongzhi.core.models import TimeStampedModel
from gongzhi.core.roles import Level
from gongzhi.orgs.codes import code_errors

# Mobile 1[3-9]xxxxxxxxx, or a landline with area code and optional extension.
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


class OrgUnit(TimeStampedModel):
    """A node of the geographic tree: district, subdistrict, community, grid, micro-grid.

    The code is fixed at creation: every scoped row in the system stores it.
    """

    code = OrgCodeField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # The public service card (网格公示牌): shown to residents.
    service_phone = models.CharField(_("service phone"), max_length=32, blank=True)
    introduction = models.TextField(
        _("introduction"), max_length=500, blank=True, validators=[MaxLengthValidator(500)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The area on the ground: a GeoJSON Polygon or MultiPolygon in WGS-84 / CGCS2000
    # longitude-latitude, written only by services.org_boundaries_import (and the demo).
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    # [west, south, east, north] of the boundary (GeoJSON "bbox"), so maps and clients
    # can frame an area without walking its coordinates.
    boundary_bbox = models.JSONField(_("boundary bounding box"), null=True, blank=True)
    # When anything the point locator reads (boundary, is_active) last changed; the
    # locator's cache compares count and maximum of this column (an index-only read).
    boundary_updated_at = models.DateTimeField(
        _("boundary updated at"), null=True, blank=True, db_index=True
    )

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="orgunit_unique_name_in_parent"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def org_code(self) -> str:
        return self.code

    def clean(self):
        parent = self.parent
        errors = code_errors(
            self.code, self.level, parent.code if parent else None, parent.level if parent else None
        )
        if errors:
            raise ValidationError({"code": errors})
        if self.service_phone and not PHONE_RE.match(self.service_phone):
            raise ValidationError({"service_phone": _("Enter a mobile or landline number.")})


class Department(TimeStampedModel):
    """A handling unit (承办单位) outside the geographic tree: 城管, 市场监管, 物业 …

    It belongs to a district, whose command center dispatches to it.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    district = models.ForeignKey(
        OrgUnit,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="departments",
        limit_choices_to={"level": Level.DISTRICT},
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.district_id and self.district.level != Level.DISTRICT:
            raise ValidationError({"district": _("A department belongs to a district.")})
        if self.phone and not PHONE_RE.match(self.phone):
            raise ValidationError({"phone": _("Enter a mobile or landline number.")})


class MapFeatureKind(models.TextChoices):
    MAIN_ROAD = "main_road", _("Main road")
    ROAD = "road", _("Road")
    LANE = "lane", _("Lane")
    WATER = "water", _("Water")
    GREEN = "green", _("Green space")
    BUILDING = "building", _("Building")


class MapFeature(models.Model):
    """The offline basemap under every map: roads, water, green space and building
    footprints (WGS-84 GeoJSON), imported from a file (`manage.py basemap_import`) or
    drawn by the demo. No tile server is needed; where one is set (MAP_TILE_URL) it is
    drawn instead. Its bounding box is kept in four columns for the box queries."""

    kind = models.CharField(_("kind"), max_length=12, choices=MapFeatureKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    # GeoJSON as text: sent to the maps as stored, never parsed on the way (no query
    # looks inside it; the box columns serve the queries).
    geometry = models.TextField(_("geometry"))
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    # Where it came from ("demo", or the imported file's name): an import replaces its own.
    source = models.CharField(_("source"), max_length=50, db_index=True)

    class Meta:
        verbose_name = _("map feature")
        verbose_name_plural = _("map features")
        indexes = [models.Index(fields=["south", "west"], name="mapfeature_box")]

    def __str__(self):
        return self.name or self.get_kind_display()
