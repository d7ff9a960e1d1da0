"""The case loop: reference data (category taxonomy, deadline policies), the case, its
timeline, photos and extension requests. The lifecycle is in cases.workflow, writes in
cases.services, scoped reads in cases.selectors.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField
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


# ---------------------------------------------------------------------------
# The case itself


class Channel(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker report")  # 网格员上报
    RESIDENT = "resident", _("Resident report")  # 居民上报
    HOTLINE = "hotline", _("12345 hotline")  # 12345
    PHONE = "phone", _("Phone call")  # 电话
    WALK_IN = "walk_in", _("Walk-in")  # 来访
    PATROL = "patrol", _("Patrol")  # 巡查
    VISIT = "visit", _("Door-to-door visit")  # 走访
    OPEN311 = "open311", _("Open311 client")  # 第三方应用 (GeoReport v2)
    OTHER = "other", _("Other")


class State(models.TextChoices):
    REPORTED = "reported", _("Awaiting registration")  # 待立案
    REGISTERED = "registered", _("Awaiting dispatch")  # 已立案, 待派遣
    REJECTED = "rejected", _("Not registered")  # 不予立案
    DISPATCHED = "dispatched", _("Awaiting acceptance")  # 已派遣, 待签收
    IN_PROGRESS = "in_progress", _("In progress")  # 处置中
    SUSPENDED = "suspended", _("Suspended")  # 挂起
    HANDLED = "handled", _("Awaiting verification")  # 处置完毕, 待核查
    CLOSED = "closed", _("Closed")  # 结案
    MERGED = "merged", _("Merged")  # 并入另一件


# The states in which the handling clock runs (or is stopped, for suspended): the
# overdue and due-soon boards read only these.
OPEN_STATES = (
    State.REGISTERED,
    State.DISPATCHED,
    State.IN_PROGRESS,
    State.SUSPENDED,
    State.HANDLED,
)
# Open and on the clock: what can be overdue or due soon (a suspended case's clock stops).
RUNNING_STATES = tuple(s for s in OPEN_STATES if s != State.SUSPENDED)
FINAL_STATES = (State.REJECTED, State.CLOSED, State.MERGED)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY = "basically", _("Basically satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Unsatisfied")  # 不满意


class Supervision(models.IntegerChoices):
    NONE = 0, _("Not supervised")
    FOLLOW = 1, _("Follow-up supervision")  # 跟进办
    RAISED = 2, _("Raised-level supervision")  # 提级办
    TOP = 3, _("Top-level push")  # 高位推


class CaseCounter(models.Model):
    """The last number handed out on a day, for readable case numbers (SJ + date + 6 digits)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.last}"


