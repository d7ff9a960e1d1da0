"""Open311 GeoReport v2: the extra questions a service asks (its attributes), and what an
Open311 client sent with a request beyond what a case holds.

A service is a public, active category of the case taxonomy (cases.Category); its
`service_code` is the category's code. Requests become ordinary cases (channel open311).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Datatype(models.TextChoices):
    STRING = "string", _("Short text")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Long text")
    SINGLEVALUELIST = "singlevaluelist", _("One of a list")
    MULTIVALUELIST = "multivaluelist", _("Several of a list")


LIST_DATATYPES = (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)


class ServiceAttribute(models.Model):
    """One extra question of a service (GeoReport v2 service definition `attribute`).

    `variable` false marks an informational line the client shows but does not ask.
    `values` are the choices of a list datatype: [{"key": "…", "name": "…"}]."""

    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.CharField(_("code"), max_length=50)
    variable = models.BooleanField(_("asks for a value"), default=True)
    datatype = models.CharField(
        _("datatype"), max_length=16, choices=Datatype.choices, default=Datatype.STRING
    )
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(_("datatype description"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    description = models.CharField(_("question"), max_length=500)
    values = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        verbose_name = _("Open311 attribute")
        verbose_name_plural = _("Open311 attributes")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"], name="open311_attribute_unique_code"
            )
        ]

    def __str__(self):
        return f"{self.category.code} · {self.code}"

    def clean(self):
        values = self.values or []
        well_formed = isinstance(values, list) and all(
            isinstance(v, dict) and str(v.get("key", "")).strip() and str(v.get("name", "")).strip()
            for v in values
        )
        if not well_formed:
            raise ValidationError(
                {"values": _('A list of choices: [{"key": "1", "name": "…"}, …].')}
            )
        if self.datatype in LIST_DATATYPES and not values:
            raise ValidationError({"values": _("A list datatype needs its choices.")})

    def value_keys(self) -> set[str]:
        return {str(v.get("key")) for v in self.values or () if isinstance(v, dict)}


class Open311Request(models.Model):
    """What an Open311 client sent with a case. The personal fields (email, names) are kept
    for the handlers and never output by the API; the phone is sealed on the case itself.

    `description` holds the client's full text (GeoReport allows 4,000 characters; a case
    description holds 2,000, so a longer text is cut on the case and kept whole here)."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311"
    )
    token = models.CharField(_("token"), max_length=32, unique=True, editable=False)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    description = models.TextField(_("description as sent"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=50, blank=True)
    last_name = models.CharField(_("last name"), max_length=50, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.case_id} ({self.token[:6]}…)"
