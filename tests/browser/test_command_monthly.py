"""The monthly report 月报 in a real browser: the district operator opens last month's
report, reads the tables, prints it (print media and a PDF) and downloads the workbook."""

import io

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from gongzhi.accounts.models import User
from gongzhi.cases import kpis
from gongzhi.command import monthly
from gongzhi.core.models import AuditLog
from gongzhi.core.permissions import scope_for
from gongzhi.core.roles import Perm

from .conftest import DESKTOP, PHONE, SCREENSHOTS

pytestmark = pytest.mark.browser


def test_monthly_report__operator_reads_prints_and_downloads(web):
    operator = User.objects.get(username="zhihui")
    district = scope_for(operator, Perm.COMMAND_VIEW).org_codes[0]
    year, month = monthly.last_month()
    label = f"{year:04d}-{month:02d}"
    start, end = monthly._month_bounds(year, month)
    expected = kpis.case_kpis(operator, unit_code=district, start=start, end=end)
    children = kpis.case_kpis_by_child(operator, unit_code=district, start=start, end=end)
    assert expected.counts["received"] > 0  # the demo has cases last month

    web.login("zhihui")
    page = web.page
    page.goto(web.url("/command/monthly/"))
    report = page.locator("article.monthly-report")
    expect(report).to_have_attribute("data-month", label)
    expect(report).to_have_attribute("data-unit", district)
    expect(page.locator(".monthly-head h2")).to_contain_text(expected.unit_name)

    # The overview: every rate's numerator and denominator as the KPI API has them.
    for rate in expected.rates:
        row = page.locator(f'#monthly-overview tr[data-kpi="{rate.key}"] td')
        expect(row.nth(0)).to_have_text(str(rate.numerator))
        expect(row.nth(1)).to_have_text(str(rate.denominator))
    # The subdistricts, one row each, and the total row.
    rows = page.locator("#monthly-children tbody tr")
    expect(rows).to_have_count(len(children) + 1)
    for i, child in enumerate(children):
        expect(rows.nth(i).locator("th")).to_have_text(child.unit_name)
        expect(rows.nth(i).locator('[data-col="received"]')).to_have_text(
            str(child.counts["received"])
        )
    expect(page.locator("#monthly-communities tbody tr").first).to_be_visible()
    expect(page.locator("#monthly-departments tbody tr").first).to_be_visible()
    expect(page.locator("#monthly-categories tbody tr")).to_have_count(
        min(10, len(monthly.monthly_report(operator, district, year, month).categories))
    )

    web.shoot("command-monthly-desktop", DESKTOP)
    web.shoot("command-monthly-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    # Printed: no navigation, no form; the report itself stays.
    page.emulate_media(media="print")
    expect(page.locator(".sidenav")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".monthly-controls")).to_be_hidden()
    expect(page.locator("#monthly-overview")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "command-monthly-print.png"), full_page=True)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (SCREENSHOTS / "command-monthly.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    page.emulate_media(media="screen")

    # The workbook: the Chinese file name, the same numbers, one audit row.
    with page.expect_download() as info:
        page.click('[data-action="xlsx"]')
    download = info.value
    with translation.override(settings.LANGUAGE_CODE):
        prefix = gettext("Monthly report")  # 月报, once the catalog has it
    assert download.suggested_filename == f"{prefix}-{expected.unit_name}-{label}.xlsx"
    book = CalamineWorkbook.from_filelike(io.BytesIO(download.path().read_bytes()))
    overview = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    assert [r[1:3] for r in overview[4 : 4 + len(expected.rates)]] == [
        [r.numerator, r.denominator] for r in expected.rates
    ]
    log = AuditLog.objects.get(action="command.monthly_export")
    assert log.actor == operator and log.changes == {"unit": district, "month": label}

    # A bad month: the message, in place.
    page.goto(web.url(f"/command/monthly/?unit={district}&month=2026-13"))
    expect(page.locator(".alert-error")).to_be_visible()
    expect(page.locator("article.monthly-report")).to_have_count(0)
    web.assert_all_local()
