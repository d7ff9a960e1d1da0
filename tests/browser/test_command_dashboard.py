"""The command-center dashboard in a real browser: the district operator opens /command/
on the demo district, the charts draw (ECharts, served by the app), and a KPI number
opens the cases behind it. Screenshots at phone and desktop width."""

import re

import pytest
from playwright.sync_api import expect

from gongzhi.accounts.models import User
from gongzhi.cases import kpis
from gongzhi.command import dashboard

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def _shoot_phone(web, name):
    """Load the page again at phone width (as a phone would), then shoot it."""
    page = web.page
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_load_state("load")
    for chart in page.locator(".cmd-chart").all():
        expect(chart.locator("canvas")).to_have_count(1)
    page.wait_for_timeout(200)  # let the charts settle at their new width
    web.shoot(name, PHONE)
    page.set_viewport_size(DESKTOP)


def test_command_dashboard__charts_and_drill_down(web):
    page = web.page
    web.login("zhihui")
    page.goto(web.url("/command/?period=year"))
    expect(page.locator("h1.panel-title")).to_be_visible()
    # the three charts have drawn on their canvases
    for chart in ("chart-trend", "chart-groups", "chart-channels"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    unit = page.locator("select[name=unit]").input_value()

    # the figures on the page are those of the KPI read API
    user = User.objects.get(username="zhihui")
    start, end = dashboard.period_for("year", dashboard.timezone.localdate())
    report = kpis.case_kpis(user, unit_code=unit, start=start, end=end)
    received = page.locator('[data-count="received"] .cmd-count-value')
    expect(received).to_have_text(str(report.counts["received"]))
    assert report.counts["received"] > 0
    card = page.locator('[data-kpi="on_time_closure"]')
    expect(card.locator(".nd-den")).to_have_text(str(report.counts["due"]))

    web.shoot("command-dashboard-desktop", DESKTOP)
    _shoot_phone(web, "command-dashboard-phone")

    # a KPI number opens its cases: the overdue count, the same number on the list
    overdue = report.counts["overdue"]
    page.locator('[data-count="overdue"]').click()
    page.wait_for_load_state("load")
    assert re.search(r"/command/cases/\?.*metric=overdue", page.url)
    expect(page.locator(".cmd-total")).to_have_attribute("data-total", str(overdue))
    rows = page.locator("#case-rows .case-row")
    assert rows.count() == min(overdue, 30)
    expect(rows.first.locator(".clock-overdue")).to_be_visible()
    web.shoot("command-cases-desktop", DESKTOP)
    _shoot_phone(web, "command-cases-phone")

    # and a case opens from there
    rows.first.locator("a.case-link").click()
    page.wait_for_load_state("load")
    assert re.search(r"/cases/\d+/$", page.url)
    web.assert_all_local()


def test_command_dashboard__bad_range_and_custom_period(web):
    page = web.page
    web.login("zhihui")
    page.goto(web.url("/command/?start=2026-05-01&end=2026-04-01"))
    expect(page.locator(".alert-error")).to_be_visible()
    page.goto(web.url("/command/"))
    page.locator('button[data-period="custom"]').click()
    expect(page.locator("#cmd-custom")).to_be_visible()
    page.fill("input[name=start]", "2019-01-01")
    page.fill("input[name=end]", "2019-01-31")
    page.locator("#cmd-custom button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator(".cmd-empty")).to_be_visible()
    expect(page.locator('[data-count="received"] .cmd-count-value')).to_have_text("0")
    _shoot_phone(web, "command-dashboard-empty-phone")
