"""Every write of the points bank. Each runs in one transaction, checks permission (but
`points_award`, see its docstring), writes an audit row and moves points only through
`ledger.post()`.

The contract other modules call (volunteering, micro-wishes, deliberation, surveys, the
case loop):

    points_award(*, source, key, kind, resident=None, account=None, quantity=1,
                 amount=None, actor=None, note="") -> AwardResult
"""

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.permissions import can
from gongzhi.orgs.models import OrgUnit
from gongzhi.points import ledger, perms
from gongzhi.points.ledger import InsufficientPoints
from gongzhi.points.models import (
    Account,
    AccountKind,
    Bank,
    EarningRule,
    Merchant,
    Movement,
    PendingAward,
    PendingState,
    Redemption,
    RedemptionState,
    RedemptionToken,
    Reward,
    RuleKind,
    Transfer,
    TransferKind,
)

COMMUNITY_DIGITS = 12
MAX_REASON = 200


def community_code(org_code: str) -> str:
    if not org_code or len(org_code) < COMMUNITY_DIGITS:
        raise Invalid(_("Points are kept by a community: this place is above one."))
    return org_code[:COMMUNITY_DIGITS]


# -- banks and accounts ------------------------------------------------------------------


def bank_for(org_code: str) -> Bank:
    """The community's bank, made with its issuing and stock accounts on first use."""
    code = community_code(org_code)
    bank = Bank.objects.filter(org_code=code).first()
    if bank is not None:
        return bank
    with transaction.atomic():
        unit = OrgUnit.objects.filter(code=code).first()
        name = _("%(community)s green-points bank") % {"community": unit.name if unit else code}
        bank, created = Bank.objects.get_or_create(org_code=code, defaults={"name": name[:50]})
        if created:
            Account.objects.bulk_create(
                [
                    Account(bank=bank, kind=AccountKind.ISSUER, org_code=code, name=bank.name),
                    Account(bank=bank, kind=AccountKind.STOCK, org_code=code,
                            name=_("Rewards stock")),
                ]
            )  # fmt: skip
    return bank


def bank_account(bank: Bank, kind: str) -> Account:
    return Account.objects.get(bank=bank, kind=kind)


def account_for_resident(resident) -> Account:
    """The resident's passbook account (made on first use, in the bank of their community)."""
    account = Account.objects.filter(resident=resident).first()
    if account is not None:
        return account
    bank = bank_for(resident.org_code)
    with transaction.atomic():
        account, _created = Account.objects.get_or_create(
            resident=resident,
            defaults={"bank": bank, "kind": AccountKind.RESIDENT,
                      "org_code": resident.org_code, "name": resident.name},
        )  # fmt: skip
    return account


def _merchant_account(merchant: Merchant) -> Account:
    account = Account.objects.filter(merchant=merchant).first()
    if account is None:
        account, _created = Account.objects.get_or_create(
            merchant=merchant,
            defaults={"bank": merchant.bank, "kind": AccountKind.MERCHANT,
                      "org_code": merchant.org_code, "name": merchant.name},
        )  # fmt: skip
    return account


# -- earning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardResult:
    """What `points_award` did. `status`:

    - "paid": `amount` points moved now (`transfer`);
    - "duplicate": this (source, key) was paid (or queued) before: nothing moved now;
      `transfer` / `pending` is the first one;
    - "pending": the rule needs approval; `pending` waits for a manager;
    - "capped": the day's or month's cap left nothing to pay: nothing recorded, so the
      same event may be awarded again later (e.g. next month);
    - "no_rule": the community has no active rule for this kind of event: nothing moved.
    """

    status: str
    amount: int = 0
    transfer: Transfer | None = None
    pending: PendingAward | None = None

    @property
    def paid(self) -> bool:
        return self.status == "paid"


def _local_day_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _earned_since(account: Account, kind: str, since: dt.datetime) -> int:
    paid = (
        Movement.objects.filter(
            account=account, amount__gt=0, created_at__gte=since,
            kind=TransferKind.AWARD, transfer__rule__kind=kind,
        ).aggregate(s=Sum("amount"))["s"]
        or 0
    )  # fmt: skip
    waiting = (
        PendingAward.objects.filter(
            account=account, rule__kind=kind, state=PendingState.PENDING,
            requested_at__gte=since,
        ).aggregate(s=Sum("amount"))["s"]
        or 0
    )  # fmt: skip
    return paid + waiting


