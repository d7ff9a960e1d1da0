"""Points a late return or a no-show costs, where the community says so (the category's
`late_points`, the room's `no_show_points`): through points.services.points_deduct, the
one way points are taken back — with the acting worker's right to deduct in the
resident's area, never below zero (cut to the balance), once a loan or booking (its
key: a second call returns the first deduction)."""

from gongzhi.core.errors import DomainError
from gongzhi.core.permissions import can
from gongzhi.points import perms as points_perms
from gongzhi.points.models import Account, AccountKind


def deduct(
    *, amount: int, key: str, reason: str, actor, org_code: str, resident=None, phone_hash: str = ""
) -> int:
    """Points taken (0 when the resident has no passbook, no balance, or the actor may not
    deduct there)."""
    from gongzhi.points.services import points_deduct

    accounts = Account.objects.filter(kind=AccountKind.RESIDENT, bank__org_code=org_code[:12])
    if resident is not None:
        accounts = accounts.filter(resident=resident)
    else:
        accounts = accounts.filter(resident__phone_hash=phone_hash)
    account = accounts.order_by("pk").first()
    if account is None or actor is None or not can(actor, points_perms.AWARD, account):
        return 0
    amount = min(amount, account.balance)
    if amount <= 0:
        return 0
    try:
        points_deduct(
            actor=actor, account_id=account.pk, amount=amount, reason=reason[:200], key=key
        )
    except DomainError:
        return 0
    return amount
