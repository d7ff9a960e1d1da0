"""Disputes and mediation (矛盾纠纷排查化解): the register of disputes (kind "dispute" of the
one case loop), their parties, mediation sessions, agreements, follow-ups, the mediators
(智囊团 …) and the monthly screening reports (月排查月上报).

    cases.Case ── Dispute ─< Party           (two or more; each once)
                          ─< MediationSession (背对背 / 面对面, minutes)
                          ─< Agreement        (versions; immutable once signed) ─< FollowUp
    Mediator (a user who may be assigned; a 智囊团 member, a police assistant …)
    ScreeningReport (one per unit and month) ─< ScreeningRevision (its history)

A dispute carries its case's `org_code`, so "what may this user see" is the one prefix
filter; the parties' identities and the confidential account are sealed (encrypted,
keyed hash, masked) and shown only by disputes.selectors to the assigned mediator and
the staff in scope with `disputes.view`, each read audited.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.fields import OrgCodeField


class Source(models.TextChoices):
    SCREENING = "screening", _("Screening")  # 排查
    VISIT = "visit", _("Walk-in visit")  # 来访
    HOTLINE = "hotline", _("12345 hotline")  # 12345
    POLICE = "police", _("110 police link")  # 110 联动
    PETITION = "petition", _("Petition office")  # 信访 — 访调对接
    GRID_WORKER = "grid_worker", _("Grid worker report")  # 网格员上报


class Risk(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")  # 一般: the community mediates
    SERIOUS = "serious", _("Serious")  # 较大: the subdistrict is told and follows it
    MAJOR = (
        "major",
        pgettext_lazy("dispute risk", "Major"),
    )  # 重大: the subdistrict leads; the district is told


class Outcome(models.TextChoices):
    SETTLED = "settled", _("Settled")  # 调解成功, with a signed agreement
    FAILED = "failed", pgettext_lazy("dispute outcome", "Failed")  # 调解不成
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 撤回 (not counted as a concluded mediation)
    REFERRED = "referred", _("Referred")  # 移交: court, petition office, police, 司法确认


class Referral(models.TextChoices):
    COURT = "court", _("Court (litigation-mediation link)")  # 诉调对接
    PETITION = "petition", _("Petition office")  # 访调对接
    POLICE = "police", _("Police")  # 公安
    CONFIRMATION = "confirmation", _("Judicial confirmation")  # 司法确认
    SUBDISTRICT = "subdistrict", _("Subdistrict")  # 上报街道协调


class MediatorKind(models.TextChoices):
    COMMUNITY = "community", _("Community mediator")  # 社区人民调解员
    THINK_TANK = "think_tank", _("Think-tank member")  # 智囊团成员 (retired cadres)
    POLICE = "police", _("Police assistant")  # 警务助理 / 辅警
    LAWYER = "lawyer", _("Lawyer")  # 律师
    OTHER = "other", _("Other")


class SessionMode(models.TextChoices):
    SEPARATE = "separate", _("Back to back")  # 背对背: with one party
    JOINT = "joint", _("Face to face")  # 面对面: together


class Performance(models.TextChoices):
    PERFORMED = "performed", _("Performed")  # 已履行
    PARTLY = "partly", _("Partly performed")  # 部分履行
    NOT = "not", _("Not performed")  # 未履行


class DisputeType(models.Model):
    """邻里, 物业, 婚姻家庭 …: editable by those who keep the register's lists."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dispute type")
        ordering = ["sort", "name"]

    def __str__(self):
        return self.name


