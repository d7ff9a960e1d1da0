"""The pages: the desk (balances, passbook, award, deduct), the printed passbook, the
resident's /my/points/ (passbook, reserve, QR) and the merchant's counter."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from gongzhi.core.models import AuditLog
from gongzhi.core.roles import Role
from gongzhi.core.tests.xlsx_support import cell_texts
from gongzhi.factories import PositionFactory, UserFactory
from gongzhi.points import selectors, services
from gongzhi.points.models import Account, Redemption, RedemptionState, RuleKind, Transfer
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


def test_bank_page__merchants_and_expiry_kept_by_the_managers(bank, people, login):
    from gongzhi.points.models import Merchant

    url = f"/points/banks/{bank.bank.pk}/"
    client = login(people.community_worker)
    shop = {"form": "merchant", "name": "便民修鞋铺", "address": "桂园路8号",
            "agreement_from": "2026-01-01", "agreement_until": "2026-12-31"}  # fmt: skip
    unknown = client.post(url, {**shop, "staff": "baker, no_such_user"})
    assert unknown.status_code == 400 and "no_such_user" in unknown.content.decode()
    backwards = client.post(url, {**shop, "agreement_until": "2025-01-01"})
    malformed = client.post(url, {**shop, "agreement_from": "明年"})
    assert (backwards.status_code, malformed.status_code) == (400, 400)
    assert not Merchant.objects.filter(name="便民修鞋铺").exists()
    assert client.post(url, {**shop, "staff": "baker"}).status_code == 302
    cobbler = Merchant.objects.get(name="便民修鞋铺")
    assert list(cobbler.staff.values_list("username", flat=True)) == ["baker"]
    update = {"form": "merchant_update", "merchant": cobbler.pk,
              "agreement_until": "2027-06-30", "is_active": "0"}  # fmt: skip
    assert client.post(url, update).status_code == 302
    cobbler.refresh_from_db()
    assert (cobbler.agreement_until, cobbler.is_active) == (dt.date(2027, 6, 30), False)
    assert "（已暂停）" in client.get(url).content.decode()
    assert client.post(url, {"form": "settings", "expiry_months": "12"}).status_code == 302
    assert client.post(url, {"form": "settings", "expiry_months": "0"}).status_code == 400
    assert client.post(url, {"form": "settings", "expiry_months": "十二"}).status_code == 400
    bank.bank.refresh_from_db()
    assert bank.bank.expiry_months == 12
    assert client.post(url, {"form": "settings", "expiry_months": ""}).status_code == 302
    bank.bank.refresh_from_db()
    assert bank.bank.expiry_months is None
    # A grid worker views the bank but keeps none of it.
    worker = login(people.gw_a)
    assert worker.post(url, {**shop, "name": "另一家"}).status_code == 403
    assert worker.post(url, {"form": "settings", "expiry_months": "6"}).status_code == 403
    assert not Merchant.objects.filter(name="另一家").exists()
    assert (
        AuditLog.objects.filter(action="points.merchant_save", object_id=str(cobbler.pk)).count()
        == 2
    )


def test_merchant_statement__for_the_community_and_the_merchant_itself(bank, people, tree, login):
    give(bank, bank.wang, 60)
    account = Account.objects.get(resident=bank.wang)
    token, _row = services.token_issue(account=account, reward_id=bank.haircut.pk)
    services.merchant_redeem(actor=bank.barber_staff, token=token)
    month = f"{timezone.localdate():%Y-%m}"
    staff = login(people.community_worker)
    page = staff.get(f"/points/merchants/{bank.barber.pk}/?month={month}")
    assert page.status_code == 200 and "理发一次" in page.content.decode()
    book = staff.get(f"/points/merchants/{bank.barber.pk}/statement.xlsx?month={month}")
    cells = cell_texts(book.content)
    assert book.status_code == 200 and {"理发一次", "合计"} <= cells and cells & {"30", "30.0"}
    own = login(bank.barber_staff).get(f"/points/merchant/statement.xlsx?month={month}")
    assert own.status_code == 200 and "理发一次" in cell_texts(own.content)
    # Another merchant's staff and a worker of another community do not see it.
    assert login(bank.baker_staff).get(f"/points/merchants/{bank.barber.pk}/").status_code == 404
    other = UserFactory(username="cw2")
    PositionFactory(user=other, role=Role.COMMUNITY_WORKER, org_unit=tree.community2)
    assert login(other).get(f"/points/merchants/{bank.barber.pk}/").status_code == 404
    assert login(people.resident).get("/points/merchant/statement.xlsx").status_code == 404


def test_report__by_community_under_a_subdistrict(bank, people, tree, login):
    give(bank, bank.wang, 60)
    services.rule_save(actor=people.op_sub, org_code=tree.community2.code,
                       kind=RuleKind.CIVILITY, points=5)  # fmt: skip
    give(bank, bank.zhao, 20)
    client = login(people.op_sub)
    text = client.get(f"/points/report/?unit={tree.sub.code}").content.decode()
    assert "按社区" in text and "桂园社区" in text and "翠竹社区" in text
    rows = {c["bank"].org_code: c for c in selectors.by_community(tree.sub.code,
            timezone.localdate(), timezone.localdate())}  # fmt: skip
    ours, theirs = rows[tree.community.code], rows[tree.community2.code]
    assert (ours["issued"], theirs["issued"], ours["holders"], theirs["outstanding"]) == (
        60, 20, 1, 20,
    )  # fmt: skip
    cells = cell_texts(client.get(f"/points/report.xlsx?unit={tree.sub.code}").content)
    assert {ours["bank"].name, theirs["bank"].name} <= cells
    # A community worker sees their community only.
    assert (
        login(people.community_worker).get(f"/points/report/?unit={tree.sub.code}").status_code
        == 404
    )