def _capped(account: Account, rule: EarningRule, amount: int, now: dt.datetime) -> int:
    """What the rule's caps leave of `amount`. Caller holds the account's row lock."""
    day = _local_day_start(now)
    if rule.daily_cap is not None:
        amount = min(amount, max(0, rule.daily_cap - _earned_since(account, rule.kind, day)))
    if rule.monthly_cap is not None and amount:
        month = day.replace(day=1)
        left = rule.monthly_cap - _earned_since(account, rule.kind, month)
        amount = min(amount, max(0, left))
    return amount


def points_award(
    *,
    source: str,
    key: str,
    kind: str,
    resident=None,
    account: Account | None = None,
    quantity: int | Decimal = 1,
    amount: int | None = None,
    actor=None,
    note: str = "",
) -> AwardResult:
    """Pay a resident for one event under their community's earning rule of `kind`.

    - `source` names the calling module's kind of event ("volunteering.checkout",
      "care.wish", "cases.report_closed" …, ≤ 40 characters) and `key` the event itself
      (its id, ≤ 100): the pair is unique in the database, so the same event never pays
      twice, even when two transactions award it at once or a job retries.
    - `resident` (a registry.Resident) or `account` (a resident's points account).
    - `kind`: a `RuleKind` value. The amount is the rule's points × `quantity` (e.g. the
      hours of a check-out, rounded down), or `amount` when given (a worker's judgement
      of a 文明 act); then cut to what the rule's caps per day and month leave.
    - With a rule that needs approval the award waits (status "pending") for
      `pending_decide`.

    It does not check the actor's permission: the caller has validated the event (a
    check-out by the volunteer's team leader, a wish signed off). `actor` (or None for
    the system) is recorded on the transfer and the audit row. Runs in the caller's
    transaction when there is one (so the award and the event commit together), else in
    its own. Never raises for a duplicate, a cap or a missing rule (see AwardResult);
    raises Invalid for a bad source, key, kind or amount.
    """
    if kind not in RuleKind.values:
        raise Invalid(_("Unknown kind of event."), details={"kind": [_("Unknown kind of event.")]})
    if (resident is None) == (account is None):
        raise Invalid(_("Name the resident or their account."))
    if not source or not key or len(source) > 40 or len(key) > 100:
        raise Invalid(_("A transfer needs its source (≤ 40) and key (≤ 100)."))
    if amount is not None and amount <= 0:
        raise Invalid(
            _("Points must be more than zero."),
            details={"amount": [_("Points must be more than zero.")]},
        )
    with transaction.atomic():
        done = Transfer.objects.filter(source=source, key=key).first()
        if done is not None:
            return AwardResult("duplicate", 0, transfer=done)
        waiting = PendingAward.objects.filter(source=source, key=key).first()
        if waiting is not None:
            return AwardResult("duplicate", 0, pending=waiting)
        if account is None:
            account = account_for_resident(resident)
        if account.kind != AccountKind.RESIDENT:
            raise Invalid(_("Points are awarded to residents only."))
        rule = EarningRule.objects.filter(
            bank_id=account.bank_id, kind=kind, is_active=True
        ).first()
        if rule is None:
            return AwardResult("no_rule")
        wanted = amount if amount is not None else int(rule.points * Decimal(str(quantity)))
        if wanted <= 0:
            return AwardResult("capped")
        ledger.lock_accounts([account.pk])  # the caps are read under the account's lock
        now = timezone.now()
        paying = _capped(account, rule, wanted, now)
        if paying <= 0:
            return AwardResult("capped")
        reason = (note or rule.get_kind_display())[:MAX_REASON]
        if rule.needs_approval:
            pending = PendingAward.objects.create(
                source=source, key=key, account=account, rule=rule, amount=paying,
                note=reason, org_code=account.org_code, requested_at=now,
            )  # fmt: skip
            audit_record(actor=actor, action="points.award_requested", obj=pending,
                         changes={"points": paying, "source": source, "key": key},
                         object_repr=account.name)  # fmt: skip
            return AwardResult("pending", paying, pending=pending)
        issuer = bank_account(account.bank, AccountKind.ISSUER)
        posted = ledger.post(
            bank=account.bank, kind=TransferKind.AWARD, source=source, key=key,
            legs=[(issuer, -paying), (account, paying)], reason=reason, actor=actor, rule=rule,
        )  # fmt: skip
        if not posted.created:
            return AwardResult("duplicate", 0, transfer=posted.transfer)
        audit_record(
            actor=actor,
            action="points.award",
            obj=posted.transfer,
            changes={"points": paying, "account": account.pk},
            object_repr=account.name,
        )
        return AwardResult("paid", paying, transfer=posted.transfer)


