"""Posting to the ledger: the one place that writes transfers, movements and balances.

Lock order, everywhere in the app, so two transactions never deadlock: a token's row,
then a reward's row, then the accounts in ascending id (`post()` takes those). On SQLite
every write transaction is BEGIN IMMEDIATE (core/db), so writers are serialised anyway.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import Conflict, Invalid
from gongzhi.points.models import KEPT_KINDS, Account, Bank, Movement, Transfer


class InsufficientPoints(Conflict):
    code = "insufficient_points"


@dataclass(frozen=True)
class Posted:
    transfer: Transfer
    created: bool  # False: the (source, key) had been posted before; nothing moved now


def lock_accounts(ids) -> dict[int, Account]:
    """SELECT … FOR UPDATE the accounts, in ascending id. Caller is in a transaction."""
    rows = Account.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {a.pk: a for a in rows}


def post(
    *,
    bank: Bank,
    kind: str,
    source: str,
    key: str,
    legs: list[tuple[Account, int]],
    reason: str,
    actor=None,
    rule=None,
    reverses: Transfer | None = None,
) -> Posted:
    """One transfer of `legs` (account, signed amount), which sum to zero. Idempotent on
    (source, key): a second post of the same event returns the first transfer and moves
    nothing. Locks the accounts that keep a balance (residents, merchants) in id order and
    refuses (InsufficientPoints, nothing written) if one would go below zero; the issuer
    and the stock are neither locked nor updated (their balance is their movements').
    Must run inside transaction.atomic()."""
    if len(legs) < 2 or sum(a for _, a in legs) != 0 or any(a == 0 for _, a in legs):
        raise Invalid(_("A transfer needs two or more non-zero movements summing to zero."))
    if not source or not key or len(source) > 40 or len(key) > 100:
        raise Invalid(_("A transfer needs its source (≤ 40) and key (≤ 100)."))
    done = Transfer.objects.filter(source=source, key=key).first()
    if done is not None:
        return Posted(done, False)
    locked = lock_accounts(a.pk for a, _ in legs if a.keeps_balance)
    delta: dict[int, int] = {}
    for account, amount in legs:
        if account.keeps_balance:
            delta[account.pk] = delta.get(account.pk, 0) + amount
    for pk, change in delta.items():
        account = locked[pk]
        if account.balance + change < 0:
            raise InsufficientPoints(
                _("Not enough points: the balance is %(balance)d, %(need)d are needed.")
                % {"balance": account.balance, "need": -change},
                details={"balance": account.balance, "needed": -change},
            )
    now = timezone.now()
    month = timezone.localdate(now).replace(day=1)
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                bank=bank, kind=kind, source=source, key=key, rule=rule, reason=reason[:200],
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                reverses=reverses, created_at=now,
            )  # fmt: skip
    except IntegrityError:
        # The same event posted by a transaction that committed meanwhile.
        done = Transfer.objects.filter(source=source, key=key).first()
        if done is None:
            raise
        return Posted(done, False)
    Movement.objects.bulk_create(
        [
            Movement(
                transfer=transfer,
                account_id=a.pk,
                amount=amount,
                created_at=now,
                kind=kind,
                month=month,
            )
            for a, amount in legs
        ]
    )
    for pk, change in sorted(delta.items()):
        account = locked[pk]
        account.balance += change
        Account.objects.filter(pk=pk).update(balance=account.balance)
    for a, _amount in legs:  # the callers' instances read the new balance
        if a.pk in locked:
            a.balance = locked[a.pk].balance
    return Posted(transfer, True)


def balance(account: Account) -> int:
    """The account's balance: kept on the row (residents, merchants), or the sum of its
    movements (the issuer, the stock)."""
    if account.keeps_balance:
        return Account.objects.values_list("balance", flat=True).get(pk=account.pk)
    return Movement.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0


def reconcile() -> dict:
    """Every kept balance (residents', merchants') against the sum of the account's
    movements, and the sum of all movements (zero in a double-entry ledger). Reads only."""
    sums = dict(
        Movement.objects.values("account_id")
        .annotate(s=Sum("amount"))
        .order_by()
        .values_list("account_id", "s")
    )
    mismatches = []
    kept = Account.objects.filter(kind__in=KEPT_KINDS).values_list("pk", "balance")
    for pk, kept_balance in kept.iterator(chunk_size=5000):
        if kept_balance != sums.get(pk, 0):
            mismatches.append(
                {"account": pk, "balance": kept_balance, "movements": sums.get(pk, 0)}
            )
    total = Movement.objects.aggregate(s=Sum("amount"))["s"] or 0
    return {"accounts": len(sums), "mismatches": mismatches, "total": total}
