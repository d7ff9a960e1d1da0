# ruff: noqa: F811 — the case fixtures are imported from cases/tests/conftest.py
"""The command-center dashboard (/command/, /api/v1/command/dashboard) and its drill-down
(/command/cases/, /api/v1/command/cases), on cases taken through the real services
with a settable clock.

The scenario (`world`), all in April 2026 unless said, clock at 2026-04-15 10:00, then
moved on to 2026-06-01 10:00 so what was left open is past its deadline:

    grid A (桂园社区, 明德路街道):  closed  — dispatched, accepted, handled, verified, called back
                                    rework  — dispatched, handled, sent back once, open
                                    open    — dispatched, left: overdue by June
                                    new     — reported, not registered (received, no deadline)
    grid C (翠竹社区, 明德路街道):  other   — dispatched, left: overdue by June
    grid X (和平里街道):            outside — dispatched: outside 明德路街道
"""

import datetime as dt
import json
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from gongzhi.cases import kpis, kpis_raw, services
from gongzhi.cases.models import Category, Channel
from gongzhi.cases.tests.conftest import _media, category, dispatched, report  # noqa: F401
from gongzhi.cases.tests.support import Clock, at
from gongzhi.command import dashboard
from gongzhi.core.roles import Level
from gongzhi.factories import OrgUnitFactory

APRIL = {"start": dt.date(2026, 4, 1), "end": dt.date(2026, 4, 30)}
APRIL_Q = "start=2026-04-01&end=2026-04-30"


def _rates(report) -> dict:
    return {r.key: (r.numerator, r.denominator) for r in report.rates}


def _card_rates(data) -> dict:
    return {k["key"]: (k["numerator"], k["denominator"]) for k in data["kpis"]}


@pytest.fixture
def clock(monkeypatch):
    return Clock(at(2026, 4, 15, 10)).install(monkeypatch)


@pytest.fixture
def world(tree, people, clock, report, dispatched):
    w = SimpleNamespace()
    community3 = OrgUnitFactory(
        code="990101002001", name="和平社区", level=Level.COMMUNITY, parent=tree.sub2
    )
    w.grid_x = OrgUnitFactory(
        code="990101002001001", name="第1网格", level=Level.GRID, parent=community3
    )
    w.closed = dispatched(title="路灯不亮")
    services.case_accept(actor=people.handler, case_id=w.closed.pk)
    services.case_handle(actor=people.handler, case_id=w.closed.pk, result="已修复")
    services.case_verify(actor=people.op_sub, case_id=w.closed.pk, passed=True)
    services.case_callback(
        actor=people.op_sub, case_id=w.closed.pk, solved=True, rating="satisfied"
    )
    clock.advance(minutes=5)
    w.rework = dispatched(title="井盖松动")
    services.case_accept(actor=people.handler, case_id=w.rework.pk)
    services.case_handle(actor=people.handler, case_id=w.rework.pk, result="已处理")
    services.case_verify(actor=people.op_sub, case_id=w.rework.pk, passed=False, note="未修好")
    clock.advance(minutes=5)
    w.open = dispatched(title="绿化带垃圾")
    clock.advance(minutes=5)
    w.new = report(title="噪音扰民")
    clock.advance(minutes=5)
    w.other = dispatched(title="楼道堆物", grid_id=tree.grid_c.pk, actor=people.op_sub)
    w.outside = report(title="外区事件", grid_id=w.grid_x.pk, actor=people.op_district)
    services.case_dispatch(
        actor=people.op_district, case_id=w.outside.pk, department_id=tree.department.pk
    )
    clock.set(2026, 6, 1, 10)
    return w


# -- the figures ---------------------------------------------------------------------------


def test_dashboard_data__equals_the_case_kpis(world, people, tree):
    data = dashboard.dashboard_data(people.op_sub, tree.sub.code, **APRIL)
    report = kpis.case_kpis(people.op_sub, unit_code=tree.sub.code, **APRIL)
    assert _card_rates(data) == _rates(report)
    assert data["counts"] == report.counts
    # by hand: five received in 明德路 (the one in 和平里 is not), three overdue now
    assert report.counts["received"] == 5
    assert report.counts["overdue"] == 3
    assert report.counts["closed"] == 1
    # and the rollups agree with a count over the cases themselves
    raw = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=report.now, **APRIL)
    assert _rates(raw) == _rates(report)
    assert data["empty"] is False
    assert data["unit"] == {"code": tree.sub.code, "name": "明德路街道", "level": "subdistrict"}