def _resident_account_in_scope(actor, account_id: int, perm: str) -> Account:
    account = (
        Account.objects.select_related("bank")
        .filter(pk=account_id, kind=AccountKind.RESIDENT)
        .first()
    )
    if account is None or not can(actor, perms.VIEW, account):
        raise NotFound(_("The account does not exist or is outside your area."))
    if not can(actor, perm, account):
        raise PermissionDenied(_("You may not do this for this account."))
    return account


def points_award_at_counter(
    *, actor, account_id: int, kind: str, key: str, amount: int | None = None,
    quantity: int = 1, note: str = "",
) -> AwardResult:  # fmt: skip
    """A worker's award at the desk (柜台): the same rules and caps; `key` is the form's
    one-time key, so a double tap pays once."""
    account = _resident_account_in_scope(actor, account_id, perms.AWARD)
    return points_award(
        source="counter", key=key, kind=kind, account=account, amount=amount,
        quantity=quantity, actor=actor, note=note,
    )  # fmt: skip


def points_deduct(*, actor, account_id: int, amount: int, reason: str, key: str) -> Transfer:
    """A worker takes points back (扣分), e.g. for an uncivil act: never below zero."""
    if amount <= 0:
        raise Invalid(
            _("Points must be more than zero."),
            details={"amount": [_("Points must be more than zero.")]},
        )
    if not reason.strip():
        raise Invalid(_("Say why."), details={"reason": [_("Say why.")]})
    with transaction.atomic():
        account = _resident_account_in_scope(actor, account_id, perms.AWARD)
        issuer = bank_account(account.bank, AccountKind.ISSUER)
        posted = ledger.post(
            bank=account.bank, kind=TransferKind.DEDUCTION, source="deduction", key=key,
            legs=[(account, -amount), (issuer, amount)], reason=reason.strip(), actor=actor,
        )  # fmt: skip
        if posted.created:
            audit_record(actor=actor, action="points.deduct", obj=posted.transfer,
                         changes={"points": amount, "account": account.pk},
                         object_repr=account.name)  # fmt: skip
        return posted.transfer


def pending_decide(*, actor, pending_id: int, approve: bool) -> PendingAward:
    """Approve (the points are paid, with the award's source and key) or reject."""
    with transaction.atomic():
        pending = (
            PendingAward.objects.select_for_update()
            .select_related("account__bank", "rule")
            .filter(pk=pending_id)
            .first()
        )
        if pending is None or not can(actor, perms.VIEW, pending):
            raise NotFound(_("The award does not exist or is outside your area."))
        if not can(actor, perms.MANAGE, pending):
            raise PermissionDenied(_("You may not approve awards here."))
        if pending.state != PendingState.PENDING:
            raise Conflict(_("This award has been decided already."), code="decided")
        if approve:
            account = pending.account
            issuer = bank_account(account.bank, AccountKind.ISSUER)
            posted = ledger.post(
                bank=account.bank, kind=TransferKind.AWARD, source=pending.source,
                key=pending.key, legs=[(issuer, -pending.amount), (account, pending.amount)],
                reason=pending.note, actor=actor, rule=pending.rule,
            )  # fmt: skip
            pending.transfer = posted.transfer
        pending.state = PendingState.APPROVED if approve else PendingState.REJECTED
        pending.decided_by = actor
        pending.save(update_fields=["state", "decided_by", "transfer"])
        audit_record(
            actor=actor,
            action="points.award_decided",
            obj=pending,
            changes={"state": pending.state},
            object_repr=pending.account.name,
        )
        return pending


