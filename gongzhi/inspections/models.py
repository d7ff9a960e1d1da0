"""Safety inspections (隐患排查整治): checklists per kind of premises, campaigns in rounds,
one task per (round, premises), the result of each inspection, and the hazard cases
(kind "hazard") that failed items become.

    ChecklistTemplate ─< ChecklistVersion (append-only; a result pins the version it used)
    InspectionCampaign ─< InspectionRound ─< InspectionTask ── InspectionResult (one)
                                                   └─ HazardDetail ── cases.Case (kind hazard)

Writes are in inspections.services, scoped reads in inspections.selectors. Tasks carry the
premises' `org_code`, so a worker's scope is one prefix filter, like every other record.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.fields import OrgCodeField


class Severity(models.TextChoices):
    HIGH = "high", pgettext_lazy("severity", "High")  # 重大
    MEDIUM = "medium", pgettext_lazy("severity", "Medium")  # 较大
    LOW = "low", pgettext_lazy("severity", "Low")  # 一般


class AnswerType(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail / not applicable")  # 合格 / 不合格 / 不涉及
    NUMBER = "number", _("A number")  # e.g. 灭火器数量, 压力表读数
    TEXT = "text", _("Text")


class ChecklistTemplate(models.Model):
    """A checklist for some categories of premises (餐饮, 沿街门店, 地下车库 …), editable
    by an administrator. Its items live in versions: an edit adds a version, and past
    results keep the version they were made with."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    categories = models.ManyToManyField(
        "registry.PremisesCategory",
        verbose_name=_("premises categories"),
        related_name="checklist_templates",
        blank=True,
    )
    # The case category a failure is filed under, unless its item names another.
    case_category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("case category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def current(self) -> "ChecklistVersion | None":
        """The latest version (from the prefetched versions, when a list fetched them)."""
        fetched = getattr(self, "_prefetched_objects_cache", {}).get("versions")
        if fetched is not None:
            return max(fetched, key=lambda v: v.number, default=None)
        return self.versions.order_by("-number").first()


class ChecklistVersion(models.Model):
    """The items of a template as of one edit: a JSON list of
    {key, text, answer, required, photo_on_fail, severity, category, min, max, basis}
    (inspections.checklists checks them). Never changed once written."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    items = models.JSONField(_("items"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="checklist_version_unique")
        ]

    def __str__(self):
        return f"{self.template} v{self.number}"


class CampaignState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("inspection campaign", "In progress")  # 进行中
    CLOSED = "closed", pgettext_lazy("inspection campaign", "Closed")  # 已结束


class InspectionCampaign(models.Model):
    """整治行动 (e.g. 安全集中整治月): an area, a period, the categories of premises it
    covers, its phases (a list of {name, start, end}), and its rounds."""

    name = models.CharField(_("name"), max_length=100)
    unit_code = OrgCodeField(_("area"), db_index=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    categories = models.ManyToManyField(
        "registry.PremisesCategory", verbose_name=_("premises categories"), related_name="+"
    )
    phases = models.JSONField(_("phases"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection campaign")
        verbose_name_plural = _("inspection campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="inspection_campaign_period",
            )
        ]

    def __str__(self):
        return self.name


class InspectionRound(models.Model):
    """A pass over the campaign's premises (第1轮, 第2轮 …), or a re-inspection round
    (回头看) over only the premises that failed an earlier round."""

    campaign = models.ForeignKey(
        InspectionCampaign, on_delete=models.CASCADE, related_name="rounds"
    )
    number = models.PositiveSmallIntegerField(_("round"))
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"))
    generated_at = models.DateTimeField(_("tasks generated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="inspection_round_unique"),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("starts_on")),
                name="inspection_round_period",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.number}"


class NoticeState(models.TextChoices):
    OPEN = "open", pgettext_lazy("notice", "Being rectified")  # 整改中
    RECTIFIED = "rectified", pgettext_lazy("notice", "Rectified")  # 复查合格
    FAILED = "failed", pgettext_lazy("notice", "Failed re-inspection")  # 复查不合格, 再次下达
    ESCALATED = "escalated", pgettext_lazy("notice", "Handed to enforcement")  # 移交执法


class NoticeService(models.TextChoices):
    SIGNED = "signed", _("Signed for")  # 签收
    REFUSED = "refused", _("Refused to sign")  # 拒签 (留置送达)


class NoticeCounter(models.Model):
    """The last notice number of a year (整改通知书 〔2026〕第N号), taken under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class RectificationNotice(models.Model):
    """整改通知书: the failed items of a hazard, the rules they break, a deadline in working
    days, who issued it, and how it was served. It is closed only by a passing
    re-inspection (rectified) or an explicit escalation to enforcement; a failed
    re-inspection closes it as failed and issues the next one (`seq` + 1)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    hazard = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="rectification_notices"
    )
    premises = models.ForeignKey("registry.Premises", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveSmallIntegerField(_("notice of the hazard"), default=1)
    items = models.JSONField(_("items"))
    days = models.PositiveSmallIntegerField(_("working days to rectify"))
    deadline = models.DateField(_("deadline"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issuer_name = models.CharField(_("issued by"), max_length=150)
    issuer_unit = models.CharField(_("issuing unit"), max_length=100)
    issued_at = models.DateTimeField(_("issued at"))
    service = models.CharField(
        _("service"), max_length=8, choices=NoticeService.choices, blank=True
    )
    service_note = models.CharField(_("service note"), max_length=200, blank=True)
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=NoticeState.choices, default=NoticeState.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "seq"], name="notice_hazard_seq"),
            # At most one notice of a hazard is open at a time.
            models.UniqueConstraint(
                fields=["hazard"],
                condition=models.Q(state="open"),
                name="notice_one_open_per_hazard",
            ),
        ]
        indexes = [
            # The overdue-notices list: open notices by deadline.
            models.Index(fields=["state", "deadline"], name="notice_state_deadline"),
        ]

    def __str__(self):
        return self.number


class TaskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("inspection task", "To inspect")  # 待检查
    DONE = "done", pgettext_lazy("inspection task", "Inspected")  # 已检查


class Outcome(models.TextChoices):
    INSPECTED = "inspected", pgettext_lazy("inspection outcome", "Inspected")  # 已检查
    CLOSED = "closed", pgettext_lazy("inspection outcome", "Closed for business")  # 停业
    NOT_FOUND = "not_found", pgettext_lazy("inspection outcome", "Not found")  # 查无此店
    REFUSED = "refused", pgettext_lazy("inspection outcome", "Entry refused")  # 拒绝检查


class InspectionTask(models.Model):
    """One premises to inspect in one round, for the workers of its grid or micro-grid
    (`org_code` is the premises' own when the task was made). A re-inspection task
    (`reinspects`) covers only the items its original failed (`item_keys`)."""

    round = models.ForeignKey(
        InspectionRound, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    premises = models.ForeignKey(
        "registry.Premises", on_delete=models.PROTECT, related_name="inspection_tasks"
    )
    org_code = OrgCodeField(_("org code"))
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN
    )
    reinspects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reinspections"
    )
    item_keys = models.JSONField(_("items to check"), default=list, blank=True)
    # The notice a re-inspection checks (one re-inspection a notice: the reminder job may
    # run any number of times).
    notice = models.OneToOneField(
        RectificationNotice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reinspection",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        ordering = ["due_on", "id"]
        constraints = [
            # One task per (round, premises): generating a round again adds nothing.
            models.UniqueConstraint(
                fields=["round", "premises"], name="inspection_task_round_premises"
            ),
            # A task is of a round, or re-inspects another one (回头看 at a deadline).
            models.CheckConstraint(
                condition=models.Q(round__isnull=False) | models.Q(reinspects__isnull=False),
                name="inspection_task_round_or_reinspection",
            ),
        ]
        indexes = [
            # A worker's list: their area's open tasks by due date.
            models.Index(fields=["state", "org_code", "due_on"], name="inspection_task_todo"),
        ]

    def __str__(self):
        return f"{self.premises} · {self.due_on}"

    @property
    def is_reinspection(self) -> bool:
        return self.reinspects_id is not None


class InspectionResult(models.Model):
    """What the inspector found: the answers against the pinned checklist version, the
    outcome, where and when the device said it was (kept apart from when the server
    received it), and the hazard case failed items became. One per task (the first
    submission wins); `client_id`, made by the phone, makes a resent submission a no-op."""

    task = models.OneToOneField(InspectionTask, on_delete=models.PROTECT, related_name="result")
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    answers = models.JSONField(_("answers"), default=dict)
    failed_keys = models.JSONField(_("failed items"), default=list)
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    device_at = models.DateTimeField(_("time on the device"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    hazard = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.task_id}: {self.outcome}"


class HazardDetail(models.Model):
    """The hazard kind's details: the premises, the inspection that found it and its
    failed items (key, text, severity, note), copied from the pinned version."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="hazard")
    premises = models.ForeignKey(
        "registry.Premises", on_delete=models.PROTECT, related_name="hazards"
    )
    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="hazards")
    items = models.JSONField(_("failed items"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")

    def __str__(self):
        return f"{self.premises} · {self.case_id}"


# -- risk points (风险点位 / 防汛隐患点) and alerts ----------------------------------------


class RiskKind(models.TextChoices):
    CAR_PARK = "car_park", _("Underground car park")  # 地下停车场
    LOW_ROAD = "low_road", _("Low-lying road")  # 低洼路段
    OLD_WALL = "old_wall", _("Old wall or house")  # 危墙危房
    SLOPE = "slope", _("Slope or riverbank")  # 边坡河道
    OTHER = "other", _("Other")


class RiskPoint(models.Model):
    """A point the office keeps watch on in its season (防汛隐患点: an underground car
    park, a low-lying road, an old wall), with its 分包领导 and its community person,
    both people of the system so an alert reaches them, and the checklist of the duty."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=RiskKind.choices)
    org_code = OrgCodeField(_("org code"), db_index=True)
    grid = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("leader in charge"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    community_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("community person"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    season_start = models.PositiveSmallIntegerField(_("season starts (month)"), default=6)
    season_end = models.PositiveSmallIntegerField(_("season ends (month)"), default=9)
    duty = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("duty checklist"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("risk point")
        verbose_name_plural = _("risk points")
        ordering = ["org_code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(season_start__gte=1, season_start__lte=12)
                & models.Q(season_end__gte=1, season_end__lte=12),
                name="risk_point_season_months",
            )
        ]

    def __str__(self):
        return self.name

    def in_season(self, month: int) -> bool:
        if self.season_start <= self.season_end:
            return self.season_start <= month <= self.season_end
        return month >= self.season_start or month <= self.season_end  # over the new year


class Alert(models.Model):
    """An alert the office declares for its area (e.g. 暴雨橙色预警): every active risk
    point in the area in season must report within `report_minutes`."""

    title = models.CharField(_("title"), max_length=100)
    level = models.CharField(_("level"), max_length=10, blank=True)  # 蓝/黄/橙/红
    unit_code = OrgCodeField(_("area"), db_index=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    report_minutes = models.PositiveSmallIntegerField(_("report within (minutes)"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared at"))
    report_by = models.DateTimeField(_("report by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    points = models.ManyToManyField(RiskPoint, related_name="alerts", verbose_name=_("points"))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-declared_at"]

    def __str__(self):
        return self.title


class ReportStatus(models.TextChoices):
    CHECKED = "checked", _("Checked, all well")  # 已巡查，正常
    PROBLEM = "problem", _("Problem found")  # 发现问题


class AlertReport(models.Model):
    """A point's report under an alert: one a point (the first wins)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="reports")
    point = models.ForeignKey(RiskPoint, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(_("status"), max_length=8, choices=ReportStatus.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The point's duty checklist answered (key -> {value, note}), when it has one.
    answers = models.JSONField(_("duty checklist answers"), default=dict, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("alert report")
        verbose_name_plural = _("alert reports")
        constraints = [
            models.UniqueConstraint(fields=["alert", "point"], name="alert_report_one_a_point")
        ]

    def __str__(self):
        return f"{self.alert_id}:{self.point_id}"
