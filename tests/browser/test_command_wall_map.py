"""The command center's wall screen and map in a real browser, on the demo district:
the wall fills a 1920×1080 screen without scrolling and refreshes itself in place;
the map draws the grids (no tile server) at phone and desktop width."""

import pytest
from django.core.cache import cache

from gongzhi.core import manifest
from gongzhi.orgs.models import OrgUnit

from .conftest import DESKTOP, PHONE, wait_until

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_wall__fits_1920x1080_and_refreshes(web):
    page = web.page
    page.set_viewport_size(WALL)
    web.login("zhihui")
    district = OrgUnit.objects.get(parent__isnull=True)
    page.goto(web.url(f"/command/wall/?unit={district.code}&refresh=2"))
    page.wait_for_selector("#wall-trend canvas")
    wait_until(page, "Number(document.body.getAttribute('data-refreshed')) >= 1")
    size = page.evaluate(
        "[document.scrollingElement.scrollHeight, document.scrollingElement.scrollWidth]"
    )
    assert size[0] <= 1080 and size[1] <= 1920, size
    # Nothing inside a panel spills out of the screen either.
    bottom = page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('.wall-panel, .stat'))"
        ".map(e => e.getBoundingClientRect().bottom))"
    )
    assert bottom <= 1080
    assert district.name in page.inner_text(".wall-title")
    assert page.locator(".kpi").count() == len(manifest.rates())  # the loop's 8, kinds'
    assert page.locator(".ticker li").count() >= 1
    assert page.locator("#wall-status.is-offline").count() == 0
    assert page.inner_text("#wall-clock") != "--:--:--"
    page.wait_for_timeout(600)  # the charts' entry animation
    page.screenshot(path=str(_shot("command-wall-1920")), animations="disabled")
    web.assert_all_local()


def test_wall__shows_the_connection_mark_when_a_fetch_fails(web):
    page = web.page
    page.set_viewport_size(WALL)
    web.login("zhihui")
    page.goto(web.url("/command/wall/?refresh=2"))
    page.route("**/api/v1/command/wall*", lambda route: route.abort())
    page.wait_for_selector("#wall-status.is-offline", timeout=8000)
    page.unroute("**/api/v1/command/wall*")
    page.wait_for_selector("#wall-status:not(.is-offline)", timeout=8000)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_map__draws_the_grids_and_cases(web, viewport):
    page = web.page
    page.set_viewport_size(viewport)
    web.login("zhihui")
    page.goto(web.url("/command/map/?period=year"))
    page.wait_for_selector("#cmap[data-grids-loaded='1']")
    page.wait_for_selector("#cmap[data-markers-kind]")
    grids = OrgUnit.objects.filter(level="grid", boundary__isnull=False, is_active=True).count()
    assert page.locator("#cmap svg path.leaflet-interactive").count() >= grids > 0
    assert page.locator(".cmap-legend .cmap-step").count() >= 2
    assert page.locator(".leaflet-tile").count() == 0  # no tile server
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "放大"  # not "Zoom in"
    # The overdue shading, without reloading the page.
    page.click("text=" + page.inner_text(".cmap-metric label:nth-child(2) span"))
    page.wait_for_selector("#cmap[data-metric='overdue']")
    page.wait_for_timeout(300)
    name = "command-map-" + ("phone" if viewport is PHONE else "desktop")
    web.shoot(name, viewport)
    web.assert_all_local()


def _shot(name):
    from .conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