def _post_reversal(original: Transfer, *, actor, reason: str) -> ledger.Posted:
    """The opposite movements of `original`, naming it (once: source "reversal", key its
    id). Caller is in a transaction."""
    legs = [(m.account, -m.amount) for m in original.movements.select_related("account")]
    return ledger.post(
        bank=original.bank, kind=TransferKind.REVERSAL, source="reversal",
        key=str(original.pk), legs=legs, reason=reason, actor=actor, reverses=original,
    )  # fmt: skip


def transfer_reverse(*, actor, transfer_id: int, reason: str) -> Transfer:
    """A correction: a new transfer of the opposite movements, naming the original. Once
    an original; refused when it would take an account below zero (spent meanwhile)."""
    if not reason.strip():
        raise Invalid(_("Say why."), details={"reason": [_("Say why.")]})
    with transaction.atomic():
        original = Transfer.objects.select_related("bank").filter(pk=transfer_id).first()
        if original is None or not can(actor, perms.VIEW, original.bank):
            raise NotFound(_("The transfer does not exist or is outside your area."))
        if not can(actor, perms.MANAGE, original.bank):
            raise PermissionDenied(_("You may not reverse transfers here."))
        if original.kind in (TransferKind.REVERSAL, TransferKind.REDEMPTION):
            raise Conflict(
                _("A reversal or a redemption is not reversed here (cancel the redemption)."),
                code="not_reversible",
            )
        if Transfer.objects.filter(reverses=original).exists():
            raise Conflict(_("This transfer has been reversed already."), code="reversed")
        posted = _post_reversal(original, actor=actor, reason=reason.strip())
        audit_record(actor=actor, action="points.reverse", obj=posted.transfer,
                     changes={"reverses": original.pk})  # fmt: skip
        return posted.transfer


# -- rules, catalogue, merchants -----------------------------------------------------------


def _bank_managed(actor, org_code: str) -> Bank:
    bank = bank_for(org_code)
    if not can(actor, perms.MANAGE, bank):
        raise PermissionDenied(_("You may not manage this community's points bank."))
    return bank


def rule_save(
    *, actor, org_code: str, kind: str, points: int, daily_cap: int | None = None,
    monthly_cap: int | None = None, needs_approval: bool = False, is_active: bool = True,
) -> EarningRule:  # fmt: skip
    errors: dict[str, list[str]] = {}
    if kind not in RuleKind.values:
        errors["kind"] = [_("Unknown kind of event.")]
    if not 1 <= points <= 10000:
        errors["points"] = [_("Points per event are 1 to 10,000.")]
    for name, cap in (("daily_cap", daily_cap), ("monthly_cap", monthly_cap)):
        if cap is not None and not 1 <= cap <= 1_000_000:
            errors[name] = [_("A cap is 1 to 1,000,000 points, or none.")]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], details=errors)
    with transaction.atomic():
        bank = _bank_managed(actor, org_code)
        rule, _created = EarningRule.objects.update_or_create(
            bank=bank, kind=kind,
            defaults={"points": points, "daily_cap": daily_cap, "monthly_cap": monthly_cap,
                      "needs_approval": needs_approval, "is_active": is_active},
        )  # fmt: skip
        audit_record(actor=actor, action="points.rule_save", obj=rule,
                     changes={"points": points, "daily_cap": daily_cap,
                              "monthly_cap": monthly_cap, "needs_approval": needs_approval,
                              "is_active": is_active})  # fmt: skip
        return rule


def bank_settings_save(*, actor, org_code: str, expiry_months: int | None) -> Bank:
    if expiry_months is not None and not 1 <= expiry_months <= 120:
        raise Invalid(
            _("Expiry is 1 to 120 months, or never."),
            details={"expiry_months": [_("Expiry is 1 to 120 months, or never.")]},
        )
    with transaction.atomic():
        bank = _bank_managed(actor, org_code)
        bank.expiry_months = expiry_months
        bank.save(update_fields=["expiry_months"])
        audit_record(actor=actor, action="points.bank_settings", obj=bank,
                     changes={"expiry_months": expiry_months})  # fmt: skip
        return bank


