"""The points bank over the API, mounted at /api/v1/points (registered in
PointsConfig.ready(); the api app assembles it with the others).

    GET  /banks                               the banks of the caller's communities
    GET  /banks/{id}/balances                 residents' balances, highest first (keyset)
    GET  /banks/{id}/rules                    the earning rules
    POST /banks/{id}/rules                    save the rule of one kind of event (points.manage)
    POST /banks/{id}/settings                 expiry in months, or none (points.manage)
    GET  /banks/{id}/rewards                  the catalogue
    POST /banks/{id}/rewards                  add a gift or a merchant's offer (points.manage)
    POST /banks/{id}/merchants                a partner merchant, its agreement and staff
    GET  /accounts/{id}                       a resident's account and balance
    GET  /accounts/{id}/movements             the passbook, newest first, with balances
    POST /accounts/{id}/awards                award at the counter (points.award; `key`: once)
    POST /accounts/{id}/deductions            deduct (points.award; never below zero)
    POST /transfers/{id}/reverse              a reversal naming the original (points.manage)
    POST /merchant/redeem                     a merchant's staff confirm a resident's QR
    GET  /figures?unit=&start=&end=           issued, redeemed, outstanding, top earners, merchants
    GET  /honour-board?unit=&start=&end=      the top earners (光荣榜 feed)

Errors: 404 not_found (also outside the caller's area), 403 forbidden / not_your_offer,
400 invalid, 409 insufficient_points / qr_used / qr_expired / agreement_inactive /
out_of_stock / reversed.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from gongzhi.accounts.models import User
from gongzhi.core.dates import parse_period
from gongzhi.core.errors import NotFound
from gongzhi.core.http.schemas import ErrorOut
from gongzhi.core.http.types import Cursor, DayText, Id, Limit, Text, UnitCode
from gongzhi.core.permissions import can
from gongzhi.orgs.models import OrgUnit
from gongzhi.points import perms, selectors, services

router = Router(tags=["points"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class PointsBankOut(Schema):
    id: int
    org_code: str
    name: str
    expiry_months: int | None


@router.get("/banks", response={200: list[PointsBankOut], **ERRORS})
def bank_list(request):
    """The points banks of the communities the caller sees (a part of)."""
    return list(selectors.banks_visible_to(request.auth)[:200])


class PointsBalanceOut(Schema):
    id: int
    name: str
    balance: int
    org_code: str


class PointsBalancePage(Schema):
    items: list[PointsBalanceOut]
    next_cursor: str | None


@router.get("/banks/{bank_id}/balances", response={200: PointsBalancePage, **ERRORS})
def balance_list(request, bank_id: Id, limit: Limit | None = None, cursor: Cursor | None = None):
    """The residents' accounts of the bank within the caller's area, highest balance
    first, a keyset page at a time."""
    bank = selectors.bank_for(request.auth, bank_id)
    rows, next_cursor = selectors.balances_page(
        request.auth, bank, cursor=cursor, limit=limit or 50
    )
    return {"items": rows, "next_cursor": next_cursor}


class EarningRuleIO(Schema):
    kind: str = Field(..., max_length=20)
    points: int = Field(..., ge=1, le=10000)
    daily_cap: int | None = Field(None, ge=1, le=1_000_000)
    monthly_cap: int | None = Field(None, ge=1, le=1_000_000)
    needs_approval: bool = False
    is_active: bool = True


@router.get("/banks/{bank_id}/rules", response={200: list[EarningRuleIO], **ERRORS})
def rule_list(request, bank_id: Id):
    return selectors.rules_of(selectors.bank_for(request.auth, bank_id))


@router.post("/banks/{bank_id}/rules", response={200: EarningRuleIO, **ERRORS})
def rule_save(request, bank_id: Id, payload: EarningRuleIO):
    """Points per event of one kind, with caps per day and month and an approval step."""
    bank = selectors.bank_for(request.auth, bank_id)
    return services.rule_save(actor=request.auth, org_code=bank.org_code, **payload.dict())


class BankSettingsIn(Schema):
    expiry_months: int | None = Field(None, ge=1, le=120)


@router.post("/banks/{bank_id}/settings", response={200: PointsBankOut, **ERRORS})
def bank_settings(request, bank_id: Id, payload: BankSettingsIn):
    """Optional expiry: points expire this many months after they were earned, oldest
    first (a daily job posts the expiry; nothing is rewritten); none: never."""
    bank = selectors.bank_for(request.auth, bank_id)
    return services.bank_settings_save(
        actor=request.auth, org_code=bank.org_code, expiry_months=payload.expiry_months
    )


class MerchantIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    address: Text[200] = ""
    agreement_from: dt.date
    agreement_until: dt.date
    staff_ids: list[Id] = Field(default_factory=list, max_length=20)


class MerchantOut(Schema):
    id: int
    name: str
    address: str
    agreement_from: dt.date
    agreement_until: dt.date
    is_active: bool


@router.post("/banks/{bank_id}/merchants", response={201: MerchantOut, **ERRORS})
def merchant_create(request, bank_id: Id, payload: MerchantIn):
    """A partner merchant of the 暖心商户联盟: its agreement and the users who serve at its
    counter (they redeem its own offers only, while the agreement runs)."""
    bank = selectors.bank_for(request.auth, bank_id)
    staff = list(User.objects.filter(pk__in=payload.staff_ids, is_active=True))
    merchant = services.merchant_save(
        actor=request.auth, org_code=bank.org_code, name=payload.name, address=payload.address,
        agreement_from=payload.agreement_from, agreement_until=payload.agreement_until,
        staff=staff,
    )  # fmt: skip
    return Status(201, merchant)


class RewardOut(Schema):
    id: int
    title: str
    description: str
    price: int
    stock: int
    merchant_id: int | None
    is_active: bool


@router.get("/banks/{bank_id}/rewards", response={200: list[RewardOut], **ERRORS})
def reward_list(request, bank_id: Id):
    """The catalogue: gifts from the stock (no merchant) and merchants' offers."""
    return selectors.rewards_of(selectors.bank_for(request.auth, bank_id), active_only=False)


class RewardIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    description: Text[300] = ""
    price: int = Field(..., ge=1, le=1_000_000)
    stock: int = Field(..., ge=0, le=1_000_000)
    merchant_id: Id | None = None


@router.post("/banks/{bank_id}/rewards", response={201: RewardOut, **ERRORS})
def reward_create(request, bank_id: Id, payload: RewardIn):
    """A gift from the community's stock, or (with `merchant_id`) a merchant's offer."""
    bank = selectors.bank_for(request.auth, bank_id)
    return Status(
        201, services.reward_save(actor=request.auth, org_code=bank.org_code, **payload.dict())
    )


class PointsAccountOut(Schema):
    id: int
    bank_id: int
    name: str
    org_code: str
    balance: int


@router.get("/accounts/{account_id}", response={200: PointsAccountOut, **ERRORS})
def account_detail(request, account_id: Id):
    return selectors.account_for(request.auth, account_id)


class MovementOut(Schema):
    id: int
    at: dt.datetime
    amount: int
    balance: int
    reason: str
    kind: str


class MovementPage(Schema):
    items: list[MovementOut]
    next_cursor: str | None


@router.get("/accounts/{account_id}/movements", response={200: MovementPage, **ERRORS})
def movement_list(
    request, account_id: Id, limit: Limit | None = None, cursor: Cursor | None = None
):
    """The passbook: movements newest first, each with the balance after it."""
    account = selectors.account_for(request.auth, account_id)
    rows, next_cursor = selectors.passbook_page(account, cursor=cursor, limit=limit or 50)
    return {"items": [vars(r) for r in rows], "next_cursor": next_cursor}


class AwardIn(Schema):
    kind: str = Field(..., max_length=20)
    key: str = Field(
        ..., min_length=1, max_length=100, description="One per award: a resend pays once"
    )
    amount: int | None = Field(None, ge=1, le=1_000_000)
    quantity: int = Field(1, ge=1, le=100)
    note: Text[200] = ""


class AwardOut(Schema):
    status: str = Field(..., description="paid | pending | duplicate | capped | no_rule")
    amount: int
    transfer_id: int | None
    pending_id: int | None


