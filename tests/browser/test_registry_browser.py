"""A grid worker finds a resident, sees personal data masked, reveals one value (audited),
and adds a resident with a wrong 身份证号 first — in a real browser."""

import pytest
from playwright.sync_api import expect

from gongzhi.core.models import AuditLog
from gongzhi.registry import pii
from gongzhi.registry.models import Resident

from .conftest import DESKTOP, PHONE, zh

pytestmark = pytest.mark.browser


def test_grid_worker_finds_a_resident_and_reveals_the_phone(web):
    page = web.page
    web.login("wangge01")
    page.set_viewport_size(PHONE)
    page.goto(web.url("/registry/"))
    web.shoot("registry-wangge01-phone")
    page.goto(web.url("/registry/residents/"))
    cards = page.locator("ul.cards a.card-link")
    expect(cards.first).to_be_visible()
    web.shoot("residents-wangge01-phone")
    web.shoot("residents-wangge01-desktop", DESKTOP)
    page.set_viewport_size(PHONE)

    resident = Resident.objects.filter(phone_masked__gt="").order_by("id").first()
    page.goto(web.url(f"/registry/residents/{resident.id}/"))
    phone = page.locator("#phone")
    expect(phone).to_have_text(resident.phone_masked)
    page.locator("dd", has=page.locator("#phone")).get_by_role("button", name=zh("Show")).click()
    expect(page.locator(".revealed")).to_have_text(pii.open_phone(resident))
    # Revealed once: no button is left to reveal (and record) it again.
    expect(page.locator("dd", has=page.locator(".revealed")).get_by_role("button")).to_have_count(0)
    web.shoot("resident-wangge01-revealed-phone")
    assert (
        AuditLog.objects.filter(action="registry.pii_revealed", object_id=str(resident.id)).count()
        == 1
    )
    web.assert_all_local()


def test_grid_worker_adds_a_resident_and_fixes_a_wrong_id_number(web):
    from stdnum.cn import ric

    page = web.page
    web.login("wangge01")
    page.set_viewport_size(PHONE)
    page.goto(web.url("/registry/residents/new/"))
    body = "41030219880808123"
    good = body + ric.calc_check_digit(body + "0")
    wrong = body + ("0" if good[-1] != "0" else "1")
    page.fill("input[name=name]", "测试居民")
    page.fill("input[name=id_number]", wrong)
    page.select_option("select[name=grid_id]", index=1)
    page.get_by_role("button", name=zh("Save")).click()
    expect(page.locator(".has-error .field-error")).to_contain_text(
        zh("The ID number's check digit is wrong.")
    )
    web.shoot("resident-form-error-phone")
    assert not Resident.objects.filter(name="测试居民").exists()

    page.fill("input[name=id_number]", good)
    page.get_by_role("button", name=zh("Save")).click()
    expect(page.locator("h1.panel-title")).to_contain_text("测试居民")
    expect(page.locator("#id-number")).to_have_text(good[:4] + "*" * 10 + good[-4:])
    resident = Resident.objects.get(name="测试居民")
    assert resident.birth_date.isoformat() == "1988-08-08"
    web.shoot("resident-created-desktop", DESKTOP)
    web.assert_all_local()


def test_operator_sees_the_grid_map_drawn_locally(web):
    page = web.page
    web.login("zhihui")
    page.goto(web.url("/area/map/"))
    areas = page.locator(".leaflet-overlay-pane path")
    expect(areas.first).to_be_visible()
    assert areas.count() >= 40  # the demo's grids, drawn from their boundaries
    web.shoot("map-zhihui-desktop")
    page.set_viewport_size(PHONE)
    web.shoot("map-zhihui-phone")
    web.assert_all_local()
