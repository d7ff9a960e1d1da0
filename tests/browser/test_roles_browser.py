"""What each demo account sees in a real browser, at phone and desktop widths.

Run: .venv/bin/python -m pytest tests/browser -q   (screenshots land in screenshots/)
"""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from gongzhi.accounts.models import Position, User
from gongzhi.core.roles import Role
from gongzhi.orgs.models import OrgUnit

from .conftest import DESKTOP, PHONE, zh

pytestmark = pytest.mark.browser

# username -> the data-role of every panel on the workbench, top to bottom, and the
# title of the first one. Everyone who works on cases sees their case queues first, then
# each module's panel where the role works in it, in the modules' order: inspections,
# disputes, care (visits and wishes), volunteers (those who run them), patrols, points,
# residents' decisions, rooms and the tool hut; then the role's own panel.
M = ["inspections", "disputes"]
F = ["fieldwork", *M]  # the tasks sent to the grids, for those who send or do them
WORKBENCH = {
    "admin": (["cases", *F, "care", "volunteers", "patrols", "points", "decide", "sharing",
               "admin", "admin"], "Cases"),
    "zhihui": (["cases", *F, "patrols", "points", "decide", "sharing", "operator"], "Cases"),
    "jiedao": (["cases", *F, "patrols", "points", "decide", "sharing", "operator"], "Cases"),
    "lingdao": (["cases", *M, "patrols", "points", "decide", "leader"], "Cases"),
    "shequ1": (["cases", *F, "care", "volunteers", "patrols", "points", "decide", "sharing",
                "community_worker"], "Cases"),
    "wangge01": (["cases", *F, "care", "patrols", "points", "decide", "sharing",
                  "grid_worker"], "Cases"),
    "loudong": (["cases", "decide", "building_head"], "Cases"),
    "chengban1": (["cases", "department_handler"], "Cases"),
    "jumin": (["resident"], "My community"),
}  # fmt: skip


def _name(username):
    return User.objects.get(username=username).get_display_name()


@pytest.mark.parametrize("username", list(WORKBENCH))
def test_workbench_per_role(web, username):
    roles, first_title = WORKBENCH[username]
    page = web.page
    web.login(username)

    expect(page).to_have_url(web.url("/"))
    expect(page.locator(".topbar .who-name")).to_have_text(_name(username))
    expect(page.locator(".hello h1")).to_have_text(zh("Hello, %(name)s", name=_name(username)))
    panels = page.locator("main section.panel[data-role]")
    expect(panels).to_have_count(len(roles))
    assert [panels.nth(i).get_attribute("data-role") for i in range(len(roles))] == roles
    expect(panels.first).to_be_visible()
    expect(panels.first.locator(".panel-title")).to_have_text(zh(first_title))

    web.shoot(f"home-{username}-desktop", DESKTOP)
    expect(page.locator(".sidenav")).to_be_visible()
    expect(page.locator(".tabbar")).to_be_hidden()
    web.shoot(f"home-{username}-phone", PHONE)
    expect(page.locator(".tabbar")).to_be_visible()
    expect(page.locator(".sidenav")).to_be_hidden()
    # Nothing sticks out sideways on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{username}: page is {overflow}px wider than the phone"
    web.assert_all_local()


def test_login_page_and_wrong_password(web):
    page = web.page
    page.goto(web.url("/login/"))
    expect(page.locator(".login-brand h1")).to_have_text(zh("Gongzhi"))
    expect(page.locator("form button[type=submit]")).to_have_text(zh("Sign in"))
    web.shoot("login-desktop", DESKTOP)
    web.shoot("login-phone", PHONE)

    refused = zh(
        "Wrong username or password. After %(n)d wrong attempts in a row an account is "
        "locked for %(minutes)d minutes; an administrator can unlock it sooner.",
        n=settings.LOGIN_MAX_FAILURES,
        minutes=settings.LOGIN_LOCKOUT_MINUTES,
    )
    web.login("wangge01", "wrong-password")
    expect(page).to_have_url(re.compile(re.escape(web.url("/login/")) + r"$"))
    expect(page.locator(".alert-error")).to_have_text(refused)
    expect(page.locator("input[name=username]")).to_have_value("wangge01")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.locator(".topbar")).to_have_count(0)
    web.shoot("login-error-phone")

    # An unknown account gets the same words: nothing tells that it does not exist.
    web.login("nobody-here", "wrong-password")
    expect(page).to_have_url(re.compile(re.escape(web.url("/login/")) + r"$"))
    expect(page.locator(".alert-error")).to_have_text(refused)
    web.assert_all_local()


