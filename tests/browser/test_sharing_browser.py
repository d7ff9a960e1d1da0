"""Rooms and the tool hut in a real browser: a room's week and the hut's counter on a desk
and on a phone (the worker's), without sideways scrolling or a policy violation."""

import pytest
from playwright.sync_api import expect

from gongzhi.sharing.models import Hut, Room

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def _fits(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def test_a_rooms_week_and_the_huts_counter(web):
    page = web.page
    page.set_viewport_size(DESKTOP)
    web.login("admin")
    room = Room.objects.get(name="文体活动室")
    page.goto(web.url(f"/sharing/rooms/{room.pk}/"))
    expect(page.locator("main")).to_contain_text("文体活动室")
    web.shoot("sharing-room-week-desktop", DESKTOP)
    web.shoot("sharing-room-week-phone", PHONE)
    _fits(page)
    hut = Hut.objects.get()
    page.set_viewport_size(PHONE)
    page.goto(web.url(f"/sharing/huts/{hut.pk}/"))
    expect(page.locator("main")).to_contain_text("共享小屋")
    web.shoot("sharing-hut-phone", PHONE)
    _fits(page)
    page.goto(web.url("/sharing/"))
    web.shoot("sharing-overview-desktop", DESKTOP)
    web.assert_all_local()


def test_a_new_room_on_a_phone_refused_then_created(web):
    page = web.page
    page.set_viewport_size(PHONE)
    web.login("admin")
    page.goto(web.url("/sharing/rooms/new/"))
    _fits(page)
    page.fill("#f-name", "书画室")
    page.fill("#f-min_minutes", "300")
    page.click("main form.form button[type=submit]")
    expect(page.locator("main")).to_contain_text("最短预约时长不能超过最长预约时长。")
    expect(page.locator("#f-name")).to_have_value("书画室")
    web.shoot("sharing-room-new-refused-phone", PHONE)
    _fits(page)
    page.fill("#f-min_minutes", "60")
    page.click("main form.form button[type=submit]")
    expect(page.locator("main h1")).to_contain_text("书画室")
    assert Room.objects.filter(name="书画室").exists()
