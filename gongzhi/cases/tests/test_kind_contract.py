"""The kind contract, run on the example kind (kind_example.py), which is added without
touching cases/, command/ or api/: intake with its details (API and page), the details
on the case page and in the case API, its own action as a button and as
POST /cases/{id}/actions/<name>, its own timeline rows with their labels, its list
filter, its demo step, people as assignees (dispatched or claimed) with the loop's
accept / return / deadline semantics, and its registered counts and rate in the KPI API,
the dashboard, its drill-down, the monthly report and workbook, and the rollups (kept
and rebuilt alike). Every registered kind passes the manifest checks."""

import io
import threading

import pytest
from django.db import connection
from django.utils import timezone
from python_calamine import CalamineWorkbook

from gongzhi.accounts.models import User
from gongzhi.cases import actions, kpis, rollups, services
from gongzhi.cases.kinds import kinds, register_kind, unregister_kind
from gongzhi.cases.models import Case, CaseEvent, State
from gongzhi.cases.tests import kind_example as ex
from gongzhi.cases.workflow import CASE_FLOW
from gongzhi.command import monthly, monthly_xlsx
from gongzhi.core import manifest
from gongzhi.core.errors import NotFound
from gongzhi.core.manifest import demo_steps
from gongzhi.core.models import AuditLog

API = "/api/v1/cases"


@pytest.fixture
def wish_kind(db):
    register_kind(ex.KIND)
    yield ex.KIND
    unregister_kind(ex.CODE)


@pytest.fixture
def volunteer(db):
    return User.objects.create_user(username="vol_wang", password="x", name="王志愿")


def _wish(client, tree, category, **details):
    payload = {
        "category_id": category.pk,
        "description": "想要一台收音机",
        "grid_id": tree.grid_a.pk,
        "kind": ex.CODE,
        "details": {"wish": "收音机", "beneficiary": "张奶奶", **details},
    }
    return client.post(API, payload, content_type="application/json")