def test_dashboard_data__rankings_match_by_child_and_by_department(world, people, tree):
    data = dashboard.dashboard_data(people.op_sub, tree.sub.code, **APRIL)
    rankings = {r["key"]: r for r in data["rankings"]}
    by_child = kpis.case_kpis_by_child(people.op_sub, unit_code=tree.sub.code, **APRIL)
    rows = {r["code"]: r for r in rankings["children"]["rows"]}
    assert set(rows) == {r.unit_code for r in by_child}
    for r in by_child:
        assert rows[r.unit_code]["received"] == r.counts["received"]
        assert rows[r.unit_code]["overdue"] == r.counts["overdue"]
        assert (
            rows[r.unit_code]["rates"]["on_time_closure"]["numerator"] == r.counts["closed_on_time"]
        )
    assert rows[tree.community.code]["received"] == 4
    assert rows[tree.community2.code]["received"] == 1
    # the grids two levels down, from the rollups
    grids = {r["code"]: r for r in rankings["grandchildren"]["rows"]}
    assert rankings["grandchildren"]["level"] == "grid"
    assert grids[tree.grid_a.code]["received"] == 4
    assert grids[tree.grid_a.code]["overdue"] == 2
    assert grids[tree.grid_c.code]["received"] == 1
    assert grids[tree.grid_b.code]["received"] == 0
    depts = rankings["departments"]["rows"]
    assert [(d["name"], d["received"]) for d in depts] == [("区城市管理局", 4)]
    assert depts[0]["department"] == str(tree.department.pk)


def test_dashboard_data__rankings_sort_by_each_column(world, people, tree):
    data = dashboard.dashboard_data(people.op_sub, tree.sub.code, **APRIL, sort="overdue")
    grids = next(r for r in data["rankings"] if r["key"] == "grandchildren")["rows"]
    # fewest overdue first when best first
    assert [g["overdue"] for g in grids] == sorted(g["overdue"] for g in grids)
    data = dashboard.dashboard_data(
        people.op_sub, tree.sub.code, **APRIL, sort="overdue", best_first=False
    )
    grids = next(r for r in data["rankings"] if r["key"] == "grandchildren")["rows"]
    assert grids[0]["code"] == tree.grid_a.code
    data = dashboard.dashboard_data(people.op_sub, tree.sub.code, **APRIL, sort="rework")
    grids = next(r for r in data["rankings"] if r["key"] == "grandchildren")["rows"]
    # grid A: one of two checks failed (50%); the grids without checks come last
    assert grids[0]["code"] == tree.grid_a.code
    assert grids[0]["rates"]["rework"]["value"] == 0.5
    assert all(g["rates"]["rework"]["value"] is None for g in grids[1:])


def test_dashboard_data__breakdowns_and_trend(world, people, tree, category):
    data = dashboard.dashboard_data(people.op_sub, tree.sub.code, **APRIL)
    cats = data["breakdowns"]["category"]
    assert [(c["key"], c["received"], c["overdue"]) for c in cats] == [(category.pk, 5, 3)]
    groups = data["breakdowns"]["category_group"]
    assert [(g["key"], g["received"]) for g in groups] == [(category.parent_id, 5)]
    channels = data["breakdowns"]["channel"]
    assert sum(c["received"] for c in channels) == 5
    assert len(data["trend"]) == 30
    day = {p["day"]: p for p in data["trend"]}
    assert day["2026-04-15"]["received"] == 5
    assert day["2026-04-15"]["concluded"] == 1
    assert sum(p["received"] for p in data["trend"]) == 5
    assert data["trend_grain"] == "day"


