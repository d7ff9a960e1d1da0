"""Scoped reads of the points bank: accounts and passbooks within the user's area, the
community's balances, the figures of a period, a merchant's statement.

A resident's account carries the resident's grid code, a bank and its merchants and
rewards the community's: the same prefix filter as every other record. What is outside
the user's area is NotFound, the same as what does not exist.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from gongzhi.core.dates import period_bounds
from gongzhi.core.errors import NotFound
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.permissions import scope_for
from gongzhi.points import perms
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
    Reward,
    TransferKind,
)

PASSBOOK_PAGE = 50
TOP = 10


def accounts_visible_to(user) -> QuerySet[Account]:
    return Account.objects.filter(
        scope_for(user, perms.VIEW).q("org_code"), kind=AccountKind.RESIDENT
    )


def account_for(user, pk: int) -> Account:
    account = accounts_visible_to(user).select_related("bank", "resident").filter(pk=pk).first()
    if account is None:
        raise NotFound(_("The account does not exist or is outside your area."))
    return account


def banks_visible_to(user) -> QuerySet[Bank]:
    """The banks of the communities the user sees a part of (a grid worker: their
    community's bank, for its catalogue and rules)."""
    scope = scope_for(user, perms.VIEW)
    codes = {c[:12] for c in scope.org_codes if len(c) >= 12}
    return Bank.objects.filter(scope.q("org_code") | Q(org_code__in=codes)).order_by("org_code")


def bank_for(user, pk: int) -> Bank:
    bank = banks_visible_to(user).filter(pk=pk).first()
    if bank is None:
        raise NotFound(_("The points bank does not exist or is outside your area."))
    return bank


# -- the passbook ------------------------------------------------------------------------


@dataclass(frozen=True)
class PassbookRow:
    id: int
    at: dt.datetime
    amount: int
    balance: int  # after this movement
    reason: str
    kind: str
    kind_label: str


def passbook_page(account: Account, *, cursor: str | None = None, limit: int = PASSBOOK_PAGE):
    """One page of the account's movements, newest first, each with the balance after it.
    The balance of the page's first row is the kept balance less what came after it (one
    sum over the newer rows of the account's index; none on the first page)."""
    qs = Movement.objects.filter(account=account).values(
        "id", "created_at", "amount", "kind", "transfer__reason"
    )
    rows, next_cursor = keyset_page(qs, ordering=["-created_at", "-id"], cursor=cursor, limit=limit)
    running = account.balance
    if cursor and rows:
        first = rows[0]
        newer = Movement.objects.filter(account=account).filter(
            Q(created_at__gt=first["created_at"])
            | Q(created_at=first["created_at"], id__gt=first["id"])
        )
        running -= newer.aggregate(s=Sum("amount"))["s"] or 0
    labels = dict(TransferKind.choices)
    out = []
    for r in rows:
        out.append(
            PassbookRow(
                r["id"], r["created_at"], r["amount"], running, r["transfer__reason"],
                r["kind"], str(labels.get(r["kind"], "")),
            )
        )  # fmt: skip
        running -= r["amount"]
    return out, next_cursor


def monthly_totals(account: Account, months: int = 12) -> list[dict]:
    """Earned and spent in each of the latest `months` months with movements, the latest
    first (one GROUP BY over the stored local month of each movement)."""
    rows = (
        Movement.objects.filter(account=account)
        .values("month")
        .annotate(
            earned=Sum("amount", filter=Q(amount__gt=0)),
            spent=Sum("amount", filter=Q(amount__lt=0)),
        )
        .order_by("-month")[:months]
    )
    return [
        {"month": r["month"], "earned": r["earned"] or 0, "spent": -(r["spent"] or 0)} for r in rows
    ]


def resident_accounts_by_phone(phone_hash: str) -> list[Account]:
    """The passbook accounts of the residents registered with this phone (a verified
    phone may be a household's shared number)."""
    if not phone_hash:
        return []
    return list(
        Account.objects.filter(kind=AccountKind.RESIDENT, resident__phone_hash=phone_hash)
        .select_related("bank", "resident")
        .order_by("pk")
    )


# -- the community's balances ------------------------------------------------------------


def balances_page(user, bank: Bank, *, cursor: str | None = None, limit: int = 50):
    """The residents' accounts of a bank within the user's area, highest balance first,
    as plain rows."""
    qs = accounts_visible_to(user).filter(bank=bank).values("id", "name", "balance", "org_code")
    return keyset_page(qs, ordering=["-balance", "-id"], cursor=cursor, limit=limit)


def rules_of(bank: Bank) -> list[EarningRule]:
    return list(EarningRule.objects.filter(bank=bank).order_by("kind"))


def rewards_of(bank: Bank, *, active_only: bool = True) -> list[Reward]:
    qs = Reward.objects.filter(bank=bank).select_related("merchant").order_by("price", "pk")
    return list(qs.filter(is_active=True) if active_only else qs)


def pending_of(user) -> QuerySet[PendingAward]:
    return (
        PendingAward.objects.filter(
            scope_for(user, perms.MANAGE).q("org_code"), state=PendingState.PENDING
        )
        .select_related("account", "rule")
        .order_by("requested_at", "pk")
    )


def reserved_of(user) -> QuerySet[Redemption]:
    return (
        Redemption.objects.filter(
            scope_for(user, perms.VIEW).q("org_code"), state=RedemptionState.RESERVED
        )
        .select_related("account", "reward")
        .order_by("created_at", "pk")
    )


# -- the figures ---------------------------------------------------------------------------


def figures(code: str, start: dt.date, end: dt.date) -> dict:
    """Points issued, deducted, redeemed and expired in the period (local dates, both
    included), outstanding now, the top earners and the merchants' redemptions, for the
    residents' accounts under `code` (a community or any unit above or below one)."""
    since, until = period_bounds(start, end)
    moves = Movement.objects.filter(
        account__kind=AccountKind.RESIDENT,
        account__org_code__within=code,
        created_at__gte=since,
        created_at__lt=until,
    )
    by_kind = dict(
        moves.values("transfer__kind")
        .annotate(s=Sum("amount"))
        .order_by()
        .values_list("transfer__kind", "s")
    )
    outstanding = Account.objects.filter(
        kind=AccountKind.RESIDENT, org_code__within=code
    ).aggregate(s=Sum("balance"), n=Count("id", filter=Q(balance__gt=0)))
    top = list(
        moves.filter(kind=TransferKind.AWARD)
        .values("account_id", "account__name", "account__org_code")
        .annotate(earned=Sum("amount"))
        .order_by("-earned", "account_id")[:TOP]
    )
    merchants = list(
        Redemption.objects.filter(
            org_code__within=code, merchant__isnull=False, created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(state=RedemptionState.CANCELLED)
        .values("merchant_id", "merchant__name")
        .annotate(count=Count("id"), points=Sum("price"))
        .order_by("-points", "merchant_id")
    )  # fmt: skip
    reversed_ = by_kind.get(TransferKind.REVERSAL, 0)
    return {
        "start": start,
        "end": end,
        "issued": by_kind.get(TransferKind.AWARD, 0),
        "deducted": -by_kind.get(TransferKind.DEDUCTION, 0),
        "redeemed": -by_kind.get(TransferKind.REDEMPTION, 0),
        "expired": -by_kind.get(TransferKind.EXPIRY, 0),
        "reversed": reversed_,
        "outstanding": outstanding["s"] or 0,
        "holders": outstanding["n"],
        "top": top,
        "merchants": merchants,
    }


def by_community(code: str, start: dt.date, end: dt.date) -> list[dict]:
    """The figures per community (each community's bank) under `code`: issued, redeemed,
    deducted in the period, outstanding now and its holders — one GROUP BY each."""
    since, until = period_bounds(start, end)
    banks = {
        b.pk: {"bank": b, "issued": 0, "redeemed": 0, "deducted": 0, "outstanding": 0,
               "holders": 0}
        for b in Bank.objects.filter(org_code__within=code).order_by("org_code")[:500]
    }  # fmt: skip
    if not banks:
        return []
    moves = (
        Movement.objects.filter(
            account__kind=AccountKind.RESIDENT, account__bank_id__in=list(banks),
            created_at__gte=since, created_at__lt=until,
            kind__in=(TransferKind.AWARD, TransferKind.REDEMPTION, TransferKind.DEDUCTION),
        )
        .values_list("account__bank_id", "kind")
        .annotate(s=Sum("amount"))
        .order_by()
    )  # fmt: skip
    field = {TransferKind.AWARD: ("issued", 1), TransferKind.REDEMPTION: ("redeemed", -1),
             TransferKind.DEDUCTION: ("deducted", -1)}  # fmt: skip
    for bank_id, kind, total in moves:
        name, sign = field[kind]
        banks[bank_id][name] = sign * (total or 0)
    held = (
        Account.objects.filter(kind=AccountKind.RESIDENT, bank_id__in=list(banks))
        .values_list("bank_id")
        .annotate(s=Sum("balance"), n=Count("id", filter=Q(balance__gt=0)))
        .order_by()
    )
    for bank_id, total, holders in held:
        banks[bank_id]["outstanding"], banks[bank_id]["holders"] = total or 0, holders
    return list(banks.values())


# -- merchants -----------------------------------------------------------------------------


def merchants_of(user) -> list[Merchant]:
    """The merchants the user is staff of."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Merchant.objects.filter(staff=user).order_by("pk"))


def merchants_visible_to(user) -> QuerySet[Merchant]:
    """The merchants of the banks the user views points in."""
    return Merchant.objects.filter(scope_for(user, perms.VIEW).q("org_code"))


def merchant_for(user, pk: int) -> Merchant:
    merchant = merchants_visible_to(user).select_related("bank").filter(pk=pk).first()
    if merchant is None:
        raise NotFound(_("Not found."))
    return merchant


def merchant_statement(merchant: Merchant, year: int, month: int) -> dict:
    start = dt.date(year, month, 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    since, until = period_bounds(start, end)
    rows = list(
        Redemption.objects.filter(merchant=merchant, created_at__gte=since, created_at__lt=until)
        .select_related("reward", "account")
        .order_by("created_at", "pk")
    )
    return {
        "merchant": merchant,
        "start": start,
        "end": end,
        "rows": rows,
        "count": len(rows),
        "points": sum(r.price for r in rows if r.state != RedemptionState.CANCELLED),
    }


def workbench(user) -> dict | None:
    """The workbench panel: awards to approve and gifts waiting to be handed over."""
    if scope_for(user, perms.VIEW).is_empty:
        return None
    return {
        "pending": pending_of(user).count(),
        "reserved": reserved_of(user).count(),
    }
