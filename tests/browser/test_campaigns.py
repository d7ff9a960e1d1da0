"""Hotspots and a special campaign in a real browser: the command center's operator finds
a hotspot, opens a campaign from it, adds one more case by its number and closes it with
a summary."""

import pytest
from django.conf import settings
from django.db.models import Count, Q
from django.utils import translation
from playwright.sync_api import expect

from gongzhi.accounts.models import Position, User
from gongzhi.campaigns.models import Campaign, CampaignCase, CampaignState
from gongzhi.cases import services
from gongzhi.cases.models import Category
from gongzhi.core.models import AuditLog
from gongzhi.core.roles import Role

from .conftest import DESKTOP, PHONE, zh

pytestmark = pytest.mark.browser


def _hotspot_cases():
    """Six cases today of a category the grid has never had (a sure hotspot), and one of
    another category in the same grid to add by hand. The grid's micro-grids count: the
    hotspot does, and the small demo puts a case there a week ago (in the window or not
    by the time of day)."""
    grid = Position.objects.filter(role=Role.GRID_WORKER).order_by("user__username")[0].org_unit
    operator = User.objects.get(username="zhihui")
    categories = (
        Category.objects.filter(parent__isnull=False, is_active=True)
        .annotate(here=Count("cases", filter=Q(cases__org_code__within=grid.code)))
        .order_by("here", "sort", "code")
    )
    rare, other = categories[0], categories[1]
    made = []
    for i in range(6):
        case, _ = services.case_report(
            actor=operator, category_id=rare.pk, grid_id=grid.pk,
            title=f"小区{i + 1}号楼下水道堵塞", description="下水道堵塞，污水外溢",
        )  # fmt: skip
        made.append(case)
    extra, _ = services.case_report(
        actor=operator, category_id=other.pk, grid_id=grid.pk,
        title="下水井盖破损", description="井盖破损，行人易绊倒",
    )  # fmt: skip
    return grid, rare, made, extra


def test_operator_opens_a_campaign_from_a_hotspot_adds_a_case_and_closes_it(web):
    grid, category, made, extra = _hotspot_cases()
    page = web.page
    web.login("zhihui")

    page.goto(web.url(f"/command/hotspots/?unit={grid.code[:6]}"))
    item = page.locator(f'[data-hotspot="grid:{grid.code}:{category.pk}"]')
    expect(item).to_be_visible()
    expect(item.locator(".hs-num b")).to_have_text("6")
    item.locator("details.hs-cases summary").click()
    expect(item.locator(".hs-case-list a")).to_have_count(6)
    expect(item.locator(".hs-case-list")).to_contain_text(made[0].number)
    item.scroll_into_view_if_needed()
    web.shoot("campaigns-hotspots-zhihui-desktop")
    web.shoot("campaigns-hotspots-zhihui-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    item.locator("a.btn", has_text=zh("Start a special campaign")).click()
    expect(page.locator("input[name=name]")).to_have_value(
        zh("%(area)s %(category)s special campaign", area=grid.name, category=category.name)
    )
    page.fill("input[name=name]", f"{grid.name}下水道专项治理")
    page.fill("input[name=target_date]", "2099-12-31")
    web.shoot("campaigns-new-zhihui-phone", PHONE)
    page.set_viewport_size(DESKTOP)
    page.locator("form button[type=submit]", has_text=zh("Start a special campaign")).click()

    campaign = Campaign.objects.get()
    expect(page).to_have_url(web.url(f"/campaigns/{campaign.pk}/"))
    expect(page.locator('.stat[data-n="total"] b')).to_have_text("6")
    expect(page.locator(".cp-cases tbody tr")).to_have_count(6)

    page.fill("textarea[name=numbers]", extra.number.lower())
    page.locator("#act-add button[type=submit]").click()
    expect(page.locator('.stat[data-n="total"] b')).to_have_text("7")
    expect(page.locator(f'tr[data-case="{extra.number}"] a')).to_have_attribute(
        "href", f"/cases/{extra.pk}/"
    )
    web.shoot("campaigns-detail-zhihui-desktop")
    web.shoot("campaigns-detail-zhihui-phone", PHONE)

    page.locator("#act-close summary").click()
    page.locator("#act-close button[type=submit]").click()  # no summary: refused in place
    expect(page.locator("#act-close .field-error")).to_be_visible()
    page.fill("#act-close textarea[name=summary]", "已疏通全部管道，物业每周巡查一次")
    page.locator("#act-close button[type=submit]").click()
    with translation.override(settings.LANGUAGE_CODE):
        closed = str(CampaignState.CLOSED.label)
    expect(page.locator("#cp-state")).to_have_text(closed)
    expect(page.locator("#cp-summary")).to_have_text("已疏通全部管道，物业每周巡查一次")
    expect(page.locator("#act-close")).to_have_count(0)
    web.shoot("campaigns-closed-zhihui-phone", PHONE)
    page.set_viewport_size(DESKTOP)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED
    assert CampaignCase.objects.filter(campaign=campaign).count() == 7
    actions = list(
        AuditLog.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["campaign.open", "campaign.add_cases", "campaign.close"]

    page.goto(web.url("/campaigns/?state=closed"))
    expect(page.locator(".cp-item")).to_contain_text(f"{grid.name}下水道专项治理")
    web.shoot("campaigns-list-zhihui-desktop")
    web.assert_all_local()
