"""Volunteers and patrols in a real browser: the community worker's activity page (its
check-in QR and sign-ups) and figures on a desk; the public board, an activity and a
patrol run on a phone (WeChat-sized); nothing wider than the screen, nothing loaded from
outside."""

import pytest
from playwright.sync_api import expect

from gongzhi.volunteers.models import Activity

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def _fits(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def test_volunteers_on_a_desk_and_on_a_phone(web):
    page = web.page
    coming = Activity.objects.filter(title__contains="本周").order_by("starts_at").first()
    page.set_viewport_size(DESKTOP)
    web.login("shequ1")
    page.goto(web.url(f"/volunteers/activities/{coming.pk}/"))
    expect(page.locator("img.vol-qr")).to_be_visible()
    web.shoot("volunteers-activity-desktop", DESKTOP)
    page.goto(web.url("/volunteers/figures/"))
    expect(page.locator("[data-line=total]")).to_contain_text("人次")
    web.shoot("volunteers-figures-desktop", DESKTOP)
    page.set_viewport_size(PHONE)
    page.goto(web.url("/activities/"))
    expect(page.locator("main")).to_contain_text("志愿活动")
    web.shoot("volunteers-board-phone", PHONE)
    _fits(page)
    page.goto(web.url(f"/activities/{coming.pk}/"))
    expect(page.locator("main")).to_contain_text(coming.title)
    _fits(page)
    page.goto(web.url(f"/volunteers/activities/{coming.pk}/"))
    _fits(page)
    page.goto(web.url("/patrols/"))
    page.get_by_role("button", name="开始").click()
    expect(page.locator("form[data-locate]")).to_be_visible()
    web.shoot("patrols-run-phone", PHONE)
    _fits(page)
    web.assert_all_local()
