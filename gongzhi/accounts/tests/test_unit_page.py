"""The org unit page's people panel: accounts adds it through the manifest, so `orgs`
imports nothing of accounts."""

from gongzhi.core.manifest import unit_panels


def test_accounts_registers_the_people_panel():
    assert "people" in [p.name for p in unit_panels()]


def test_unit_page__people_in_positions_and_the_grid_workers_figure(people, tree, login):
    page = login(people.admin).get(f"/area/units/{tree.community.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "在岗人员" in html and people.community_worker.name in html
    # Grid workers at the community and under it: gw_a and gw_b.
    assert "<b>2</b><span>网格员</span>" in html


def test_unit_page__nobody_in_a_position_yet(people, tree, login):
    html = login(people.admin).get(f"/area/units/{tree.grid_c.pk}/").content.decode()
    assert "暂无在岗人员。" in html
    assert "<b>0</b><span>网格员</span>" in html
