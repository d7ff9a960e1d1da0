"""Caring for residents: visit plans and home visits (家访/走访), and micro-wishes (微心愿).

    VisitPlan (a cared-for tag × an area × a period) ─< ScheduledVisit (one a resident and
        window: UNIQUE (plan, resident, window_start)) ── Visit (closes at most one)
    Visit (入户/电话/路遇/视频; planned or not; client_id unique) ─< CarePhoto
    Wish (collected → published → claimed → fulfilled → confirmed; or rejected / made a
        case) ─< WishClaim (at most one held: a partial unique index) ─< CarePhoto

Every row carries the `org_code` of the resident's grid or micro-grid, so the grid
workers of the resident's place see (and visit) them by the same prefix filter as
everything else. Writes are in care.services, scoped reads in care.selectors.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField


class Period(models.TextChoices):
    WEEK = "week", _("Every week")  # 每周
    MONTH = "month", _("Every month")  # 每月
    QUARTER = "quarter", _("Every quarter")  # 每季度


class VisitPlan(models.Model):
    """走访计划: the residents with `tag` living within `unit_code` are visited once a
    period. Editable; a plan made inactive ends its open scheduled visits."""

    name = models.CharField(_("name"), max_length=50)
    tag = models.ForeignKey(
        "registry.Tag", verbose_name=_("cared-for group"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    unit_code = OrgCodeField(_("area"))
    period = models.CharField(_("how often"), max_length=8, choices=Period.choices)
    # A visit is overdue this many days after the end of its window.
    grace_days = models.PositiveSmallIntegerField(_("days of grace"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["unit_code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tag", "unit_code"], name="care_plan_tag_area"),
        ]

    def __str__(self):
        return self.name


class ScheduledState(models.TextChoices):
    OPEN = "open", _("To visit")  # 待走访
    DONE = "done", _("Visited")  # 已走访
    ENDED = "ended", _("Ended")  # 已终止: moved out, died, tag removed, plan ended


class ScheduledVisit(models.Model):
    """One visit a plan asks for in one window (a week, a month, a quarter): earliest on
    the window's first day, due on its last, overdue after `overdue_on`. At most one per
    (plan, resident, window), by the unique constraint: generating again adds nothing."""

    plan = models.ForeignKey(VisitPlan, on_delete=models.CASCADE, related_name="scheduled")
    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.CASCADE, related_name="scheduled_visits"
    )
    org_code = OrgCodeField(_("org code"))  # the resident's place: who visits
    window_start = models.DateField(_("earliest"))
    due_on = models.DateField(_("due"))
    overdue_on = models.DateField(_("overdue after"))
    state = models.CharField(
        max_length=8, choices=ScheduledState.choices, default=ScheduledState.OPEN
    )
    end_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled visit")
        verbose_name_plural = _("scheduled visits")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "resident", "window_start"], name="care_scheduled_one_a_window"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "org_code", "due_on"], name="care_scheduled_todo"),
            models.Index(fields=["resident", "state"], name="care_scheduled_resident"),
        ]

    def __str__(self):
        return f"{self.resident_id} {self.window_start}"


class VisitType(models.TextChoices):
    HOME = "home", _("Home visit")  # 入户
    PHONE = "phone", _("Phone call")  # 电话
    STREET = "street", _("Met on the street")  # 路遇
    VIDEO = "video", _("Video call")  # 视频


class Visitor(models.TextChoices):
    WORKER = "worker", _("Grid worker")  # 网格员 / 社区工作者
    VOLUNTEER = "volunteer", _("Volunteer")  # 志愿者
    PARTNER = "partner", _("Partner")  # 社区合伙人 / 共建单位


class Finding(models.TextChoices):
    NONE = "", _("Nothing to follow up")
    CASE = "case", _("A problem for the case loop")  # 转为事件
    WISH = "wish", _("A micro-wish")  # 微心愿
    NOTE = "note", _("A note for next time")  # 下次关注


# The short checklist of a visit: health, safety (the 三清三关 fire points), heating,
# needs. Each answer is "ok", "concern" or "na".
CHECKLIST = (
    ("health", _("Health")),
    ("safety", _("Fire safety (三清三关)")),
    ("heating", _("Heating")),
    ("needs", _("Daily needs")),
)
ANSWERS = ("ok", "concern", "na")


class Visit(models.Model):
    """A visit made: planned (it closes its scheduled visit) or not. `client_id`, made by
    the phone once a submission, makes a resent one return the visit it made."""

    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, related_name="visits"
    )
    org_code = OrgCodeField(_("org code"))
    scheduled = models.OneToOneField(
        ScheduledVisit, null=True, blank=True, on_delete=models.SET_NULL, related_name="visit"
    )
    kind = models.CharField(_("type"), max_length=8, choices=VisitType.choices)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )  # who recorded it, and went
    visitor_role = models.CharField(
        _("who went"), max_length=10, choices=Visitor.choices, default=Visitor.WORKER
    )
    companions = models.CharField(_("with"), max_length=100, blank=True)
    visited_at = models.DateTimeField(_("when"))
    received_at = models.DateTimeField()
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    checklist = models.JSONField(default=dict, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    finding = models.CharField(
        _("finding"), max_length=8, choices=Finding.choices, blank=True, default=""
    )
    next_note = models.CharField(_("note for next time"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["resident", "visited_at"], name="care_visit_resident"),
            models.Index(fields=["org_code", "visited_at"], name="care_visit_area"),
            models.Index(fields=["visitor", "visited_at"], name="care_visit_visitor"),
        ]

    def __str__(self):
        return f"{self.resident_id} {self.visited_at:%Y-%m-%d}"


class WishSource(models.TextChoices):
    VISIT = "visit", _("On a visit")  # 入户走访
    ONLINE = "online", _("Online")  # 线上征集 (/my/)
    PHONE = "phone", _("By phone")  # 电话
    DESK = "desk", _("At the desk")  # 窗口


class WishState(models.TextChoices):
    COLLECTED = "collected", _("To review")  # 已征集, 待审核 (征集清单)
    PUBLISHED = "published", _("On the board")  # 已发布, 待认领
    CLAIMED = "claimed", _("Claimed")  # 已认领
    FULFILLED = "fulfilled", _("Awaiting confirmation")  # 已送达, 待居民确认
    CONFIRMED = "confirmed", _("Fulfilled")  # 已实现 (the resident confirmed)
    REJECTED = "rejected", _("Not taken up")  # 未采纳
    CASE = "case", _("Turned into a case")  # 转为事件


class Wish(models.Model):
    """微心愿. `text` is what the resident asked, private; `public_title` is what the
    board shows, written by the community at review and checked to hold none of the
    resident's name, phone, address or tags."""

    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    org_code = OrgCodeField(_("org code"))
    community_code = OrgCodeField(_("community"))
    source = models.CharField(_("collected"), max_length=8, choices=WishSource.choices)
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="wishes"
    )
    text = models.CharField(_("wish"), max_length=200)
    state = models.CharField(max_length=10, choices=WishState.choices, default=WishState.COLLECTED)
    public_title = models.CharField(_("title on the board"), max_length=60, blank=True)
    plan = models.CharField(_("plan"), max_length=200, blank=True)
    target_on = models.DateField(_("target date"), null=True, blank=True)
    review_note = models.CharField(max_length=200, blank=True)
    claim_until = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    collected_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_how = models.CharField(max_length=20, blank=True)
    followup_on = models.DateField(_("follow-up"), null=True, blank=True)  # 回头看
    followed_up_at = models.DateTimeField(null=True, blank=True)
    followup_note = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("micro-wish")
        verbose_name_plural = _("micro-wishes")
        ordering = ["-collected_at", "-id"]
        indexes = [
            models.Index(fields=["state", "org_code"], name="care_wish_state"),
            models.Index(fields=["community_code", "state"], name="care_wish_community"),
        ]

    def __str__(self):
        return self.public_title or self.text[:20]


