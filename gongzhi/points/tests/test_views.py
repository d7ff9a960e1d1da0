"""The pages: the desk (balances, passbook, award, deduct), the printed passbook, the
resident's /my/points/ (passbook, reserve, QR) and the merchant's counter."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from gongzhi.core.models import AuditLog
from gongzhi.points import services
from gongzhi.points.models import Account, Redemption, RedemptionState, Transfer
from gongzhi.points.tests.conftest import give
from gongzhi.registry import pii
from gongzhi.selfservice import services as selfservice

pytestmark = pytest.mark.django_db


def phone_client(phone: str) -> Client:
    client = Client()
    session = client.session
    selfservice.remember(session, pii.seal_phone(phone))
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def test_desk__balances_and_the_passbook_within_the_workers_area(bank, people, login):
    give(bank, bank.wang, 30)
    give(bank, bank.li, 12)
    page = login(people.gw_a).get("/points/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "王秀英" in text and "李建国" not in text  # grid B is not gw_a's
    cw = login(people.community_worker).get("/points/").content.decode()
    assert cw.index("王秀英") < cw.index("李建国")  # highest balance first
    account = Account.objects.get(resident=bank.li)
    assert login(people.gw_a).get(f"/points/accounts/{account.pk}/").status_code == 404
    assert login(people.handler).get("/points/").status_code == 404


def test_desk__award_at_the_counter_once_per_form(bank, people, login):
    account = services.account_for_resident(bank.wang)
    client = login(people.gw_a)
    form = {"kind": "civility", "amount": "8", "note": "扶老人过马路", "key": "form-1"}
    for _ in range(2):  # a double tap
        response = client.post(f"/points/accounts/{account.pk}/award/", form)
        assert response.status_code == 302
    page = client.get(f"/points/accounts/{account.pk}/").content.decode()
    assert "扶老人过马路" in page and "+8" in page
    account.refresh_from_db()
    assert account.balance == 8 and Transfer.objects.count() == 1
    denied = login(people.gw_b).post(f"/points/accounts/{account.pk}/award/", {**form, "key": "2"})
    assert denied.status_code == 302 and Transfer.objects.count() == 1


def test_desk__a_deduction_below_zero_is_refused_with_a_message(bank, people, login):
    give(bank, bank.wang, 5)
    account = services.account_for_resident(bank.wang)
    client = login(people.gw_a)
    response = client.post(
        f"/points/accounts/{account.pk}/deduct/",
        {"amount": "6", "reason": "乱扔垃圾", "key": "d1"},
        follow=True,
    )
    assert "绿币不足：余额 5，需要 6。" in response.content.decode()
    account.refresh_from_db()
    assert account.balance == 5


def test_printed_passbook__rows_oldest_first_with_balances(bank, people, login):
    give(bank, bank.wang, 30)
    give(bank, bank.wang, 12)
    account = services.account_for_resident(bank.wang)
    page = login(people.gw_a).get(f"/points/accounts/{account.pk}/print/").content.decode()
    assert "passbook_print.css" in page and "<script" not in page
    cells = re.findall(r'<td class="n">(\d*)</td>', page)
    assert cells == ["30", "", "30", "12", "", "42"]


def test_my_points__the_residents_passbook_behind_the_verified_phone(bank):
    give(bank, bank.wang, 30)
    assert Client().get("/my/points/").status_code == 302  # to prove the phone first
    page = phone_client("13800000001").get("/my/points/")
    text = page.content.decode()
    assert page.status_code == 200 and "王秀英" in text and "30" in text
    assert "李建国" not in text
    stranger = phone_client("13900000000").get("/my/points/").content.decode()
    assert "王秀英" not in stranger
    other = Account.objects.get(resident=bank.wang).pk
    assert phone_client("13800000002").get(f"/my/points/?account={other}").status_code == 404


def test_my_points__reserve_a_gift_then_the_desk_hands_it_over(bank, people, login):
    give(bank, bank.wang, 60)
    account = Account.objects.get(resident=bank.wang)
    client = phone_client("13800000001")
    form = {"account": account.pk, "reward": bank.rice.pk, "how": "reserve", "key": "k1"}
    response = client.post("/my/points/rewards/", form)
    assert response.status_code == 200 and "已预约：大米5斤" in response.content.decode()
    client.post("/my/points/rewards/", form)  # a resend reserves nothing more
    redemption = Redemption.objects.get()
    account.refresh_from_db()
    assert account.balance == 10
    desk = login(people.gw_a)
    assert "大米5斤" in desk.get("/points/pending/").content.decode()
    desk.post(f"/points/redemptions/{redemption.pk}/", {"action": "hand_over"})
    redemption.refresh_from_db()
    assert redemption.state == RedemptionState.HANDED_OVER
    refused = client.post("/my/points/rewards/", {**form, "key": "k2"})
    assert refused.status_code == 409 and "绿币不足" in refused.content.decode()


def test_my_points__qr_scanned_and_confirmed_at_the_merchant_once(bank, login):
    give(bank, bank.wang, 60)
    account = Account.objects.get(resident=bank.wang)
    page = phone_client("13800000001").post(
        "/my/points/rewards/", {"account": account.pk, "reward": bank.haircut.pk, "how": "qr"}
    )
    text = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in text
    token = re.search(r"<code>([\w-]+)</code>", text).group(1)
    baker = login(bank.baker_staff)
    refused = baker.get(f"/points/merchant/redeem/?t={token}")
    assert refused.status_code == 403 and "该服务属于其他商户" in refused.content.decode()
    barber = login(bank.barber_staff)
    preview = barber.get(f"/points/merchant/redeem/?t={token}")
    assert preview.status_code == 200 and "理发一次" in preview.content.decode()
    assert "王秀英" not in preview.content.decode()  # the name masked
    done = barber.post("/points/merchant/redeem/", {"t": token})
    assert done.status_code == 200 and "已兑换" in done.content.decode()
    again = barber.post("/points/merchant/redeem/", {"t": token})
    assert again.status_code == 409 and "该兑换码已使用过" in again.content.decode()
    account.refresh_from_db()
    assert account.balance == 30
    statement = barber.get("/points/merchant/").content.decode()
    assert "理发一次" in statement
    assert login(bank.baker_staff).get("/points/").status_code == 404
    assert AuditLog.objects.filter(action="points.merchant_redeem").count() == 1


def test_bank_page__managers_save_rules_and_rewards(bank, people, login):
    client = login(people.community_worker)
    response = client.post(
        f"/points/banks/{bank.bank.pk}/",
        {
            "form": "rule",
            "kind": "meeting_attended",
            "points": "6",
            "daily_cap": "6",
            "is_active": "1",
        },
    )
    assert response.status_code == 302
    assert bank.bank.rules.get(kind="meeting_attended").points == 6
    bad = client.post(
        f"/points/banks/{bank.bank.pk}/",
        {"form": "reward", "title": "", "price": "0", "stock": "1"},
    )
    assert bad.status_code == 400
    grid = login(people.gw_a).post(
        f"/points/banks/{bank.bank.pk}/", {"form": "rule", "kind": "civility", "points": "99"}
    )
    assert grid.status_code == 403
    assert bank.bank.rules.get(kind="civility").points == 5


def test_report__figures_and_xlsx(bank, people, login):
    give(bank, bank.wang, 60)
    account = Account.objects.get(resident=bank.wang)
    services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r")
    client = login(people.op_sub)
    page = client.get(f"/points/report/?unit={bank.bank.org_code}")
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        "<strong>60</strong>" in text
        and "<strong>50</strong>" in text
        and "<strong>10</strong>" in text
    )
    book = client.get(f"/points/report.xlsx?unit={bank.bank.org_code}")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert login(people.gw_b).get("/points/report/?unit=990101").status_code == 404


def test_command_center__the_points_section_and_the_workbench_panel(bank, people, login):
    give(bank, bank.wang, 60)
    account = Account.objects.get(resident=bank.wang)
    services.redemption_reserve(account=account, reward_id=bank.rice.pk, key="r")
    client = login(people.op_sub)
    page = client.get(f"/command/?unit={bank.bank.org_code}").content.decode()
    assert "光荣榜" in page and "王秀英 · 60" in page
    monthly = client.get(
        f"/api/v1/command/monthly?unit={bank.bank.org_code}&month={timezone.localdate():%Y-%m}"
    ).json()
    text = str(monthly)
    assert "'issued'" in text and "'outstanding'" in text
    home = login(people.community_worker).get("/").content.decode()
    assert "待领取礼品" in home
