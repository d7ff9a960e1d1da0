"""The disputes API: the register per role, party data only to the mediator and staff in
scope (audited), the case API and public views showing nothing of the parties, the
agreement's signing by multipart, the screening board, the summary and the KPIs."""

import json

from django.utils import timezone

from gongzhi.cases.tests.api_support import post_json
from gongzhi.core.models import AuditLog
from gongzhi.disputes.models import Agreement, Dispute, Party
from gongzhi.disputes.tests.conftest import ID_X, jpeg

API = "/api/v1/disputes"


def _body(disp, tree, **kw):
    body = {
        "grid_id": tree.grid_a.pk, "type_id": disp.neighbour.pk, "source": "grid_worker",
        "risk": "serious", "summary": "宠物犬夜间吠叫扰民",
        "account": "刘某称赵某的狗多次咬伤其孩子",
        "parties": [
            {"resident_id": disp.res_a.pk},
            {"name": "赵六", "phone": "13700001111", "id_number": ID_X},
        ],
    }  # fmt: skip
    body.update(kw)
    return body


def test_register_by_api__idempotent_and_masked(disp, people, tree, login):
    client = login(people.community_worker)
    first = post_json(client, f"{API}/disputes", _body(disp, tree), **{"Idempotency-Key": "a1"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert [p["name"] for p in body["parties"]] == ["李大爷", "赵六"]
    assert body["parties"][1]["phone_masked"] == "137****1111"
    assert "13700001111" not in first.content.decode() and ID_X not in first.content.decode()
    assert body["account"] == "刘某称赵某的狗多次咬伤其孩子" and body["risk"] == "serious"
    again = post_json(client, f"{API}/disputes", _body(disp, tree), **{"Idempotency-Key": "a1"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Dispute.objects.count() == 1


def test_register_by_api__bad_input_is_400_and_writes_nothing(disp, people, tree, login):
    client = login(people.gw_a)
    r = post_json(
        client, f"{API}/disputes", _body(disp, tree, parties=[{"resident_id": disp.res_a.pk}])
    )
    assert r.status_code == 400 and "parties" in r.json()["details"]
    r = post_json(client, f"{API}/disputes", _body(disp, tree, risk="huge"))
    assert r.status_code == 400 and "risk" in r.json()["details"]
    assert not Dispute.objects.exists()


def test_party_data_only_with_the_dispute_permission(disp, people, tree, login):
    case = disp.register()
    d = f"{API}/disputes/{case.pk}"
    # Outside the area, or without the dispute permission: 404, nothing audited.
    for who in (people.gw_a, people.gw_b, people.leader, people.resident, disp.other_cw,
                people.handler, people.admin):  # fmt: skip
        r = login(who).get(d)
        assert r.status_code == 404, who.username
        assert login(who).get(f"{API}/disputes").json() == []
    assert not AuditLog.objects.filter(action="disputes.read").exists()
    ok = login(people.community_worker).get(d)
    assert ok.status_code == 200 and ok.json()["parties"][1]["name"] == "王强"
    assert AuditLog.objects.filter(action="disputes.read").count() == 1
    # The list has no party data at all.
    listed = json.dumps(
        login(people.community_worker).get(f"{API}/disputes").json(), ensure_ascii=False
    )
    assert "王强" not in listed and "李大爷" not in listed and "楼上漏水" in listed


def test_the_case_api_and_public_views_show_no_party(disp, people, tree, login, client):
    case = disp.register()
    got = login(people.leader).get(f"/api/v1/cases/{case.pk}")
    assert got.status_code == 200
    body = json.dumps(got.json(), ensure_ascii=False)
    assert "王强" not in body and "李大爷" not in body and "三千元" not in body
    assert "139****5678" not in body and got.json()["details"]["parties"] == 2
    # Open311 lists public categories only; the register's category is not.
    listed = client.get("/open311/v2/requests.json")
    assert case.number not in listed.content.decode()


def test_reveal__audited_for_staff_404_for_others(disp, people, login):
    case = disp.register()
    party = Party.objects.get(dispute_id=case.pk, seq=2)
    url = f"{API}/disputes/{case.pk}/parties/{party.pk}/reveal"
    r = post_json(login(people.leader), url, {"field": "id_number"})
    assert r.status_code == 404
    r = post_json(login(people.community_worker), url, {"field": "id_number"})
    assert r.status_code == 200 and r.json()["value"] == ID_X
    assert AuditLog.objects.filter(action="disputes.party_revealed").count() == 1


def test_mediator_flow_by_api(disp, people, login):
    case = disp.register()
    staff = login(people.community_worker)
    r = post_json(
        staff, f"{API}/disputes/{case.pk}/mediator", {"mediator_id": disp.party_mediator.pk}
    )
    assert r.status_code == 400 and r.json()["code"] == "mediator_is_party"
    r = post_json(staff, f"{API}/disputes/{case.pk}/mediator", {"mediator_id": disp.mediator.pk})
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    med = login(disp.med_user)
    assert post_json(med, f"/api/v1/cases/{case.pk}/accept", {}).status_code == 200
    assert med.get(f"{API}/disputes/{case.pk}").status_code == 200  # the mediator sees it
    r = post_json(med, f"{API}/disputes/{case.pk}/sessions", {
        "mode": "joint", "held_at": "2026-01-02T09:00:00+08:00", "place": "助和调解室",
        "attendees": "双方当事人", "minutes": "双方同意和解", "next_step": "签协议",
    })  # fmt: skip
    assert r.status_code == 201 and r.json()["minutes"] == "双方同意和解"
    r = post_json(
        med, f"/api/v1/cases/{case.pk}/actions/mediation_conclude", {"outcome": "settled"}
    )
    assert r.status_code in (400, 409) and not Dispute.objects.get(pk=case.pk).outcome
    a = post_json(med, f"{API}/disputes/{case.pk}/agreements", {"terms": "赔偿一千元"}).json()
    r = med.post(f"{API}/agreements/{a['id']}/sign", {"photo": jpeg()})
    assert r.status_code == 200 and r.json()["signed_at"] and r.json()["has_photo"]
    r = post_json(
        med, f"{API}/disputes/{case.pk}/agreements", {"terms": "改", "agreement_id": a["id"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "agreement_signed"
    assert Agreement.objects.get(pk=a["id"]).terms == "赔偿一千元"
    assert med.get(f"{API}/agreements/{a['id']}/photo").status_code == 200
    assert login(people.leader).get(f"{API}/agreements/{a['id']}/photo").status_code == 404
    conclude = f"/api/v1/cases/{case.pk}/actions/mediation_conclude"
    r = post_json(med, conclude, {"outcome": "settled", "follow_up_on": ["2020-01-01"]})
    assert r.status_code == 400 and "follow_up_on" in r.json()["details"]
    assert (
        post_json(med, conclude, {"outcome": "settled", "follow_up_on": ["明天"]}).status_code
        == 422
    )
    r = post_json(med, conclude, {"outcome": "settled"})
    assert r.status_code == 200, r.content
    detail = med.get(f"{API}/disputes/{case.pk}").json()
    assert detail["outcome"] == "settled" and len(detail["follow_ups"]) == 2
    f = detail["follow_ups"][0]["id"]
    r = post_json(staff, f"{API}/follow-ups/{f}", {"performance": "performed"})
    assert r.status_code == 200
    assert post_json(staff, f"{API}/follow-ups/{f}", {"performance": "not"}).status_code == 409


def test_screening_board_summary_and_kpis(disp, people, tree, login):
    month = timezone.localdate().strftime("%Y-%m")
    r = post_json(login(people.gw_b), f"{API}/screening",
                  {"unit_id": tree.grid_b.pk, "month": month, "is_zero": True})  # fmt: skip
    assert r.status_code == 200 and r.json()["is_zero"]
    r = post_json(login(people.gw_b), f"{API}/screening",
                  {"unit_id": tree.grid_b.pk, "month": "2099-01", "is_zero": True})  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "future_month"
    disp.register()
    board = (
        login(people.leader)
        .get(f"{API}/screening/board", {"unit": tree.sub.pk, "month": month})
        .json()
    )
    states = {row["code"]: row["state"] for row in board["rows"]}
    assert states[tree.grid_b.code] in ("on_time", "late") and board["counts"]["units"] == 3
    s = (
        login(people.leader)
        .get(f"{API}/screening/summary", {"unit": tree.sub.pk, "month": month})
        .json()
    )
    assert s["new"] == 1 and s["success"] == {"numerator": 0, "denominator": 0, "value": None}
    k = login(people.leader).get(f"{API}/kpis", {"unit": tree.sub.pk}).json()
    assert k["registered"] == 1 and k["success"]["denominator"] == 0
    assert login(people.gw_a).get(f"{API}/kpis", {"unit": tree.sub.pk}).status_code == 404
    assert login(people.leader).get(f"{API}/kpis", {"unit": tree.sub2.pk}).status_code == 404


def test_no_party_data_in_search_or_notifications(disp, people, login):
    from gongzhi.notifications.models import Notification

    case = disp.register()
    services_assign = post_json(
        login(people.community_worker),
        f"{API}/disputes/{case.pk}/mediator",
        {"mediator_id": disp.mediator.pk},
    )
    assert services_assign.status_code == 200
    # The case search finds nothing by a party's name (it is not in the case at all) …
    for who in (people.leader, people.op_sub, people.community_worker):
        found = login(who).get("/api/v1/cases", {"q": "王强"}).json()
        assert found["items"] == [] if isinstance(found, dict) else found == []
    # … and no notification carries a party's name, phone or the account.
    texts = " ".join(f"{n.title} {n.body}" for n in Notification.objects.all())
    assert Notification.objects.filter(recipient=disp.med_user).exists()
    assert "王强" not in texts and "李大爷" not in texts and "5678" not in texts
    assert "三千元" not in texts
