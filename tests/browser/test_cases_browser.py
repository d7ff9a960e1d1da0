"""The case loop in a real browser: a grid worker on a phone reports a problem with a photo
and the phone's location; the command center's operator, on a desktop, dispatches it."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from shapely.geometry import shape

from gongzhi.accounts.models import Position, User
from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseAttachment, Category, State
from gongzhi.core import manifest
from gongzhi.core.models import AuditLog
from gongzhi.core.roles import Role
from gongzhi.orgs.models import Department, OrgUnit

from .conftest import DESKTOP, PHONE, photo_file, photos_shown

pytestmark = pytest.mark.browser


def _row(page, number):
    return page.locator(".case-row", has=page.locator(".case-num", has_text=number))


def _grid_of(username):
    return Position.objects.get(user__username=username, role=Role.GRID_WORKER).org_unit


def _more_cases(grid, category):
    """A few cases beside the new one, so the lists show the markers (the demo's own cases
    may not be there): one supervised and overdue, one due soon, one repeat."""
    worker = User.objects.get(username="wangge01")
    operator = User.objects.get(username="zhihui")
    made = []
    for title in ("小区东门路灯不亮", "楼道堆放纸箱堵塞通道", "绿化带内积存建筑垃圾"):
        case, _ = services.case_report(
            actor=worker,
            category_id=category.pk,
            title=title,
            description=f"{title}，请尽快处理。",
            grid_id=grid.pk,
            reporter_name="李先生",
            reporter_phone="13912345678",
        )
        made.append(services.case_register(actor=operator, case_id=case.pk))
    now = timezone.now()
    # Time passing is not something a service does: move two deadlines by hand.
    Case.objects.filter(pk=made[0].pk).update(
        due_soon_at=now - dt.timedelta(days=2), due_at=now - dt.timedelta(hours=26)
    )
    Case.objects.filter(pk=made[1].pk).update(
        due_soon_at=now - dt.timedelta(hours=2), due_at=now + dt.timedelta(hours=6)
    )
    services.case_supervise(actor=operator, case_id=made[0].pk, level=2, note="限期办结")
    return made


def test_grid_worker_reports_on_a_phone_and_the_operator_dispatches(web, tmp_path):
    page = web.page
    grid = _grid_of("wangge01")
    category = Category.objects.filter(parent__isnull=False, is_active=True).order_by("sort")[0]
    overdue, due_soon, _repeat = _more_cases(grid, category)
    # A point well inside one of the grid's micro-grids (or the grid itself).
    micro = OrgUnit.objects.filter(parent=grid, boundary__isnull=False).order_by("code").first()
    inside = shape((micro or grid).boundary).representative_point()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.context.grant_permissions(["geolocation"], origin=web.base_url)
    page.context.set_geolocation({"longitude": inside.x, "latitude": inside.y, "accuracy": 12})

    # The grid worker, on a phone: the report form with the camera and the location.
    page.set_viewport_size(PHONE)
    web.login("wangge01")
    page.goto(web.url("/cases/"))
    page.locator(".panel-head a[href='/cases/new/']").click()
    expect(page).to_have_url(web.url("/cases/new/"))
    photos = page.locator("input[name=photos]")
    assert photos.get_attribute("capture") == "environment"
    assert photos.get_attribute("accept") == "image/*"
    page.select_option("select[name=category_id]", str(category.pk))
    page.fill("textarea[name=description]", "3号楼东侧路面井盖缺失，晚上很危险")
    # Sent without a place first: the form comes back with the reason beside the location.
    page.locator("#report-submit").click()
    expect(page.locator("#where .alert-error")).to_be_visible()
    expect(page.locator("textarea[name=description]")).to_have_value(
        "3号楼东侧路面井盖缺失，晚上很危险"
    )
    assert not Case.objects.filter(description__startswith="3号楼东侧").exists()
    web.shoot("case-new-error-wangge01-phone")
    photos.set_input_files(str(photo_file(tmp_path, "现场.jpg")))
    expect(page.locator("#photo-strip img")).to_have_count(1)
    page.locator("#locate").click()
    expect(page.locator("#report-form")).to_have_class(re.compile(r"\bis-located\b"))
    expect(page.locator("#locate-status")).to_contain_text("12")
    page.fill("input[name=address]", "3号楼东侧")
    page.fill("input[name=reporter_name]", "赵女士")
    page.fill("input[name=reporter_phone]", "13812345678")
    web.shoot("case-new-wangge01-phone")
    page.locator("#report-submit").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))

    case = Case.objects.get(description__startswith="3号楼东侧路面井盖缺失")
    assert case.state == State.REPORTED and case.org_code.startswith(grid.code)
    assert abs(case.lng - inside.x) < 1e-6 and abs(case.lat - inside.y) < 1e-6
    assert CaseAttachment.objects.filter(case=case).count() == 1
    expect(page.locator(".case-head .case-num")).to_have_text(case.number)
    expect(page.locator("#case-map .leaflet-overlay-pane path").first).to_be_visible()
    # The offline basemap under it: the demo's roads and buildings, on a canvas of its own.
    page.wait_for_selector("#case-map[data-basemap]")
    assert int(page.get_attribute("#case-map", "data-basemap")) > 0
    expect(page.locator("#case-map .leaflet-basemap-pane canvas")).to_have_count(1)
    photos_shown(page)
    web.shoot("case-detail-wangge01-phone")

    # … and finds it among the cases reported by them.
    page.goto(web.url("/cases/?queue=mine"))
    expect(page.locator(".qtab.active")).to_have_attribute("data-queue", "mine")
    expect(page.locator(".case-row .case-num", has_text=case.number)).to_be_visible()
    web.shoot("cases-mine-wangge01-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the list is {overflow}px wider than the phone"
    # Five tabs at most at the bottom of a phone, "Me" last.
    tabs = page.locator(".tabbar a.tab:visible")
    assert tabs.count() <= 5
    expect(tabs.last).to_have_attribute("href", "/account/")
    web.assert_all_local()

    # The operator, on a desktop: the new report is in the intake queue; dispatch it.
    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    web.login("zhihui")
    page.goto(web.url("/cases/?queue=new"))
    expect(_row(page, case.number)).to_be_visible()
    page.goto(web.url("/cases/?queue=overdue"))
    expect(_row(page, overdue.number)).to_have_class(
        re.compile(r"\bclock-overdue\b.*\bis-supervised\b")
    )
    expect(_row(page, overdue.number).locator(".mk-sup")).to_be_visible()
    page.goto(web.url("/cases/?queue=due_soon"))
    expect(_row(page, due_soon.number)).to_have_class(re.compile(r"\bclock-due_soon\b"))
    page.goto(web.url("/cases/?queue=all"))
    web.shoot("cases-zhihui-desktop")
    page.set_viewport_size(PHONE)
    web.shoot("cases-zhihui-phone")
    page.set_viewport_size(DESKTOP)

    page.locator(".case-row a", has_text=case.number).first.click()
    page.wait_for_url(web.url(f"/cases/{case.pk}/"))
    department = Department.objects.filter(is_active=True).order_by("name").first()
    dispatch = page.locator("#act-dispatch")
    expect(dispatch).to_have_attribute("open", "")
    dispatch.locator("select[name=target]").select_option(f"d:{department.pk}")
    dispatch.locator("textarea[name=note]").fill("请于今日内到场处置")
    web.shoot("case-dispatch-zhihui-desktop")
    dispatch.locator("button[data-action=dispatch]").click()
    page.wait_for_url(web.url(f"/cases/{case.pk}/"))
    expect(page.locator("#case-head")).to_have_attribute("data-state", State.DISPATCHED)
    case.refresh_from_db()
    assert (case.state, case.department) == (State.DISPATCHED, department)
    expect(page.locator(".timeline .tl-dispatch")).to_contain_text("请于今日内到场处置")
    web.shoot("case-detail-zhihui-desktop")
    page.set_viewport_size(PHONE)
    web.shoot("case-detail-zhihui-phone")

    # The full number is one tap away for the operator, and the tap is recorded.
    page.locator("#reveal-phone").click()
    expect(page.locator("#reporter-phone")).to_have_class(re.compile("revealed"))
    expect(page.locator("#reporter-phone")).to_have_text("13812345678")
    assert AuditLog.objects.filter(action="case.reveal_phone", object_id=str(case.pk)).count() == 1
    page.set_viewport_size(DESKTOP)
    page.goto(web.url("/cases/extensions/"))
    web.shoot("case-extensions-zhihui-desktop")
    web.assert_all_local()

    # The department's handler, on a phone: accept it, then report it handled with a photo.
    handler = Position.objects.filter(
        role=Role.DEPARTMENT_HANDLER, department=department, is_active=True
    )[0].user
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    web.login(handler.username)
    page.goto(web.url("/cases/?queue=to_accept"))
    page.locator(".case-row a", has_text=case.number).first.click()
    page.wait_for_url(web.url(f"/cases/{case.pk}/"))
    expect(page.locator("#act-accept")).to_have_attribute("open", "")
    page.locator("button[data-action=accept]").click()
    expect(page.locator("#case-head")).to_have_attribute("data-state", State.IN_PROGRESS)
    handle = page.locator("#act-handle")
    expect(handle).to_have_attribute("open", "")
    handle.locator("textarea[name=result]").fill("已补装井盖并设置警示标志")
    handle.locator("input[name=photos]").set_input_files(str(photo_file(tmp_path, "现场.jpg")))
    web.shoot("case-handle-handler-phone")
    handle.locator("button[data-action=handle]").click()
    expect(page.locator("#case-head")).to_have_attribute("data-state", State.HANDLED)
    case.refresh_from_db()
    assert case.result == "已补装井盖并设置警示标志" and case.handler == handler
    assert CaseAttachment.objects.filter(case=case).count() == 2
    expect(page.locator(".tl-handle .photos img")).to_have_count(1)
    photos_shown(page)
    web.shoot("case-detail-handler-phone")
    assert not errors, errors
    web.assert_all_local()


def test_leader_reads_the_kpis_and_the_workbench_tiles(web):
    """The leader's day starts on the workbench (case queues as tiles, overdue in red) and
    the KPI page: rates with their counts, then one row per community."""
    page = web.page
    web.login("lingdao")
    tiles = page.locator("section.panel[data-role=cases] .tile")
    expect(tiles.first).to_be_visible()
    web.shoot("workbench-lingdao-phone", PHONE)
    page.set_viewport_size(DESKTOP)
    page.goto(web.url("/cases/kpis/"))
    expect(page.locator(".kpi")).to_have_count(len(manifest.rates()))  # the loop's 8, kinds'
    handling = page.locator('.kpi[data-kpi="handling"]')
    expect(handling.locator(".kpi-value")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    expect(handling.locator(".kpi-count")).to_have_text(re.compile(r"^\d+ / \d+$"))
    expect(page.locator(".kpi-table tbody tr").first).to_be_visible()
    web.shoot("case-kpis-lingdao-desktop")
    web.shoot("case-kpis-lingdao-phone", PHONE)
    web.assert_all_local()