@router.post("/accounts/{account_id}/awards", response={200: AwardOut, **ERRORS})
def award_create(request, account_id: Id, payload: AwardIn):
    """Award points at the counter under the community's rule of `kind` (its caps and
    approval apply)."""
    result = services.points_award_at_counter(
        actor=request.auth, account_id=account_id, **payload.dict()
    )
    return {
        "status": result.status, "amount": result.amount,
        "transfer_id": result.transfer.pk if result.transfer else None,
        "pending_id": result.pending.pk if result.pending else None,
    }  # fmt: skip


class DeductionIn(Schema):
    amount: int = Field(..., ge=1, le=1_000_000)
    reason: Text[200]
    key: str = Field(..., min_length=1, max_length=100)


class TransferOut(Schema):
    id: int
    kind: str
    source: str
    key: str
    reason: str
    created_at: dt.datetime
    reverses_id: int | None


@router.post("/accounts/{account_id}/deductions", response={200: TransferOut, **ERRORS})
def deduction_create(request, account_id: Id, payload: DeductionIn):
    """Take points back (扣分); refused (409 insufficient_points) below zero."""
    return services.points_deduct(actor=request.auth, account_id=account_id, **payload.dict())


class ReverseIn(Schema):
    reason: Text[200]


@router.post("/transfers/{transfer_id}/reverse", response={200: TransferOut, **ERRORS})
def transfer_reverse(request, transfer_id: Id, payload: ReverseIn):
    """A correction: the opposite movements, naming the original; once an original."""
    return services.transfer_reverse(
        actor=request.auth, transfer_id=transfer_id, reason=payload.reason
    )


class RedeemIn(Schema):
    token: str = Field(..., min_length=1, max_length=64)


class RedemptionOut(Schema):
    id: int
    reward_id: int
    merchant_id: int | None
    price: int
    state: str
    created_at: dt.datetime


@router.post("/merchant/redeem", response={200: RedemptionOut, **ERRORS})
def merchant_redeem(request, payload: RedeemIn):
    """A merchant's staff confirm a resident's one-time QR for one of the merchant's own
    offers, while its agreement runs."""
    return services.merchant_redeem(actor=request.auth, token=payload.token)


class TopEarnerOut(Schema):
    account_id: int
    name: str
    earned: int


class MerchantFigureOut(Schema):
    merchant_id: int
    name: str
    count: int
    points: int


class PointsFiguresOut(Schema):
    unit: str
    start: dt.date
    end: dt.date
    issued: int
    redeemed: int
    deducted: int
    expired: int
    reversed: int
    outstanding: int
    holders: int
    top: list[TopEarnerOut]
    merchants: list[MerchantFigureOut]


class FiguresQuery(Schema):
    unit: UnitCode
    start: DayText
    end: DayText


def _figures(request, q: FiguresQuery) -> dict:
    start, end = parse_period(q.start, q.end)
    unit = OrgUnit.objects.filter(code=q.unit).first()
    if unit is None or not can(request.auth, perms.VIEW, unit):
        raise NotFound(_("The unit does not exist or is outside your area."))
    f = selectors.figures(unit.code, start, end)
    f["unit"] = unit.code
    f["top"] = [
        {"account_id": t["account_id"], "name": t["account__name"], "earned": t["earned"]}
        for t in f["top"]
    ]
    f["merchants"] = [
        {"merchant_id": m["merchant_id"], "name": m["merchant__name"], "count": m["count"],
         "points": m["points"]}
        for m in f["merchants"]
    ]  # fmt: skip
    return f


@router.get("/figures", response={200: PointsFiguresOut, **ERRORS})
def figures(request, q: Query[FiguresQuery]):
    """Points issued, redeemed, deducted, expired and reversed in the period (local
    dates, both included) in the unit, outstanding now, top earners, merchants."""
    return _figures(request, q)


@router.get("/honour-board", response={200: list[TopEarnerOut], **ERRORS})
def honour_board(request, q: Query[FiguresQuery]):
    """The top earners of the period in the unit (光荣榜 feed for the honour board)."""
    return _figures(request, q)["top"]