class Case(models.Model):
    """One problem, from report to callback. Every kind of case runs this one lifecycle
    (cases.workflow); a kind adds its own details in its own app (cases.kinds).

    `org_code` is the grid the problem lies in (the data scope); the handling unit is a
    department (`department`) or an org unit (`assignee_code`, a community or a grid
    handling it itself). Deadlines are stored; "overdue" and "due soon" are comparisons
    with now, at query time. `version` is bumped by every change, so two people acting
    on the same case at once cannot both succeed.
    """

    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=32, default="general", db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    # Stored with phones and 身份证号 masked; the text as written is sealed in text_enc
    # when masking changed it (cases.text), and only the audited reveal opens it.
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    text_enc = models.TextField(blank=True, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)

    # Where: the grid (resolved from the point, the building, or chosen), the point, the address.
    org_code = OrgCodeField(_("org code"))
    grid = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    # Who reported it: a resident of the registry, or a name and phone (stored sealed).
    reporter_resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone_enc = models.TextField(blank=True, editable=False)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reporter_phone_masked = models.CharField(
        _("reporter phone"), max_length=20, blank=True, editable=False
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    # When the reporter saw it, by their phone's clock (a report queued in a basement is
    # received later): shown beside the receipt; deadlines run from the receipt.
    observed_at = models.DateTimeField(_("observed at"), null=True, blank=True)
    # NULL, not "", when absent: the unique constraint must not collide on blanks.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )
    # SHA-256 of the request that used the key (services.common.request_fingerprint): the
    # same key with another request is refused, not answered with this case. NULL for a
    # report without a key, and for those stored before fingerprints were kept.
    idempotency_fingerprint = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )

    # Who handles it.
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("handling department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    assignee_code = OrgCodeField(_("handling org unit"), blank=True)
    # A person handling it (a volunteer, a partner's contact, a mediator), for the kinds
    # that allow people (CaseKind.assignable / claimable): dispatched to them or claimed.
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handling person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField(_("handling result"), blank=True)

    # The clock.
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_on_time = models.BooleanField(_("closed on time"), null=True, blank=True)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    due_soon_at = models.DateTimeField(_("due soon from"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("days of extension"), default=0)

    # Handling history in numbers (the KPIs read them).
    self_handled = models.BooleanField(_("handled on the spot"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("times sent back"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    # Supervision (督办).
    supervision_level = models.PositiveSmallIntegerField(
        _("supervision"), choices=Supervision.choices, default=Supervision.NONE
    )
    supervision_note = models.CharField(_("supervision note"), max_length=200, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Repeats and merges.
    is_repeat = models.BooleanField(_("repeat"), default=False)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )
    repeat_count = models.PositiveSmallIntegerField(_("repeats"), default=0)
    needs_leader_visit = models.BooleanField(_("leader on site required"), default=False)
    leader_visited_at = models.DateTimeField(_("leader on site at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )

    # Callback (回访).
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    callback_solved = models.BooleanField(_("solved"), null=True, blank=True)
    callback_rating = models.CharField(
        _("rating"), max_length=16, choices=Rating.choices, blank=True
    )

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reported_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="case_unique_idempotency_key",
            ),
        ]
        indexes = [
            # The scoped lists: everything in an area, newest first.
            models.Index(fields=["org_code", "reported_at"], name="case_scope_reported"),
            # Queues by state in an area (new, awaiting dispatch, awaiting verification).
            models.Index(fields=["state", "org_code", "reported_at"], name="case_state_scope"),
            # The overdue and due-soon boards: open cases in an area by deadline.
            models.Index(
                fields=["org_code", "due_at"],
                name="case_open_scope_due",
                condition=models.Q(state__in=OPEN_STATES),
            ),
            # The same boards for a wide area (a subdistrict, the district): walked in
            # deadline order from the oldest, the area's cases picked by their code on
            # the way, so a page reads about page / (the area's share) entries rather
            # than sorting the area's whole backlog. PostgreSQL picks it for wide areas
            # and the one above for narrow ones.
            models.Index(
                fields=["due_at", "org_code"],
                name="case_running_due",
                condition=models.Q(state__in=RUNNING_STATES),
            ),
            models.Index(
                fields=["department", "state", "due_at"],
                name="case_department_queue",
                condition=models.Q(department__isnull=False),
            ),
            models.Index(
                fields=["assignee_code", "state", "due_at"],
                name="case_assignee_queue",
                condition=~models.Q(assignee_code=""),
            ),
            models.Index(
                fields=["assignee_user", "state", "due_at"],
                name="case_person_queue",
                condition=models.Q(assignee_user__isnull=False),
            ),
            models.Index(
                fields=["org_code", "supervision_level"],
                name="case_supervised",
                condition=models.Q(supervision_level__gt=0),
            ),
            # Repeat detection: same category, recent.
            models.Index(fields=["category", "reported_at"], name="case_category_recent"),
            models.Index(fields=["building", "reported_at"], name="case_building_recent"),
            # Repeat detection: earlier cases of the category within 50 m (a band of
            # latitude, the longitude filtered), whatever the number of cases a year.
            models.Index(fields=["category", "lat"], name="case_category_lat"),
            # Dashboards: cases whose first-contact limit has not passed and who have not
            # been contacted yet (neither a success nor a failure of 响应率 yet).
            models.Index(
                fields=["respond_by"],
                name="case_response_pending",
                condition=models.Q(responded_at__isnull=True, respond_by__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def has_reporter(self) -> bool:
        """Someone to contact: a phone, or a resident of the registry (a patrol's own
        finding has none — no first-contact deadline, no contact to record)."""
        return bool(self.reporter_phone_hash or self.reporter_resident_id)

    def is_overdue(self, now) -> bool:
        return (
            self.is_open
            and self.state != State.SUSPENDED
            and bool(self.due_at)
            and now > self.due_at
        )

    def is_due_soon(self, now) -> bool:
        return (
            self.is_open
            and self.state != State.SUSPENDED
            and bool(self.due_soon_at)
            and self.due_soon_at <= now <= self.due_at
        )

    def scope_target(self, perm: str):
        """What a permission is checked against: handling is checked against the handling
        unit (a department, or the community or grid the case is assigned to); everything
        else against the case's place."""
        from gongzhi.core.roles import Perm

        if perm == Perm.CASE_HANDLE:
            return _Target(self.assignee_code or None, self.department_id)
        return self

    def grants(self, user, perm: str) -> bool:
        """The person a case is assigned to handles it, whatever roles they hold."""
        from gongzhi.core.roles import Perm

        return (
            perm == Perm.CASE_HANDLE
            and self.assignee_user_id is not None
            and getattr(user, "pk", None) == self.assignee_user_id
        )


class _Target:
    def __init__(self, org_code, department_id):
        self.org_code = org_code
        self.department_id = department_id


class CaseEvent(models.Model):
    """One row of a case's timeline: who did what, when, from which state to which."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case timeline")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="case_event_timeline"),
            models.Index(fields=["action", "at"], name="case_event_action_at"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


def _attachment_path(instance, filename):
    return f"cases/{instance.case.reported_at:%Y/%m}/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    """A photo on a case or a timeline row, stored cleaned (no EXIF, no GPS) with a thumbnail.
    Served only through the case's scoped views, never as public media."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    thumb = models.FileField(_("thumbnail"), upload_to=_attachment_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]

    def __str__(self):
        return self.file.name


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ExtensionRequest(models.Model):
    """延期申请: the handling unit asks for more working days; the command center decides."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extension_requests")
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="extension_one_pending_per_case",
            )
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="extension_status")]

    def __str__(self):
        return f"{self.case_id} +{self.days}"


# The rollups: what dashboards and reports read (cases.rollups keeps them).
from gongzhi.cases.models.rollups import (  # noqa: E402, F401
    ROLLUP_COUNTS,
    ROLLUP_KEY,
    CaseRollup,
    CaseRollupCount,
    RollupDims,
    RollupGrain,
)