def test_dashboard_data__change_against_the_previous_period(
    people, tree, clock, report, dispatched
):
    # March (the previous 30 days before April: 2 to 31 March): two received, none handled
    clock.set(2026, 3, 10, 9)
    report(title="三月一")
    report(title="三月二")
    # April: three received, one handled
    clock.set(2026, 4, 10, 9)
    case = dispatched(title="四月一")
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_handle(actor=people.handler, case_id=case.pk, result="已处理")
    report(title="四月二")
    report(title="四月三")
    clock.set(2026, 4, 20, 9)

    data = dashboard.dashboard_data(people.op_sub, tree.sub.code, **APRIL)
    assert data["previous"] == {"start": "2026-03-02", "end": "2026-03-31"}
    received = next(c for c in data["count_cards"] if c["key"] == "received")
    assert (received["value"], received["previous"]) == (3, 2)
    assert (received["change"], received["change_percent"]) == (1, 50.0)
    handled = next(c for c in data["count_cards"] if c["key"] == "handled")
    assert (handled["value"], handled["previous"], handled["change"]) == (1, 0, 1)
    assert handled["change_percent"] is None  # nothing to compare with
    assert handled["tone"] == "good"
    handling = next(k for k in data["kpis"] if k["key"] == "handling")
    assert (handling["numerator"], handling["denominator"]) == (1, 3)
    assert (handling["previous"]["numerator"], handling["previous"]["denominator"]) == (0, 2)
    assert handling["change_pp"] == 33.3
    assert handling["tone"] == "good"
    # a rate with nothing to divide by in either period has no change
    satisfaction = next(k for k in data["kpis"] if k["key"] == "satisfaction")
    assert satisfaction["value"] is None and satisfaction["change_pp"] is None
    # the previous period is what case_kpis says of it
    before = kpis.case_kpis(
        people.op_sub, unit_code=tree.sub.code, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 31)
    )
    assert data["previous_counts"] == before.counts


def test_period_for__named_periods(people):
    wednesday = dt.date(2026, 4, 15)
    assert dashboard.period_for("today", wednesday) == (wednesday, wednesday)
    assert dashboard.period_for("week", wednesday) == (dt.date(2026, 4, 13), wednesday)
    assert dashboard.period_for("month", wednesday) == (dt.date(2026, 4, 1), wednesday)
    assert dashboard.period_for("year", wednesday) == (dt.date(2026, 1, 1), wednesday)
    assert dashboard.period_for("custom", wednesday, dt.date(2025, 1, 1), dt.date(2025, 1, 31)) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 31),
    )
    assert dashboard.previous_period(dt.date(2026, 4, 13), wednesday) == (
        dt.date(2026, 4, 10),
        dt.date(2026, 4, 12),
    )
    for bad in [("custom", dt.date(2026, 2, 1), dt.date(2026, 1, 1)), ("fortnight", None, None)]:
        with pytest.raises(dashboard.Invalid) as exc:
            dashboard.period_for(bad[0], wednesday, bad[1], bad[2])
        assert exc.value.code == "invalid_period"


# -- the page ------------------------------------------------------------------------------


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _chart(response) -> dict:
    html = response.content.decode()
    m = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_dashboard_page__shows_the_kpis_with_their_counts(world, people, tree, login):
    client = login(people.op_sub)
    response = client.get(f"/command/?unit={tree.sub.code}&period=custom&{APRIL_Q}")
    assert response.status_code == 200
    html = response.content.decode()
    report = kpis.case_kpis(people.op_sub, unit_code=tree.sub.code, **APRIL)
    for r in report.rates:
        card = re.search(rf'data-kpi="{r.key}">(.*?)</div>', html, re.S).group(1)
        value = "—" if r.value is None else f"{r.percent:.1f}%"
        assert value in card, (r.key, card)
        assert f">{r.numerator}</a> / <a" in card
        assert f">{r.denominator}</a>" in card
    count = re.search(r'data-count="received">(.*?)</a>', html, re.S).group(1)
    assert '<b class="cmd-count-value">5</b>' in count
    overdue = re.search(r'data-count="overdue">(.*?)</a>', html, re.S).group(1)
    assert '<b class="cmd-count-value">3</b>' in overdue
    # the numbers link to their cases
    assert (
        f'href="/command/cases/?unit={tree.sub.code}&amp;start=2026-04-01&amp;end=2026-04-30'
        "&amp;metric=overdue" in html
    )
    chart = _chart(response)
    assert sum(p["received"] for p in chart["trend"]) == 5
    assert [g["value"] for g in chart["groups"]] == [5]
    assert "vendor/echarts/echarts.min.js" in html
    assert "明德路街道" in html and "桂园社区" in html and "区城市管理局" in html