def merchant_save(
    *, actor, org_code: str, name: str, agreement_from: dt.date, agreement_until: dt.date,
    address: str = "", staff=(), is_active: bool = True, merchant: Merchant | None = None,
) -> Merchant:  # fmt: skip
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 100:
        errors["name"] = [_("A name of at most 100 characters is needed.")]
    if agreement_until < agreement_from:
        errors["agreement_until"] = [_("The agreement ends before it begins.")]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], details=errors)
    with transaction.atomic():
        bank = _bank_managed(actor, merchant.org_code if merchant else org_code)
        if merchant is None:
            merchant = Merchant(bank=bank, org_code=org_code)
        merchant.name, merchant.address = name.strip(), address.strip()[:200]
        merchant.agreement_from, merchant.agreement_until = agreement_from, agreement_until
        merchant.is_active = is_active
        merchant.save()
        merchant.staff.set(staff)
        _merchant_account(merchant)
        audit_record(actor=actor, action="points.merchant_save", obj=merchant,
                     changes={"agreement_until": agreement_until.isoformat(),
                              "is_active": is_active})  # fmt: skip
        return merchant


def reward_save(
    *, actor, org_code: str, title: str, price: int, stock: int, description: str = "",
    merchant_id: int | None = None, is_active: bool = True, reward: Reward | None = None,
) -> Reward:  # fmt: skip
    errors: dict[str, list[str]] = {}
    if not title.strip() or len(title) > 100:
        errors["title"] = [_("A title of at most 100 characters is needed.")]
    if not 1 <= price <= 1_000_000:
        errors["price"] = [_("The price is 1 to 1,000,000 points.")]
    if not 0 <= stock <= 1_000_000:
        errors["stock"] = [_("The stock is 0 to 1,000,000.")]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], details=errors)
    with transaction.atomic():
        bank = _bank_managed(actor, reward.org_code if reward else org_code)
        merchant = None
        if merchant_id is not None:
            merchant = Merchant.objects.filter(pk=merchant_id, bank=bank).first()
            if merchant is None:
                raise Invalid(
                    _("No such merchant in this community."),
                    details={"merchant_id": [_("No such merchant in this community.")]},
                )
        if reward is None:
            reward = Reward(bank=bank, org_code=bank.org_code)
        else:
            reward = Reward.objects.select_for_update().get(pk=reward.pk)
        reward.title, reward.description = title.strip(), description.strip()[:300]
        reward.price, reward.stock, reward.merchant = price, stock, merchant
        reward.is_active = is_active
        reward.save()
        audit_record(actor=actor, action="points.reward_save", obj=reward,
                     changes={"price": price, "stock": stock, "is_active": is_active})  # fmt: skip
        return reward


# -- redeeming -----------------------------------------------------------------------------


def _locked_reward(reward_id: int, bank_id: int) -> Reward:
    reward = (
        Reward.objects.select_for_update()
        .filter(pk=reward_id, bank_id=bank_id, is_active=True)
        .first()
    )
    if reward is None:
        raise NotFound(_("This reward is not in your community's catalogue."))
    if reward.stock < 1:
        raise Conflict(_("This reward is out of stock."), code="out_of_stock")
    return reward


def redemption_reserve(*, account: Account, reward_id: int, key: str) -> Redemption:
    """A resident redeems a gift from the stock online: points and stock move in one
    transaction; the gift waits to be handed over. `key` is the form's one-time key (a
    double tap reserves once). The caller proved the account is the resident's (the
    verified phone)."""
    with transaction.atomic():
        done = Transfer.objects.filter(source="redemption", key=key).first()
        if done is not None:
            return Redemption.objects.get(transfer=done)
        reward = _locked_reward(reward_id, account.bank_id)
        if reward.merchant_id is not None:
            raise Conflict(
                _("This offer is redeemed at the merchant's counter with your QR code."),
                code="at_merchant",
            )
        stock_account = bank_account(account.bank, AccountKind.STOCK)
        posted = ledger.post(
            bank=account.bank, kind=TransferKind.REDEMPTION, source="redemption", key=key,
            legs=[(account, -reward.price), (stock_account, reward.price)],
            reason=reward.title,
        )  # fmt: skip
        reward.stock -= 1
        reward.save(update_fields=["stock"])
        redemption = Redemption.objects.create(
            reward=reward, account=account, org_code=account.org_code, price=reward.price,
            state=RedemptionState.RESERVED, transfer=posted.transfer,
            created_at=posted.transfer.created_at,
        )  # fmt: skip
        audit_record(actor=None, action="points.redeem", obj=redemption,
                     changes={"reward": reward.pk, "points": reward.price},
                     object_repr=account.name)  # fmt: skip
        return redemption


