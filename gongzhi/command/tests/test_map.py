# ruff: noqa: F811 — pytest fixtures imported from the cases tests are parameters here.
"""The command center's map: the grids' figures are the KPI reports', markers are
clustered when many and never carry the reporter, bad input is a 400 with a stable
code, the area is enforced, and the cost does not grow with the number of cases."""

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext

from gongzhi.cases import kpis
from gongzhi.cases.models import Case, State

# The case fixtures (gongzhi/cases/tests/conftest.py), used here as pytest fixtures.
from gongzhi.cases.tests.conftest import _media, category, dispatched, report  # noqa: F401
from gongzhi.command import map as command_map

GRIDS = "/api/v1/command/map/grids"
MARKERS = "/api/v1/command/map/markers"
PAGE = "/command/map/"
BOX = "112.30,34.50,112.60,34.70"  # around the test tree (orgs/tests/conftest.py)
REPORTER_NAME = "欧阳春晓"
REPORTER_PHONE = "13912345678"
_numbers = itertools.count(1)


def _period():
    today = timezone.localdate()
    return {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}


@pytest.fixture
def scenario(people, tree, report, dispatched):
    """Through the services: grid A three cases (one past its deadline), grid B one,
    grid C one; each with a point inside its grid."""
    cases = [
        report(lng=112.405, lat=34.63, reporter_name=REPORTER_NAME, reporter_phone=REPORTER_PHONE),
        report(lng=112.406, lat=34.631, title="井盖破损"),
        dispatched(lng=112.407, lat=34.632, title="路灯不亮"),
        report(
            actor=people.op_sub, grid_id=tree.grid_b.pk, lng=112.43, lat=34.62, title="垃圾满溢"
        ),
        report(
            actor=people.op_sub, grid_id=tree.grid_c.pk, lng=112.46, lat=34.61, title="树枝折断"
        ),
    ]
    Case.objects.filter(pk=cases[2].pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    return cases


def bulk_cases(category, grid, n, *, lng=112.41, lat=34.62):
    """`n` cases written straight to the table (the marker API reads the table itself)."""
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            number=f"MAP{next(_numbers):08d}",
            channel="grid_worker",
            category=category,
            title="批量事件",
            state=State.REGISTERED,
            org_code=grid.code,
            grid=grid,
            reported_at=now - dt.timedelta(minutes=i),
            lng=lng + (i % 20) * 0.0005,
            lat=lat + (i // 20) * 0.0005,
        )
        for i in range(n)
    )


# -- grids ---------------------------------------------------------------------------


def test_grids__figures_are_the_kpi_reports(scenario, people, tree, login):
    period = _period()
    response = login(people.op_sub).get(
        GRIDS, {"unit": tree.sub.code, **period, "metric": "overdue"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["metric"] == "overdue"
    grids = {g["code"]: g for g in data["grids"]}
    assert set(grids) == {tree.grid_a.code, tree.grid_b.code, tree.grid_c.code}
    start, end = dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])
    for grid in (tree.grid_a, tree.grid_b, tree.grid_c):
        report = kpis.case_kpis(people.op_sub, unit_code=grid.code, start=start, end=end)
        row = grids[grid.code]
        assert row["received"] == report.counts["received"]
        assert row["overdue"] == report.counts["overdue"]
        assert row["value"] == row["overdue"]
        assert row["name"] == grid.name
    assert (grids[tree.grid_a.code]["received"], grids[tree.grid_a.code]["overdue"]) == (3, 1)
    assert grids[tree.grid_c.code]["received"] == 1
    assert data["max"] == 1


def test_grids__of_a_community_only_its_grids(scenario, people, tree, login):
    data = login(people.community_worker).get(GRIDS, {"unit": tree.community.code}).json()
    assert [g["code"] for g in data["grids"]] == [tree.grid_a.code, tree.grid_b.code]
    assert [g["value"] for g in data["grids"]] == [3, 1]  # received, by default


