"""Inspections on the command center: the map's layers (premises by their last result,
risk points and their reports under an alert) and the section of the dashboard and the
monthly report (page, API, workbook) — all registered by the app, none in command/."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from python_calamine import CalamineWorkbook

from gongzhi.cases import services as case_services
from gongzhi.cases.tests.api_support import jpeg_with_gps
from gongzhi.command import map as command_map
from gongzhi.inspections import notices, risk, services

PREMISES = "/api/v1/inspections/map/premises"
RISK = "/api/v1/inspections/map/risk-points"
BOX = "112.0,34.0,113.0,35.0"


def photo():
    return SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")


@pytest.fixture
def found(insp, people, tree):
    """老王杂货店 passed, 川味小馆 failed (a hazard with a notice), 阿香理发店 refused entry."""
    services.task_submit(
        actor=people.gw_a, task_id=insp.task(insp.shop_a).pk, client_id="p1",
        answers={"extinguisher": "pass", "exits": "pass", "count": 3},
    )  # fmt: skip
    result, _ = services.task_submit(
        actor=people.gw_a, task_id=insp.task(insp.food_a).pk, client_id="f1",
        answers={"gas_alarm": "fail", "gas_hose": "pass"}, photos={"gas_alarm": photo()},
    )  # fmt: skip
    insp.shop_b.lng, insp.shop_b.lat = 112.43, 34.63
    insp.shop_b.save(update_fields=["lng", "lat"])
    services.task_submit(
        actor=people.gw_b, task_id=insp.task(insp.shop_b).pk, client_id="t1",
        outcome="refused", note="负责人拒绝开门",
    )  # fmt: skip
    case_services.case_dispatch(
        actor=people.community_worker, case_id=result.hazard.pk, unit_id=tree.grid_a.pk
    )
    case_services.case_accept(actor=people.gw_a, case_id=result.hazard.pk)
    notices.notice_issue(actor=people.gw_a, case_id=result.hazard.pk, days=3)
    return result.hazard


def test_the_premises_layer_colours_each_by_its_last_result(found, insp, people, tree, login):
    body = login(people.op_sub).get(PREMISES, {"unit": tree.sub.code, "bbox": BOX}).json()
    by_name = {p["label"].split("（")[0]: p for p in body["points"]}
    # Premises without a point (微网格便利店, 翠竹面馆 …) are not on the map.
    assert set(by_name) == {"老王杂货店", "川味小馆", "阿香理发店"}
    assert by_name["老王杂货店"]["cls"] == "passed"
    assert by_name["川味小馆"]["cls"] == "failed"
    refused = by_name["阿香理发店"]
    assert refused["cls"] == "absent" and "拒绝检查" in refused["note"]
    assert body["total"] == 3 and body["name"] == "premises"
    # Outside the box, nothing; a box that is not one is a 400.
    empty = login(people.op_sub).get(PREMISES, {"unit": tree.sub.code, "bbox": "1,1,2,2"})
    assert empty.json()["points"] == []
    bad = login(people.op_sub).get(PREMISES, {"unit": tree.sub.code, "bbox": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_bbox"


def test_a_layer_is_only_for_the_command_area(found, people, tree, login):
    # A grid worker has no command center: 404, as for a unit that does not exist.
    assert login(people.gw_a).get(PREMISES, {"unit": tree.sub.code, "bbox": BOX}).status_code == 404
    missing = login(people.op_sub).get(PREMISES, {"unit": "999999999999", "bbox": BOX})
    assert missing.status_code == 404
    assert login(people.handler).get(RISK, {"unit": tree.sub.code, "bbox": BOX}).status_code == 404


def test_the_layer_sends_at_most_its_limit_and_counts_the_rest(
    insp, people, tree, login, monkeypatch
):
    monkeypatch.setattr(command_map, "MAX_LAYER_POINTS", 1)
    body = login(people.op_sub).get(PREMISES, {"unit": tree.sub.code, "bbox": BOX}).json()
    assert len(body["points"]) == 1 and body["total"] == 2
    assert body["points"][0]["cls"] == "never"


def test_the_risk_layer_shows_who_has_reported_under_an_open_alert(people, tree, login):
    month = timezone.localdate().month
    common = {
        "actor": people.op_sub, "kind": "car_park", "leader_id": people.leader.pk,
        "community_person_id": people.community_worker.pk,
        "season_start": month, "season_end": month,
    }  # fmt: skip
    park = risk.point_save(grid_id=tree.grid_a.pk, name="桂园地下停车场", lng=112.41, lat=34.61,
                           **common)  # fmt: skip
    road = risk.point_save(grid_id=tree.grid_b.pk, name="滨河路低洼路段", lng=112.45, lat=34.6,
                           **common)  # fmt: skip
    client = login(people.op_sub)
    before = client.get(RISK, {"unit": tree.sub.code, "bbox": BOX}).json()["points"]
    assert {p["cls"] for p in before} == {"season"}
    alert = risk.alert_declare(actor=people.op_sub, unit_code=tree.sub.code, title="暴雨预警")
    risk.alert_report(actor=people.gw_a, alert_id=alert.pk, point_id=park.pk,
                      status="problem", note="入口积水")  # fmt: skip
    after = {
        p["label"].split("（")[0]: p
        for p in client.get(RISK, {"unit": tree.sub.code, "bbox": BOX}).json()["points"]
    }
    assert after["桂园地下停车场"]["cls"] == "problem"
    assert after["滨河路低洼路段"]["cls"] == "waiting"
    assert after["滨河路低洼路段"]["url"] == f"/inspections/alerts/{alert.pk}/"
    assert people.leader.get_display_name() in after["滨河路低洼路段"]["note"]
    assert road.pk


def test_the_map_page_offers_the_layers(people, tree, login):
    page = login(people.op_sub).get("/command/map/", {"unit": tree.sub.code, "layer": "premises"})
    html = page.content.decode()
    assert 'name="cmap-layer" value="premises" checked' in html
    assert 'name="cmap-layer" value="risk_points"' in html


def test_the_dashboard_and_the_monthly_report_show_the_section(found, people, tree, login):
    client = login(people.op_sub)
    today = timezone.localdate()
    page = client.get(
        "/command/",
        {"unit": tree.sub.code, "period": "custom", "start": "2026-05-01", "end": today},
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'id="section-inspections"' in html
    assert 'data-figure="hazards"' in html and "安全集中整治月" in html
    assert "3 / 5" in html  # 3 inspected of the round's 5 premises in the subdistrict

    month = {"unit": tree.sub.code, "month": today.strftime("%Y-%m")}
    monthly = client.get("/command/monthly/", month)
    assert 'id="monthly-section-inspections"' in monthly.content.decode()
    api = client.get("/api/v1/command/monthly", month).json()
    rows = {r["key"]: r["value"] for r in api["sections"][0]["rows"]}
    assert rows["hazards"] == 1 and rows["issued"] == 1 and rows["open"] == 1
    book = client.get("/command/monthly.xlsx", month)
    sheets = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).sheet_names
    assert "隐患排查" in sheets


def test_no_section_for_a_user_who_does_not_view_inspections(found, people, tree, login):
    from gongzhi.command.sections import app_sections

    today = timezone.localdate()
    assert app_sections(people.op_sub, tree.sub, today, today)
    # A grid of the subdistrict with nothing in it shows nothing.
    assert not app_sections(people.op_sub, tree.grid_c, today, today)
