"""Resident self-service in a real browser at phone size: prove a phone by the SMS code
(read from the file SMS backend), report a problem with a photo from the "camera", get
the case number at once and find it in My reports; then, once it is handled and closed,
see the result with its photo and rate it."""

import json
import re

import pytest
from playwright.sync_api import expect

from gongzhi.accounts.models import Position, User
from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseAttachment, CaseEvent, State
from gongzhi.core.roles import Role
from gongzhi.registry import pii
from gongzhi.registry.models import Building

from .conftest import PHONE, photo_file, photos_shown

pytestmark = pytest.mark.browser

MOBILE = "13912345678"


@pytest.fixture
def resident(browser, live_server, demo, settings, tmp_path, monkeypatch):
    """A phone-sized context with no account; text messages go to a file we can read."""
    monkeypatch.setenv("SMS_BACKEND", "file")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="block",
        user_agent=(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN"
        ),
    )  # fmt: skip
    context.set_default_timeout(10_000)
    from .conftest import Browsing

    b = Browsing(page=context.new_page(), base_url=live_server.url.rstrip("/"))
    context.on("request", lambda request: b.requests.append(request.url))
    b.sms = tmp_path / "sms.log"
    yield b
    context.close()


def _code(path) -> str:
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    texts = [m["text"] for m in lines if m["to"] == MOBILE]
    return re.search(r"\d{6}", texts[-1]).group()


def test_a_resident_verifies_reports_and_follows(resident, tmp_path):
    page = resident.page
    building = Building.objects.order_by("org_code", "name").first()
    community = building.grid.parent
    while community.level != "community":
        community = community.parent

    page.goto(resident.url("/my/"))
    resident.shoot("selfservice-home")
    page.click(".my-hero a.btn-primary")
    expect(page).to_have_url(re.compile(r"/my/phone/\?next=/my/report/$"))
    page.fill("input[name=phone]", MOBILE)
    resident.shoot("selfservice-phone")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/my/phone/code/"))
    expect(page.locator("main")).to_contain_text("139****5678")
    page.fill("input[name=code]", _code(resident.sms))
    resident.shoot("selfservice-code")
    page.click("form button[type=submit] >> nth=0")
    expect(page).to_have_url(re.compile(r"/my/report/$"))

    # Choose a category, describe, take a photo, pick the community and the building.
    category = page.locator("select[name=category_id] option:not([value=''])").first
    page.select_option("select[name=category_id]", category.get_attribute("value"))
    page.fill("textarea[name=description]", "3号楼门口的路灯坏了一周，晚上很黑")
    page.set_input_files("#id_photos", str(photo_file(tmp_path, "路灯.jpg")))
    expect(page.locator("#photo-strip img")).to_have_count(1)
    page.select_option("select[name=community]", str(community.pk))
    expect(page.locator(f"select[name=building_id] option[value='{building.pk}']")).to_have_count(1)
    page.select_option("select[name=building_id]", str(building.pk))
    resident.shoot("selfservice-report")
    page.click("#report-submit")

    expect(page).to_have_url(re.compile(r"/my/reports/\d+/\?new=1$"))
    case = Case.objects.get(reporter_phone_hash=pii.phone_hash(MOBILE))
    assert case.channel == "resident" and case.reported_by is None
    assert case.building_id == building.pk and case.state == State.REPORTED
    expect(page.locator(".my-number")).to_contain_text(case.number)
    photos_shown(page)
    resident.shoot("selfservice-reported")

    page.click(".my-nav a >> nth=1")
    expect(page).to_have_url(re.compile(r"/my/reports/$"))
    expect(page.locator(".my-case").first).to_contain_text(case.number)
    resident.shoot("selfservice-my-reports")

    # The loop runs on the staff side; the resident then sees the result and rates it.
    operator = User.objects.get(username="zhihui")
    handler_position = (
        Position.objects.filter(role=Role.DEPARTMENT_HANDLER, is_active=True)
        .select_related("user", "department")
        .order_by("department__code")
        .first()
    )
    services.case_dispatch(
        actor=operator, case_id=case.pk, department_id=handler_position.department_id
    )
    services.case_accept(actor=handler_position.user, case_id=case.pk)
    with open(photo_file(tmp_path, "路灯.jpg"), "rb") as f:
        services.case_handle(
            actor=handler_position.user, case_id=case.pk, result="已更换灯泡，恢复照明", photos=[f]
        )
    services.case_verify(actor=operator, case_id=case.pk, passed=True)

    page.goto(resident.url(f"/my/reports/{case.pk}/"))
    expect(page.locator("main")).to_contain_text("已更换灯泡，恢复照明")
    expect(page.locator("main")).to_contain_text(handler_position.department.name)
    assert handler_position.user.get_display_name() not in page.content()
    photos_shown(page)
    resident.shoot("selfservice-closed")
    page.click("#rate .my-choice >> nth=0")  # solved
    page.click("#rate .my-choice >> nth=2")  # satisfied
    page.fill("#rate-note", "修得很快，谢谢")
    page.click("#rate button[type=submit]")
    expect(page.locator("#rate")).to_have_count(0)
    case.refresh_from_db()
    assert (case.callback_solved, case.callback_rating) == (True, "satisfied")
    event = CaseEvent.objects.filter(case=case, action="callback").get()
    assert event.actor is None and "5678" in event.actor_name
    assert CaseAttachment.objects.filter(case=case).count() == 2
    resident.shoot("selfservice-rated")
    resident.assert_all_local()


def test_a_resident_finds_their_grid_worker_by_building(resident):
    """我的网格员 without an account: pick the community, then the building (loaded by
    htmx), and see the grid worker and the service phones."""
    page = resident.page
    building = Building.objects.order_by("org_code", "name").first()
    community = building.grid.parent
    while community.level != "community":
        community = community.parent
    page.goto(resident.url("/my/grid/"))
    page.select_option("#g-community", str(community.pk))
    expect(page.locator(f"#g-building option[value='{building.pk}']")).to_be_attached()
    page.select_option("#g-building", str(building.pk))
    page.click("#lookup button[type=submit]")
    expect(page.locator("#lookup .grid-card")).to_be_visible()
    expect(page.locator("#lookup")).to_contain_text(building.name)
    resident.shoot("my-grid-phone", PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    resident.assert_all_local()
