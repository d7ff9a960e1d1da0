"""Sharing (共享): the function rooms of a service center (功能室) and the tool hut (共享小屋).

    Room (capacity, equipment, opening hours, rules) ─< Booking (one date and time; a
        closure for an event is a booking too) >─ Series (every week, one weekday, a
        season: its bookings change or cancel together, or one date at a time)
    Hut (opening hours, keepers) ─< ToolCategory (loan rules) ─< Item ─< Loan (a hold,
        then the loan at the counter; at most one open a item: a partial unique index)

No double booking by construction: non-cancelled bookings of a room never overlap, the
room's buffer after each included (`blocked_until` = end + buffer). On PostgreSQL an
exclusion constraint holds it (migration 0002, btree_gist); on SQLite the booking
service checks it under the room's row lock (every write transaction is BEGIN IMMEDIATE
there: core/db). Every row carries the `org_code` of the community it belongs to.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField


class OpeningHours(models.Model):
    """Open from `opens_at` to `closes_at` on `weekdays` (digits, Monday 0), closed on the
    statutory holidays of the working-day calendar (core.CalendarDay) when
    `closed_on_holidays`."""

    opens_at = models.TimeField(_("opens at"), default=dt.time(8, 30))
    closes_at = models.TimeField(_("closes at"), default=dt.time(21, 0))
    weekdays = models.CharField(_("open on weekdays"), max_length=7, default="0123456")
    closed_on_holidays = models.BooleanField(_("closed on public holidays"), default=True)

    class Meta:
        abstract = True


class Room(OpeningHours):
    """功能室: a room of a community's service center, free for residents and groups."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    org_code = OrgCodeField(_("org code"))
    name = models.CharField(_("name"), max_length=50)
    location = models.CharField(_("location"), max_length=100, blank=True)  # 党群服务中心二楼
    capacity = models.PositiveIntegerField(_("capacity"), default=20)
    equipment = models.CharField(_("equipment"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    # Who may book it (staff always may).
    residents_may_book = models.BooleanField(_("residents may book"), default=True)
    teams_may_book = models.BooleanField(_("teams may book"), default=True)
    partners_may_book = models.BooleanField(_("partners may book"), default=True)
    max_days_ahead = models.PositiveIntegerField(_("days ahead at most"), default=30)
    min_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=30)
    max_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=240)
    buffer_minutes = models.PositiveIntegerField(_("buffer after a booking (minutes)"), default=0)
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    no_show_points = models.PositiveIntegerField(_("points a no-show costs"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["org_code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="sharing_room_name"),
        ]

    def __str__(self):
        return self.name


class BookerKind(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    TEAM = "team", _("Team")  # 文体队伍: dance troupes, clubs, opera societies
    PARTNER = "partner", _("Partner")  # 共建单位
    STAFF = "staff", _("Staff")
    CLOSURE = "closure", _("Closed for an event")


class BookingState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("No-show")
    DENIED = "denied", _("Denied")
    CANCELLED = "cancelled", _("Cancelled")


# The states that hold the room (the exclusion constraint's and the lock's condition).
HOLDING = (
    BookingState.REQUESTED,
    BookingState.CONFIRMED,
    BookingState.CHECKED_IN,
    BookingState.NO_SHOW,
)


class Series(models.Model):
    """A weekly booking for a season (the dance troupe every Tuesday 19:00–21:00): one row
    its bookings point to, so it is changed or cancelled as a whole."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="series")
    org_code = OrgCodeField(_("org code"))
    title = models.CharField(_("title"), max_length=100)
    booker_kind = models.CharField(_("booked by"), max_length=10, choices=BookerKind.choices)
    booker_name = models.CharField(_("booker"), max_length=50, blank=True)
    first_date = models.DateField(_("first date"))
    last_date = models.DateField(_("last date"))
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("to"))
    skipped = models.JSONField(default=list, blank=True)  # closed days left out
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking series")
        verbose_name_plural = _("booking series")

    def __str__(self):
        return self.title


class Booking(models.Model):
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    org_code = OrgCodeField(_("org code"))
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    detached = models.BooleanField(default=False)  # one date of a series changed on its own
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    blocked_until = models.DateTimeField(editable=False)  # ends_at + the room's buffer
    state = models.CharField(
        _("state"), max_length=12, choices=BookingState.choices, default=BookingState.CONFIRMED
    )
    booker_kind = models.CharField(_("booked by"), max_length=10, choices=BookerKind.choices)
    title = models.CharField(_("title"), max_length=100)
    booker_name = models.CharField(_("booker"), max_length=50, blank=True)
    people = models.PositiveIntegerField(_("people"), default=1)
    # A resident's verified phone: sealed like every phone (registry.pii), shown masked.
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    # Another module's booking: its label ("disputes.session") and its key (unique together).
    purpose = models.CharField(_("purpose"), max_length=40, blank=True)
    purpose_key = models.CharField(max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)  # denial, cancellation
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["room", "starts_at"], name="sharing_booking_room"),
            models.Index(fields=["org_code", "starts_at"], name="sharing_booking_area"),
            models.Index(fields=["phone_hash", "starts_at"], name="sharing_booking_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="sharing_booking_order"
            ),
            models.UniqueConstraint(
                fields=["purpose", "purpose_key"],
                condition=~Q(purpose=""),
                name="sharing_booking_purpose_key",
            ),
        ]

    def __str__(self):
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}"


class Hut(OpeningHours):
    """共享小屋: a community's tool hut, run by resident volunteers (the keepers)."""

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    org_code = OrgCodeField(_("org code"))
    name = models.CharField(_("name"), max_length=50)
    address = models.CharField(_("address"), max_length=100, blank=True)
    keepers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("keepers"), blank=True, related_name="+"
    )
    hold_days = models.PositiveIntegerField(_("days a hold is kept"), default=2)

    class Meta:
        verbose_name = _("tool hut")
        verbose_name_plural = _("tool huts")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="sharing_hut_name")
        ]

    def __str__(self):
        return self.name


