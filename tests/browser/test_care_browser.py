"""A grid worker records a visit on a phone (the demo's wangge01 made 50 this year: this
is the 51st); a neighbour reads the public wish board on a phone.

Run: .venv/bin/python -m pytest tests/browser/test_care_browser.py -q
"""

import pytest
from playwright.sync_api import expect

from gongzhi.care.models import Visit
from gongzhi.registry.models import Resident

from .conftest import PHONE, zh

pytestmark = pytest.mark.browser


def test_a_grid_worker_records_the_51st_visit_on_a_phone(web):
    page = web.page
    page.set_viewport_size(PHONE)
    web.login("wangge01")
    page.goto(web.url("/care/"))
    expect(page.locator(".care-count")).to_contain_text("50")
    expect(page.locator(".care-item").first).to_be_visible()
    web.shoot("care-due-phone", PHONE)
    page.locator(".care-item").first.click()
    page.locator("label.seg-item:has(input[name=c_health][value=ok])").click()
    page.locator("label.seg-item:has(input[name=c_heating][value=concern])").click()
    page.fill("#care-notes", "暖气不太热，已联系物业")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the visit form is {overflow}px wider than the phone"
    web.shoot("care-visit-phone", PHONE)
    page.click("#care-form button[type=submit]")
    expect(page.locator(".alert").first).to_contain_text("51")
    visit = Visit.objects.filter(visitor__username="wangge01").latest("pk")
    assert visit.checklist == {"health": "ok", "heating": "concern"}
    assert visit.notes == "暖气不太热，已联系物业"
    web.assert_all_local()


def test_the_wish_board_on_a_phone_names_nobody(web):
    page = web.page
    page.set_viewport_size(PHONE)
    page.goto(web.url("/wishes/"))
    expect(page.locator("h1")).to_contain_text(zh("Micro-wish board"))
    expect(page.locator(".care-item").first).to_be_visible()
    web.shoot("care-board-phone", PHONE)
    text = page.locator("main").inner_text()
    names = Resident.objects.filter(tags__is_care=True).values_list("name", flat=True)
    assert not [n for n in set(names) if n in text]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    web.assert_all_local()
