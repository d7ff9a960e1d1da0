"""The grid worker's day in a basement, in a real browser with its service worker: the
field page opens without the network; 20 reports with photos and a patrol with its track
wait on the phone; back online they arrive once each, though the connection is cut three
times in the middle of sending (the server stored the item, the phone never heard); an
update of the app with items waiting keeps them."""

import io

import pytest
from django.db.models import F
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from gongzhi.accounts.models import User
from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseEvent, Category
from gongzhi.fieldwork.models import Task, TaskReport
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols.models import Patrol, PatrolPoint
from gongzhi.web import field_views

from .conftest import PHONE, SCREENSHOTS

pytestmark = pytest.mark.browser

BASEMENT = {"latitude": 39.9042, "longitude": 116.4074}


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), (96, 128, 80)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture
def phone(browser, live_server, demo):
    """A phone-sized browser that keeps service workers (the suite's other pages block
    them), with a location, signed in as the demo's grid worker on the field page."""
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=BASEMENT,
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    # Every fix is a track point here (the phone's own rule: 15 s and 15 m apart).
    context.add_init_script("window.GZ_FIELD_TEST = {trackEveryMs: 0, trackMinM: 1};")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_server.url.rstrip("/")
    page.goto(base + "/login/")
    page.fill("input[name=username]", "wangge01")
    page.fill("input[name=password]", "gongzhi2026")
    page.click("form button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(base + "/field/")
    # Controlled by the service worker once it is active (it claims the page). Polled from
    # here: wait_for_function evaluates text in the page, which its policy refuses.
    for _ in range(100):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the service worker never took the page")
    yield context, page, base
    context.close()
    assert not errors, errors


def _waiting(page) -> int:
    return int(page.inner_text("#f-waiting"))


def _send_until_done(page, rounds=10):
    for _ in range(rounds):
        page.evaluate("window.gzFieldSync()")
        if _waiting(page) == 0:
            return
    raise AssertionError(f"{_waiting(page)} items still waiting")


def test_a_basement_day_arrives_once_though_the_connection_is_cut(phone):
    context, page, _base = phone
    before = Case.objects.count()
    context.set_offline(True)
    page.reload()  # the kept page, from the service worker
    expect(page.locator("#f-net")).to_contain_text("离线")
    photo = {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    for n in range(20):
        page.select_option("#f-category", index=1)
        page.select_option("#f-grid", index=1)
        page.fill("#f-description", f"地下车库消防通道堆物 第{n + 1}处")
        page.set_input_files("#f-photos", files=[photo])
        page.click("#f-report-form button[type=submit]")
        expect(page.locator("#f-waiting")).to_have_text(str(n + 1))
    page.click("[data-tab=f-patrol]")
    page.click("#f-patrol-go")
    expect(page.locator("#f-patrol-state")).to_contain_text("1 个轨迹点")  # where it began
    for step in range(1, 6):
        context.set_geolocation({**BASEMENT, "latitude": BASEMENT["latitude"] + 0.0002 * step})
        expect(page.locator("#f-patrol-state")).to_contain_text(f"{step + 1} 个轨迹点")
    page.fill("#f-point-name", "3号楼地下室")
    page.fill("#f-point-note", "电动车飞线充电")
    page.select_option("#f-point-category", index=1)
    page.click("#f-patrol-running button[type=submit]")
    page.click("#f-patrol-end")
    expect(page.locator("#f-waiting")).to_have_text("24")  # 20, start, point, track, end
    page.click("[data-tab=f-queue]")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "field-offline-queue-phone.png"))
    assert Case.objects.count() == before

    # Back online: three times the server stores a report and the reply is lost.
    cuts = []

    def cut(route):
        if len(cuts) < 3:
            route.fetch()  # the server stores it…
            cuts.append(route.request.headers.get("idempotency-key"))
            route.abort("connectionreset")  # …and the phone never hears
        else:
            route.continue_()

    page.route("**/api/v1/cases/with-photos", cut)
    context.set_offline(False)
    _send_until_done(page)
    assert len(cuts) == 3  # the same first report each time: stored once, sent four times

    reports = Case.objects.filter(description__startswith="地下车库消防通道堆物")
    assert reports.count() == 20
    assert {c.description for c in reports} == {
        f"地下车库消防通道堆物 第{n}处" for n in range(1, 21)
    }
    assert all(c.observed_at and c.observed_at <= c.reported_at for c in reports)
    assert all(c.attachments.count() == 1 for c in reports)
    patrol = Patrol.objects.get(leader__username="wangge01", client_id__gt="")
    assert patrol.ended_at is not None and patrol.track_points == 6 and patrol.length_m > 100
    point = PatrolPoint.objects.get(patrol=patrol)
    assert point.case is not None and point.case.description == "电动车飞线充电"
    assert Case.objects.count() == before + 21
    expect(page.locator("#f-queue-list [data-state=sent]")).to_have_count(24)


