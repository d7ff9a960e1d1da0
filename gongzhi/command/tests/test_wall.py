# ruff: noqa: F811 — pytest fixtures imported from the cases tests are parameters here.
"""The wall screen: its figures are the KPI API's, it is scoped, cached per unit without
leaking across scopes, and its cost does not grow with the number of cases."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.cases import kpis, selectors, services
from gongzhi.cases.models import Case

# The case fixtures (gongzhi/cases/tests/conftest.py), used here as pytest fixtures.
from gongzhi.cases.tests.conftest import _media, category, dispatched, report  # noqa: F401
from gongzhi.command import wall

API = "/api/v1/command/wall"
PAGE = "/command/wall/"
REPORTER_NAME = "欧阳春晓"
REPORTER_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scenario(people, tree, report, dispatched):
    """Five cases today through the services: two in grid A left new, two dispatched
    (one of them past its deadline), one in grid C handled and closed."""
    a1 = report(reporter_name=REPORTER_NAME, reporter_phone=REPORTER_PHONE)
    a2 = report(title="井盖破损")
    d1 = dispatched(title="路灯不亮")
    d2 = dispatched(title="垃圾满溢")
    Case.objects.filter(pk=d2.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    c1 = report(actor=people.op_sub, grid_id=tree.grid_c.pk, title="树枝折断")
    c1 = services.case_dispatch(
        actor=people.op_sub, case_id=c1.pk, department_id=tree.department.pk
    )
    return {"a1": a1, "a2": a2, "d1": d1, "d2": d2, "c1": c1}


def _month_bounds():
    today = timezone.localdate()
    last_end = today.replace(day=1) - dt.timedelta(days=1)
    return today, today.replace(day=1), last_end.replace(day=1), last_end


def test_wall_api__figures_are_the_kpi_reports(scenario, people, tree, login):
    response = login(people.op_sub).get(API, {"unit": tree.sub.code})
    assert response.status_code == 200
    data = response.json()
    today, first, last_start, last_end = _month_bounds()
    code = tree.sub.code
    day = kpis.case_kpis(people.op_sub, unit_code=code, start=today, end=today)
    month = kpis.case_kpis(people.op_sub, unit_code=code, start=first, end=today)
    last = kpis.case_kpis(people.op_sub, unit_code=code, start=last_start, end=last_end)

    assert data["unit"] == {"code": code, "name": "明德路街道"}
    assert data["today"]["received"] == day.counts["received"] == 5
    assert data["today"]["handled"] == day.counts["handled"]
    assert data["today"]["closed"] == day.counts["closed"]
    overdue, _q = selectors.queue(people.op_sub, "overdue", within=code)
    assert data["today"]["overdue_now"] == overdue.count() == 1
    assert data["today"]["satisfaction"]["denominator"] == month.counts["callbacks"]
    assert [r["key"] for r in data["rates"]] == [r.key for r in month.rates]
    for row, this, before in zip(data["rates"], month.rates, last.rates, strict=True):
        assert (row["numerator"], row["denominator"]) == (this.numerator, this.denominator)
        assert row["percent"] == this.percent
        assert row["last"]["percent"] == before.percent
    assert data["month"]["received"] == month.counts["received"] == 5
    assert len(data["trend"]["days"]) == wall.TREND_DAYS
    assert data["trend"]["received"][-1] == 5
    assert data["trend"]["days"][-1] == today.strftime("%m-%d")
    assert sum(c["received"] for c in data["categories"]) == 5
    children = {
        r.unit_code: r
        for r in kpis.case_kpis_by_child(people.op_sub, unit_code=code, start=first, end=today)
    }
    assert {r["code"] for r in data["children"]} == set(children)
    for row in data["children"]:
        assert row["received"] == children[row["code"]].counts["received"]
        assert row["overdue"] == children[row["code"]].counts["overdue"]
    by_code = {r["code"]: r for r in data["children"]}
    assert by_code[tree.community.code]["received"] == 4
    assert by_code[tree.community2.code]["received"] == 1
    assert [c["number"] for c in data["latest"]] == [
        c.number for c in Case.objects.order_by("-reported_at", "-id")
    ]
    assert [c["overdue"] for c in data["latest"] if c["id"] == scenario["d2"].pk] == [True]


def test_wall_api__no_reporter_name_or_phone(scenario, people, tree, login):
    client = login(people.op_district)
    for body in (
        client.get(API, {"unit": tree.district.code}).content.decode(),
        client.get(PAGE, {"unit": tree.district.code}).content.decode(),
    ):
        assert scenario["a1"].number in body
        assert REPORTER_NAME not in body
        assert REPORTER_PHONE not in body
        assert REPORTER_PHONE[-4:] not in body


def test_wall_page__shows_the_unit_and_todays_numbers(scenario, people, tree, login):
    response = login(people.op_sub).get(PAGE)  # the user's own unit by default
    assert response.status_code == 200
    body = response.content.decode()
    assert "明德路街道" in body
    assert 'data-field="today.received">5<' in body
    assert 'data-field="today.overdue_now">1<' in body
    assert "vendor/echarts/echarts.min.js" in body
    assert 'class="topbar"' not in body  # its own page, not the site's chrome


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("op_sub", "sub2"),  # another subdistrict
        ("op_sub", "district"),  # above the user's unit
        ("community_worker", "sub"),
        ("leader", "sub2"),
        ("gw_a", "grid_a"),  # no command-center permission at all
        ("handler", "district"),  # a department handler
        ("resident", "micro_a1"),
        ("op_sub", None),  # a unit that does not exist
    ],
)
def test_wall__refused_outside_the_area(scenario, people, tree, login, who, unit):
    code = getattr(tree, unit).code if unit else "990101001999"
    client = login(getattr(people, who))
    response = client.get(API, {"unit": code})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(PAGE, {"unit": code}).status_code == 404


def test_wall__without_command_permission_the_page_is_404(people, login):
    assert login(people.gw_a).get(PAGE).status_code == 404
    assert login(people.handler).get(PAGE).status_code == 404


def test_wall__anonymous(client, tree):
    response = client.get(API, {"unit": tree.district.code})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    response = client.get(PAGE, {"unit": tree.district.code})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_wall__community_worker_sees_own_community(scenario, people, tree, login):
    response = login(people.community_worker).get(API, {"unit": tree.community.code})
    assert response.status_code == 200
    assert response.json()["today"]["received"] == 4


def test_wall_cache__never_serves_a_unit_outside_the_scope(scenario, people, tree, login):
    # The district's figures are cached by the district operator …
    assert login(people.op_district).get(API, {"unit": tree.district.code}).status_code == 200
    assert cache.get(wall.cache_key(tree.district.code)) is not None
    # … and still refused to those who may not see the district, from the cache or not.
    for who in ("op_sub", "community_worker", "gw_a", "handler", "leader"):
        response = login(getattr(people, who)).get(API, {"unit": tree.district.code})
        assert response.status_code == 404, who
    # The subdistrict's entry is its own, not the district's.
    sub = login(people.op_sub).get(API, {"unit": tree.sub.code}).json()
    assert sub["unit"]["code"] == tree.sub.code
    assert login(people.community_worker).get(API, {"unit": tree.sub.code}).status_code == 404


def test_wall_cache__serves_the_same_figures_for_a_while(scenario, people, tree, login, report):
    client = login(people.op_sub)
    first = client.get(API, {"unit": tree.sub.code}).json()
    report(title="新事件")
    leader = login(people.leader)
    with CaptureQueriesContext(connection) as queries:
        again = leader.get(API, {"unit": tree.sub.code}).json()
    assert again == first  # cached: the new case shows at the next expiry
    assert len(queries) <= 4, [q["sql"][:150] for q in queries]  # session, user, positions
    cache.clear()
    assert client.get(API, {"unit": tree.sub.code}).json()["today"]["received"] == 6


def _wall_queries(client, code) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(API, {"unit": code}).status_code == 200
    return len(queries)


def test_wall_api__query_count_does_not_grow_with_cases(people, tree, login, report):
    client = login(people.op_district)
    for _ in range(3):
        report()
    few = _wall_queries(client, tree.district.code)
    for i in range(27):
        report(grid_id=(tree.grid_b if i % 2 else tree.grid_c).pk, actor=people.op_sub)
    many = _wall_queries(client, tree.district.code)
    assert few == many
    assert many <= 41  # the loop's rollups and the kinds' counts (CaseRollupCount)


@pytest.mark.parametrize(("given", "used"), [("1", 2), ("5", 5), ("x", 30), ("100000", 600)])
def test_wall_page__refresh_interval_is_bounded(people, tree, login, given, used):
    body = login(people.op_sub).get(PAGE, {"refresh": given}).content.decode()
    assert f'data-refresh="{used}"' in body