def test_area_tree_loads_children(web):
    page = web.page
    web.login("zhihui")
    page.click(".sidenav a[href='/area/']")
    expect(page).to_have_url(web.url("/area/"))
    district = OrgUnit.objects.get(code="990101")
    subdistricts = list(district.children.order_by("code").values_list("name", flat=True))

    root = page.locator(".tree > li.tree-node").first
    expect(root.locator(".tree-row > a")).to_have_text(district.name)
    children = root.locator(":scope > .tree-children > li.tree-node > .tree-row > a")
    expect(children).to_have_count(0)
    root.locator(":scope > .tree-row .tree-toggle").click()
    expect(children).to_have_text(subdistricts)  # loaded by htmx
    expect(root.locator(":scope > .tree-row .tree-toggle")).to_have_class(re.compile(r"\bopen\b"))

    web.shoot("area-zhihui-desktop", DESKTOP)
    web.shoot("area-zhihui-phone", PHONE)

    # Down to the micro-grids: the deepest level must still fit a phone.
    node = root
    for code in ("990101001", "990101001001", "990101001001001"):
        unit = OrgUnit.objects.get(code=code)
        node = node.locator(":scope > .tree-children > li.tree-node").filter(
            has=page.locator(f":scope > .tree-row > a[href='/area/units/{unit.id}/']")
        )
        node.locator(":scope > .tree-row .tree-toggle").click()
        names = list(unit.children.order_by("code").values_list("name", flat=True))
        expect(node.locator(":scope > .tree-children > li.tree-node > .tree-row > a")).to_have_text(
            names
        )
    web.shoot("area-zhihui-deep-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"area tree is {overflow}px wider than the phone"
    web.assert_all_local()


def test_grid_worker_edits_service_card(web):
    page = web.page
    grid = Position.objects.get(user__username="wangge01", role=Role.GRID_WORKER).org_unit
    web.login("wangge01")
    page.set_viewport_size(PHONE)
    page.locator("section[data-role=grid_worker] .card-head a").first.click()
    expect(page).to_have_url(web.url(f"/area/units/{grid.id}/"))
    expect(page.locator("h1.panel-title")).to_contain_text(grid.name)

    card = page.locator(f"#service-card-{grid.id}")
    card.get_by_role("button", name=zh("Edit the service card")).click()
    phone = card.locator("input[name=service_phone]")  # the form replaced the card (htmx)
    expect(phone).to_have_value(grid.service_phone)
    web.shoot("unit-wangge01-form-phone")

    phone.fill("12ab")
    card.get_by_role("button", name=zh("Save")).click()
    expect(card.locator(".alert-error")).to_have_text(zh("Enter a mobile or landline number."))
    expect(phone).to_have_value("12ab")
    web.shoot("unit-wangge01-error-phone")
    grid.refresh_from_db()
    assert grid.service_phone != "12ab"

    phone.fill("13912345678")
    card.get_by_role("button", name=zh("Save")).click()
    expect(card.locator(".alert-success")).to_have_text(zh("Saved."))
    expect(card.locator("a.tel")).to_have_text("13912345678")
    expect(card.locator("input")).to_have_count(0)
    web.shoot("unit-wangge01-saved-phone")
    web.shoot("unit-wangge01-saved-desktop", DESKTOP)

    page.reload()
    expect(page.locator(f"#service-card-{grid.id} a.tel")).to_have_text("13912345678")
    web.assert_all_local()


@pytest.mark.parametrize("username", ["admin", "wangge01", "jumin"])
def test_every_menu_page_stays_on_the_server(web, username):
    page = web.page
    web.login(username)
    links = page.locator(".sidenav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs and hrefs[0] == "/"
    for href in hrefs:
        response = page.goto(web.url(href))
        assert response is not None and response.ok, f"{username} {href}: {response.status}"
        page.wait_for_load_state("networkidle")
    web.assert_all_local()
