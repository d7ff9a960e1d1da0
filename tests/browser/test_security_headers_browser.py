"""The Content-Security-Policy holds in a real browser: the main pages, at phone and
desktop widths, load with no policy violation and no console error.

The `web` fixture fails any browser test that meets a violation; this one walks the
pages that carry the most script: maps (Leaflet), charts (ECharts), htmx swaps, the
monthly report's nonce style, Swagger UI and the Django admin.
"""

import pytest
from playwright.sync_api import expect

from gongzhi.cases.models import Case

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

STAFF_PAGES = [
    "/",
    "/cases/",
    "/cases/new/",
    "/cases/kpis/",
    "/area/",
    "/area/map/",
    "/registry/residents/",
    "/command/",
    "/command/map/?period=year",
    "/command/monthly/",
    "/command/hotspots/",
    "/campaigns/",
    "/inbox/",
    "/api/v1/docs",
    "/cases/987654321/",  # the error page
]


def _visit(web, path):
    page = web.page
    response = page.goto(web.url(path))
    page.wait_for_load_state("networkidle")
    return response


def _clean(web, where):
    violations = web.collect_violations()
    # The error page's own status is the one error a browser logs there.
    errors = [e for e in web.console_errors if not ("404" in e and "987654321" in e)]
    assert violations == [], f"{where}: {violations}"
    assert errors == [], f"{where}: {errors}"
    web.console_errors.clear()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_csp__staff_pages_load_without_violations(web, viewport):
    page = web.page
    page.set_viewport_size(viewport)
    web.login("zhihui")
    # A located case with a reporter's phone to reveal (a hazard found on an inspection
    # has none).
    case = Case.objects.exclude(lng=None).exclude(reporter_phone_enc="").order_by("-reported_at")
    case = case.first()
    for path in [*STAFF_PAGES, f"/cases/{case.pk}/"]:
        response = _visit(web, path)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        _clean(web, path)
    # htmx swaps: the reporter's phone and the text as written, revealed in place.
    page.click("#reveal-phone")
    expect(page.locator("#reporter-phone.revealed")).to_be_visible()
    expect(page.locator("#reveal-phone")).to_have_count(0)
    _clean(web, "reveal")
    # The org tree: the first click loads a branch (htmx), the second folds it.
    _visit(web, "/area/")
    toggle = page.locator(".tree-toggle[data-tree-toggle]").first
    toggle.click()
    children = page.locator(".tree-children").first
    expect(children.locator("li").first).to_be_visible()
    toggle.click()
    expect(children).to_be_hidden()
    _clean(web, "tree")
    # The dashboard's custom period shows its dates; the monthly report prints its header.
    _visit(web, "/command/")
    page.click("[data-period=custom]")
    expect(page.locator("#cmd-custom")).to_be_visible()
    _clean(web, "dashboard")
    web.assert_all_local()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_csp__wall_admin_and_resident_pages(web, viewport):
    page = web.page
    page.set_viewport_size(viewport)
    for path in ["/login/", "/my/", "/my/phone/"]:
        _visit(web, path)
        _clean(web, path)
    web.login("admin")
    for path in ["/admin/", "/admin/cases/case/", "/admin/orgs/orgunit/add/", "/registry/import/"]:
        _visit(web, path)
        _clean(web, path)
    page.context.clear_cookies()
    web.login("zhihui")
    _visit(web, "/command/wall/")
    page.wait_for_selector(".rank, .wall-empty")
    _clean(web, "/command/wall/")
    web.assert_all_local()