def test_dashboard_page__default_is_this_month_of_the_first_unit(world, people, tree, login):
    client = login(people.op_sub)
    response = client.get("/command/")
    assert response.status_code == 200
    assert response.context["unit_code"] == tree.sub.code
    assert response.context["data"]["period"]["start"] == "2026-06-01"
    assert response.context["data"]["period"]["end"] == "2026-06-01"


def test_dashboard_page__a_named_period_ignores_the_dates(world, people, tree, login):
    """Changing the area submits the whole form: the dates of the custom fields come
    along, and a named period wins over them."""
    client = login(people.op_sub)
    response = client.get(f"/command/?unit={tree.sub.code}&period=year&{APRIL_Q}")
    assert response.status_code == 200
    assert response.context["data"]["period"]["start"] == "2026-01-01"
    # the custom button comes last in the form: its value wins
    response = client.get(f"/command/?unit={tree.sub.code}&period=year&{APRIL_Q}&period=custom")
    assert response.context["data"]["period"]["start"] == "2026-04-01"


def test_dashboard_page__unit_picker_lists_the_users_units(world, people, tree, login):
    response = login(people.op_sub).get("/command/")
    codes = [u.code for u in response.context["units"]]
    assert codes == [tree.sub.code, tree.community.code, tree.community2.code]
    response = login(people.op_district).get("/command/")
    codes = [u.code for u in response.context["units"]]
    assert codes[0] == tree.district.code and tree.sub2.code in codes
    assert all(len(c) <= 12 for c in codes)  # no grids


def test_dashboard_page__empty_period_shows_zeros_and_why(world, people, tree, login):
    client = login(people.op_sub)
    response = client.get(f"/command/?unit={tree.sub.code}&start=2020-01-01&end=2020-01-31")
    assert response.status_code == 200
    data = response.context["data"]
    assert data["empty"] is True
    assert all(v == 0 for v in data["counts"].values())
    assert all(k["value"] is None for k in data["kpis"])
    text = _text(response)
    assert "No cases were received and nothing was done in this period" in text or (
        "本时段" in text
    )
    received = re.search(r'data-count="received">(.*?)</a>', _html(response), re.S).group(1)
    assert '<b class="cmd-count-value">0</b>' in received


def test_dashboard_page__a_period_not_begun_says_so(world, people, tree, login):
    """A custom period in the future: not a page of zeros without a word."""
    start = timezone.localdate() + dt.timedelta(days=3)
    response = login(people.op_sub).get(
        "/command/",
        {"unit": tree.sub.code, "period": "custom", "start": start, "end": start},
    )
    assert response.status_code == 200
    html = _html(response)
    assert 'id="cmd-future"' in html and "尚未开始" in html and start.isoformat() in html


def _html(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-04-30", "2026-04-01", "开始日期晚于结束日期。"),
        ("2020-01-01", "2023-01-01", "统计时段最长 3 年。"),
        ("2026-04-01", "30/04/2026", "请填写统计时段的起止日期（格式 YYYY-MM-DD）。"),
    ],
)
def test_dashboard_page__bad_range_is_a_chinese_message(
    world, people, tree, login, start, end, message
):
    client = login(people.op_sub)
    response = client.get(f"/command/?unit={tree.sub.code}&start={start}&end={end}")
    assert response.status_code == 400
    assert message in _html(response)
    assert response.context["data"] is None


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("op_sub", "sub2"),  # the other subdistrict
        ("op_sub", "district"),  # above its area
        ("community_worker", "sub"),
        ("op_sub", None),  # no such unit
    ],
)
def test_dashboard_page__unit_outside_scope_is_404(world, people, tree, login, who, unit):
    code = getattr(tree, unit).code if unit else "990199"
    client = login(getattr(people, who))
    assert client.get(f"/command/?unit={code}").status_code == 404
    assert client.get(f"/command/?unit={code}&start=2026-04-30&end=2026-04-01").status_code == 404
    assert client.get(f"/command/cases/?unit={code}&{APRIL_Q}").status_code == 404
    assert client.get(f"/api/v1/command/dashboard?unit={code}").status_code == 404
    assert client.get(f"/api/v1/command/cases?unit={code}&{APRIL_Q}").status_code == 404


