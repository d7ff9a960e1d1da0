"""The green-points bank (绿币银行): a double-entry ledger, append-only.

    Bank (one per community) ─< Account (issuer, stock, resident, merchant; balance kept)
    Transfer (source, key unique) ─< Movement (account, amount; the amounts sum to zero)
    EarningRule (bank, kind: points, caps, approval) ─< PendingAward (awaiting approval)
    Merchant (暖心商户, staff users, agreement) ─< Reward (catalogue) ─< Redemption
    RedemptionToken: the resident's one-time QR, shown at the merchant's counter

Every change of points is one Transfer of two or more Movements whose amounts sum to zero,
written by points.ledger.post() under the accounts' row locks. Transfers and movements are
never updated or deleted: not by the ORM (save/delete/update raise), not in the admin
(read-only), not by SQL (database triggers, migration 0002). A correction is a reversal
transfer naming the original (`reverses`, unique: one reversal an original).

Balances are kept (the `balance` column, under the row's lock) on the accounts that hold
points for someone: residents and merchants. The community's own accounts — the issuer
(minus the points in circulation) and the rewards stock — take part in every award and
every gift, so locking and updating their row would queue the whole community's awards
and redemptions behind one another through each COMMIT; their balance is the sum of their
movements (`ledger.balance()`), and their column stays 0. A check constraint holds every
kept balance at zero or more.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField
from gongzhi.core.models import AppendOnly as CoreAppendOnly

APPEND_ONLY = "The points ledger is append-only: post a reversal instead."


class AppendOnly(CoreAppendOnly):
    append_only_message = APPEND_ONLY

    class Meta:
        abstract = True


class Bank(models.Model):
    """A community's points bank: its issuing account, its rewards stock, its rules."""

    org_code = OrgCodeField(_("community code"), unique=True)
    name = models.CharField(_("name"), max_length=50)
    # Points expire this many months after they were earned (oldest first); None: never.
    expiry_months = models.PositiveSmallIntegerField(_("expiry (months)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points bank")
        verbose_name_plural = _("points banks")

    def __str__(self):
        return self.name


class AccountKind(models.TextChoices):
    ISSUER = "issuer", _("Issuing account")  # the community: minus the points in circulation
    STOCK = "stock", _("Rewards stock")  # receives the points of gifts from the stock
    RESIDENT = "resident", _("Resident")  # a resident's passbook
    MERCHANT = "merchant", _("Merchant")  # a partner merchant: points of its offers


class Account(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    # The resident's grid (or the bank's community for the others): the scope of the row.
    org_code = OrgCodeField(_("org code"), db_index=True)
    resident = models.OneToOneField(
        "registry.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_account",
    )
    merchant = models.OneToOneField(
        "points.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    name = models.CharField(_("name"), max_length=100)
    # Residents' and merchants': kept by ledger.post() under this row's lock, reconciled
    # nightly with the movements. The issuer's and the stock's: 0 (see the module).
    balance = models.BigIntegerField(_("balance"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=AccountKind.ISSUER) | Q(balance__gte=0),
                name="points_account_balance_not_negative",
            ),
            models.UniqueConstraint(
                fields=["bank", "kind"],
                condition=Q(kind__in=[AccountKind.ISSUER, AccountKind.STOCK]),
                name="points_one_issuer_and_stock",
            ),
        ]
        indexes = [models.Index(fields=["bank", "kind", "balance"], name="points_acct_balance")]

    def __str__(self):
        return self.name

    @property
    def keeps_balance(self) -> bool:
        return self.kind in KEPT_KINDS


KEPT_KINDS = (AccountKind.RESIDENT, AccountKind.MERCHANT)


class TransferKind(models.TextChoices):
    AWARD = "award", _("Earned")  # by an earning rule, or at the counter
    DEDUCTION = "deduction", _("Deducted")  # taken back by a worker
    REDEMPTION = "redemption", _("Redeemed")  # a reward
    REVERSAL = "reversal", _("Reversal")  # undoes the transfer it names
    EXPIRY = "expiry", _("Expired")  # points older than the bank's expiry


class Transfer(AppendOnly):
    """One change of points: its movements sum to zero. `(source, key)` names the event
    that caused it (a volunteer's check-out, a fulfilled wish, a redemption), so the same
    event never moves points twice."""

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=TransferKind.choices)
    source = models.CharField(_("source"), max_length=40)
    key = models.CharField(_("key"), max_length=100)
    rule = models.ForeignKey(
        "points.EarningRule", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("points transfer")
        verbose_name_plural = _("points transfers")
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="points_transfer_source_key")
        ]

    def __str__(self):
        return f"{self.reason} ({self.source}:{self.key})"