class ToolCategory(models.Model):
    """Loan rules per category (circulate's borrow policies)."""

    hut = models.ForeignKey(Hut, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=30)
    loan_days = models.PositiveIntegerField(_("loan days"), default=7)
    renewals = models.PositiveIntegerField(_("renewals"), default=1)
    max_at_once = models.PositiveIntegerField(_("items at once"), default=2)
    needs_approval = models.BooleanField(_("holds need approval"), default=False)
    deposit_yuan = models.PositiveIntegerField(_("deposit (yuan)"), default=0)
    needs_training = models.BooleanField(_("needs training"), default=False)
    late_points = models.PositiveIntegerField(_("points a late return costs"), default=0)

    class Meta:
        verbose_name = _("tool category")
        verbose_name_plural = _("tool categories")
        constraints = [
            models.UniqueConstraint(fields=["hut", "name"], name="sharing_category_name")
        ]

    def __str__(self):
        return self.name


class Condition(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    WORN = "worn", _("Worn")
    BROKEN = "broken", _("Broken")


def _item_photo_path(instance, filename):
    return f"sharing/items/{filename}"


class Item(models.Model):
    hut = models.ForeignKey(Hut, on_delete=models.PROTECT, related_name="items")
    category = models.ForeignKey(ToolCategory, on_delete=models.PROTECT, related_name="items")
    org_code = OrgCodeField(_("org code"))
    number = models.CharField(_("number"), max_length=20)  # on its QR label
    name = models.CharField(_("name"), max_length=50)
    photo = models.ImageField(_("photo"), upload_to=_item_photo_path, blank=True)
    condition = models.CharField(
        _("condition"), max_length=8, choices=Condition.choices, default=Condition.GOOD
    )
    serial = models.CharField(_("serial number"), max_length=50, blank=True)
    safety_notes = models.CharField(_("safety notes"), max_length=200, blank=True)
    in_repair = models.BooleanField(_("in repair"), default=False)
    repair_note = models.CharField(_("repair note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["hut", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hut", "number"], name="sharing_item_number")
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


class LoanState(models.TextChoices):
    REQUESTED = "requested", _("Hold awaiting approval")
    HELD = "held", _("On hold")
    OUT = "out", _("On loan")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Hold expired")


OPEN_LOAN = (LoanState.REQUESTED, LoanState.HELD, LoanState.OUT)


class Loan(models.Model):
    """A hold placed in /my/ (or at the counter), then the loan the keeper checks out and
    in. At most one open (requested, held, out) a item: a partial unique index."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans")
    hut = models.ForeignKey(Hut, on_delete=models.PROTECT, related_name="+")
    org_code = OrgCodeField(_("org code"))
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=LoanState.choices)
    held_at = models.DateTimeField(null=True, blank=True)
    hold_until = models.DateTimeField(null=True, blank=True)
    out_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveIntegerField(default=0)
    condition_out = models.CharField(max_length=8, choices=Condition.choices, blank=True)
    condition_back = models.CharField(max_length=8, choices=Condition.choices, blank=True)
    return_note = models.CharField(_("note"), max_length=200, blank=True)
    deposit_yuan = models.PositiveIntegerField(default=0)
    reminded_soon_at = models.DateTimeField(null=True, blank=True)
    reminded_overdue_at = models.DateTimeField(null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["hut", "out_at"], name="sharing_loan_hut"),
            models.Index(fields=["phone_hash", "state"], name="sharing_loan_phone"),
            models.Index(fields=["state", "due_at"], name="sharing_loan_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(state__in=OPEN_LOAN),
                name="sharing_one_open_loan_per_item",
            ),
        ]

    def __str__(self):
        return f"{self.item} {self.get_state_display()}"
