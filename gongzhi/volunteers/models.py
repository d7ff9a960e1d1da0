"""Volunteers (志愿者), their teams, activities and hours, and the community's partners.

    Partner (by kind; one per unified social credit code) ─< PartnerRole (dated, never
        deleted: ended by its end date)
    Team (a leader) ─< Volunteer (a registry resident or a partner's person; registered →
        approved; a card token for the QR)
    Activity (kind, time, place, capacity, sign-up rule; `confirmed` counted under the
        row's lock; a night patrol names its checkpoints) ─< Participation (UNIQUE
        (activity, volunteer); requested / confirmed / waiting / cancelled / rejected;
        check-in → check-out) ─ HourRecord (minutes; approved = immutable; a correction
        is a new record) ; Attendance (non-volunteer 人次 counted at an activity)

Every row carries the `org_code` of its community (or grid), so a worker sees exactly
what their positions cover. Writes in volunteers.services, scoped reads in selectors.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField


class PartnerKind(models.TextChoices):
    INSTITUTION = "institution", _("Institution")  # 机关企事业单位
    PROFESSIONAL = "professional", _("Professional")  # 专业人才
    COMMUNITY = "community", _("Community partner")  # 社区合伙人
    COBUILDING = "cobuilding", _("Co-building unit")  # 共驻共建单位
    MERCHANT = "merchant", _("Merchant")  # 商户
    PARTY = "party", _("Party committee member unit")  # 大党委成员单位


# Kinds that are organisations: they carry a unified social credit code.
ORGANISATIONS = {
    PartnerKind.INSTITUTION,
    PartnerKind.COBUILDING,
    PartnerKind.MERCHANT,
    PartnerKind.PARTY,
}


class Partner(models.Model):
    org_code = OrgCodeField(_("community"), db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PartnerKind.choices)
    name = models.CharField(_("name"), max_length=100)
    # NULL for a person (a professional, a community partner): unique among organisations.
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, null=True, blank=True, unique=True
    )
    agreement = models.CharField(_("agreement"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    offers = models.CharField(_("what they offer"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone_enc = models.TextField(blank=True, editable=False)
    contact_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    contact_phone_masked = models.CharField(
        _("contact phone"), max_length=20, blank=True, editable=False
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["org_code", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="volunteers_partner_validity",
            ),
        ]

    def __str__(self):
        return self.name


class PartnerRole(models.Model):
    """A partner's role (e.g. 大党委兼职委员, 共建单位) from one day to another; never
    deleted — it is ended by setting `ends_on`, so the history stays."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(_("role"), max_length=50)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("partner role")
        verbose_name_plural = _("partner roles")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.role

    def delete(self, *args, **kwargs):
        raise TypeError("A partner's role is never deleted: end it (ends_on).")


class Team(models.Model):
    org_code = OrgCodeField(_("community"), db_index=True)
    name = models.CharField(_("name"), max_length=50)
    leader = models.ForeignKey(
        "Volunteer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["org_code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org_code", "name"], name="volunteers_team_name")
        ]

    def __str__(self):
        return self.name


class VolunteerState(models.TextChoices):
    REGISTERED = "registered", _("Awaiting approval")  # 待审核
    APPROVED = "approved", _("Approved")  # 已认证
    LEFT = "left", _("Left")  # 已退出


