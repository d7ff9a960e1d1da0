"""Templates, campaigns, rounds and inspections through the services: the invariants of
issue 16 (one task per round and premises, no task for closed premises, a result pins
its version, a refused submission stores nothing, one winner, a resent submission)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.cases.models import Case, CaseAttachment, State
from gongzhi.cases.tests.api_support import jpeg_with_gps
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.inspections import services
from gongzhi.inspections.models import (
    HazardDetail,
    InspectionResult,
    InspectionTask,
    Outcome,
    TaskState,
)
from gongzhi.inspections.tests.conftest import SHOP_ITEMS, TODAY
from gongzhi.registry import services as registry

PASS = {"extinguisher": "pass", "exits": "pass", "count": 3}


def photo():
    return SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")


def submit(actor, task, answers=PASS, client_id="c1", **kw):
    return services.task_submit(
        actor=actor, task_id=task.pk, client_id=client_id, answers=answers, **kw
    )


def test_a_round_makes_one_task_per_open_premises_with_a_checklist(insp, tree):
    tasks = InspectionTask.objects.filter(round=insp.round1)
    assert {t.premises.name for t in tasks} == {
        "老王杂货店",
        "川味小馆",
        "微网格便利店",
        "阿香理发店",
        "翠竹面馆",
    }
    # the closed internet café and the temple (no checklist for its category) have none
    assert not tasks.filter(premises__in=[insp.closed, insp.temple]).exists()
    assert insp.task(insp.micro_a1).org_code == tree.micro_a1.code
    assert insp.task(insp.food_a).template == insp.food_tpl
    assert insp.round1.generated_at is not None


def test_generating_again_adds_only_the_premises_added_since(insp, people, tree):
    before = InspectionTask.objects.count()
    assert services.round_generate(actor=people.op_sub, round_id=insp.round1.pk) == 0
    assert InspectionTask.objects.count() == before
    registry.premises_save(
        actor=people.gw_b, grid_id=tree.grid_b.pk, name="新开花店", category_id=insp.shop_cat.pk
    )
    assert services.round_generate(actor=people.op_sub, round_id=insp.round1.pk) == 1
    assert services.round_generate(actor=people.op_sub, round_id=insp.round1.pk) == 0
    assert InspectionTask.objects.count() == before + 1


def test_the_second_round_has_its_own_tasks(insp, people):
    round2 = services.round_add(
        actor=people.op_sub, campaign_id=insp.campaign.pk,
        starts_on=TODAY + dt.timedelta(days=11), due_on=TODAY + dt.timedelta(days=20),
    )  # fmt: skip
    assert round2.number == 2
    assert round2.tasks.count() == insp.round1.tasks.count() == 5


def test_only_managers_of_the_area_run_campaigns(insp, people, tree):
    with pytest.raises(PermissionDenied):
        services.round_add(
            actor=people.gw_a, campaign_id=insp.campaign.pk, starts_on=TODAY, due_on=TODAY
        )
    with pytest.raises(NotFound):  # another subdistrict's unit: as if it did not exist
        services.campaign_create(
            actor=people.community_worker, unit_code=tree.sub2.code, name="x",
            starts_on=TODAY, ends_on=TODAY, category_ids=[insp.shop_cat.pk],
        )  # fmt: skip
    with pytest.raises(Invalid) as exc:
        services.campaign_create(
            actor=people.op_sub, unit_code=tree.sub.code, name="",
            starts_on=TODAY, ends_on=TODAY - dt.timedelta(days=1), category_ids=[],
        )  # fmt: skip
    assert set(exc.value.details) == {"name", "ends_on", "category_ids"}


def test_a_passing_inspection_closes_the_task_and_makes_no_case(insp, people):
    task = insp.task(insp.shop_a)
    result, created = submit(people.gw_a, task, lng=112.4101, lat=34.6101,
                             device_at="2026-05-04T09:30:00+08:00")  # fmt: skip
    assert created and result.passed and result.hazard is None
    assert result.version == insp.shop_tpl.current
    result.refresh_from_db()
    assert result.device_at == dt.datetime(2026, 5, 4, 1, 30, tzinfo=dt.UTC)
    assert result.received_at > result.device_at
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert not Case.objects.filter(kind="hazard").exists()
    assert AuditLog.objects.filter(action="inspections.task_submit", object_id=str(task.pk))


def test_failed_items_become_one_hazard_case_with_their_photos(insp, people):
    task = insp.task(insp.food_a)
    answers = {"gas_alarm": {"value": "fail", "note": "未安装"}, "gas_hose": "fail"}
    result, _ = submit(people.gw_a, task, answers,
                       photos={"gas_alarm": photo(), "gas_hose": photo()})  # fmt: skip
    case = result.hazard
    assert case.kind == "hazard" and case.state == State.REPORTED
    assert case.urgency == "urgent"  # a major hazard
    assert case.category.code == "0702"  # the worst item's own category
    assert case.grid_id == insp.food_a.grid_id and case.reported_by == people.gw_a
    assert "安装燃气报警器及紧急切断装置（未安装）" in case.description
    detail = HazardDetail.objects.get(case=case)
    assert detail.premises == insp.food_a and detail.task == task
    assert detail.severity == "high"
    assert [i["key"] for i in detail.items] == ["gas_alarm", "gas_hose"]
    assert detail.items[0]["basis"] == "《城镇燃气管理条例》第二十八条"
    photos = list(CaseAttachment.objects.filter(case=case).values_list("pk", flat=True))
    assert len(photos) == 2
    assert result.answers["gas_alarm"]["photo"] == photos[0]
    assert result.failed_keys == ["gas_alarm", "gas_hose"] and not result.passed


def test_a_checklist_failing_more_than_nine_items_keeps_every_photo(insp, people, tree):
    """The loop takes nine photos from a person's report; an inspection brings one per
    failed item (the hazard kind's max_photos)."""
    from gongzhi.cases.services import MAX_PHOTOS

    items = [{"key": f"i{n}", "text": f"楼道检查项{n}"} for n in range(12)]
    stairs = registry.premises_save(
        actor=people.gw_a, grid_id=tree.grid_a.pk, name="3号楼楼道", category_id=insp.shop_cat.pk
    )
    services.template_save(
        actor=people.admin, name="门店表", category_ids=[insp.shop_cat.pk],
        case_category_id=insp.shop_tpl.case_category_id, items=items, template_id=insp.shop_tpl.pk,
    )  # fmt: skip
    services.round_generate(actor=people.op_sub, round_id=insp.round1.pk)
    task = insp.task(stairs)
    result, _ = submit(people.gw_a, task, {f"i{n}": "fail" for n in range(12)},
                       photos={f"i{n}": photo() for n in range(12)})  # fmt: skip
    stored = list(CaseAttachment.objects.filter(case=result.hazard).values_list("pk", flat=True))
    assert len(stored) == 12 > MAX_PHOTOS
    assert [result.answers[f"i{n}"]["photo"] for n in range(12)] == stored
    # A person's report still stops at nine.
    from gongzhi.cases import services as case_services

    with pytest.raises(Invalid) as exc:
        case_services.case_report(
            actor=people.gw_a, category_id=insp.shop_tpl.case_category_id, title="十张照片",
            grid_id=tree.grid_a.pk, photos=[photo() for _ in range(10)],
        )  # fmt: skip
    assert exc.value.details == {"photos": ["too_many"]}


@pytest.mark.parametrize(
    "answers,photos,field",
    [
        ({"exits": "pass"}, {}, "answers.extinguisher"),  # a required item unanswered
        ({**PASS, "extinguisher": "fail"}, {}, "answers.extinguisher"),  # fail, no photo
        ({**PASS, "extinguisher": "maybe"}, {}, "answers.extinguisher"),
        ({**PASS, "count": "many"}, {}, "answers.count"),
        ({**PASS, "count": "1e999"}, {}, "answers.count"),  # not a finite number
        ({**PASS, "bogus": "pass"}, {}, "answers.bogus"),
    ],
)
def test_a_refused_submission_stores_nothing(insp, people, answers, photos, field):
    task = insp.task(insp.shop_a)
    with pytest.raises(Invalid) as exc:
        submit(people.gw_a, task, answers, photos=photos)
    assert field in exc.value.details
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert not InspectionResult.objects.exists() and not Case.objects.exists()


def test_a_reading_out_of_bounds_fails_its_item(insp, people):
    result, _ = submit(people.gw_a, insp.task(insp.shop_a), {**PASS, "count": "1"})
    assert result.failed_keys == ["count"] and result.hazard.kind == "hazard"
    assert result.answers["count"]["value"] == 1.0


def test_refused_entry_needs_a_note_and_fails_nothing(insp, people):
    task = insp.task(insp.shop_a)
    with pytest.raises(Invalid):
        submit(people.gw_a, task, {}, outcome=Outcome.REFUSED)
    result, _ = submit(people.gw_a, task, {}, outcome=Outcome.REFUSED, note="店主拒绝检查")
    assert result.outcome == Outcome.REFUSED and not result.passed and result.hazard is None


def test_another_grids_task_is_not_found(insp, people):
    with pytest.raises(NotFound):
        submit(people.gw_b, insp.task(insp.shop_a))
    with pytest.raises(NotFound):  # a leader sees but does not inspect
        submit(people.leader, insp.task(insp.shop_a))
    # a grid worker's scope covers the micro-grids of their grid
    assert submit(people.gw_a, insp.task(insp.micro_a1))[1]


def test_a_resent_submission_is_the_same_result(insp, people):
    task = insp.task(insp.shop_a)
    first, created = submit(people.gw_a, task)
    again, created_again = submit(people.gw_a, task)
    assert created and not created_again and again.pk == first.pk
    assert InspectionResult.objects.count() == 1
    with pytest.raises(Conflict) as exc:  # a second inspection of the task
        submit(people.community_worker, task, client_id="c2")
    assert exc.value.code == "already_inspected"
    with pytest.raises(Conflict) as exc:  # someone else's submission id
        submit(people.community_worker, insp.task(insp.shop_b), client_id="c1")
    assert exc.value.code == "client_id_taken"
    with pytest.raises(Conflict) as exc:  # one's own id, sent for another task
        submit(people.gw_a, insp.task(insp.food_a), client_id="c1")
    assert exc.value.code == "client_id_taken"


def test_editing_a_checklist_never_changes_past_results(insp, people):
    task = insp.task(insp.shop_a)
    result, _ = submit(people.gw_a, task)
    edited = [*SHOP_ITEMS, {"key": "signs", "text": "疏散指示标志完好"}]
    services.template_save(
        actor=people.admin, template_id=insp.shop_tpl.pk, name="门店表",
        category_ids=[insp.shop_cat.pk], case_category_id=insp.shop_tpl.case_category_id,
        items=edited,
    )  # fmt: skip
    assert insp.shop_tpl.current.number == 2
    result.refresh_from_db()
    assert result.version.number == 1 and "signs" not in [i["key"] for i in result.version.items]
    # the next task answers the new version: the new item is required
    with pytest.raises(Invalid) as exc:
        submit(people.gw_b, insp.task(insp.shop_b), client_id="c2")
    assert "answers.signs" in exc.value.details


def test_templates_are_checked_and_kept_by_administrators(insp, people):
    with pytest.raises(PermissionDenied):
        services.template_save(
            actor=people.gw_a, name="x", category_ids=[insp.shop_cat.pk],
            case_category_id=insp.shop_tpl.case_category_id, items=SHOP_ITEMS,
        )  # fmt: skip
    with pytest.raises(Invalid) as exc:
        services.template_save(
            actor=people.admin, name="门店表2", category_ids=[insp.shop_cat.pk],
            case_category_id=insp.shop_tpl.case_category_id,
            items=[{"key": "a", "text": "x"}, {"key": "a", "text": "y"}],
        )  # fmt: skip
    assert set(exc.value.details) == {"items", "category_ids"}  # duplicate key; taken category
