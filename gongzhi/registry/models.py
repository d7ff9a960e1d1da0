"""人·房·地·物: buildings, households, residents, premises.

Every row stores `org_code`, the code of the grid or micro-grid it lies in, so the
user's scope is one prefix filter. 身份证号 and phone numbers are stored encrypted
(`*_enc`), with a keyed hash for exact lookup (`*_hash`) and a masked form for
display (`*_masked`); see core/crypto.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField
from gongzhi.core.models import TimeStampedModel


class Tag(TimeStampedModel):
    """Cared-for and special groups (老年人, 独居/孤寡, 残疾人, 低保 …); an editable list."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    is_care = models.BooleanField(_("cared-for group"), default=False)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        ordering = ["sort", "name"]

    def __str__(self):
        return self.name


class PremisesCategory(TimeStampedModel):
    """沿街门店, 九小场所, 商务楼宇 …; an editable list."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("premises category")
        verbose_name_plural = _("premises categories")
        ordering = ["sort", "name"]

    def __str__(self):
        return self.name


class Located(TimeStampedModel):
    """A thing in a grid: its org code, grid, address and WGS-84 point."""

    org_code = OrgCodeField(_("org code"), db_index=True)
    grid = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    class Meta:
        abstract = True


class Building(Located):
    name = models.CharField(_("name"), max_length=100)  # 六安公寓3号楼
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["org_code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="building_unique_name_in_grid")
        ]

    def __str__(self):
        return self.name


class Household(TimeStampedModel):
    """户: a room in a building, optionally in a unit (单元)."""

    org_code = OrgCodeField(_("org code"), db_index=True)
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="households"
    )
    unit_name = models.CharField(_("unit"), max_length=20, blank=True)  # 1单元
    room = models.CharField(_("room"), max_length=20)  # 301

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["building", "unit_name", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit_name", "room"], name="household_unique_room"
            )
        ]

    def __str__(self):
        return f"{self.building.name}{self.unit_name}{self.room}"

    @property
    def label(self) -> str:
        return f"{self.unit_name}{self.room}室" if self.unit_name else f"{self.room}室"


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("Registered")  # 户籍人口
    RESIDENT = "resident", _("Permanent resident")  # 常住人口 (not registered here)
    FLOATING = "floating", _("Floating")  # 流动人口


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")  # 户主
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Resident(TimeStampedModel):
    org_code = OrgCodeField(_("org code"), db_index=True)
    grid = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    name = models.CharField(_("name"), max_length=50, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number_enc = models.TextField(blank=True, editable=False)
    # NULL when absent, so the unique index allows many residents without one.
    id_number_hash = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    relationship = models.CharField(
        _("relationship to the head"), max_length=16, choices=Relationship.choices, blank=True
    )
    residence_type = models.CharField(
        _("residence type"),
        max_length=16,
        choices=ResidenceType.choices,
        default=ResidenceType.REGISTERED,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="residents")
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("living here"), default=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["org_code", "id"]
        indexes = [
            models.Index(fields=["org_code", "residence_type"], name="resident_code_type_idx")
        ]

    def __str__(self):
        return self.name

    @property
    def age(self) -> int | None:
        if not self.birth_date:
            return None
        from django.utils import timezone

        today = timezone.localdate()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


class BuildingRole(TimeStampedModel):
    """A resident's volunteer position at a building: 楼栋长, 信息员, 宣传员."""

    class Role(models.TextChoices):
        HEAD = "head", _("Building head")
        INFORMANT = "informant", _("Informant")
        PUBLICIST = "publicist", _("Publicist")

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.CASCADE, related_name="roles"
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.CASCADE,
        related_name="building_roles",
    )
    role = models.CharField(_("position"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("building position")
        verbose_name_plural = _("building positions")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "role", "resident"], name="building_role_unique"
            )
        ]

    def __str__(self):
        return f"{self.building} · {self.get_role_display()} · {self.resident}"


class Premises(Located):
    """场所/门店."""

    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        PremisesCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="premises",
    )
    responsible_name = models.CharField(_("responsible person"), max_length=50, blank=True)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, null=True, blank=True, unique=True
    )
    is_active = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = _("premises")
        ordering = ["org_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "name", "address"], name="premises_unique_in_grid"
            )
        ]

    def __str__(self):
        return self.name
