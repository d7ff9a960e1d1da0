"""The pages: hotspots, the campaign list, opening one, its detail, adding cases and
closing it — as operator, leader (reads only), grid worker (404)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.campaigns import services
from gongzhi.campaigns.models import Campaign, CampaignCase, CampaignState
from gongzhi.core.models import AuditLog
from gongzhi.core.roles import Role
from gongzhi.core.tests.xlsx_support import cell_texts
from gongzhi.factories import PositionFactory, UserFactory

from .test_services import audit, state


@pytest.fixture
def campaign(scene, tree, people):
    return services.campaign_open(
        actor=people.op_sub, name="第1网格杂物清理", unit_code=tree.grid_a.code,
        category_id=scene.x.pk, with_recent_cases=True,
    )  # fmt: skip


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_hotspot_page__ranked_with_cases_and_the_button(scene, tree, people, login):
    client = login(people.op_sub)
    r = client.get(f"/command/hotspots/?unit={tree.sub.code}")
    assert r.status_code == 200
    page = text(r)
    assert page.count('class="panel hs-item"') == 5
    assert scene.a_new[0].number in page and f"/cases/{scene.a_new[0].pk}/" in page
    assert "3号楼" in page
    assert f"/campaigns/new/?unit={tree.grid_a.code}&amp;category={scene.x.pk}" in page
    assert scene.x_cases[0].number not in page  # the other subdistrict


def test_hotspot_page__leader_reads_without_the_button(scene, tree, people, login):
    r = login(people.leader).get(f"/command/hotspots/?unit={tree.sub.code}")
    assert r.status_code == 200
    assert "hs-item" in text(r) and "/campaigns/new/" not in text(r)


@pytest.mark.parametrize("who", ["gw_a", "resident", "handler", "nobody"])
def test_pages__404_without_command_view(campaign, tree, people, login, who):
    client = login(getattr(people, who))
    for url in (
        "/command/hotspots/",
        "/campaigns/",
        "/campaigns/new/",
        f"/campaigns/{campaign.pk}/",
        "/command/hotspots.xlsx",
        "/campaigns/xlsx/",
        f"/campaigns/{campaign.pk}/cases.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    before = state()
    r = client.post(f"/campaigns/{campaign.pk}/close/", {"summary": "结束"})
    assert r.status_code == 404
    assert state() == before


def test_hotspot_page__unit_outside_scope_is_404(scene, tree, people, login):
    assert login(people.op_sub).get(f"/command/hotspots/?unit={tree.sub2.code}").status_code == 404


def test_campaign_open_page__from_hotspot_to_detail(scene, tree, people, login):
    client = login(people.op_sub)
    r = client.get(
        f"/campaigns/new/?unit={tree.grid_a.code}&category={scene.x.pk}&hotspot=近7天5件"
    )
    assert r.status_code == 200
    assert f"第1网格 {scene.x.name}" in text(r) or "第1网格" in text(r)
    r = client.post(
        "/campaigns/new/",
        {"name": "第1网格杂物清理", "unit": tree.grid_a.code, "category": scene.x.pk,
         "hotspot": "近7天5件", "with_recent_cases": "on", "target_date": "2026-04-30"},
    )  # fmt: skip
    c = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/campaigns/{c.pk}/"
    assert CampaignCase.objects.filter(campaign=c).count() == 5
    assert audit(c, "campaign.open").get().actor == people.op_sub
    assert c.target_date == dt.date(2026, 4, 30)


def test_campaign_open_page__empty_name_changes_nothing(scene, tree, people, login):
    before = state()
    r = login(people.op_sub).post(
        "/campaigns/new/", {"name": " ", "unit": tree.grid_a.code, "category": scene.x.pk}
    )
    assert r.status_code == 400
    assert "field-error" in text(r)
    assert state() == before


def test_campaign_open_page__leader_refused(scene, tree, people, login):
    client = login(people.leader)
    assert client.get("/campaigns/new/").status_code == 403
    before = state()
    r = client.post("/campaigns/new/", {"name": "专项", "unit": tree.sub.code})
    assert r.status_code == 403
    assert state() == before


def test_campaign_detail__numbers_cases_and_forms(campaign, scene, people, login):
    r = login(people.op_sub).get(f"/campaigns/{campaign.pk}/")
    assert r.status_code == 200
    page = text(r)
    assert 'data-n="total"><b>5</b>' in page
    for case in scene.a_new:
        assert f'href="/cases/{case.pk}/"' in page
    assert f'action="/campaigns/{campaign.pk}/cases/"' in page
    assert f'action="/campaigns/{campaign.pk}/close/"' in page


def test_campaign_detail__leader_reads_no_forms_and_posts_refused(campaign, scene, people, login):
    client = login(people.leader)
    r = client.get(f"/campaigns/{campaign.pk}/")
    assert r.status_code == 200
    assert "/close/" not in text(r) and "/remove/" not in text(r)
    before = state()
    assert client.post(f"/campaigns/{campaign.pk}/close/", {"summary": "x"}).status_code == 403
    r = client.post(f"/campaigns/{campaign.pk}/cases/", {"numbers": scene.a_old.number})
    assert r.status_code == 403
    assert state() == before


def test_campaign_add_and_close_through_the_page(campaign, scene, people, login):
    client = login(people.op_sub)
    r = client.post(f"/campaigns/{campaign.pk}/cases/", {"numbers": f" {scene.a_old.number}， "})
    assert r.status_code == 302
    assert CampaignCase.objects.filter(campaign=campaign, case=scene.a_old).exists()
    assert audit(campaign, "campaign.add_cases").count() == 1

    before = state()
    r = client.post(f"/campaigns/{campaign.pk}/cases/", {"numbers": scene.a_old.number})
    assert r.status_code == 400 and scene.a_old.number in text(r)  # already in it
    r = client.post(f"/campaigns/{campaign.pk}/cases/", {"numbers": scene.b_cases[0].number})
    assert r.status_code == 400  # outside the campaign's grid
    r = client.post(f"/campaigns/{campaign.pk}/close/", {"summary": ""})
    assert r.status_code == 400 and 'id="act-close" open' in text(r)
    assert state() == before

    r = client.post(f"/campaigns/{campaign.pk}/close/", {"summary": "已全部清理，加强巡查"})
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED
    assert audit(campaign, "campaign.close").count() == 1
    page = text(client.get(f"/campaigns/{campaign.pk}/"))
    assert "已全部清理，加强巡查" in page and "/close/" not in page

    before = state()
    r = client.post(f"/campaigns/{campaign.pk}/cases/", {"numbers": scene.a_new[0].number})
    assert r.status_code == 403 or r.status_code == 409
    assert state() == before


def test_campaign_remove_through_the_page(campaign, scene, people, login):
    client = login(people.op_sub)
    case = scene.a_new[2]
    r = client.post(f"/campaigns/{campaign.pk}/cases/{case.pk}/remove/")
    assert r.status_code == 302
    assert not CampaignCase.objects.filter(campaign=campaign, case=case).exists()
    assert AuditLog.objects.filter(action="campaign.remove_case").count() == 1


def test_campaign_unknown_id_is_404(scene, people, login):
    client = login(people.op_sub)
    assert client.get("/campaigns/987654/").status_code == 404
    before = state()
    assert client.post("/campaigns/987654/close/", {"summary": "x"}).status_code == 404
    assert state() == before


def test_campaign_list__open_and_closed(campaign, scene, tree, people, login):
    client = login(people.leader)
    page = text(client.get("/campaigns/"))
    assert "第1网格杂物清理" in page and f"/campaigns/{campaign.pk}/" in page
    assert "第1网格杂物清理" not in text(client.get("/campaigns/?state=closed"))
    assert "第1网格杂物清理" in text(login(people.op_district).get("/campaigns/"))
    # The other subdistrict's operator does not see it, nor open it.
    other = UserFactory(username="op_sub2")
    PositionFactory(user=other, role=Role.OPERATOR, org_unit=tree.sub2)
    assert "第1网格杂物清理" not in text(login(other).get("/campaigns/"))
    assert login(other).get(f"/campaigns/{campaign.pk}/").status_code == 404


def test_query_counts__pinned(campaign, scene, tree, people, login, django_assert_max_num_queries):
    client = login(people.op_sub)
    client.get("/campaigns/")  # warm the session
    with CaptureQueriesContext(connection) as hot:
        assert client.get(f"/command/hotspots/?unit={tree.sub.code}").status_code == 200
    print("hotspot queries", len(hot.captured_queries))
    assert len(hot.captured_queries) <= 19, "\n".join(q["sql"][:150] for q in hot.captured_queries)
    # More cases in the campaign do not add queries to its page.
    with CaptureQueriesContext(connection) as small:
        client.get(f"/campaigns/{campaign.pk}/")
    services.campaign_add_cases(
        actor=people.op_sub, campaign_id=campaign.pk, numbers=[scene.a_old.number]
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200
    print("detail queries", len(small.captured_queries))
    assert len(small.captured_queries) <= 14, [q["sql"][:120] for q in small.captured_queries]
    with django_assert_max_num_queries(12):
        assert client.get("/campaigns/").status_code == 200


def test_workbooks__hotspots_campaigns_and_a_campaigns_cases(campaign, scene, tree, people, login):
    client = login(people.op_sub)
    book = client.get(f"/command/hotspots.xlsx?unit={tree.sub.code}")
    cells = cell_texts(book.content)
    assert book.status_code == 200 and "3号楼" in cells
    assert scene.a_new[0].number in " ".join(cells)
    assert scene.x_cases[0].number not in " ".join(cells)  # the other subdistrict
    assert (
        login(people.op_sub).get(f"/command/hotspots.xlsx?unit={tree.sub2.code}").status_code == 404
    )
    listed = cell_texts(client.get("/campaigns/xlsx/").content)
    assert {"第1网格杂物清理", "按期结案率", "当前超期"} <= listed
    assert "第1网格杂物清理" not in cell_texts(client.get("/campaigns/xlsx/?state=closed").content)
    own = client.get(f"/campaigns/{campaign.pk}/cases.xlsx")
    linked = {link.case.number for link in CampaignCase.objects.filter(campaign=campaign)}
    assert own.status_code == 200 and linked and linked <= cell_texts(own.content)
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"campaigns.hotspots_export", "campaigns.export", "cases.export"} <= actions
    # Another subdistrict's operator does not get the campaign's cases.
    other = UserFactory(username="op_sub2")
    PositionFactory(user=other, role=Role.OPERATOR, org_unit=tree.sub2)
    assert login(other).get(f"/campaigns/{campaign.pk}/cases.xlsx").status_code == 404