class Mediator(models.Model):
    """A person who may be assigned disputes: within their unit's area."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mediator"
    )
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    org_code = OrgCodeField(_("org code"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=MediatorKind.choices)
    team = models.CharField(_("team"), max_length=30, blank=True)  # e.g. 智囊团, 助和调解室
    # Registry resident the mediator is (for the "a party may not mediate" check).
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mediator")

    def __str__(self):
        return self.user.get_display_name()


class Dispute(models.Model):
    """The details of a case of kind "dispute"."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="dispute"
    )
    org_code = OrgCodeField(_("org code"))
    registered_at = models.DateTimeField(_("registered at"))
    type = models.ForeignKey(DisputeType, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices)
    place = models.CharField(_("place"), max_length=100, blank=True)
    # The number the dispute came under from another office (访调对接, 110 联动, 12345): the
    # 信访件 or 警情 or order number, so the office's own record and ours can be matched.
    source_ref = models.CharField(_("source reference"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=200)  # what staff lists show
    account_enc = models.TextField(blank=True, editable=False)  # the confidential account
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    referred_to = models.CharField(max_length=16, choices=Referral.choices, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    # Settled by a mediator of the dispute's own community (矛盾不出小区).
    settled_locally = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("dispute")
        indexes = [
            models.Index(fields=["org_code", "registered_at"], name="dispute_unit_registered"),
            models.Index(fields=["org_code", "concluded_at"], name="dispute_unit_concluded"),
        ]

    def __str__(self):
        return self.summary


class Party(models.Model):
    """A party (当事人): a registry resident, or a name with a phone and a 身份证号 sealed."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    seq = models.PositiveSmallIntegerField()
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    id_number_enc = models.TextField(blank=True, editable=False)
    # NULL, not "": the partial unique index "each person once" skips parties without one.
    id_number_hash = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)

    class Meta:
        verbose_name = _("party")
        ordering = ["dispute", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "seq"], name="party_seq"),
            models.UniqueConstraint(
                fields=["dispute", "resident"],
                name="party_resident_once",
                condition=models.Q(resident__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["dispute", "id_number_hash"],
                name="party_id_once",
                condition=models.Q(id_number_hash__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name


class MediationSession(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    mode = models.CharField(_("mode"), max_length=10, choices=SessionMode.choices)
    party = models.ForeignKey(  # 背对背: the party met
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(_("held at"))
    # Where it was held: the text, and the room booked for it when one was (sharing's
    # 调解室, booked through sharing.services.book_room; the text stays the fallback).
    place = models.CharField(_("place"), max_length=100)
    booking = models.ForeignKey(
        "sharing.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attendees = models.CharField(_("attendees"), max_length=200)
    minutes_enc = models.TextField(editable=False)  # 调解笔录, confidential
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_at", "pk"]

    def __str__(self):
        return f"{self.get_mode_display()} {self.held_at:%Y-%m-%d}"


def _agreement_path(instance, filename):
    return f"disputes/agreements/{filename}"


class Agreement(models.Model):
    """调解协议书. Editable while a draft; once signed it never changes (a change is the
    next version)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="agreements")
    version = models.PositiveSmallIntegerField()
    terms = models.TextField(_("terms"), max_length=4000)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(  # who recorded the signing
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    photo = models.FileField(upload_to=_agreement_path, max_length=200, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["dispute", "version"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "version"], name="agreement_version"),
            # At most one draft a dispute.
            models.UniqueConstraint(
                fields=["dispute"],
                name="agreement_one_draft",
                condition=models.Q(signed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"调解协议书 v{self.version}"


class FollowUp(models.Model):
    """履行回访: whether the signed agreement is being performed, at set dates."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(null=True, blank=True)
    performance = models.CharField(max_length=10, choices=Performance.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "due_on"], name="follow_up_once")
        ]

    def __str__(self):
        return f"履行回访 {self.due_on}"


class ScreeningReport(models.Model):
    """月排查月上报: one a unit and month — the disputes found, or an explicit zero report.
    Filing again is an amendment: the report keeps its first filing moment (on time or
    late) and every revision is kept in ScreeningRevision."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="dispute_screening_reports"
    )
    org_code = OrgCodeField(_("org code"))
    month = models.DateField(_("month"))  # its first day
    is_zero = models.BooleanField(_("zero report"))
    found = models.PositiveIntegerField(_("disputes found"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    first_filed_at = models.DateTimeField()
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    late = models.BooleanField(default=False)
    revision = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "month"], name="screening_unit_month")
        ]
        indexes = [models.Index(fields=["month", "org_code"], name="screening_month_unit")]

    def __str__(self):
        return f"{self.org_code} {self.month:%Y-%m}"


class ScreeningRevision(models.Model):
    """A filing of a screening report, as it was filed (the first one included)."""

    report = models.ForeignKey(ScreeningReport, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveSmallIntegerField()
    is_zero = models.BooleanField()
    found = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True)
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["report", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["report", "revision"], name="screening_revision")
        ]

    def __str__(self):
        return f"{self.report_id} r{self.revision}"
