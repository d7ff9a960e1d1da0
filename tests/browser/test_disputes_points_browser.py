"""Disputes and the points bank in a real browser, at the sizes their users hold: the
community worker's register and screening board on a desk, the grid worker's quick
register on a phone, the passbooks of a community and one resident's passbook."""

import pytest
from playwright.sync_api import expect

from gongzhi.points.models import Account

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def _fits(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def test_the_register_and_the_screening_board(web):
    page = web.page
    page.set_viewport_size(DESKTOP)
    web.login("shequ1")
    page.goto(web.url("/disputes/"))
    expect(page.locator("main")).to_contain_text("调解")
    web.shoot("disputes-register-desktop", DESKTOP)
    page.goto(web.url("/disputes/screening/"))
    expect(page.locator("main")).to_contain_text("排查")
    web.shoot("disputes-screening-desktop", DESKTOP)
    web.shoot("disputes-screening-phone", PHONE)
    _fits(page)
    web.assert_all_local()


def test_a_grid_worker_registers_a_dispute_on_a_phone(web):
    page = web.page
    page.set_viewport_size(PHONE)
    web.login("wangge01")
    page.goto(web.url("/disputes/new/"))
    expect(page.locator("form.dsp-form")).to_be_visible()
    web.shoot("disputes-new-phone", PHONE)
    _fits(page)
    web.assert_all_local()


def test_the_passbooks(web):
    page = web.page
    page.set_viewport_size(DESKTOP)
    web.login("shequ1")
    page.goto(web.url("/points/"))
    expect(page.locator("main")).to_contain_text("绿币")
    web.shoot("points-balances-desktop", DESKTOP)
    account = Account.objects.filter(kind="resident", balance__gt=0).order_by("pk").first()
    page.set_viewport_size(PHONE)
    page.goto(web.url(f"/points/accounts/{account.pk}/"))
    expect(page.locator("main")).to_contain_text(account.name)
    web.shoot("points-passbook-phone", PHONE)
    _fits(page)
    web.assert_all_local()
