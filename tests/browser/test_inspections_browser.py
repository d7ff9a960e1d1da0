"""A grid worker inspects a shop on a phone; the subdistrict follows the campaign.

Run: .venv/bin/python -m pytest tests/browser/test_inspections_browser.py -q
"""

import pytest
from playwright.sync_api import expect

from gongzhi.inspections.models import InspectionResult

from .conftest import DESKTOP, PHONE, photo_file, zh

pytestmark = pytest.mark.browser


def test_a_grid_worker_inspects_on_a_phone(web, tmp_path):
    page = web.page
    page.set_viewport_size(PHONE)
    web.login("wangge01")
    page.goto(web.url("/inspections/"))
    expect(page.locator(".insp-item").first).to_be_visible()
    web.shoot("inspections-todo-phone", PHONE)
    page.locator(".insp-item").first.click()
    first = page.locator(".insp-q").first
    photo = first.locator(".insp-photo")
    expect(photo).to_be_hidden()  # asked for once the item fails
    first.locator(".insp-fail").click()
    expect(photo).to_be_visible()
    first.locator("input[type=file]").set_input_files(str(photo_file(tmp_path)))
    expect(photo).to_contain_text(zh("Photo chosen"))
    for q in page.locator(".insp-q").all()[1:]:
        q.locator(".insp-pass").click()
    web.shoot("inspections-task-phone", PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the checklist is {overflow}px wider than the phone"
    page.click("#insp-form button[type=submit]")
    expect(page).to_have_url(web.url("/inspections/"))
    result = InspectionResult.objects.filter(inspector__username="wangge01").latest("pk")
    expect(page.locator(".alert").first).to_contain_text(result.hazard.number)
    assert result.device_at is not None and len(result.failed_keys) == 1
    web.assert_all_local()


def test_the_subdistrict_follows_the_campaign(web):
    page = web.page
    web.login("jiedao")
    page.goto(web.url("/inspections/campaigns/"))
    page.locator(".insp-item").first.click()
    expect(page.locator(".insp-round")).to_have_count(2)
    expect(page.locator(".insp-table").first.locator("tbody tr").first).to_be_visible()
    web.shoot("inspections-campaign-desktop", DESKTOP)
    web.shoot("inspections-campaign-phone", PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    web.assert_all_local()