class ClaimState(models.TextChoices):
    HELD = "held", _("Held")  # 认领中
    EXPIRED = "expired", _("Returned to the board")  # 超时退回
    FULFILLED = "fulfilled", _("Fulfilled")  # 已实现


class ClaimerKind(models.TextChoices):
    RESIDENT = "resident", _("Volunteer (verified phone)")  # 志愿者: 验证过手机号的居民
    PARTNER = "partner", _("Partner, through the community")  # 社区合伙人, 由社区代为认领


class WishClaim(models.Model):
    """认领: who holds the wish, until when. At most one held a wish (a partial unique
    index); the conditional update of the wish decides a race first."""

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(max_length=10, choices=ClaimerKind.choices)
    name = models.CharField(_("claimed by"), max_length=50)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_enc = models.TextField(blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    state = models.CharField(max_length=10, choices=ClaimState.choices, default=ClaimState.HELD)
    claimed_at = models.DateTimeField()
    until = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)  # of the target date, once

    class Meta:
        verbose_name = _("wish claim")
        verbose_name_plural = _("wish claims")
        constraints = [
            models.UniqueConstraint(
                fields=["wish"], condition=Q(state="held"), name="care_wish_one_held_claim"
            ),
        ]

    def __str__(self):
        return self.name


def _photo_path(instance, filename):
    return f"care/{instance.created_at:%Y/%m}/{filename}"


class CarePhoto(models.Model):
    """A photo of a visit or of a wish's fulfilment, cleaned (no EXIF, no GPS); served
    only through the scoped staff views, never on the public board."""

    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    wish = models.ForeignKey(
        Wish, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(upload_to=_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]

    def __str__(self):
        return self.file.name