def _redemption_for_staff(actor, redemption_id: int, perm: str) -> Redemption:
    redemption = (
        Redemption.objects.select_for_update()
        .select_related("account__bank", "reward")
        .filter(pk=redemption_id)
        .first()
    )
    if redemption is None or not can(actor, perms.VIEW, redemption):
        raise NotFound(_("The redemption does not exist or is outside your area."))
    if not can(actor, perm, redemption):
        raise PermissionDenied(_("You may not do this for this redemption."))
    return redemption


def redemption_hand_over(*, actor, redemption_id: int) -> Redemption:
    with transaction.atomic():
        redemption = _redemption_for_staff(actor, redemption_id, perms.AWARD)
        if redemption.state != RedemptionState.RESERVED:
            raise Conflict(_("This redemption is not waiting to be handed over."), code="state")
        redemption.state = RedemptionState.HANDED_OVER
        redemption.handed_at, redemption.handed_by = timezone.now(), actor
        redemption.save(update_fields=["state", "handed_at", "handed_by"])
        audit_record(actor=actor, action="points.hand_over", obj=redemption)
        return redemption


def redemption_cancel(*, actor, redemption_id: int, reason: str) -> Redemption:
    """A reserved gift not collected: the points (a reversal) and the stock come back."""
    if not reason.strip():
        raise Invalid(_("Say why."), details={"reason": [_("Say why.")]})
    with transaction.atomic():
        redemption = _redemption_for_staff(actor, redemption_id, perms.MANAGE)
        if redemption.state != RedemptionState.RESERVED:
            raise Conflict(_("This redemption is not waiting to be handed over."), code="state")
        reward = Reward.objects.select_for_update().get(pk=redemption.reward_id)
        _post_reversal(redemption.transfer, actor=actor, reason=reason.strip())
        reward.stock += 1
        reward.save(update_fields=["stock"])
        redemption.state = RedemptionState.CANCELLED
        redemption.save(update_fields=["state"])
        audit_record(actor=actor, action="points.redemption_cancel", obj=redemption,
                     changes={"reason": reason.strip()})  # fmt: skip
        return redemption


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, account: Account, reward_id: int) -> tuple[str, RedemptionToken]:
    """The resident's one-time QR for a merchant's offer: valid POINTS_QR_MINUTES, used
    once. Returns the token (shown once, as the QR) and its row."""
    reward = (
        Reward.objects.select_related("merchant")
        .filter(pk=reward_id, bank_id=account.bank_id, is_active=True, merchant__isnull=False)
        .first()
    )
    if reward is None:
        raise NotFound(_("This offer is not in your community's catalogue."))
    if not reward.merchant.agreement_active(timezone.localdate()):
        raise Conflict(_("This merchant is not in the alliance now."), code="agreement_inactive")
    if account.balance < reward.price:
        raise InsufficientPoints(
            _("Not enough points: the balance is %(balance)d, %(need)d are needed.")
            % {"balance": account.balance, "need": reward.price}
        )
    token = secrets.token_urlsafe(24)
    minutes = settings.POINTS_QR_MINUTES
    row = RedemptionToken.objects.create(
        token_hash=_token_hash(token), account=account, reward=reward,
        expires_at=timezone.now() + dt.timedelta(minutes=minutes),
    )  # fmt: skip
    return token, row


def token_for_merchant(*, actor, token: str) -> RedemptionToken:
    """The token a merchant's staff scanned, checked (not used): for the confirm page."""
    row = (
        RedemptionToken.objects.select_related("reward__merchant", "account")
        .filter(token_hash=_token_hash(token or ""))
        .first()
    )
    _check_token(actor, row)
    return row


def _check_token(actor, row: RedemptionToken | None) -> None:
    if row is None:
        raise NotFound(_("This QR code is not valid."), code="qr_invalid")
    if row.used_at is not None:
        raise Conflict(_("This QR code has been used already."), code="qr_used")
    if row.expires_at <= timezone.now():
        raise Conflict(_("This QR code has expired: ask for a new one."), code="qr_expired")
    merchant = row.reward.merchant
    if not merchant.staff.filter(pk=getattr(actor, "pk", None)).exists():
        raise PermissionDenied(_("This offer belongs to another merchant."), code="not_your_offer")
    if not merchant.agreement_active(timezone.localdate()):
        raise Conflict(_("Your merchant agreement is not active."), code="agreement_inactive")


