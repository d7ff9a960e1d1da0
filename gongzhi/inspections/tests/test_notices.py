"""Rectification notices and re-inspection through the loop: numbered notices with a
working-day deadline, served signed (photo) or refused (noted); the reminder job makes
one re-inspection a notice over the failed items only; a pass closes the notice and
reports the case handled for verification; a failure counts and issues the next notice;
verification cannot pass while a notice is open; escalation is explicit."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gongzhi.cases import services as case_services
from gongzhi.cases.models import CaseEvent, State
from gongzhi.cases.tests.api_support import jpeg_with_gps
from gongzhi.core.errors import Conflict, DomainError, Invalid
from gongzhi.inspections import notices, printing, services
from gongzhi.inspections.models import InspectionTask, NoticeState, RectificationNotice, TaskState


def photo():
    return SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")


@pytest.fixture
def hazard(insp, people, tree):
    """川味小馆 failed both gas items; the case dispatched to grid A and accepted."""
    result, _ = services.task_submit(
        actor=people.gw_a, task_id=insp.task(insp.food_a).pk, client_id="h1",
        answers={"gas_alarm": "fail", "gas_hose": "pass"}, photos={"gas_alarm": photo()},
    )  # fmt: skip
    case = result.hazard
    case_services.case_dispatch(
        actor=people.community_worker, case_id=case.pk, unit_id=tree.grid_a.pk
    )
    case_services.case_accept(actor=people.gw_a, case_id=case.pk)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    return case


def issue(people, case, days=3):
    notices.notice_issue(actor=people.gw_a, case_id=case.pk, days=days)
    return RectificationNotice.objects.get(hazard=case, state=NoticeState.OPEN)


def reinspect(people, notice, answer, client_id="r1", today=None):
    assert notices.reinspections_due(today or notice.deadline) == 1
    task = InspectionTask.objects.get(notice=notice)
    return services.task_submit(
        actor=people.gw_a, task_id=task.pk, client_id=client_id,
        answers={k: answer for k in task.item_keys},
        photos={k: photo() for k in task.item_keys},
    )[0]  # fmt: skip


def test_a_notice_is_numbered_with_a_working_day_deadline(hazard, people):
    notice = issue(people, hazard, days=3)
    assert notice.number.startswith(f"ZG{notice.issued_at.year}") and notice.seq == 1
    assert [i["key"] for i in notice.items] == ["gas_alarm"]
    assert notice.deadline > notice.issued_at.date() + dt.timedelta(days=2)
    assert notice.issuer_name == people.gw_a.get_display_name() and notice.issuer_unit == "桂园社区"
    event = CaseEvent.objects.get(case=hazard, action="issue_notice")
    assert event.data["notice"] == notice.number
    with pytest.raises(Conflict) as exc:  # one open notice a hazard
        issue(people, hazard)
    assert exc.value.code == "notice_open"
    with pytest.raises(Invalid):
        notices.notice_issue(actor=people.gw_a, case_id=hazard.pk, days=0)
    second = _another_notice(people)
    assert int(second.number[-5:]) == int(notice.number[-5:]) + 1


def _another_notice(people):
    task = InspectionTask.objects.get(premises__name="老王杂货店")
    result, _ = services.task_submit(
        actor=people.gw_a, task_id=task.pk, client_id="h2",
        answers={"extinguisher": "fail", "exits": "pass"}, photos={"extinguisher": photo()},
    )  # fmt: skip
    notices.notice_issue(actor=people.gw_a, case_id=result.hazard_id, days=5)
    return RectificationNotice.objects.get(hazard=result.hazard)


def test_serving_needs_a_photo_when_signed_and_a_note_when_refused(hazard, people):
    issue(people, hazard)
    with pytest.raises(Invalid) as exc:
        notices.notice_serve(actor=people.gw_a, case_id=hazard.pk, service="signed")
    assert "photos" in exc.value.details
    with pytest.raises(Invalid):
        notices.notice_serve(actor=people.gw_a, case_id=hazard.pk, service="refused")
    notices.notice_serve(actor=people.gw_a, case_id=hazard.pk, service="signed", photos=[photo()])
    notice = RectificationNotice.objects.get(hazard=hazard)
    assert notice.service == "signed" and notice.served_at is not None
    event = CaseEvent.objects.get(case=hazard, action="serve_notice")
    assert event.attachments.count() == 1
    with pytest.raises(Conflict):  # served once
        notices.notice_serve(actor=people.gw_a, case_id=hazard.pk, service="refused", note="x")


def test_verification_waits_for_a_passing_reinspection(hazard, people):
    notice = issue(people, hazard)
    case_services.case_handle(actor=people.gw_a, case_id=hazard.pk, result="店主称已整改")
    with pytest.raises(DomainError) as exc:
        case_services.case_verify(actor=people.community_worker, case_id=hazard.pk, passed=True)
    assert "re-inspection" in exc.value.message
    # the reminder job: one re-inspection, the failed item only, however often it runs
    assert notices.reinspections_due(notice.deadline - dt.timedelta(days=5)) == 0
    assert notices.reinspections_due(notice.deadline) == 1
    assert notices.reinspections_due(notice.deadline) == 0
    task = InspectionTask.objects.get(notice=notice)
    assert task.item_keys == ["gas_alarm"] and task.reinspects == hazard.hazard.task
    assert task.round is None and task.state == TaskState.OPEN
    assert [i["key"] for i in services.items_for(task, services.version_for(task))] == ["gas_alarm"]


def test_a_passing_reinspection_closes_the_notice_and_the_loop_verifies(hazard, people, login):
    notice = issue(people, hazard)
    result = reinspect(people, notice, "pass")
    assert result.passed and result.hazard is None  # no new hazard case
    notice.refresh_from_db()
    hazard.refresh_from_db()
    assert notice.state == NoticeState.RECTIFIED and hazard.state == State.HANDLED
    row = CaseEvent.objects.get(case=hazard, action="reinspected", data__passed=True)
    assert row.actor == people.gw_a  # the inspector, on the timeline
    case_services.case_verify(actor=people.community_worker, case_id=hazard.pk, passed=True)
    hazard.refresh_from_db()
    assert hazard.state == State.CLOSED
    # 复查合格率 from the rollups, as the KPI API reads them
    today = str(timezone.localdate())
    kpis = (
        login(people.op_sub)
        .get("/api/v1/kpis", {"unit": hazard.org_code[:9], "start": today, "end": today})
        .json()
    )
    assert kpis["counts"]["reinspections"] == kpis["counts"]["reinspections_passed"] == 1
    rate = next(r for r in kpis["rates"] if r["key"] == "reinspection_pass_rate")
    assert (rate["numerator"], rate["denominator"]) == (1, 1)
    # the campaign's report: found, rectified on time, re-inspections passed of done
    report = (
        login(people.op_sub)
        .get(
            f"/api/v1/inspections/campaigns/{notice.premises.inspection_tasks.first().round.campaign_id}"
        )
        .json()
    )
    first = report["rounds"][0]["figures"]
    assert (first["hazards"], first["on_time"], first["open_notices"]) == (1, 1, 0)
    assert (first["reinspected"], first["passed"], first["pass_rate"]) == (1, 1, 100.0)


def test_a_failed_reinspection_counts_and_issues_the_next_notice(hazard, people):
    first = issue(people, hazard)
    reinspect(people, first, "fail")
    first.refresh_from_db()
    assert first.state == NoticeState.FAILED
    second = RectificationNotice.objects.get(hazard=hazard, state=NoticeState.OPEN)
    assert second.seq == 2 and [i["key"] for i in second.items] == ["gas_alarm"]
    assert notices.failures(hazard) == 1
    reinspect(people, second, "fail", client_id="r2", today=second.deadline)
    assert notices.failures(hazard) == 2
    third = RectificationNotice.objects.get(hazard=hazard, state=NoticeState.OPEN)
    assert third.seq == 3
    event = CaseEvent.objects.filter(case=hazard, action="reinspected").latest("pk")
    assert event.data["failures"] == 2 and event.data["next_notice"] == third.number
    from gongzhi.inspections import selectors

    figures = selectors.progress(people.op_sub, first.hazard.hazard.task.round.campaign).rounds
    f = figures[0][1]
    assert (f.hazards, f.on_time, f.open_notices, f.reinspected, f.passed) == (1, 0, 1, 2, 0)
    assert f.pass_rate == 0.0
    # handing to enforcement is explicit, with who and why; then verification may pass
    with pytest.raises(Invalid):
        notices.notice_escalate(actor=people.community_worker, case_id=hazard.pk, note="")
    notices.notice_escalate(
        actor=people.community_worker, case_id=hazard.pk, note="移交消防救援大队"
    )
    third.refresh_from_db()
    assert third.state == NoticeState.ESCALATED and third.closed_note == "移交消防救援大队"
    hazard.refresh_from_db()
    assert hazard.state == State.IN_PROGRESS  # the loop goes on: dispatch to enforcement


def test_others_may_not_issue_or_escalate(hazard, people):
    with pytest.raises(DomainError):
        notices.notice_issue(actor=people.gw_b, case_id=hazard.pk)  # another grid's case
    issue(people, hazard)
    with pytest.raises(DomainError):  # a grid worker inspects, does not hand to enforcement
        notices.notice_escalate(actor=people.gw_a, case_id=hazard.pk, note="x")
    assert RectificationNotice.objects.get(hazard=hazard).state == NoticeState.OPEN


def test_the_notice_prints_and_downloads(hazard, people, login):
    notice = issue(people, hazard)
    client = login(people.gw_a)
    page = client.get(f"/inspections/notices/{notice.pk}/").content.decode()
    assert "安全隐患整改通知书" in page and notice.number in page and "川味小馆" in page
    assert "《城镇燃气管理条例》第二十八条" in page and "前整改完毕" in page
    pdf = client.get(f"/inspections/notices/{notice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    if printing.font() != "STSong-Light":  # a Chinese TrueType font is on this machine
        assert b"/FontFile2" in pdf.content  # embedded, so every reader shows the text
    assert client.get(f"/inspections/notices/{notice.pk}/qr.svg").content.count(b"<rect") > 50
    api = client.get(f"/api/v1/inspections/notices/{notice.pk}/pdf")
    assert api.status_code == 200 and api.content.startswith(b"%PDF")
    case_page = client.get(f"/cases/{hazard.pk}/").content.decode()
    assert f"/inspections/notices/{notice.pk}/" in case_page
    for other in (people.gw_b, people.resident):
        assert login(other).get(f"/inspections/notices/{notice.pk}/pdf/").status_code == 404
        assert login(other).get(f"/api/v1/inspections/notices/{notice.pk}").status_code == 404


def test_overdue_notices_list(hazard, people, login):
    notice = issue(people, hazard)
    RectificationNotice.objects.filter(pk=notice.pk).update(deadline=dt.date(2026, 1, 5))
    client = login(people.op_sub)
    page = client.get("/api/v1/inspections/notices", {"overdue": "true"}).json()
    rows = page["items"]
    assert [r["number"] for r in rows] == [notice.number] and rows[0]["overdue"] is True
    assert rows[0]["premises"] == "川味小馆" and rows[0]["hazard_case_id"] == hazard.pk
    assert page["next_cursor"] is None
    assert "川味小馆" in client.get("/inspections/notices/?overdue=1").content.decode()
    assert login(people.gw_b).get("/api/v1/inspections/notices").json()["items"] == []


def test_the_notices_list_pages_by_deadline(hazard, insp, people, tree, login):
    """A second hazard (老王杂货店) with a later deadline: one a page, in deadline order."""
    first = issue(people, hazard, days=3)
    result, _ = services.task_submit(
        actor=people.gw_a, task_id=insp.task(insp.shop_a).pk, client_id="h2",
        answers={"extinguisher": "fail", "exits": "pass", "count": 3},
        photos={"extinguisher": photo()},
    )  # fmt: skip
    case_services.case_dispatch(
        actor=people.community_worker, case_id=result.hazard_id, unit_id=tree.grid_a.pk
    )
    case_services.case_accept(actor=people.gw_a, case_id=result.hazard_id)
    second = issue(people, result.hazard, days=7)
    client = login(people.op_sub)
    one = client.get("/api/v1/inspections/notices", {"limit": 1}).json()
    assert [r["number"] for r in one["items"]] == [first.number]
    two = client.get(
        "/api/v1/inspections/notices", {"limit": 1, "cursor": one["next_cursor"]}
    ).json()
    assert [r["number"] for r in two["items"]] == [second.number] and two["next_cursor"] is None
    bad = client.get("/api/v1/inspections/notices", {"cursor": "garbage"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    page = client.get("/inspections/notices/", {"cursor": "garbage"})  # the first page
    assert page.status_code == 200 and "川味小馆" in page.content.decode()


def test_serving_over_the_api_with_a_photo(hazard, people, login):
    from gongzhi.cases.tests.api_support import post_json

    client = login(people.gw_a)
    made = post_json(client, f"/api/v1/cases/{hazard.pk}/actions/issue_notice", {"days": 4})
    assert made.status_code == 200, made.content
    assert made.json()["details"]["notices"][0]["state"] == "open"
    refused = client.post(f"/api/v1/inspections/hazards/{hazard.pk}/serve", {"service": "signed"})
    assert refused.status_code == 400 and "photos" in refused.json()["details"]
    served = client.post(
        f"/api/v1/inspections/hazards/{hazard.pk}/serve", {"service": "signed", "photos": [photo()]}
    )
    assert served.status_code == 200, served.content
    assert served.json()["events"][-1]["action"] == "serve_notice"
    assert len(served.json()["events"][-1]["attachments"]) == 1


def test_the_campaign_report_and_notices_download_as_workbooks(hazard, people, login):
    import io
    import zipfile

    from python_calamine import CalamineWorkbook

    notice = issue(people, hazard)
    RectificationNotice.objects.filter(pk=notice.pk).update(deadline=dt.date(2026, 1, 5))
    campaign = hazard.hazard.task.round.campaign
    client = login(people.op_sub)
    got = client.get(f"/inspections/campaigns/{campaign.pk}/xlsx/")
    assert got.status_code == 200 and "spreadsheetml" in got["Content-Type"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(got.content))
    assert book.sheet_names == ["轮次", "第1轮-网格", "第1轮-类别", "检查任务"]
    rounds = book.get_sheet_by_name("轮次").to_python()
    assert rounds[1][:5] == ["第1轮", 5, 1, 20, 1]  # 5 premises, 1 inspected, 1 hazard
    tasks = book.get_sheet_by_name("检查任务").to_python()
    assert hazard.number in [row[9] for row in tasks]
    api = client.get("/api/v1/inspections/notices/xlsx", {"overdue": "true"})
    assert api.status_code == 200, api.content[:300]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(api.content)).get_sheet_by_index(0)
    assert sheet.to_python()[1][0] == notice.number
    with zipfile.ZipFile(io.BytesIO(api.content)) as z:  # text stays text
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.endswith(".xml"))
    # another grid's worker gets a workbook of nothing of grid A, and 404 for the campaign's
    other = login(people.gw_b).get("/api/v1/inspections/notices/xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(other.content)).get_sheet_by_index(0)
    assert rows.to_python()[1:] == [] or rows.height <= 1


def test_a_reinspection_that_could_not_be_done_issues_the_next_notice(hazard, people):
    notice = issue(people, hazard)
    assert notices.reinspections_due(notice.deadline) == 1
    task = InspectionTask.objects.get(notice=notice)
    services.task_submit(actor=people.gw_a, task_id=task.pk, client_id="r-refused",
                         outcome="refused", note="店主拒绝复查")  # fmt: skip
    notice.refresh_from_db()
    assert notice.state == NoticeState.FAILED
    following = RectificationNotice.objects.get(hazard=hazard, state=NoticeState.OPEN)
    assert following.seq == 2 and following.items == notice.items
    assert notices.failures(hazard) == 0  # not a failed re-inspection: none was done
    assert notices.reinspections_due(following.deadline) == 1  # and it is re-inspected again
