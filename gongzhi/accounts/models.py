from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField
from gongzhi.core.models import TimeStampedModel
from gongzhi.core.permissions import PositionFact
from gongzhi.core.roles import DEPARTMENT_ROLES, ROLE_LEVELS, Level, Role


class User(AbstractUser):
    """A person who signs in. Their roles come from positions, not from Django groups."""

    name = models.CharField(_("full name"), max_length=50, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("failed logins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_display_name()

    def get_display_name(self) -> str:
        return self.name or self.username

    def is_locked(self, now=None) -> bool:
        return bool(self.locked_until and self.locked_until > (now or timezone.now()))

    def get_position_facts(self) -> list[PositionFact]:
        """Active positions as facts for the permission resolver; one query per user object."""
        cached = getattr(self, "_position_facts", None)
        if cached is None:
            # values_list, not .only(): a related manager would then load each row's
            # deferred user_id, one query per position.
            cached = [
                PositionFact(role=role, org_code=code or None, department_id=dept)
                for role, code, dept in self.positions.filter(is_active=True).values_list(
                    "role", "org_code", "department_id"
                )
            ]
            self._position_facts = cached
        return cached

    def forget_positions(self):
        self.__dict__.pop("_position_facts", None)


def position_errors(role: str, org_unit, department) -> dict[str, list[str]]:
    """Why a position of `role` cannot be held at this unit or department (empty: it can)."""
    if role not in Role.values:
        return {"role": [_("Unknown role.")]}
    if role in DEPARTMENT_ROLES:
        if department is None:
            return {"department": [_("This role is held at a department.")]}
        if org_unit is not None:
            return {"org_unit": [_("This role is held at a department, not an org unit.")]}
        return {}
    if org_unit is None:
        return {"org_unit": [_("This role is held at an org unit.")]}
    if department is not None:
        return {"department": [_("This role is held at an org unit, not a department.")]}
    if org_unit.level not in ROLE_LEVELS[role]:
        allowed = "、".join(str(Level(lv).label) for lv in ROLE_LEVELS[role])
        return {
            "org_unit": [
                _("A %(role)s is held at: %(levels)s.")
                % {"role": Role(role).label, "levels": allowed}
            ]
        }
    return {}


class Position(TimeStampedModel):
    """A user holds a role at an org unit (or, for handlers, at a department)."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="positions"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="positions",
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="positions",
    )
    # The unit's code, copied so "who works in my area" is one prefix filter.
    org_code = OrgCodeField(_("org code"), blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=50, blank=True)  # 网格长, 专职网格员, 信息员 …
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["org_code", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"],
                condition=models.Q(is_active=True, org_unit__isnull=False),
                name="position_unique_active_at_unit",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=models.Q(is_active=True, department__isnull=False),
                name="position_unique_active_at_department",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(org_unit__isnull=False, department__isnull=True)
                    | models.Q(org_unit__isnull=True, department__isnull=False)
                ),
                name="position_unit_xor_department",
            ),
        ]

    def __str__(self):
        where = self.org_unit or self.department
        return f"{self.user} · {self.get_role_display()} · {where}"

    def clean(self):
        errors = position_errors(
            self.role,
            self.org_unit if self.org_unit_id else None,
            self.department if self.department_id else None,
        )
        if errors:
            raise ValidationError(errors)


class ApiToken(models.Model):
    """A machine's bearer token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
