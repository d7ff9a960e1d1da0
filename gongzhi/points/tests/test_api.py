"""The API: statuses and bodies, scope (404 outside the area), and what was stored."""

import pytest

from gongzhi.points import services
from gongzhi.points.models import Account, Transfer
from gongzhi.points.tests.conftest import give

pytestmark = pytest.mark.django_db


def test_api__balances_and_movements(bank, people, login):
    give(bank, bank.wang, 30)
    give(bank, bank.wang, 5)
    client = login(people.community_worker)
    body = client.get(f"/api/v1/points/banks/{bank.bank.pk}/balances").json()
    assert [(r["name"], r["balance"]) for r in body["items"]] == [("王秀英", 35)]
    account = Account.objects.get(resident=bank.wang)
    page = client.get(f"/api/v1/points/accounts/{account.pk}/movements?limit=1").json()
    assert [(r["amount"], r["balance"]) for r in page["items"]] == [(5, 35)]
    older = client.get(
        f"/api/v1/points/accounts/{account.pk}/movements?limit=1&cursor={page['next_cursor']}"
    ).json()
    assert [(r["amount"], r["balance"]) for r in older["items"]] == [(30, 30)]
    assert login(people.gw_b).get(f"/api/v1/points/accounts/{account.pk}").status_code == 404


def test_api__award_deduct_reverse(bank, people, login):
    account = services.account_for_resident(bank.wang)
    gw = login(people.gw_a)
    url = f"/api/v1/points/accounts/{account.pk}/awards"
    payload = {"kind": "volunteer_hour", "key": "c-1", "quantity": 2}
    first = gw.post(url, payload, content_type="application/json")
    assert (
        first.status_code == 200
        and first.json()["status"] == "paid"
        and first.json()["amount"] == 20
    )
    again = gw.post(url, payload, content_type="application/json").json()
    assert again["status"] == "duplicate" and again["transfer_id"] == first.json()["transfer_id"]
    bad = gw.post(
        url,
        {"kind": "volunteer_hour", "key": "c-2", "quantity": 0},
        content_type="application/json",
    )
    assert bad.status_code == 422
    too_much = gw.post(
        f"/api/v1/points/accounts/{account.pk}/deductions",
        {"amount": 21, "reason": "x", "key": "d-1"},
        content_type="application/json",
    )
    assert too_much.status_code == 409 and too_much.json()["code"] == "insufficient_points"
    cw = login(people.community_worker)
    reversed_ = cw.post(
        f"/api/v1/points/transfers/{first.json()['transfer_id']}/reverse",
        {"reason": "误录"},
        content_type="application/json",
    )
    assert (
        reversed_.status_code == 200
        and reversed_.json()["reverses_id"] == first.json()["transfer_id"]
    )
    account.refresh_from_db()
    assert account.balance == 0 and Transfer.objects.count() == 2


def test_api__merchant_redeem_and_figures(bank, people, login):
    give(bank, bank.wang, 40)
    account = Account.objects.get(resident=bank.wang)
    token, _row = services.token_issue(account=account, reward_id=bank.haircut.pk)
    wrong = login(bank.baker_staff).post(
        "/api/v1/points/merchant/redeem", {"token": token}, content_type="application/json"
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "not_your_offer"
    ok = login(bank.barber_staff).post(
        "/api/v1/points/merchant/redeem", {"token": token}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["price"] == 30
    used = login(bank.barber_staff).post(
        "/api/v1/points/merchant/redeem", {"token": token}, content_type="application/json"
    )
    assert used.status_code == 409 and used.json()["code"] == "qr_used"
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    f = (
        login(people.op_sub)
        .get(f"/api/v1/points/figures?unit={bank.bank.org_code}&start={today}&end={today}")
        .json()
    )
    assert (f["issued"], f["redeemed"], f["outstanding"]) == (40, 30, 10)
    assert f["merchants"] == [
        {"merchant_id": bank.barber.pk, "name": "暖心理发店", "count": 1, "points": 30}
    ]
    top = (
        login(people.op_sub)
        .get(f"/api/v1/points/honour-board?unit={bank.bank.org_code}&start={today}&end={today}")
        .json()
    )
    assert top == [{"account_id": account.pk, "name": "王秀英", "earned": 40}]


def test_api__managers_add_merchants_rewards_and_expiry(bank, people, login):
    cw = login(people.community_worker)
    made = cw.post(
        f"/api/v1/points/banks/{bank.bank.pk}/merchants",
        {"name": "便民修鞋铺", "agreement_from": "2026-01-01", "agreement_until": "2027-12-31",
         "staff_ids": [bank.baker_staff.pk]},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["name"] == "便民修鞋铺"
    offer = cw.post(
        f"/api/v1/points/banks/{bank.bank.pk}/rewards",
        {"title": "修鞋一次", "price": 40, "stock": 10, "merchant_id": made.json()["id"]},
        content_type="application/json",
    )
    assert offer.status_code == 201 and offer.json()["merchant_id"] == made.json()["id"]
    expiry = cw.post(
        f"/api/v1/points/banks/{bank.bank.pk}/settings",
        {"expiry_months": 24},
        content_type="application/json",
    )
    assert expiry.status_code == 200 and expiry.json()["expiry_months"] == 24
    denied = login(people.gw_a).post(
        f"/api/v1/points/banks/{bank.bank.pk}/rewards",
        {"title": "x", "price": 1, "stock": 1},
        content_type="application/json",
    )
    assert denied.status_code == 403
    bad = cw.post(
        f"/api/v1/points/banks/{bank.bank.pk}/merchants",
        {"name": "x", "agreement_from": "2027-01-01", "agreement_until": "2026-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "agreement_until" in bad.json()["details"]