class Movement(AppendOnly):
    """One account's side of a transfer; positive credits the account."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="movements")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="movements")
    amount = models.BigIntegerField(_("points"))
    # The transfer's time and kind, kept here so a passbook is one index range and a
    # period's figures one range of the time index with no join to the transfers; its
    # local month (the first day), so the passbook's monthly totals are a plain GROUP BY.
    created_at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=12, choices=TransferKind.choices)
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("points movement")
        verbose_name_plural = _("points movements")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_movement_nonzero")
        ]
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="points_mv_passbook"),
            models.Index(fields=["created_at"], name="points_mv_time"),
        ]

    def __str__(self):
        return f"{self.account_id} {self.amount:+d}"


class RuleKind(models.TextChoices):
    VOLUNTEER_HOUR = "volunteer_hour", _("An hour of volunteering")
    REPORT_CLOSED = "report_closed", _("A report that led to a closed case")
    WISH_FULFILLED = "wish_fulfilled", _("A fulfilled micro-wish")
    MEETING_ATTENDED = "meeting_attended", _("Attending a deliberation meeting")
    SURVEY_COMPLETED = "survey_completed", _("A completed survey")
    CIVILITY = "civility", _("A civic act recorded by a worker")  # 文明行为


class EarningRule(models.Model):
    """Points per event of a kind, in one bank, editable by the community."""

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="rules")
    kind = models.CharField(_("event"), max_length=20, choices=RuleKind.choices)
    points = models.PositiveIntegerField(_("points per event"))
    daily_cap = models.PositiveIntegerField(_("cap per day"), null=True, blank=True)
    monthly_cap = models.PositiveIntegerField(_("cap per month"), null=True, blank=True)
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        constraints = [models.UniqueConstraint(fields=["bank", "kind"], name="points_rule_kind")]

    def __str__(self):
        return self.get_kind_display()


class PendingState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PendingAward(models.Model):
    """An award under a rule that needs approval; approving it posts the transfer with
    the same (source, key)."""

    source = models.CharField(_("source"), max_length=40)
    key = models.CharField(_("key"), max_length=100)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(EarningRule, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveIntegerField(_("points"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    org_code = OrgCodeField(_("org code"), db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PendingState.choices, default=PendingState.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("award awaiting approval")
        verbose_name_plural = _("awards awaiting approval")
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="points_pending_source_key")
        ]

    def __str__(self):
        return f"{self.note} {self.amount}"


class Merchant(models.Model):
    """A partner merchant of the 暖心商户联盟: its staff redeem its own offers while its
    agreement runs."""

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="merchants")
    org_code = OrgCodeField(_("org code"), db_index=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    agreement_from = models.DateField(_("agreement from"))
    agreement_until = models.DateField(_("agreement until"))
    is_active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), blank=True, related_name="merchants"
    )

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self):
        return self.name

    def agreement_active(self, day) -> bool:
        return self.is_active and self.agreement_from <= day <= self.agreement_until


class Reward(models.Model):
    """A gift from the community's stock (`merchant` empty) or a merchant's offer."""

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="rewards")
    org_code = OrgCodeField(_("org code"), db_index=True)
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="offers"
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    price = models.PositiveIntegerField(_("price in points"))
    stock = models.PositiveIntegerField(_("stock"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="points_reward_price")]

    def __str__(self):
        return self.title


class RedemptionState(models.TextChoices):
    RESERVED = "reserved", _("Reserved")  # paid online, to be collected
    HANDED_OVER = "handed_over", _("Handed over")  # collected (or served by the merchant)
    CANCELLED = "cancelled", _("Cancelled")  # reversed: points and stock back


class Redemption(models.Model):
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="redemptions")
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="redemptions"
    )
    org_code = OrgCodeField(_("org code"), db_index=True)
    price = models.PositiveIntegerField(_("points"))
    state = models.CharField(_("state"), max_length=12, choices=RedemptionState.choices)
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("time"), db_index=True)
    handed_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [models.Index(fields=["merchant", "created_at"], name="points_red_merchant")]

    def __str__(self):
        return f"{self.reward_id} {self.price}"


class RedemptionToken(models.Model):
    """The resident's one-time QR for one offer at a merchant: a few minutes, used once.
    Only its SHA-256 is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    redemption = models.OneToOneField(
        Redemption, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return f"QR {self.pk}"