class Volunteer(models.Model):
    org_code = OrgCodeField(_("area"), db_index=True)
    resident = models.OneToOneField(
        "registry.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="volunteer",
    )
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="volunteers"
    )
    name = models.CharField(_("name"), max_length=50)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(_("availability"), max_length=100, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    state = models.CharField(
        max_length=10, choices=VolunteerState.choices, default=VolunteerState.REGISTERED
    )
    card_token = models.CharField(max_length=32, unique=True, editable=False)
    registered_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["org_code", "id"]
        indexes = [models.Index(fields=["org_code", "state"], name="volunteers_area_state")]

    def __str__(self):
        return self.name


class ActivityKind(models.TextChoices):
    CIVILITY = "civility", _("Civility patrol")  # 文明督导
    ELDERLY = "elderly", _("Helping the elderly")  # 助老
    LAW = "law", _("Legal awareness")  # 法治宣传
    PATROL = "patrol", _("Night patrol")  # 夜间巡逻
    CULTURE = "culture", _("Cultural activity")  # 文化活动
    CLINIC = "clinic", _("Free clinic")  # 义诊
    OTHER = "other", _("Other")


class SignupRule(models.TextChoices):
    OPEN = "open", _("Open: first come")  # 直接报名
    APPROVAL = "approval", _("Needs approval")  # 报名审核
    TEAM = "team", _("Team members only")  # 仅限本队


class Activity(models.Model):
    org_code = OrgCodeField(_("community"), db_index=True)
    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=100)
    capacity = models.PositiveIntegerField(_("places"))
    confirmed = models.PositiveIntegerField(default=0, editable=False)
    rule = models.CharField(
        _("sign-up"), max_length=10, choices=SignupRule.choices, default=SignupRule.OPEN
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )  # the partner who hosts it
    deadline = models.DateTimeField(_("sign-up deadline"), null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    checkpoints = models.JSONField(_("checkpoints"), default=list, blank=True)
    code = models.CharField(max_length=32, unique=True, editable=False)  # the check-in QR
    is_cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="volunteers_activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(confirmed__lte=F("capacity")),
                name="volunteers_activity_within_capacity",
            ),
        ]
        indexes = [models.Index(fields=["org_code", "starts_at"], name="volunteers_act_area")]

    def __str__(self):
        return self.title

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class ParticipationState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")  # 待审核
    CONFIRMED = "confirmed", _("Confirmed")  # 已确认
    WAITING = "waiting", _("On the waiting list")  # 候补
    CANCELLED = "cancelled", _("Cancelled")  # 已取消
    REJECTED = "rejected", _("Not accepted")  # 未通过


class Participation(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="participations")
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, related_name="participations"
    )
    org_code = OrgCodeField(_("community"))  # the activity's
    state = models.CharField(max_length=10, choices=ParticipationState.choices)
    # The activity's time, copied so overlaps are one indexed query on the volunteer's rows.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    auto_closed = models.BooleanField(default=False)  # forgotten check-out, closed at the end

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"], name="volunteers_one_participation"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=F("checked_in_at")),
                name="volunteers_out_after_in",
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "state", "starts_at"], name="volunteers_part_vol"),
            models.Index(fields=["activity", "state", "created_at"], name="volunteers_part_act"),
            models.Index(fields=["org_code", "starts_at"], name="volunteers_part_area"),
        ]

    def __str__(self):
        return f"{self.activity_id}/{self.volunteer_id}"


class HourKind(models.TextChoices):
    ATTENDED = "attended", _("Checked in and out")  # 签到签退
    MANUAL = "manual", _("Entered by hand")  # 补录
    CORRECTION = "correction", _("Correction")  # 更正


class HourState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class HourRecord(models.Model):
    """Service time of one volunteer, in minutes. Approved records are never changed
    (services refuse, and save() refuses too): a correction is a new record, with a
    signed number of minutes, that names the record it corrects."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours")
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="hours"
    )
    participation = models.OneToOneField(
        Participation, null=True, blank=True, on_delete=models.PROTECT, related_name="hours"
    )
    org_code = OrgCodeField(_("community"), db_index=True)
    kind = models.CharField(max_length=10, choices=HourKind.choices)
    state = models.CharField(max_length=10, choices=HourState.choices)
    minutes = models.IntegerField(_("minutes"))
    raw_minutes = models.IntegerField(null=True, blank=True)  # before the cap
    served_on = models.DateField(_("date"))
    flagged = models.BooleanField(default=False)  # closed automatically: check it
    note = models.CharField(_("note"), max_length=200, blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hour record")
        verbose_name_plural = _("hour records")
        ordering = ["-served_on", "-id"]
        indexes = [
            models.Index(fields=["org_code", "served_on"], name="volunteers_hours_area"),
            models.Index(fields=["volunteer", "served_on"], name="volunteers_hours_vol"),
        ]

    def __str__(self):
        return f"{self.volunteer_id} {self.minutes}"

    def save(self, *args, **kwargs):
        if self.pk and HourRecord.objects.filter(pk=self.pk, state=HourState.APPROVED).exists():
            raise ValueError("An approved hour record is immutable: add a correction.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.state == HourState.APPROVED:
            raise ValueError("An approved hour record is never deleted: add a correction.")
        return super().delete(*args, **kwargs)


class Attendance(models.Model):
    """People who came to an activity without being volunteers (群众 人次), counted by
    the organiser: the sum of these rows is the activity's attendance."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attendance")
    org_code = OrgCodeField(_("community"), db_index=True)
    people = models.PositiveIntegerField(_("people"))
    note = models.CharField(_("note"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self):
        return f"{self.activity_id} {self.people}"