def merchant_redeem(*, actor, token: str) -> Redemption:
    """A merchant's staff confirm a scanned QR: the token is used, the resident's points go
    to the merchant's account and the offer's stock goes down, in one transaction."""
    with transaction.atomic():
        row = (
            RedemptionToken.objects.select_for_update()
            .filter(token_hash=_token_hash(token or ""))
            .first()
        )
        if row is not None:
            row = RedemptionToken.objects.select_related("reward__merchant", "account__bank").get(
                pk=row.pk
            )
        _check_token(actor, row)
        account = row.account
        reward = _locked_reward(row.reward_id, account.bank_id)
        merchant = reward.merchant
        merchant_account = _merchant_account(merchant)
        posted = ledger.post(
            bank=account.bank, kind=TransferKind.REDEMPTION, source="qr",
            key=str(row.pk), legs=[(account, -reward.price), (merchant_account, reward.price)],
            reason=f"{merchant.name}·{reward.title}", actor=actor,
        )  # fmt: skip
        reward.stock -= 1
        reward.save(update_fields=["stock"])
        now = posted.transfer.created_at
        redemption = Redemption.objects.create(
            reward=reward, account=account, merchant=merchant, org_code=account.org_code,
            price=reward.price, state=RedemptionState.HANDED_OVER, transfer=posted.transfer,
            created_at=now, handed_at=now, handed_by=actor,
        )  # fmt: skip
        row.used_at, row.redemption = now, redemption
        row.save(update_fields=["used_at", "redemption"])
        audit_record(actor=actor, action="points.merchant_redeem", obj=redemption,
                     changes={"reward": reward.pk, "points": reward.price},
                     object_repr=account.name)  # fmt: skip
        return redemption


# -- expiry and reconciliation (jobs) ------------------------------------------------------


def expiry_due(account: Account, months: int, now: dt.datetime) -> int:
    """Points of `account` earned more than `months` ago and not yet spent or expired,
    oldest first: the credits before the cut-off less every debit so far (a debit spends
    the oldest points first). Computed from the movements; nothing is rewritten."""
    local = timezone.localtime(now)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    cutoff = local.replace(year=year, month=month + 1, day=min(local.day, 28))
    rows = Movement.objects.filter(account=account)
    credits = rows.filter(amount__gt=0, created_at__lt=cutoff).aggregate(s=Sum("amount"))["s"] or 0
    debits = -(rows.filter(amount__lt=0).aggregate(s=Sum("amount"))["s"] or 0)
    return max(0, credits - debits)


def points_expire(*, now: dt.datetime | None = None) -> int:
    """Post the expiry of each resident account of banks with an expiry, once a day an
    account (key: account and day). Returns the number of transfers posted."""
    now = now or timezone.now()
    day = timezone.localtime(now).date().isoformat()
    posted = 0
    for bank in Bank.objects.filter(expiry_months__isnull=False):
        issuer = bank_account(bank, AccountKind.ISSUER)
        ids = Account.objects.filter(bank=bank, kind=AccountKind.RESIDENT, balance__gt=0)
        for account_id in ids.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                account = ledger.lock_accounts([account_id])[account_id]
                due = min(expiry_due(account, bank.expiry_months, now), account.balance)
                if due <= 0:
                    continue
                result = ledger.post(
                    bank=bank, kind=TransferKind.EXPIRY, source="expiry",
                    key=f"{account.pk}:{day}", legs=[(account, -due), (issuer, due)],
                    reason=_("Points older than %(n)d months expired") % {"n": bank.expiry_months},
                )  # fmt: skip
                posted += result.created
    return posted


def points_reconcile() -> dict:
    """The nightly reconciliation (tasks.reconcile): its report, kept as an audit row."""
    report = ledger.reconcile()
    with transaction.atomic():
        audit_record(
            actor=None, action="points.reconcile", object_type="points.ledger",
            object_repr=_("%(n)d mismatches") % {"n": len(report["mismatches"])},
            changes={"mismatches": report["mismatches"][:100], "total": report["total"],
                     "accounts": report["accounts"]},
        )  # fmt: skip
    return report


def new_key() -> str:
    return uuid.uuid4().hex
