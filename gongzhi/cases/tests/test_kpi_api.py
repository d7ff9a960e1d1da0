"""KPIs through the real services and over the API (/api/v1/kpis), on the hand-counted
scenario of test_kpis.py (kpi_scenario.py)."""

import datetime as dt

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone, translation

from gongzhi.cases import kpis, kpis_raw, services
from gongzhi.cases.tests.kpi_scenario import rates

# -- through the real services -------------------------------------------------------------


def test_case_kpis__through_the_services(people, tree, dispatched):
    case = dispatched()
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_handle(actor=people.handler, case_id=case.pk, result="已清理")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=False, note="未清理干净")
    services.case_handle(actor=people.handler, case_id=case.pk, result="已全部清理")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    services.case_callback(actor=people.op_sub, case_id=case.pk, solved=True, rating="basically")

    today = timezone.localdate()
    report = kpis_raw.raw_case_kpis(
        people.leader, unit_code=tree.sub.code, start=today - dt.timedelta(days=1), end=today
    )
    assert rates(report) == {
        "handling": (1, 1),
        "closure": (1, 1),
        "on_time_closure": (1, 1),
        # registered a moment ago: the hour to contact the reporter has not passed
        "response": (0, 0),
        "resolution": (1, 1),
        "satisfaction": (1, 1),
        "rework": (1, 2),  # checked twice, sent back once
        "repeat": (0, 1),
    }
    assert report.rate("response").value is None


def test_case_kpis__unsatisfied_callback_escalates_and_counts(people, tree, dispatched):
    case = dispatched()
    services.case_accept(actor=people.handler, case_id=case.pk)
    services.case_handle(actor=people.handler, case_id=case.pk, result="已清理")
    services.case_verify(actor=people.op_sub, case_id=case.pk, passed=True)
    services.case_callback(actor=people.op_sub, case_id=case.pk, solved=False, rating="unsatisfied")
    today = timezone.localdate()
    report = kpis_raw.raw_case_kpis(
        people.op_sub, unit_code=tree.sub.code, start=today - dt.timedelta(days=1), end=today
    )
    # reopened one level up: no longer closed, not yet past its new deadline
    assert rates(report)["closure"] == (0, 0)
    assert rates(report)["satisfaction"] == (0, 1)
    assert rates(report)["resolution"] == (0, 1)


# -- the API -------------------------------------------------------------------------------


def _kpi_route_registered() -> bool:
    try:
        resolve("/api/v1/kpis")
    except Resolver404:
        return False
    return True


needs_route = pytest.mark.skipif(
    not _kpi_route_registered(),
    reason='the KPI router is not mounted yet: api.add_router("/kpis", kpi_router)',
)


@needs_route
def test_api_kpis__report_with_counts(scenario, people, tree, login):
    client = login(people.op_sub)
    with translation.override("en"):
        response = client.get(
            "/api/v1/kpis",
            {"unit": tree.sub.code, "start": "2026-03-01", "end": "2026-03-31"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit_code"] == "990101001" and body["unit_name"] == "明德路街道"
    assert body["start"] == "2026-03-01" and body["end"] == "2026-03-31"
    assert body["counts"]["received"] == 13 and body["counts"]["rejected"] == 1
    by_key = {r["key"]: r for r in body["rates"]}
    assert list(by_key) == kpis.rate_keys()
    # Taken now (after 10 April), so only what cannot have changed since NOW is checked.
    assert by_key["repeat"] == {
        "key": "repeat",
        "label": by_key["repeat"]["label"],
        "numerator": 3,
        "denominator": 13,
        "value": 3 / 13,
    }
    assert (by_key["resolution"]["numerator"], by_key["resolution"]["denominator"]) == (4, 6)
    assert (by_key["rework"]["numerator"], by_key["rework"]["denominator"]) == (3, 9)


@needs_route
def test_api_kpis__empty_unit_values_are_null(scenario, people, tree, login):
    response = login(people.gw_b).get(
        "/api/v1/kpis", {"unit": tree.grid_b.code, "start": "2026-03-01", "end": "2026-03-31"}
    )
    assert response.status_code == 200
    assert {r["value"] for r in response.json()["rates"]} == {None}


@needs_route
def test_api_kpis__by_child(scenario, people, tree, login):
    response = login(people.op_district).get(
        "/api/v1/kpis/by-child",
        {"unit": tree.sub.code, "start": "2026-03-01", "end": "2026-03-31"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit_code"] == "990101001"
    assert [(r["unit_code"], r["counts"]["received"]) for r in body["rows"]] == [
        ("990101001001", 10),
        ("990101001002", 3),
    ]


@needs_route
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-3-1", "2026-03-31"),
        ("2026-02-30", "2026-03-31"),
        ("yesterday", "2026-03-31"),
        ("2026-03-31", "2026-03-01"),
        ("2023-01-01", "2026-01-01"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/kpis", "/api/v1/kpis/by-child"])
def test_api_kpis__bad_period_is_400(people, tree, login, path, start, end):
    response = login(people.op_sub).get(path, {"unit": tree.sub.code, "start": start, "end": end})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_period" and body["message"] and body["details"]


@needs_route
@pytest.mark.parametrize("path", ["/api/v1/kpis", "/api/v1/kpis/by-child"])
def test_api_kpis__outside_scope_is_404_and_anonymous_401(scenario, people, tree, login, path):
    params = {"unit": tree.grid_a.code, "start": "2026-03-01", "end": "2026-03-31"}
    other = login(people.gw_b).get(path, params)
    missing = login(people.gw_b).get(path, {**params, "unit": "990101001001002999"})
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json() and other.json()["code"] == "not_found"
    from django.test import Client

    assert Client().get(path, params).status_code == 401


@needs_route
def test_api_kpis__bearer_token(scenario, people, tree):
    from django.test import Client

    from gongzhi.accounts.services import api_token_create

    _, raw = api_token_create(actor=people.admin, user=people.op_sub, name="dashboard")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get(
        "/api/v1/kpis", {"unit": tree.sub.code, "start": "2026-03-01", "end": "2026-03-31"}
    )
    assert response.status_code == 200 and response.json()["counts"]["received"] == 13
