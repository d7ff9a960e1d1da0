"""Risk points and alerts: a point has its leader and community person; an alert over an
area tells the people of every point in season; a point reports once (the first wins);
a problem becomes an urgent case; the board shows who has not reported."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.cases.models import Case
from gongzhi.cases.tests.api_support import post_json
from gongzhi.cases.tests.test_concurrency import postgres_only, threaded, together
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.inspections import risk
from gongzhi.inspections.models import AlertReport, RiskPoint
from gongzhi.notifications.models import Notification


@pytest.fixture
def points(people, tree):
    month = timezone.localdate().month
    made = []
    for grid, name in ((tree.grid_a, "桂园地下停车场"), (tree.grid_b, "滨河路低洼路段")):
        made.append(
            risk.point_save(
                actor=people.op_sub,
                grid_id=grid.pk,
                name=name,
                kind="car_park",
                leader_id=people.leader.pk,
                community_person_id=people.community_worker.pk,
                season_start=month,
                season_end=month,
            )
        )
    off = risk.point_save(
        actor=people.op_sub, grid_id=tree.grid_a.pk, name="冬季不在汛期的点", kind="old_wall",
        leader_id=people.leader.pk, community_person_id=people.community_worker.pk,
        season_start=month % 12 + 1, season_end=month % 12 + 1,
    )  # fmt: skip
    return [*made, off]


def test_a_point_needs_its_people_of_the_subdistrict(people, tree):
    with pytest.raises(Invalid) as exc:
        risk.point_save(
            actor=people.op_sub, grid_id=tree.grid_a.pk, name="x", kind="car_park",
            leader_id=people.handler.pk, community_person_id=999999,
        )  # fmt: skip
    assert set(exc.value.details) == {"leader_id", "community_person_id"}
    with pytest.raises(PermissionDenied):
        risk.point_save(
            actor=people.gw_a, grid_id=tree.grid_a.pk, name="x", kind="car_park",
            leader_id=people.leader.pk, community_person_id=people.community_worker.pk,
        )  # fmt: skip
    assert not RiskPoint.objects.exists()


def test_an_alert_tells_the_people_of_every_point_in_season(points, people, tree):
    alert = risk.alert_declare(
        actor=people.op_sub, unit_code=tree.sub.code, title="暴雨橙色预警", level="橙色",
        report_minutes=30,
    )  # fmt: skip
    assert set(alert.points.values_list("name", flat=True)) == {"桂园地下停车场", "滨河路低洼路段"}
    told = Notification.objects.filter(kind="inspections.alert")
    assert set(told.values_list("recipient", flat=True)) == {
        people.leader.pk, people.community_worker.pk,
    }  # fmt: skip
    assert told.count() == 4  # each of the two, once a point
    assert alert.report_by == alert.declared_at + dt.timedelta(minutes=30)
    with pytest.raises(PermissionDenied):
        risk.alert_declare(actor=people.gw_a, unit_code=tree.grid_a.code, title="x")


def test_a_point_reports_once_and_a_problem_is_a_case(points, people, tree):
    alert = risk.alert_declare(actor=people.op_sub, unit_code=tree.sub.code, title="暴雨预警")
    car_park, low_road = points[0], points[1]
    with pytest.raises(Invalid):  # a problem says what
        risk.alert_report(actor=people.gw_a, alert_id=alert.pk, point_id=car_park.pk,
                          status="problem")  # fmt: skip
    risk.alert_report(
        actor=people.gw_a, alert_id=alert.pk, point_id=car_park.pk, status="problem",
        note="车库入口积水20厘米，挡水板未安装",
    )  # fmt: skip
    report = AlertReport.objects.get(point=car_park)
    assert report.case.urgency == "urgent" and report.case.category.code == "0705"
    with pytest.raises(Conflict):
        risk.alert_report(actor=people.community_worker, alert_id=alert.pk,
                          point_id=car_park.pk, status="checked")  # fmt: skip
    with pytest.raises(NotFound):  # grid B's point, for grid A's worker
        risk.alert_report(actor=people.gw_a, alert_id=alert.pk, point_id=low_road.pk,
                          status="checked")  # fmt: skip
    # the point's leader reports for it, wherever his position is
    risk.alert_report(actor=people.leader, alert_id=alert.pk, point_id=low_road.pk,
                      status="checked")  # fmt: skip
    assert Case.objects.count() == 1


def test_the_board_shows_who_has_not_reported(points, people, tree, login):
    client = login(people.op_sub)
    made = post_json(
        client,
        "/api/v1/inspections/alerts",
        {"unit_code": tree.sub.code, "title": "暴雨预警", "report_minutes": 10},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["points"] == 2 and body["missing"] == 2
    alert_id = body["id"]
    reported = post_json(login(people.gw_a),
                         f"/api/v1/inspections/alerts/{alert_id}/points/{points[0].pk}/report",
                         {"status": "checked"})  # fmt: skip
    assert reported.status_code == 201  # the board as gw_a sees it: grid A only
    assert (reported.json()["points"], reported.json()["missing"]) == (1, 0)
    board = client.get(f"/api/v1/inspections/alerts/{alert_id}").json()["board"]
    assert [r["point"]["name"] for r in board] == ["滨河路低洼路段", "桂园地下停车场"]
    assert board[0]["status"] is None and board[1]["status"] == "checked"
    page = client.get(f"/inspections/alerts/{alert_id}/").content.decode()
    assert "滨河路低洼路段" in page and "暴雨预警" in page
    # gw_b sees only grid B's point on the board
    mine = login(people.gw_b).get(f"/api/v1/inspections/alerts/{alert_id}").json()
    assert [r["point"]["name"] for r in mine["board"]] == ["滨河路低洼路段"]


@postgres_only
@threaded
def test_two_reports_of_one_point_at_once_one_wins(points, people, tree):
    alert = risk.alert_declare(actor=people.op_sub, unit_code=tree.sub.code, title="暴雨预警")

    def by(user):
        return lambda: risk.alert_report(actor=user, alert_id=alert.pk, point_id=points[0].pk,
                                         status="checked")  # fmt: skip

    outcomes = together(by(people.gw_a), by(people.community_worker))
    assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
    assert AlertReport.objects.filter(point=points[0]).count() == 1


def test_declaring_and_reporting_from_the_pages(points, people, tree, login):
    office = login(people.op_sub)
    bad = office.post("/inspections/risk/", {"unit_code": tree.sub.code, "title": ""})
    assert bad.status_code == 400 and not risk.Alert.objects.exists()
    made = office.post("/inspections/risk/", {"unit_code": tree.sub.code, "title": "暴雨预警",
                                              "report_minutes": "30"}, follow=True)  # fmt: skip
    alert = risk.Alert.objects.get()
    assert made.redirect_chain[-1][0] == f"/inspections/alerts/{alert.pk}/"
    worker = login(people.gw_a)
    page = worker.get(f"/inspections/alerts/{alert.pk}/").content.decode()
    assert 'name="point_id"' in page  # grid A's worker may report grid A's point
    refused = worker.post(f"/inspections/alerts/{alert.pk}/",
                          {"point_id": points[0].pk, "status": "problem"})  # fmt: skip
    assert refused.status_code == 400 and not AlertReport.objects.exists()
    worker.post(f"/inspections/alerts/{alert.pk}/", {"point_id": points[0].pk, "status": "checked"})
    assert AlertReport.objects.get().reporter == people.gw_a
    again = worker.post(f"/inspections/alerts/{alert.pk}/",
                        {"point_id": points[0].pk, "status": "checked"})  # fmt: skip
    assert again.status_code == 409 and AlertReport.objects.count() == 1


@pytest.fixture
def duty_point(people, tree):
    from gongzhi.cases.models import Category
    from gongzhi.inspections import services
    from gongzhi.registry.models import PremisesCategory

    garages, _ = PremisesCategory.objects.get_or_create(name="测试车库")
    duty = services.template_save(
        actor=people.admin, name="车库防汛值守表", category_ids=[garages.pk],
        case_category_id=Category.objects.get(code="0705").pk,
        items=[{"key": "barrier", "text": "挡水板到位"},
               {"key": "depth", "text": "积水深度（厘米）", "answer": "number", "max": 5}],
    )  # fmt: skip
    month = timezone.localdate().month
    point = risk.point_save(
        actor=people.op_sub, grid_id=tree.grid_a.pk, name="桂园地下停车场", kind="car_park",
        leader_id=people.leader.pk, community_person_id=people.community_worker.pk,
        season_start=month, season_end=month, duty_id=duty.pk,
    )  # fmt: skip
    alert = risk.alert_declare(actor=people.op_sub, unit_code=tree.sub.code, title="暴雨预警")
    return point, alert


def test_a_point_with_a_duty_checklist_answers_it(duty_point, people):
    point, alert = duty_point
    with pytest.raises(Invalid) as exc:  # the checklist unanswered
        risk.alert_report(actor=people.gw_a, alert_id=alert.pk, point_id=point.pk,
                          status="checked")  # fmt: skip
    assert set(exc.value.details) == {"answers.barrier", "answers.depth"}
    with pytest.raises(Invalid) as exc:
        risk.alert_report(actor=people.gw_a, alert_id=alert.pk, point_id=point.pk,
                          status="checked",
                          answers={"barrier": "pass", "depth": "deep"})  # fmt: skip
    assert set(exc.value.details) == {"answers.depth"}
    assert not AlertReport.objects.exists()
    # 12 cm of water: the report is a problem, said with the item, and an urgent case.
    report, _ = risk.alert_report(
        actor=people.gw_a, alert_id=alert.pk, point_id=point.pk, status="checked",
        answers={"barrier": "pass", "depth": {"value": 12, "note": "入口处"}},
    )  # fmt: skip
    assert report.status == "problem" and report.note == "积水深度（厘米）（入口处）"
    assert report.answers["depth"] == {"value": 12.0, "note": "入口处"}
    assert report.case.urgency == "urgent"


def test_the_board_page_asks_the_duty_checklist_and_keeps_a_refused_answer(
    duty_point, people, login
):
    point, alert = duty_point
    client = login(people.community_worker)
    page = client.get(f"/inspections/alerts/{alert.pk}/").content.decode()
    assert "挡水板到位" in page and 'name="a_depth"' in page
    refused = client.post(f"/inspections/alerts/{alert.pk}/",
                          {"point_id": point.pk, "status": "checked", "a_depth": "3"})  # fmt: skip
    assert refused.status_code == 400
    assert 'name="a_depth" value="3"' in refused.content.decode()
    assert not AlertReport.objects.exists()
    done = client.post(f"/inspections/alerts/{alert.pk}/",
                       {"point_id": point.pk, "status": "checked", "a_barrier": "pass",
                        "a_depth": "3"})  # fmt: skip
    assert done.status_code == 302
    report = AlertReport.objects.get()
    assert report.status == "checked" and report.answers["barrier"]["value"] == "pass"
    body = login(people.op_sub).get(f"/api/v1/inspections/alerts/{alert.pk}").json()
    row = body["board"][0]
    assert [i["key"] for i in row["duty"]] == ["barrier", "depth"]
    assert row["answers"]["depth"]["value"] == 3.0
