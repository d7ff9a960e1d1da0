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


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_command_map_shows_premises_and_risk_points(web, viewport):
    page = web.page
    page.set_viewport_size(viewport)
    web.login("jiedao")
    page.goto(web.url("/command/map/?period=year"))
    page.wait_for_selector("#cmap[data-grids-loaded='1']")
    page.check("input[name=cmap-layer][value=premises]")
    page.wait_for_selector("#cmap[data-layer-premises]")
    assert int(page.get_attribute("#cmap", "data-layer-premises")) > 0
    assert page.locator("path.cmap-lp-premises").count() > 0
    expect(page.locator("#cmap-layer-legend")).to_contain_text(zh("Hazard found"))
    page.check("input[name=cmap-layer][value=risk_points]")
    page.wait_for_selector("#cmap[data-layer-risk_points]")
    page.uncheck("input[name=cmap-layer][value=premises]")
    expect(page.locator("path.cmap-lp-premises")).to_have_count(0)
    page.check("input[name=cmap-layer][value=premises]")
    page.wait_for_selector("#cmap[data-layer-premises]")
    page.wait_for_timeout(300)
    web.shoot("command-map-layers-" + ("phone" if viewport is PHONE else "desktop"), viewport)
    web.assert_all_local()


def test_the_dashboard_shows_the_inspections_section(web):
    page = web.page
    web.login("jiedao")
    page.goto(web.url("/command/?period=year"))
    section = page.locator("#section-inspections")
    expect(section).to_be_visible()
    expect(section.locator("[data-figure=hazards] .kpi-value")).not_to_have_text("0")
    expect(section.locator("tbody tr").first).to_contain_text("安全集中整治月")
    section.scroll_into_view_if_needed()
    web.shoot("command-dashboard-inspections-desktop", DESKTOP)
    web.assert_all_local()


def test_an_operator_edits_a_checklist_on_a_phone(web):
    page = web.page
    page.set_viewport_size(PHONE)
    web.login("zhihui")
    page.goto(web.url("/inspections/checklists/"))
    page.locator(".panel-title a.btn").first.click()
    rows = page.locator(".insp-edit-row")
    first_text = rows.first.locator("[name$='-text']")
    first_text.fill(first_text.input_value() + "（每月检查）")
    blank = page.locator(".insp-edit-new").first
    blank.locator("[name$='-text']").fill("消防通道标识清晰")
    web.shoot("inspections-checklist-edit-phone", PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the editor is {overflow}px wider than the phone"
    page.click(".insp-edit button[type=submit]")
    expect(page).to_have_url(web.url("/inspections/checklists/"))
    expect(page.locator(".alert").first).to_contain_text("第 2 版")
    expect(page.locator("body")).to_contain_text("消防通道标识清晰")
    web.assert_all_local()
