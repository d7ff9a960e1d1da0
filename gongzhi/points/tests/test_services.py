import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.points import feeds, ledger, services
from gongzhi.points.models import (
    Account,
    AccountKind,
    Movement,
    PendingAward,
    Redemption,
    RedemptionState,
    RedemptionToken,
    Reward,
    RuleKind,
    Transfer,
    TransferKind,
)
from gongzhi.points.tests.conftest import give, make_resident

pytestmark = pytest.mark.django_db


def balance(resident) -> int:
    return Account.objects.get(resident=resident).balance


def assert_ledger_balanced():
    assert (Movement.objects.aggregate(s=Sum("amount"))["s"] or 0) == 0
    report = ledger.reconcile()
    assert report["mismatches"] == [] and report["total"] == 0


# -- earning ---------------------------------------------------------------------------------


def test_points_award__pays_by_the_rule_with_a_transfer_summing_to_zero(bank, people):
    result = services.points_award(
        source="volunteering.checkout", key="17", kind=RuleKind.VOLUNTEER_HOUR,
        resident=bank.wang, quantity=2, actor=people.gw_a,
    )  # fmt: skip
    assert result.status == "paid" and result.amount == 20
    transfer = result.transfer
    assert (transfer.kind, transfer.source, transfer.key, transfer.rule) == (
        TransferKind.AWARD, "volunteering.checkout", "17", bank.volunteer_rule,
    )  # fmt: skip
    moves = sorted(transfer.movements.values_list("account__kind", "amount"))
    assert moves == [(AccountKind.ISSUER, -20), (AccountKind.RESIDENT, 20)]
    assert balance(bank.wang) == 20
    assert ledger.balance(bank.issuer) == -20
    assert Account.objects.get(pk=bank.issuer.pk).balance == 0  # not kept: see models
    audit = AuditLog.objects.get(action="points.award")
    assert audit.actor == people.gw_a and audit.changes["points"] == 20
    assert_ledger_balanced()


def test_points_award__the_same_source_key_pays_once(bank):
    first = services.points_award(
        source="care.wish", key="8", kind=RuleKind.CIVILITY, resident=bank.wang
    )
    again = services.points_award(
        source="care.wish", key="8", kind=RuleKind.CIVILITY, resident=bank.wang
    )
    assert (first.status, again.status) == ("paid", "duplicate")
    assert again.transfer == first.transfer
    assert balance(bank.wang) == 5
    assert Transfer.objects.filter(source="care.wish").count() == 1
    # Another source with the same key is another event.
    other = services.points_award(
        source="survey", key="8", kind=RuleKind.CIVILITY, resident=bank.wang
    )
    assert other.paid and balance(bank.wang) == 10


def test_points_award__the_database_refuses_a_second_transfer_of_one_event(bank):
    give(bank, bank.wang, 5, key="k1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            bank=bank.bank, kind=TransferKind.AWARD, source="test", key="k1", reason="x",
            created_at=timezone.now(),
        )  # fmt: skip


def test_points_award__caps_per_day_and_month(bank):
    def hours(key, n):
        return services.points_award(
            source="v", key=key, kind=RuleKind.VOLUNTEER_HOUR, resident=bank.wang, quantity=n
        )

    start = timezone.make_aware(dt.datetime(2026, 3, 2, 10))
    with time_machine.travel(start, tick=False):
        assert hours("a", 3).amount == 30
        capped = hours("b", 3)  # 40 a day
        assert (capped.status, capped.amount) == ("paid", 10)
        assert hours("c", 1).status == "capped"
    with time_machine.travel(start + dt.timedelta(days=1), tick=False):
        assert hours("d", 4).amount == 40
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        assert hours("e", 4).amount == 20  # 100 a month
        assert hours("f", 1).status == "capped"
    with time_machine.travel(start + dt.timedelta(days=30), tick=False):  # April
        assert hours("c", 1).amount == 10  # a capped event was not recorded
    assert balance(bank.wang) == 110


