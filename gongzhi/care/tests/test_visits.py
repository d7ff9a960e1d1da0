"""Visit plans and visits: idempotent generation, plans ended by a death, a move or a
removed tag, visits closing their scheduled visit, the future refused, resends, 第 N 次,
findings, and scope."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from gongzhi.care import selectors, services
from gongzhi.care.models import ScheduledState, ScheduledVisit, Visit, Wish, WishSource
from gongzhi.care.tests.conftest import NOW, photo, visit
from gongzhi.cases.models import Case, Category, Channel
from gongzhi.core.errors import Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog


def open_of(resident):
    return ScheduledVisit.objects.filter(resident=resident, state=ScheduledState.OPEN)


def test_plan_makes_one_scheduled_visit_a_resident_and_window(care, tree):
    rows = ScheduledVisit.objects.filter(plan=care.plan)
    assert sorted(r.resident.name for r in rows) == ["李建国", "王秀英", "赵大爷"]
    row = rows.get(resident=care.wang)
    assert (row.window_start, row.due_on, row.overdue_on) == (
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 29),
        dt.date(2026, 12, 1),
    )
    assert row.org_code == tree.grid_a.code


def test_generating_again_makes_no_duplicates(care):
    before = ScheduledVisit.objects.count()
    assert services.plan_generate(care.plan) == {"made": 0, "moved": 0, "ended": 0}
    assert services.plans_generate_all() == {"made": 0, "moved": 0, "ended": 0}
    assert ScheduledVisit.objects.count() == before == 3


def test_the_database_refuses_a_second_scheduled_visit_in_a_window(care):
    row = ScheduledVisit.objects.get(resident=care.wang)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledVisit.objects.create(
            plan=row.plan,
            resident=row.resident,
            org_code=row.org_code,
            window_start=row.window_start,
            due_on=row.due_on,
            overdue_on=row.overdue_on,
            created_at=NOW,
        )


def test_next_window_gets_its_own_scheduled_visit(care, clock):
    clock.advance(days=7)
    assert services.plan_generate(care.plan)["made"] == 3
    assert ScheduledVisit.objects.filter(resident=care.wang).count() == 2


def test_death_move_out_and_removed_tag_end_the_plan(care, people, tree):
    care.wang.is_active = False  # 迁出 / 死亡: no longer living here
    care.wang.save(update_fields=["is_active"])
    care.li.tags.clear()
    care.zhao.org_code, care.zhao.grid = tree.grid_c.code, tree.grid_c  # moved to another community
    care.zhao.save(update_fields=["org_code", "grid"])
    assert services.plan_generate(care.plan) == {"made": 0, "moved": 0, "ended": 3}
    reasons = dict(ScheduledVisit.objects.values_list("resident__name", "end_reason"))
    assert reasons == {
        "王秀英": "Moved out or died",
        "李建国": "No longer in the group",
        "赵大爷": "Moved out of the area",
    }
    assert not ScheduledVisit.objects.filter(state=ScheduledState.OPEN).exists()


def test_a_move_within_the_area_hands_the_visit_to_the_new_grid(care, people, tree):
    care.zhao.org_code, care.zhao.grid = tree.grid_a.code, tree.grid_a
    care.zhao.save(update_fields=["org_code", "grid"])
    assert services.plan_generate(care.plan)["moved"] == 1
    assert open_of(care.zhao).get().org_code == tree.grid_a.code
    assert [d.scheduled.resident.name for d in selectors.due_list(people.gw_b)] == []
    assert "赵大爷" in [d.scheduled.resident.name for d in selectors.due_list(people.gw_a)]


def test_an_inactive_plan_ends_its_open_visits(care, people, tree):
    services.plan_save(
        actor=people.community_worker,
        plan_id=care.plan.pk,
        name="停",
        tag_id=care.alone.pk,
        unit_code=tree.community.code,
        period="week",
        is_active=False,
    )
    assert not ScheduledVisit.objects.filter(state=ScheduledState.OPEN).exists()


def test_plans_are_edited_only_by_those_who_may(care, people, tree):
    with pytest.raises(PermissionDenied):
        services.plan_save(
            actor=people.leader,
            name="x",
            tag_id=care.alone.pk,
            unit_code=tree.community.code,
            period="week",
        )
    with pytest.raises(NotFound):
        services.plan_save(
            actor=people.community_worker,
            name="x",
            tag_id=care.alone.pk,
            unit_code=tree.community2.code,
            period="week",
        )
    with pytest.raises(Invalid) as refused:
        services.plan_save(
            actor=people.community_worker,
            name="重复",
            tag_id=care.alone.pk,
            unit_code=tree.community.code,
            period="month",
        )
    assert "tag_id" in refused.value.details
    assert services.VisitPlan.objects.count() == 1


def test_a_visit_closes_the_scheduled_one_and_is_audited(care, people):
    v, created = visit(
        people.gw_a,
        care.wang,
        checklist={"health": "ok", "heating": "concern"},
        lng=112.5,
        lat=34.7,
        notes="暖气不热",
    )
    assert created and v.scheduled.state == ScheduledState.DONE
    assert v.checklist == {"health": "ok", "heating": "concern"}
    assert not open_of(care.wang).exists()
    assert AuditLog.objects.filter(action="care.visit_record", object_id=str(v.pk)).count() == 1


def test_a_resent_visit_makes_one_visit(care, people):
    first, created = visit(people.gw_a, care.wang, client_id="offline-1")
    again, created_again = visit(people.gw_a, care.wang, client_id="offline-1")
    assert (created, created_again) == (True, False) and again.pk == first.pk
    assert Visit.objects.count() == 1


def test_a_visit_in_the_future_is_refused(care, people, clock):
    with pytest.raises(Invalid) as refused:
        visit(people.gw_a, care.wang, visited_at=NOW + dt.timedelta(hours=1))
    assert "visited_at" in refused.value.details
    assert not Visit.objects.exists() and open_of(care.wang).exists()
    # A phone a minute ahead of the server is not "the future".
    assert visit(people.gw_a, care.wang, visited_at=NOW + dt.timedelta(minutes=1))[1]


def test_unplanned_visits_are_recorded_and_numbered_this_year(care, people, clock):
    visit(people.gw_a, care.plain, "a", visited_at=dt.datetime(2025, 12, 30, 9, tzinfo=NOW.tzinfo))
    visit(people.gw_a, care.plain, "b", visited_at=NOW - dt.timedelta(days=30), kind="phone")
    visit(people.gw_a, care.plain, "c", kind="street")
    rows = selectors.history(care.plain)
    assert [(r.visit.client_id, r.nth) for r in rows] == [("c", 2), ("b", 1), ("a", None)]
    assert all(r.visit.scheduled is None for r in rows)
    assert selectors.worker_count_this_year(people.gw_a) == 2


def test_a_worker_records_visits_only_in_their_area(care, people):
    with pytest.raises(NotFound):
        visit(people.gw_b, care.wang)
    with pytest.raises(NotFound):
        visit(people.leader, care.wang)  # leaders read; they do not visit
    assert not Visit.objects.exists()
    names = [d.scheduled.resident.name for d in selectors.due_list(people.gw_b)]
    assert names == ["赵大爷"]


def test_due_list_is_nearest_first_and_marks_overdue(care, people, clock):
    near = selectors.due_list(people.gw_a, lng=112.41, lat=34.61)
    assert [d.scheduled.resident.name for d in near] == ["李建国", "王秀英"]
    assert near[0].distance_m < 10 < near[1].distance_m
    clock.advance(days=7)  # the window ended on Sunday; 2 days of grace; now Wednesday
    assert all(d.overdue for d in selectors.due_list(people.gw_a))


def test_a_finding_becomes_a_case_of_the_loop(care, people):
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    v, _ = visit(
        people.gw_a,
        care.li,
        finding="case",
        finding_text="暖气管道破裂漏水",
        category_id=category.pk,
    )
    case = Case.objects.get(pk=v.case_id)
    assert case.channel == Channel.VISIT and case.org_code == care.li.org_code
    assert "暖气管道破裂漏水" in case.description


def test_a_finding_becomes_a_wish_or_a_note(care, people):
    v, _ = visit(people.gw_a, care.wang, "w", finding="wish", finding_text="想要一台收音机")
    wish = Wish.objects.get()
    assert (wish.visit_id, wish.source, wish.text) == (v.pk, WishSource.VISIT, "想要一台收音机")
    v2, _ = visit(people.gw_a, care.li, "n", finding="note", next_note="下次带血压计")
    assert v2.next_note == "下次带血压计"
    with pytest.raises(Invalid):
        visit(people.gw_a, care.li, "n2", finding="note")


def test_visit_photos_are_stored_cleaned(care, people):
    v, _ = visit(people.gw_a, care.wang, photos=[photo(), photo()])
    assert v.photos.count() == 2
    assert all(p.content_type == "image/jpeg" for p in v.photos.all())


def test_reminders_of_due_visits_reach_the_grid_worker_once_a_day(care, people):
    from gongzhi.notifications.models import Notification

    assert services.remind_due_visits() == 2  # gw_a and gw_b
    assert services.remind_due_visits() == 0
    n = Notification.objects.get(recipient=people.gw_a)
    assert n.title == "2 visits due, 0 overdue"