def test_an_update_of_the_app_keeps_what_waits(phone, monkeypatch):
    _context, page, _base = phone
    before = Case.objects.count()
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    for n in range(2):
        page.select_option("#f-category", index=1)
        page.select_option("#f-grid", index=1)
        page.fill("#f-description", f"楼道灯不亮 {n}")
        page.click("#f-report-form button[type=submit]")
        expect(page.locator("#f-waiting")).to_have_text(str(n + 1))
    old = page.evaluate("navigator.serviceWorker.controller.scriptURL")
    # A new version of the app: the worker's text changes, the phone installs it.
    monkeypatch.setattr(field_views, "_version", lambda shell: "next-" + timezone.now().isoformat())
    page.evaluate(
        """() => new Promise(resolve => {
            navigator.serviceWorker.addEventListener("controllerchange", resolve);
            navigator.serviceWorker.getRegistration().then(r => r.update());
        })"""
    )
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == old  # same URL
    kept = page.evaluate("caches.keys()")
    assert len([k for k in kept if k.startswith("gongzhi-field-")]) == 1  # the old one gone
    expect(page.locator("#f-waiting")).to_have_text("2")
    assert Case.objects.count() == before
    page.unroute("**/api/v1/**")
    _send_until_done(page)
    assert Case.objects.filter(description__startswith="楼道灯不亮").count() == 2


def test_the_field_page_and_its_manifest_for_an_installable_app(phone):
    _context, page, base = phone
    manifest = page.evaluate("fetch('/field/manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"] == "/field/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == base + "/sw.js"
    expect(page.locator(".tabbar .tab.active")).to_contain_text("外勤")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(SCREENSHOTS / "field-phone.png"))


def test_progress_made_offline_on_a_case_changed_meanwhile_is_not_applied(phone):
    context, page, _base = phone
    worker = User.objects.get(username="wangge01")
    # A case the worker handles: reported, dispatched to their grid, accepted by them.
    grid = OrgUnit.objects.get(code=worker.positions.get().org_unit.code)
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    case, _ = services.case_report(
        actor=worker, category_id=category.pk, description="楼道堆物", grid_id=grid.pk
    )
    case = services.case_dispatch(
        actor=User.objects.get(username="jiedao"), case_id=case.pk, unit_id=grid.pk
    )
    case = services.case_accept(actor=worker, case_id=case.pk, version=case.version)
    page.evaluate("window.gzFieldRefresh()")
    page.click("[data-tab=f-cases]")
    row = page.locator("#f-cases-list li", has_text=case.number)
    context.set_offline(True)
    row.locator("textarea[name=note]").fill("已联系物业，明天清理")
    row.locator("button[type=submit]").click()
    expect(page.locator("#f-waiting")).to_have_text("1")
    # Meanwhile someone else acts on the case: its version moves on.
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    context.set_offline(False)
    page.evaluate("window.gzFieldSync()")
    page.click("[data-tab=f-queue]")
    refused = page.locator("#f-queue-list li[data-state=failed]")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(case.number)
    expect(refused).to_contain_text("服务器上已有变动")
    assert not CaseEvent.objects.filter(case=case, action="progress").exists()
    # The worker looks again (the list fetched anew) and sends what still holds.
    page.evaluate("window.gzFieldRefresh()")
    page.click("[data-tab=f-cases]")
    row.locator("textarea[name=note]").fill("已联系物业，明天清理")
    row.locator("button[type=submit]").click()
    _send_until_done(page)
    assert CaseEvent.objects.filter(case=case, action="progress", actor=worker).count() == 1


def test_a_task_report_made_offline_arrives_once_and_counts_on_the_board(phone):
    context, page, _base = phone
    page.click("[data-tab=f-tasks]")
    rows = page.locator("#f-tasks-list li", has=page.locator("form"))
    expect(rows.first).to_be_visible()
    task = Task.objects.filter(title=rows.first.locator("strong").inner_text()).get()
    before = TaskReport.objects.filter(task=task).count()
    context.set_offline(True)
    form = rows.first.locator("form")
    form.locator("input[name=note]").fill("3号楼已入户")
    if task.kind == "count":
        form.locator("input[name=count]").fill("12")
    form.locator("button[type=submit]").click()
    expect(page.locator("#f-waiting")).to_have_text("1")
    context.set_offline(False)
    _send_until_done(page)
    _send_until_done(page)  # sending again stores nothing more
    report = TaskReport.objects.get(task=task, note="3号楼已入户")
    assert report.observed_at is not None and report.observed_at <= report.received_at
    assert TaskReport.objects.filter(task=task).count() == before + 1
    page.evaluate("window.gzFieldRefresh()")
    assert page.locator("#f-tasks-list li", has_text=task.title).count() == 1


def test_signing_out_forgets_the_kept_lists_and_page(phone):
    _context, page, base = phone
    page.evaluate("window.gzFieldRefresh()")
    count_kept = """() => new Promise(resolve => {
        const open = indexedDB.open("gongzhi-field");
        open.onsuccess = () => {
            const request = open.result.transaction("kept").objectStore("kept").count();
            request.onsuccess = () => { resolve(request.result); open.result.close(); };
        };
    })"""
    assert page.evaluate(count_kept) == 2  # the cases and the tasks, as last fetched
    kept_caches = "caches.keys().then(k => k.filter(n => n.startsWith('gongzhi-field-')).length)"
    assert page.evaluate(kept_caches) == 1
    page.click(".topbar form button[type=submit]")
    page.wait_for_url(base + "/login/**")
    assert page.evaluate(count_kept) == 0
    for _ in range(50):  # the service worker drops its cache on its own time
        if page.evaluate(kept_caches) == 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(kept_caches) == 0