def test_points_award__waits_for_approval_when_the_rule_asks(bank, people, tree):
    services.rule_save(
        actor=people.community_worker, org_code=tree.community.code,
        kind=RuleKind.REPORT_CLOSED, points=8, needs_approval=True,
    )  # fmt: skip
    result = services.points_award(
        source="cases.closed", key="31", kind=RuleKind.REPORT_CLOSED, resident=bank.wang
    )
    assert result.status == "pending" and not Transfer.objects.exists()
    assert (
        services.points_award(
            source="cases.closed", key="31", kind=RuleKind.REPORT_CLOSED, resident=bank.wang
        ).status
        == "duplicate"
    )
    with pytest.raises(PermissionDenied):
        services.pending_decide(actor=people.gw_a, pending_id=result.pending.pk, approve=True)
    services.pending_decide(
        actor=people.community_worker, pending_id=result.pending.pk, approve=True
    )
    assert balance(bank.wang) == 8
    assert Transfer.objects.get().key == "31"
    with pytest.raises(Conflict):
        services.pending_decide(
            actor=people.community_worker, pending_id=result.pending.pk, approve=True
        )
    assert balance(bank.wang) == 8


def test_points_award__no_rule_moves_nothing_and_bad_input_is_refused(bank):
    assert (
        services.points_award(
            source="s", key="1", kind=RuleKind.SURVEY_COMPLETED, resident=bank.wang
        ).status
        == "no_rule"
    )
    with pytest.raises(Invalid):
        services.points_award(source="s", key="", kind=RuleKind.CIVILITY, resident=bank.wang)
    with pytest.raises(Invalid):
        services.points_award(source="s", key="1", kind="bribe", resident=bank.wang)
    with pytest.raises(Invalid):
        services.points_award(
            source="s", key="1", kind=RuleKind.CIVILITY, resident=bank.wang, amount=-5
        )
    assert not Transfer.objects.exists()


def test_points_award_at_counter__only_within_the_workers_area(bank, people):
    account = services.account_for_resident(bank.wang)
    paid = services.points_award_at_counter(
        actor=people.gw_a, account_id=account.pk, kind=RuleKind.CIVILITY, key="x1"
    )
    assert paid.amount == 5
    with pytest.raises(NotFound):  # grid B's worker: not their grid
        services.points_award_at_counter(
            actor=people.gw_b, account_id=account.pk, kind=RuleKind.CIVILITY, key="x2"
        )
    with pytest.raises(PermissionDenied):  # a leader reads only
        services.points_award_at_counter(
            actor=people.leader, account_id=account.pk, kind=RuleKind.CIVILITY, key="x3"
        )
    with pytest.raises(NotFound):
        services.points_award_at_counter(
            actor=people.resident, account_id=account.pk, kind=RuleKind.CIVILITY, key="x4"
        )
    assert balance(bank.wang) == 5


# -- deduction and reversal --------------------------------------------------------------------


def test_points_deduct__never_below_zero(bank, people):
    give(bank, bank.wang, 20)
    account = services.account_for_resident(bank.wang)
    services.points_deduct(
        actor=people.gw_a, account_id=account.pk, amount=15, reason="高空抛物", key="d1"
    )
    with pytest.raises(ledger.InsufficientPoints) as refused:
        services.points_deduct(
            actor=people.gw_a, account_id=account.pk, amount=6, reason="又一次", key="d2"
        )
    assert refused.value.status == 409 and refused.value.code == "insufficient_points"
    assert balance(bank.wang) == 5
    assert not Transfer.objects.filter(key="d2").exists()
    assert_ledger_balanced()


def test_transfer_reverse__names_the_original_once(bank, people):
    award = give(bank, bank.wang, 20).transfer
    reversal = services.transfer_reverse(
        actor=people.community_worker, transfer_id=award.pk, reason="误录"
    )
    assert reversal.reverses == award and reversal.kind == TransferKind.REVERSAL
    assert sorted(reversal.movements.values_list("amount", flat=True)) == [-20, 20]
    assert balance(bank.wang) == 0
    with pytest.raises(Conflict):
        services.transfer_reverse(
            actor=people.community_worker, transfer_id=award.pk, reason="again"
        )
    with pytest.raises(PermissionDenied):
        services.transfer_reverse(actor=people.leader, transfer_id=award.pk, reason="x")
    assert award.movements.count() == 2  # the original is still there, unchanged
    assert_ledger_balanced()


