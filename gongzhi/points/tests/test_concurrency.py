"""Many at once, on PostgreSQL (real concurrent transactions; SQLite takes one writer at a
time): redemptions racing for one balance, one QR confirmed twice, one event awarded
twice. After each race the ledger sums to zero and reconciles with 0 mismatches."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import translation

from gongzhi.cases.tests.test_concurrency import postgres_only, threaded, together
from gongzhi.points import ledger, services
from gongzhi.points.models import Account, Movement, Redemption, Reward, RuleKind, Transfer
from gongzhi.points.tests.conftest import give

# 100 attempts from 25 connections: the server's 100 connections are shared with the rest
# of the machine. Each thread fires its attempts back to back after a common barrier.
ATTEMPTS, THREADS = 100, 25


def many(call, attempts=ATTEMPTS, threads=THREADS):
    barrier = threading.Barrier(threads)
    results, lock = [], threading.Lock()

    def run(n):
        try:
            with translation.override("en"):
                barrier.wait(timeout=10)
                for _i in range(n):
                    try:
                        out = ("ok", call())
                    except Exception as exc:  # the outcome under test
                        out = ("error", exc)
                    with lock:
                        results.append(out)
        finally:
            connection.close()

    per = attempts // threads
    workers = [threading.Thread(target=run, args=(per,)) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
        assert not t.is_alive(), "a thread is stuck"
    assert len(results) == attempts
    return results


def assert_reconciled():
    assert (Movement.objects.aggregate(s=Sum("amount"))["s"] or 0) == 0
    report = services.points_reconcile()
    assert report["mismatches"] == [] and report["total"] == 0


@postgres_only
@threaded
def test_100_concurrent_redemptions_against_a_balance_covering_one__exactly_one(bank):
    give(bank, bank.wang, 50)  # the rice costs 50
    Reward.objects.filter(pk=bank.rice.pk).update(stock=1000)
    account = services.account_for_resident(bank.wang)
    results = many(
        lambda: services.redemption_reserve(
            account=account, reward_id=bank.rice.pk, key=services.new_key()
        )
    )
    ok = [r for r in results if r[0] == "ok"]
    refused = [r[1] for r in results if r[0] == "error"]
    assert len(ok) == 1
    assert all(isinstance(e, ledger.InsufficientPoints) for e in refused), refused[:3]
    assert Account.objects.get(resident=bank.wang).balance == 0
    assert Redemption.objects.count() == 1
    assert Reward.objects.get(pk=bank.rice.pk).stock == 999
    assert_reconciled()


@postgres_only
@threaded
def test_100_concurrent_merchant_redemptions_of_one_balance__exactly_one(bank):
    give(bank, bank.wang, 30)  # a haircut costs 30
    account = services.account_for_resident(bank.wang)
    tokens = iter(
        [
            services.token_issue(account=account, reward_id=bank.haircut.pk)[0]
            for _ in range(ATTEMPTS)
        ]
    )
    lock = threading.Lock()

    def redeem():
        with lock:
            token = next(tokens)
        return services.merchant_redeem(actor=bank.barber_staff, token=token)

    results = many(redeem)
    assert sum(1 for r in results if r[0] == "ok") == 1
    assert all(isinstance(r[1], ledger.InsufficientPoints) for r in results if r[0] == "error")
    assert Account.objects.get(resident=bank.wang).balance == 0
    assert Account.objects.get(merchant=bank.barber).balance == 30
    assert_reconciled()


@postgres_only
@threaded
def test_one_qr_confirmed_at_once_by_two_counters__one_redemption(bank):
    give(bank, bank.wang, 100)
    account = services.account_for_resident(bank.wang)
    token, _row = services.token_issue(account=account, reward_id=bank.haircut.pk)
    results = together(
        *[lambda: services.merchant_redeem(actor=bank.barber_staff, token=token)] * 2
    )
    assert sorted(r[0] for r in results) == ["error", "ok"]
    assert next(r[1] for r in results if r[0] == "error").code == "qr_used"
    assert Account.objects.get(resident=bank.wang).balance == 70
    assert_reconciled()


@postgres_only
@threaded
def test_one_event_awarded_at_once_by_ten_callers__pays_once(bank):
    results = together(
        *[
            lambda: services.points_award(
                source="volunteering.checkout", key="42", kind=RuleKind.VOLUNTEER_HOUR,
                resident=bank.wang, quantity=2,
            )
        ]
        * 10
    )  # fmt: skip
    statuses = sorted(r[1].status for r in results if r[0] == "ok")
    assert statuses == ["duplicate"] * 9 + ["paid"], results
    assert Transfer.objects.filter(source="volunteering.checkout").count() == 1
    assert Account.objects.get(resident=bank.wang).balance == 20
    assert_reconciled()


@postgres_only
@threaded
def test_raw_sql_cannot_change_the_ledger_outside_a_test_transaction(bank):
    give(bank, bank.wang, 20)
    for sql in ("UPDATE points_movement SET amount = 1", "DELETE FROM points_movement"):
        with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
            cursor.execute(sql)
    assert_reconciled()