def test_intake_takes_the_kinds_details_and_shows_them(wish_kind, people, tree, category, login):
    client = login(people.gw_a)
    r = _wish(client, tree, category)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == ex.CODE
    assert body["details"] == {"wish": "收音机", "beneficiary": "张奶奶"}
    assert [e["action"] for e in body["events"]] == ["report", ex.POSTED]
    case = Case.objects.get(pk=body["id"])
    assert AuditLog.objects.filter(action="case.report", object_id=str(case.pk)).exists()
    page = client.get(f"/cases/{case.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and "收音机" in text and "心愿已登记" in text


def test_bad_details_are_a_400_naming_the_field_and_write_nothing(
    wish_kind, people, tree, category, login
):
    client = login(people.gw_a)
    before = Case.objects.count()
    r = _wish(client, tree, category, wish="")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid" and "details.wish" in r.json()["details"]
    assert Case.objects.count() == before
    general = client.post(
        API,
        {"category_id": category.pk, "description": "x", "grid_id": tree.grid_a.pk,
         "details": {"wish": "收音机"}},
        content_type="application/json",
    )  # fmt: skip
    assert general.status_code == 400 and "details" in general.json()["details"]


def test_the_report_page_asks_for_the_kinds_fields(wish_kind, people, tree, category, login):
    client = login(people.gw_a)
    form = client.get(f"/cases/new/?kind={ex.CODE}")
    assert form.status_code == 200 and "details-wish" in form.content.decode()
    r = client.post(
        "/cases/new/",
        {
            "kind": ex.CODE,
            "category_id": category.pk,
            "description": "想要一台收音机",
            "grid_id": tree.grid_a.pk,
            "urgency": "normal",
            "details-wish": "收音机",
            "details-beneficiary": "李爷爷",
        },
    )
    assert r.status_code == 302
    case = Case.objects.get(kind=ex.CODE)
    assert ex.details_out(case) == {"wish": "收音机", "beneficiary": "李爷爷"}
    missing = client.post(
        "/cases/new/",
        {"kind": ex.CODE, "category_id": category.pk, "description": "x",
         "grid_id": tree.grid_a.pk, "urgency": "normal"},
    )  # fmt: skip
    assert missing.status_code == 400 and Case.objects.filter(kind=ex.CODE).count() == 1
    assert client.get("/cases/new/?kind=hotline_order").status_code == 404


def test_a_claim_dispatches_and_accepts_and_the_kinds_action_runs(
    wish_kind, people, tree, category, login, volunteer
):
    case_id = _wish(login(people.gw_a), tree, category).json()["id"]
    services.case_register(actor=people.op_sub, case_id=case_id)
    vol = login(volunteer)
    assert vol.get(f"{API}/{case_id}").status_code == 404  # not theirs before the claim
    r = vol.post(f"{API}/{case_id}/claim", {"note": "我来"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == State.IN_PROGRESS and body["assignee_user_id"] == volunteer.pk
    assert body["due_at"] is not None
    assert "deliver" in [a["action"] for a in body["actions"]]
    # The kind's own action through the catalogue's generic endpoint …
    bad = vol.post(f"{API}/{case_id}/actions/deliver", {"version": body["version"]},
                   content_type="application/json")  # fmt: skip
    assert bad.status_code == 422
    r = vol.post(
        f"{API}/{case_id}/actions/deliver",
        {"version": body["version"], "note": "已送到张奶奶家"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == State.HANDLED
    assert CaseEvent.objects.filter(case_id=case_id, action="deliver").count() == 1
    assert AuditLog.objects.filter(action="case.deliver", object_id=str(case_id)).exists()
    # … and the loop goes on: verified by the command center.
    services.case_verify(actor=people.op_sub, case_id=case_id, passed=True)
    assert Case.objects.get(pk=case_id).state == State.CLOSED


def test_the_kinds_action_is_a_button_on_the_page_for_the_assignee(
    wish_kind, people, tree, category, login, volunteer
):
    case_id = _wish(login(people.gw_a), tree, category).json()["id"]
    services.case_dispatch(actor=people.op_sub, case_id=case_id, user_id=volunteer.pk)
    services.case_accept(actor=volunteer, case_id=case_id)
    vol = login(volunteer)
    page = vol.get(f"/cases/{case_id}/").content.decode()
    assert 'id="act-deliver"' in page and "王志愿" in page
    version = Case.objects.get(pk=case_id).version
    r = vol.post(f"/cases/{case_id}/act/deliver/", {"version": version, "note": "送到了"})
    assert r.status_code == 302
    assert Case.objects.get(pk=case_id).state == State.HANDLED


def test_the_kinds_action_is_refused_on_other_kinds_and_to_others(
    wish_kind, people, tree, category, login, report, volunteer
):
    general = report()
    r = login(people.op_sub).post(
        f"{API}/{general.pk}/actions/deliver", {"note": "x"}, content_type="application/json"
    )
    assert r.status_code in (400, 409)  # not a state or kind it runs in
    case_id = _wish(login(people.gw_a), tree, category).json()["id"]
    services.case_register(actor=people.op_sub, case_id=case_id)
    # A person the kind does not name can neither be dispatched nor claim.
    with pytest.raises(NotFound):
        services.case_dispatch(actor=people.op_sub, case_id=case_id, user_id=people.resident.pk)
    with pytest.raises(NotFound):
        services.case_claim(actor=people.resident, case_id=case_id)
    # The general kind takes no people.
    with pytest.raises(NotFound):
        services.case_dispatch(actor=people.op_sub, case_id=general.pk, user_id=volunteer.pk)
    assert Case.objects.get(pk=case_id).assignee_user_id is None


def test_a_person_returns_the_case_like_a_unit(wish_kind, people, tree, category, login, volunteer):
    case_id = _wish(login(people.gw_a), tree, category).json()["id"]
    services.case_claim(actor=volunteer, case_id=case_id)
    case = services.case_return(actor=volunteer, case_id=case_id, reason="去外地了")
    assert case.state == State.REGISTERED and case.assignee_user_id is None
    assert login(volunteer).get(f"{API}/{case_id}").status_code == 404


def test_lists_filter_by_kind_and_its_filters(wish_kind, people, tree, category, login, report):
    client = login(people.op_sub)
    _wish(client, tree, category)
    _wish(client, tree, category, beneficiary="李爷爷")
    report()
    r = client.get(f"{API}?queue=all&kind={ex.CODE}")
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    r = client.get(f"{API}?queue=all&kind={ex.CODE}&f=beneficiary:李爷爷")
    assert [c["kind"] for c in r.json()["items"]] == [ex.CODE]
    assert client.get(f"{API}?queue=all&kind=nope").status_code == 400
    assert client.get(f"{API}?queue=all&kind={ex.CODE}&f=colour:red").status_code == 400
    kinds_out = {k["code"]: k for k in client.get(f"{API}/kinds").json()}
    assert kinds_out[ex.CODE]["actions"] == [{"action": "deliver", "label": "送达"}]
    assert kinds_out["hotline_order"]["reportable"] is False


def _delivered(client, people, login, volunteer, tree, category) -> int:
    case_id = _wish(client, tree, category).json()["id"]
    services.case_register(actor=people.op_sub, case_id=case_id)
    vol = login(volunteer)
    version = vol.post(f"{API}/{case_id}/claim", {}, content_type="application/json").json()
    r = vol.post(
        f"{API}/{case_id}/actions/deliver",
        {"version": version["version"], "note": "送到了"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    return case_id


def test_the_kinds_rate_is_in_every_report_and_kept_in_the_rollups(
    wish_kind, people, tree, category, login, volunteer
):
    gw = login(people.gw_a)
    case_id = _delivered(gw, people, login, volunteer, tree, category)
    _wish(gw, tree, category)  # a second wish, not yet delivered
    today = timezone.localdate().isoformat()
    op = login(people.op_sub)
    # The KPI API: its counts and its rate, with the numbers behind it.
    body = op.get(f"/api/v1/kpis?unit={tree.sub.code}&start={today}&end={today}").json()
    assert body["counts"]["example_wishes"] == 2 and body["counts"]["example_delivered"] == 1
    rate = next(r for r in body["rates"] if r["key"] == ex.DELIVERY_RATE.key)
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (1, 2, 0.5)
    assert rate["label"] == "心愿送达率（示例）"
    # The rollups hold what a rebuild from the records counts, in rows of their own.
    day = {
        "unit_code": tree.grid_a.code,
        "start": timezone.localdate(),
        "end": timezone.localdate(),
    }
    kept = kpis.case_kpis(people.op_sub, **day).counts
    rollups.rebuild()
    rebuilt = kpis.case_kpis(people.op_sub, **day).counts
    assert kept == rebuilt and rebuilt["example_delivered"] == 1
    # The dashboard: a card with its drill-downs, and the list behind the numerator.
    dash = op.get(f"/api/v1/command/dashboard?unit={tree.sub.code}&period=today").json()
    card = next(k for k in dash["kpis"] if k["key"] == ex.DELIVERY_RATE.key)
    assert card["numerator_metric"] == "example_delivered" and card["percent"] == 50.0
    listed = op.get(
        f"/api/v1/command/cases?unit={tree.sub.code}&start={today}&end={today}"
        "&metric=example_delivered"
    ).json()
    assert [c["id"] for c in listed["items"]] == [case_id]
    page = op.get(f"/command/?unit={tree.sub.code}&period=today").content.decode()
    card = page[page.index(f'data-kpi="{ex.DELIVERY_RATE.key}"') :][:900]
    assert "心愿送达率（示例）" in card and "50.0%" in card
    assert 'metric=example_delivered" class="nd-num">1</a>' in card
    # The monthly report and its workbook: a column of the per-unit tables.
    now = timezone.localdate()
    report = monthly.monthly_report(people.op_sub, tree.sub.code, now.year, now.month)
    assert ex.DELIVERY_RATE.key in [k for k, _label, _kind in monthly.columns()]
    assert any(line.key == ex.DELIVERY_RATE.key for line in report.kpis)
    book = CalamineWorkbook.from_filelike(io.BytesIO(monthly_xlsx.monthly_xlsx(report)))
    text = str([book.get_sheet_by_name(n).to_python() for n in book.sheet_names])
    assert "心愿送达率（示例）" in text


def test_the_kinds_statistics_come_and_go_with_it(db):
    register_kind(ex.KIND)
    assert ex.DELIVERY_RATE.key in [r.key for r in manifest.rates()]
    unregister_kind(ex.CODE)
    assert ex.DELIVERY_RATE.key not in [r.key for r in manifest.rates()]
    assert "example_wishes" not in [c.key for c in manifest.counts()]


def test_the_demo_step_and_the_transitions_come_and_go_with_the_kind(db):
    register_kind(ex.KIND)
    assert f"kind:{ex.CODE}" in [s.name for s in demo_steps()]
    assert actions.get("deliver") is ex.DELIVER
    unregister_kind(ex.CODE)
    assert f"kind:{ex.CODE}" not in [s.name for s in demo_steps()]
    assert actions.get("deliver") is None
    assert "deliver" not in {t.action for t in CASE_FLOW.transitions}


@pytest.mark.parametrize("kind", kinds(), ids=lambda k: k.code)
def test_every_registered_kind_keeps_the_manifest(kind):
    for action in kind.actions:
        assert action.sources and actions.get(action.name) is action
    assert kind.create_details is None or kind.details_schema is not None
    assert kind.details_template


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_volunteers_claim_at_once_one_wins(wish_kind, people, tree, category, report):
    case, _ = services.case_report(
        actor=people.gw_a, category_id=category.pk, description="收音机", grid_id=tree.grid_a.pk,
        kind=ex.CODE, details={"wish": "收音机", "beneficiary": "张奶奶"},
    )  # fmt: skip
    vols = [User.objects.create_user(username=f"vol_{i}", password="x") for i in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def claim(user):
        try:
            barrier.wait(timeout=10)
            results.append(("ok", services.case_claim(actor=user, case_id=case.pk)))
        except Exception as exc:
            results.append(("error", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(v,)) for v in vols]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["error", "ok"]
    winner = next(r[1] for r in results if r[0] == "ok")
    assert Case.objects.get(pk=case.pk).assignee_user_id == winner.assignee_user_id
    assert CaseEvent.objects.filter(case=case, action="claim").count() == 1