def test_transfer_reverse__refused_when_the_points_were_spent(bank, people):
    award = give(bank, bank.wang, 50).transfer
    account = services.account_for_resident(bank.wang)
    services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r1")
    with pytest.raises(ledger.InsufficientPoints):
        services.transfer_reverse(
            actor=people.community_worker, transfer_id=award.pk, reason="误录"
        )
    assert balance(bank.wang) == 0


# -- append-only -------------------------------------------------------------------------------


def test_ledger__no_movement_or_transfer_can_be_changed_or_deleted(bank):
    transfer = give(bank, bank.wang, 20).transfer
    move = transfer.movements.first()
    for attempt in (
        lambda: move.save(),
        lambda: move.delete(),
        lambda: Movement.objects.filter(pk=move.pk).update(amount=999),
        lambda: Movement.objects.filter(pk=move.pk).delete(),
        lambda: transfer.save(),
        lambda: transfer.delete(),
        lambda: Transfer.objects.all().update(reason="x"),
        lambda: Transfer.objects.all().delete(),
    ):
        with pytest.raises(TypeError, match="append-only"):
            attempt()


PG_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's flush between transactional tests is a DELETE FROM: no DELETE trigger",
)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE points_movement SET amount = 999",
        pytest.param("DELETE FROM points_movement", marks=PG_ONLY),
        "UPDATE points_transfer SET reason = 'x'",
        pytest.param("DELETE FROM points_transfer", marks=PG_ONLY),
    ],
)
def test_ledger__the_database_refuses_raw_update_and_delete(bank, sql):
    give(bank, bank.wang, 20)
    before = list(Movement.objects.values_list("pk", "amount").order_by("pk"))
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert list(Movement.objects.values_list("pk", "amount").order_by("pk")) == before
    assert Transfer.objects.filter(reason="x").count() == 0


def test_ledger__a_transfer_must_sum_to_zero(bank):
    account = services.account_for_resident(bank.wang)
    with pytest.raises(Invalid), transaction.atomic():
        ledger.post(bank=bank.bank, kind="award", source="t", key="1",
                    legs=[(bank.issuer, -5), (account, 6)], reason="x")  # fmt: skip
    with pytest.raises(Invalid), transaction.atomic():
        ledger.post(bank=bank.bank, kind="award", source="t", key="1",
                    legs=[(account, 0), (bank.issuer, 0)], reason="x")  # fmt: skip
    assert not Transfer.objects.exists()


# -- redeeming -----------------------------------------------------------------------------------


def test_redemption_reserve__points_and_stock_move_together(bank, people):
    give(bank, bank.wang, 120)
    account = services.account_for_resident(bank.wang)
    redemption = services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r1")
    again = services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r1")
    assert again == redemption and redemption.state == RedemptionState.RESERVED
    assert balance(bank.wang) == 70
    assert ledger.balance(bank.stock) == 50
    assert Reward.objects.get(pk=bank.rice.pk).stock == 2
    services.redemption_hand_over(actor=people.gw_a, redemption_id=redemption.pk)
    redemption.refresh_from_db()
    assert redemption.state == RedemptionState.HANDED_OVER and redemption.handed_by == people.gw_a
    with pytest.raises(Conflict):
        services.redemption_cancel(
            actor=people.community_worker, redemption_id=redemption.pk, reason="x"
        )
    assert_ledger_balanced()


def test_redemption_reserve__refused_without_points_or_stock_changes_nothing(bank):
    give(bank, bank.wang, 49)
    account = services.account_for_resident(bank.wang)
    with pytest.raises(ledger.InsufficientPoints):
        services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r1")
    assert Reward.objects.get(pk=bank.rice.pk).stock == 3 and balance(bank.wang) == 49
    assert not Redemption.objects.exists()
    Reward.objects.filter(pk=bank.rice.pk).update(stock=0)
    give(bank, bank.wang, 100)
    with pytest.raises(Conflict) as out:
        services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r2")
    assert out.value.code == "out_of_stock"


