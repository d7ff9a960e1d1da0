"""Races on PostgreSQL (SQLite takes one writer at a time): two claims of one wish, two
generations of one plan, two workers visiting one resident, one visit resent at once."""

import pytest

from gongzhi.care import services
from gongzhi.care.models import ScheduledState, ScheduledVisit, Visit, WishClaim, WishState
from gongzhi.care.tests.conftest import visit
from gongzhi.care.tests.test_wishes import TARGET, held
from gongzhi.cases.tests.test_concurrency import postgres_only, threaded, together


@pytest.fixture
def on_board(care, people):
    wish = services.wish_collect(actor=people.gw_a, resident_id=care.wang.pk, text="想要收音机")
    return services.wish_review(
        actor=people.community_worker,
        wish_id=wish.pk,
        publish=True,
        public_title="一位老人 · 想要收音机",
        plan="捐赠",
        target_on=TARGET,
    )


@postgres_only
@threaded
def test_many_claims_at_once_make_exactly_one(on_board, people):
    phones = [f"1370000{n:04d}" for n in range(6)]
    calls = [
        (lambda p=p: services.wish_claim_by_volunteer(held=held(p), wish_id=on_board.pk, name=p))
        for p in phones
    ] + [
        lambda: services.wish_claim_for_partner(
            actor=people.community_worker, wish_id=on_board.pk, partner="暖心超市"
        )
    ]
    outcomes = together(*calls)
    assert sorted(o[0] for o in outcomes).count("ok") == 1, outcomes
    assert {getattr(o[1], "code", "") for o in outcomes if o[0] == "error"} == {"already_claimed"}
    assert WishClaim.objects.count() == 1
    assert on_board.__class__.objects.get().state == WishState.CLAIMED


@postgres_only
@threaded
def test_two_generations_at_once_make_no_duplicates(care):
    ScheduledVisit.objects.all().delete()
    outcomes = together(
        lambda: services.plan_generate(care.plan), lambda: services.plan_generate(care.plan)
    )
    assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
    assert sum(o[1]["made"] for o in outcomes) == 3
    assert ScheduledVisit.objects.count() == 3


@postgres_only
@threaded
def test_two_workers_visiting_at_once_close_the_scheduled_visit_once(care, people):
    outcomes = together(
        lambda: visit(people.gw_a, care.wang, "a"),
        lambda: visit(people.community_worker, care.wang, "b"),
    )
    assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
    assert Visit.objects.count() == 2
    assert Visit.objects.filter(scheduled__isnull=False).count() == 1
    assert ScheduledVisit.objects.get(resident=care.wang).state == ScheduledState.DONE


@postgres_only
@threaded
def test_one_visit_resent_at_once_is_stored_once(care, people):
    outcomes = together(
        lambda: visit(people.gw_a, care.wang, "same"), lambda: visit(people.gw_a, care.wang, "same")
    )
    assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
    assert Visit.objects.count() == 1