@pytest.mark.parametrize("who", ["gw_a", "handler", "resident", "nobody", "building_head"])
def test_dashboard__without_command_access_is_404(world, people, tree, login, who):
    client = login(getattr(people, who))
    assert client.get("/command/").status_code == 404
    assert client.get(f"/command/?unit={tree.grid_a.code}").status_code == 404
    assert client.get(f"/command/cases/?unit={tree.grid_a.code}&{APRIL_Q}").status_code == 404
    response = client.get(f"/api/v1/command/dashboard?unit={tree.grid_a.code}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(f"/api/v1/command/cases?unit={tree.grid_a.code}&{APRIL_Q}").status_code == 404


def test_dashboard__anonymous(tree, client):
    assert client.get("/command/").status_code == 302
    assert client.get(f"/api/v1/command/dashboard?unit={tree.sub.code}").status_code == 401


@pytest.mark.parametrize("who", ["leader", "community_worker", "op_district", "admin"])
def test_dashboard_page__every_command_role_sees_its_area(world, people, tree, login, who):
    unit = tree.community if who == "community_worker" else tree.sub
    response = login(getattr(people, who)).get(f"/command/?unit={unit.code}&{APRIL_Q}")
    assert response.status_code == 200
    assert response.context["data"]["counts"]["received"] == 4 if unit == tree.community else 5


# -- the API -------------------------------------------------------------------------------


def test_api_dashboard__same_data_as_the_page(world, people, tree, login):
    client = login(people.op_sub)
    response = client.get(f"/api/v1/command/dashboard?unit={tree.sub.code}&{APRIL_Q}")
    assert response.status_code == 200, response.content
    body = response.json()
    page = client.get(f"/command/?unit={tree.sub.code}&{APRIL_Q}").context["data"]
    report = kpis.case_kpis(people.op_sub, unit_code=tree.sub.code, **APRIL)
    assert body["counts"] == report.counts == page["counts"]
    assert _card_rates(body) == _rates(report)
    assert body["period"] == {
        "name": "custom",
        "start": "2026-04-01",
        "end": "2026-04-30",
        "days": 30,
    }
    assert [k["key"] for k in body["kpis"]] == [r.key for r in report.rates]
    assert [r["key"] for r in body["rankings"]] == ["children", "grandchildren", "departments"]
    assert body["breakdowns"]["category"][0]["received"] == 5


def test_api_dashboard__named_period(world, people, tree, login):
    client = login(people.op_sub)
    body = client.get(f"/api/v1/command/dashboard?unit={tree.sub.code}&period=year").json()
    assert body["period"]["start"] == "2026-01-01" and body["period"]["end"] == "2026-06-01"
    assert body["trend_grain"] == "month"
    assert len(body["trend"]) == 6
    assert body["counts"]["received"] == 5


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-04-30&end=2026-04-01",
        "start=2020-01-01&end=2023-01-01",
        "start=2026-4-1&end=2026-04-30",
        "period=custom&start=2026-04-01",
        "period=fortnight",
    ],
)
def test_api_dashboard__bad_period_is_400(world, people, tree, login, query):
    client = login(people.op_sub)
    with translation.override("zh-hans"):
        response = client.get(f"/api/v1/command/dashboard?unit={tree.sub.code}&{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_period"


def test_api_dashboard__empty_period(world, people, tree, login):
    client = login(people.op_sub)
    body = client.get(
        f"/api/v1/command/dashboard?unit={tree.sub.code}&start=2020-01-01&end=2020-01-31"
    ).json()
    assert body["empty"] is True
    assert set(body["counts"].values()) == {0}
    assert {k["value"] for k in body["kpis"]} == {None}


# -- the drill-down ------------------------------------------------------------------------


def _listed(client, query) -> list[int]:
    response = client.get(f"/command/cases/?{query}")
    assert response.status_code == 200, response.content[:500]
    return [c.pk for c in response.context["rows"]]


def test_drilldown__received_lists_exactly_the_cases_behind_the_number(world, people, tree, login):
    client = login(people.op_sub)
    query = f"unit={tree.sub.code}&{APRIL_Q}&metric=received"
    ids = _listed(client, query)
    expected = {world.closed.pk, world.rework.pk, world.open.pk, world.new.pk, world.other.pk}
    assert set(ids) == expected and len(ids) == len(expected)
    response = client.get(f"/command/cases/?{query}")
    assert response.context["total"] == 5
    assert 'data-total="5"' in _html(response)
    assert f'href="/cases/{world.closed.pk}/"' in _html(response)
    assert world.outside.pk not in ids


def test_drilldown__overdue_and_closed_match_their_counts(world, people, tree, login):
    client = login(people.op_sub)
    report = kpis.case_kpis(people.op_sub, unit_code=tree.sub.code, **APRIL)
    overdue = _listed(client, f"unit={tree.sub.code}&{APRIL_Q}&metric=overdue")
    assert set(overdue) == {world.rework.pk, world.open.pk, world.other.pk}
    assert len(overdue) == report.counts["overdue"]
    closed = _listed(client, f"unit={tree.sub.code}&{APRIL_Q}&metric=closed")
    assert closed == [world.closed.pk] and len(closed) == report.counts["closed"]
    reworked = _listed(client, f"unit={tree.sub.code}&{APRIL_Q}&metric=reworked")
    assert reworked == [world.rework.pk]
    satisfied = _listed(client, f"unit={tree.sub.code}&{APRIL_Q}&metric=callbacks_satisfied")
    assert satisfied == [world.closed.pk]
    assert _listed(client, f"unit={tree.sub.code}&{APRIL_Q}&metric=callbacks_unsatisfied") == []


def test_drilldown__narrowed_to_a_child_category_channel_department(
    world, people, tree, login, category
):
    client = login(people.op_sub)
    base = f"{APRIL_Q}&metric=received"
    assert set(_listed(client, f"unit={tree.community2.code}&{base}")) == {world.other.pk}
    assert len(_listed(client, f"unit={tree.sub.code}&{base}&category={category.pk}")) == 5
    assert len(_listed(client, f"unit={tree.sub.code}&{base}&group={category.parent_id}")) == 5
    other = Category.objects.exclude(pk=category.pk).filter(parent__isnull=False).first()
    assert _listed(client, f"unit={tree.sub.code}&{base}&category={other.pk}") == []
    by_dept = _listed(client, f"unit={tree.sub.code}&{base}&department={tree.department.pk}")
    assert world.new.pk not in by_dept and len(by_dept) == 4
    channel = world.closed.channel
    response = client.get(f"/command/cases/?unit={tree.sub.code}&{base}&channel={channel}")
    assert response.context["total"] == len(response.context["rows"])
    assert str(Channel(channel).label) in _html(response) or channel


def test_drilldown__nothing_outside_the_users_case_scope(world, people, tree, login):
    """A community worker sees its community's cases only, even asking for a whole list."""
    client = login(people.community_worker)
    ids = _listed(client, f"unit={tree.community.code}&{APRIL_Q}&metric=received")
    assert set(ids) == {world.closed.pk, world.rework.pk, world.open.pk, world.new.pk}
    assert client.get(f"/command/cases/?unit={tree.sub.code}&{APRIL_Q}").status_code == 404


def test_drilldown__bad_input(world, people, tree, login):
    client = login(people.op_sub)
    response = client.get(f"/command/cases/?unit={tree.sub.code}&start=2026-04-30&end=2026-04-01")
    assert response.status_code == 400
    assert "开始日期晚于结束日期。" in _html(response)
    response = client.get(f"/command/cases/?unit={tree.sub.code}&{APRIL_Q}&metric=everything")
    assert response.status_code == 400
    response = client.get(f"/api/v1/command/cases?unit={tree.sub.code}&{APRIL_Q}&metric=nope")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_metric"
    response = client.get(f"/api/v1/command/cases?unit={tree.sub.code}&start=x&end=2026-04-01")
    assert response.json()["code"] == "invalid_period"


def test_api_drilldown__keyset_pages_hold_exactly_the_cases(world, people, tree, login):
    client = login(people.op_sub)
    url = f"/api/v1/command/cases?unit={tree.sub.code}&{APRIL_Q}&metric=received&limit=2"
    seen, cursor, pages = [], None, 0
    while True:
        response = client.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.content
        body = response.json()
        if pages == 0:
            assert body["total"] == 5
        else:
            assert body["total"] is None
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert sorted(seen) == sorted(
        [world.closed.pk, world.rework.pk, world.open.pk, world.new.pk, world.other.pk]
    )
    body = client.get(f"/api/v1/command/cases?unit={tree.sub.code}&{APRIL_Q}&metric=overdue").json()
    assert body["total"] == 3
    assert body["items"][0]["id"] == world.rework.pk  # earliest deadline first
    assert all(c["overdue"] for c in body["items"])


# -- speed ---------------------------------------------------------------------------------


def _more_cases(people, tree, clock, report, n):
    """n more cases in April, spread over grids, categories and channels."""
    categories = list(Category.objects.filter(parent__isnull=False, is_active=True)[:5])
    grids = [tree.grid_a, tree.grid_b, tree.grid_c]
    channels = [Channel.GRID_WORKER, Channel.PATROL, Channel.VISIT]
    saved = clock.now
    clock.set(2026, 4, 20, 9)
    for i in range(n):
        clock.advance(minutes=7)
        report(
            actor=people.op_sub,
            title=f"事件{i}",
            category_id=categories[i % len(categories)].pk,
            grid_id=grids[i % 3].pk,
            channel=channels[i % 3],
        )
    clock.now = saved


def test_dashboard_data__category_groups_equal_the_group_breakdown(people, tree, clock, report):
    _more_cases(people, tree, clock, report, 10)
    data = dashboard.dashboard_data(people.op_sub, tree.sub.code, **APRIL)
    expected = kpis.breakdown(people.op_sub, unit_code=tree.sub.code, by="category_group", **APRIL)
    got = data["breakdowns"]["category_group"]
    assert len(got) >= 1
    assert sorted((g["key"], g["name"], g["received"], g["overdue"]) for g in got) == sorted(
        (r["key"], str(r["label"]), r["counts"]["received"], r["counts"]["overdue"])
        for r in expected
    )
    for g in got:
        row = next(r for r in expected if r["key"] == g["key"])
        assert {k: (v["numerator"], v["denominator"]) for k, v in g["rates"].items()} == {
            k: (v.numerator, v.denominator) for k, v in row["rates"].items()
        }


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_queries__the_same_with_3_and_30_cases(people, tree, clock, report, login):
    client = login(people.op_sub)
    _more_cases(people, tree, clock, report, 3)
    urls = [
        f"/command/?unit={tree.sub.code}&{APRIL_Q}",
        f"/api/v1/command/dashboard?unit={tree.sub.code}&{APRIL_Q}",
        f"/command/cases/?unit={tree.sub.code}&{APRIL_Q}&metric=received",
        f"/api/v1/command/cases?unit={tree.sub.code}&{APRIL_Q}&metric=received",
    ]
    client.get(urls[0])  # warm the session
    small = [_queries(client, u) for u in urls]
    _more_cases(people, tree, clock, report, 27)
    large = [_queries(client, u) for u in urls]
    assert large == small
    page, api, drill_page, drill_api = small
    # session, user, positions; then a constant set of rollup sums, live counts and labels
    assert page <= 88, page  # with the sections apps add (core.manifest.ReportSection)
    assert api <= 46, api
    assert drill_page <= 12, drill_page
    assert drill_api <= 10, drill_api