def test_redemption_cancel__gives_back_points_and_stock_by_a_reversal(bank, people):
    give(bank, bank.wang, 50)
    account = services.account_for_resident(bank.wang)
    redemption = services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r1")
    services.redemption_cancel(
        actor=people.community_worker, redemption_id=redemption.pk, reason="未领取"
    )
    assert balance(bank.wang) == 50 and Reward.objects.get(pk=bank.rice.pk).stock == 3
    assert Transfer.objects.get(kind=TransferKind.REVERSAL).reverses == redemption.transfer
    assert_ledger_balanced()


def test_merchant_redeem__a_one_time_qr_at_the_merchants_counter(bank):
    give(bank, bank.wang, 100)
    account = services.account_for_resident(bank.wang)
    token, row = services.token_issue(account=account, reward_id=bank.haircut.pk)
    assert len(token) >= 32 and row.token_hash != token
    redemption = services.merchant_redeem(actor=bank.barber_staff, token=token)
    assert redemption.merchant == bank.barber and redemption.state == RedemptionState.HANDED_OVER
    assert balance(bank.wang) == 70
    assert Account.objects.get(merchant=bank.barber).balance == 30
    assert Reward.objects.get(pk=bank.haircut.pk).stock == 49
    with pytest.raises(Conflict) as reused:
        services.merchant_redeem(actor=bank.barber_staff, token=token)
    assert reused.value.code == "qr_used"
    assert balance(bank.wang) == 70 and Redemption.objects.count() == 1
    assert_ledger_balanced()


def test_merchant_redeem__an_expired_qr_is_refused(bank):
    give(bank, bank.wang, 100)
    account = services.account_for_resident(bank.wang)
    token, _row = services.token_issue(account=account, reward_id=bank.haircut.pk)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(minutes=6)),
        pytest.raises(Conflict) as expired,
    ):
        services.merchant_redeem(actor=bank.barber_staff, token=token)
    assert expired.value.code == "qr_expired"
    with pytest.raises(NotFound):
        services.merchant_redeem(actor=bank.barber_staff, token="made-up")
    assert balance(bank.wang) == 100 and not Redemption.objects.exists()
    assert RedemptionToken.objects.get().used_at is None


def test_merchant_redeem__another_merchants_offer_is_refused(bank):
    give(bank, bank.wang, 100)
    account = services.account_for_resident(bank.wang)
    token, _row = services.token_issue(account=account, reward_id=bank.haircut.pk)
    with pytest.raises(PermissionDenied) as refused:
        services.merchant_redeem(actor=bank.baker_staff, token=token)
    assert refused.value.code == "not_your_offer"
    assert balance(bank.wang) == 100 and not Redemption.objects.exists()
    # The barber still can: the refusal did not use the code.
    services.merchant_redeem(actor=bank.barber_staff, token=token)