def test_grids__query_count_does_not_grow(people, tree, login, report, category):
    client = login(people.op_district)
    bulk_cases(category, tree.grid_a, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(GRIDS, {"unit": tree.district.code}).status_code == 200
    bulk_cases(category, tree.grid_c, 30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(GRIDS, {"unit": tree.district.code}).status_code == 200
    assert len(few) == len(many) <= 9


# -- markers -------------------------------------------------------------------------


def test_markers__each_case_when_few_and_no_reporter(scenario, people, tree, login):
    response = login(people.op_sub).get(
        MARKERS, {"unit": tree.sub.code, **_period(), "bbox": BOX, "zoom": "14"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    data = response.json()
    assert data["kind"] == "markers"
    assert data["clusters"] == []
    assert {m["number"] for m in data["markers"]} == {c.number for c in scenario}
    late = {m["id"]: m["overdue"] for m in data["markers"]}
    assert late == {c.pk: c.pk == scenario[2].pk for c in scenario}
    assert set(data["markers"][0]) == {
        "id", "number", "title", "state", "state_label", "overdue", "lat", "lng"
    }  # fmt: skip
    assert REPORTER_NAME not in body
    assert REPORTER_PHONE not in body
    assert REPORTER_PHONE[-4:] not in body


def test_markers__only_the_box(scenario, people, tree, login):
    data = (
        login(people.op_sub)
        .get(
            MARKERS,
            {"unit": tree.sub.code, **_period(), "bbox": "112.40,34.60,112.42,34.64", "zoom": 15},
        )
        .json()
    )
    assert sorted(m["id"] for m in data["markers"]) == sorted(c.pk for c in scenario[:3])


def test_markers__clusters_when_many(people, tree, login, category):
    bulk_cases(category, tree.grid_a, command_map.MAX_MARKERS + 1)
    bulk_cases(category, tree.grid_c, 5, lng=112.47, lat=34.61)
    response = login(people.op_sub).get(
        MARKERS, {"unit": tree.sub.code, **_period(), "bbox": BOX, "zoom": "12"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["kind"] == "clusters"
    assert data["markers"] == []
    assert data["total"] == command_map.MAX_MARKERS + 6
    assert sum(c["count"] for c in data["clusters"]) == data["total"]
    assert 2 <= len(data["clusters"]) < 20
    assert "批量事件" not in response.content.decode()  # counts only
    # Zoomed in on a few of them: each one again.
    data = (
        login(people.op_sub)
        .get(
            MARKERS,
            {"unit": tree.sub.code, **_period(), "bbox": "112.465,34.605,112.48,34.62", "zoom": 17},
        )
        .json()
    )
    assert data["kind"] == "markers"
    assert len(data["markers"]) == 5


def test_markers__query_count_does_not_grow(people, tree, login, category):
    client = login(people.op_sub)
    params = {"unit": tree.sub.code, **_period(), "bbox": BOX, "zoom": 13}
    counts = []
    for n in (3, 30, command_map.MAX_MARKERS):
        bulk_cases(category, tree.grid_a, n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MARKERS, params).json()["kind"] in ("markers", "clusters")
        counts.append(len(queries))
    assert counts[0] == counts[1]  # markers, few or more
    assert counts[2] == counts[0] + 1  # clusters: one GROUP BY more
    assert counts[2] <= 6


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"bbox": "1,2,3"}, "invalid_bbox"),
        ({"bbox": "a,b,c,d"}, "invalid_bbox"),
        ({"bbox": "112.5,34.5,112.4,34.7"}, "invalid_bbox"),  # west > east
        ({"bbox": "112.4,34.5,112.5,134.7"}, "invalid_bbox"),
        ({"bbox": "nan,34.5,112.5,34.7"}, "invalid_bbox"),
        ({"zoom": "x"}, "invalid_zoom"),
        ({"zoom": "23"}, "invalid_zoom"),
        ({"zoom": "-1"}, "invalid_zoom"),
        ({"start": "2026-03-31", "end": "2026-03-01"}, "invalid_period"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "invalid_period"),
        ({"start": "2026/03/01", "end": "2026-03-31"}, "invalid_period"),
        ({"start": "2026-03-01"}, "invalid_period"),
    ],
)
def test_markers__bad_input_is_a_400(people, tree, login, params, code):
    query = {"unit": tree.sub.code, "bbox": BOX, "zoom": "12", **params}
    response = login(people.op_sub).get(MARKERS, query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    assert body["details"]


def test_bad_input_messages_are_translated(people, tree, login):
    body = login(people.op_sub).get(MARKERS, {"unit": tree.sub.code, "bbox": "x", "zoom": 1}).json()
    assert body["message"] == gettext(
        "The map box must be four numbers: west,south,east,north "
        "(longitude -180 to 180, latitude -90 to 90)."
    )
    body = (
        login(people.op_sub)
        .get(GRIDS, {"unit": tree.sub.code, "start": "2026-03-31", "end": "2026-03-01"})
        .json()
    )
    assert body["code"] == "invalid_period"
    assert re.search(r"[\u4e00-\u9fff]", body["message"])  # kpis' message, translated


def test_grids__bad_metric_or_period(people, tree, login):
    client = login(people.op_sub)
    response = client.get(GRIDS, {"unit": tree.sub.code, "metric": "density"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_metric")
    response = client.get(
        GRIDS, {"unit": tree.sub.code, "start": "2020-01-01", "end": "2026-01-01"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_period")


# -- scope ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("op_sub", "sub2"),
        ("op_sub", "district"),
        ("community_worker", "community2"),
        ("gw_a", "grid_a"),
        ("handler", "district"),
        ("resident", "micro_a1"),
    ],
)
def test_map__refused_outside_the_area(bounded, people, login, who, unit):
    code = getattr(bounded, unit).code
    client = login(getattr(people, who))
    for url, extra in ((GRIDS, {}), (MARKERS, {"bbox": BOX, "zoom": 12})):
        response = client.get(url, {"unit": code, **extra})
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    assert client.get(PAGE, {"unit": code}).status_code == 404


def test_map__anonymous(client, tree):
    for url in (GRIDS, MARKERS):
        assert (
            client.get(url, {"unit": tree.district.code, "bbox": BOX, "zoom": 3}).status_code == 401
        )
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# -- the page ------------------------------------------------------------------------


def test_map_page__draws_the_grids_of_the_unit(bounded, people, login):
    response = login(people.community_worker).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    geo = response.context["collection"]
    assert [f["properties"]["code"] for f in geo["features"]] == [
        bounded.grid_a.code,
        bounded.grid_b.code,
    ]
    assert 'id="cmap-grids"' in body
    assert "vendor/leaflet/leaflet.js" in body
    assert "data-tile" not in body  # no tile server: the grids are the map


def test_map_page__bad_period_is_explained(bounded, people, login):
    response = login(people.op_sub).get(
        PAGE, {"unit": bounded.sub.code, "start": "2026-03-31", "end": "2026-03-01"}
    )
    assert response.status_code == 400
    assert response.context["error"]
    assert response.context["error"] in response.content.decode()


def test_map_page__preset_period(bounded, people, login):
    response = login(people.op_sub).get(PAGE, {"unit": bounded.sub.code, "period": "year"})
    today = timezone.localdate()
    assert response.context["start"] == today.replace(month=1, day=1)
    assert response.context["end"] == today