def test_merchant_redeem__only_while_the_agreement_runs(bank, people, tree):
    give(bank, bank.wang, 100)
    account = services.account_for_resident(bank.wang)
    token, _row = services.token_issue(account=account, reward_id=bank.haircut.pk)
    today = timezone.localdate()
    services.merchant_save(
        actor=people.community_worker, org_code=tree.community.code, name="暖心理发店",
        agreement_from=today - dt.timedelta(days=60), agreement_until=today - dt.timedelta(days=1),
        staff=[bank.barber_staff], merchant=bank.barber,
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        services.merchant_redeem(actor=bank.barber_staff, token=token)
    assert refused.value.code == "agreement_inactive"
    with pytest.raises(Conflict):
        services.token_issue(account=account, reward_id=bank.haircut.pk)
    assert balance(bank.wang) == 100


# -- expiry and reconciliation ---------------------------------------------------------------


def test_points_expire__oldest_points_first_from_the_movements(bank, people, tree):
    services.bank_settings_save(
        actor=people.community_worker, org_code=tree.community.code, expiry_months=12
    )
    jan = timezone.make_aware(dt.datetime(2025, 1, 10, 9))
    with time_machine.travel(jan, tick=False):
        give(bank, bank.wang, 60)
    with time_machine.travel(jan + dt.timedelta(days=200), tick=False):
        give(bank, bank.wang, 50)
        account = services.account_for_resident(bank.wang)
        services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r1")  # spends 50
    later = jan + dt.timedelta(days=380)  # the January points are 12 months old
    assert services.points_expire(now=later) == 1
    assert services.points_expire(now=later) == 0  # once a day
    assert balance(bank.wang) == 50  # 60 earned in January, 50 of them spent: 10 expired
    expiry = Transfer.objects.get(kind=TransferKind.EXPIRY)
    assert sorted(expiry.movements.values_list("amount", flat=True)) == [-10, 10]
    assert services.points_expire(now=later + dt.timedelta(days=1)) == 0
    assert_ledger_balanced()


def test_points_reconcile__reports_a_tampered_balance(bank):
    give(bank, bank.wang, 20)
    assert services.points_reconcile()["mismatches"] == []
    Account.objects.filter(resident=bank.wang).update(balance=25)
    report = services.points_reconcile()
    assert [m["account"] for m in report["mismatches"]] == [
        Account.objects.get(resident=bank.wang).pk
    ]
    audit = AuditLog.objects.filter(action="points.reconcile").first()
    assert len(audit.changes["mismatches"]) == 1


def test_accounts__each_community_has_its_own_bank(bank, tree):
    other = services.account_for_resident(bank.zhao)
    assert other.bank.org_code == tree.community2.code != bank.bank.org_code
    # the other community has no rules: nothing is paid there
    assert give(bank, bank.zhao, 5).status == "no_rule"
    assert PendingAward.objects.count() == 0
    assert make_resident(tree.grid_a, "新居民").org_code.startswith(bank.bank.org_code)


# -- the bank's own feeds ------------------------------------------------------------------


def _resident_report(people, tree, phone, channel="resident"):
    from gongzhi.cases import services as cases
    from gongzhi.cases.models import Category

    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    case, _created = cases.case_report(
        actor=people.gw_a, category_id=category.pk, title="楼道堆物", grid_id=tree.grid_a.pk,
        via=channel, reporter_phone=phone, self_handle=True, result="已清理",
    )  # fmt: skip
    return case


def test_report_closed__pays_the_resident_once_when_verified(bank, people, tree):
    from gongzhi.cases import services as cases

    services.rule_save(actor=people.community_worker, org_code=tree.community.code,
                       kind=RuleKind.REPORT_CLOSED, points=5)  # fmt: skip
    case = _resident_report(people, tree, "13800000001")  # 王秀英's phone
    account = services.account_for_resident(bank.wang)
    assert account.balance == 0  # handled is not closed
    cases.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    account.refresh_from_db()
    case.refresh_from_db()
    assert account.balance == 5
    transfer = Transfer.objects.get(source="cases.report_closed", key=str(case.pk))
    assert case.number in transfer.reason
    # Closed again (reopened, handled, verified): the same case pays once.
    feeds.report_closed(case, "verify_pass", people.op_sub)
    account.refresh_from_db()
    assert account.balance == 5
    assert Transfer.objects.filter(source="cases.report_closed").count() == 1


@pytest.mark.parametrize("how", ["worker_channel", "shared_phone", "unknown_phone", "no_rule"])
def test_report_closed__pays_no_one_when_it_is_not_a_residents_own_report(bank, people, tree, how):
    from gongzhi.cases import services as cases
    from gongzhi.points.tests.conftest import make_resident

    if how != "no_rule":
        services.rule_save(actor=people.community_worker, org_code=tree.community.code,
                           kind=RuleKind.REPORT_CLOSED, points=5)  # fmt: skip
    phone = {"unknown_phone": "13900000009"}.get(how, "13800000001")
    if how == "shared_phone":
        make_resident(tree.grid_a, "王建军", "13800000001")  # the household's one number
    channel = "grid_worker" if how == "worker_channel" else "resident"
    case = _resident_report(people, tree, phone, channel=channel)
    cases.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    assert not Transfer.objects.filter(source="cases.report_closed").exists()
    assert case.__class__.objects.get(pk=case.pk).state == "closed"
