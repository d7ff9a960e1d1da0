"""Races on PostgreSQL (SQLite takes one writer at a time): many sign-ups for the last
places (60 at once; the server allows 100 connections shared by the suite), one
volunteer signed up for two overlapping activities at once, and 40 check-ins at once."""

import datetime as dt

import time_machine

from gongzhi.cases.tests.test_concurrency import postgres_only, threaded, together
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Activity, Participation, ParticipationState
from gongzhi.volunteers.tests.conftest import make_activity, make_resident

P = ParticipationState


def _volunteers(people, tree, n):
    return [
        services.volunteer_add(
            actor=people.community_worker,
            resident_id=make_resident(tree.grid_a, f"志愿者{i}", f"1380000{i:04d}").pk,
        )
        for i in range(n)
    ]


@postgres_only
@threaded
def test_many_sign_ups_for_the_last_places_never_exceed_capacity(people, tree):
    activity = make_activity(people.community_worker, tree.community, capacity=3)
    volunteers = _volunteers(people, tree, 60)
    outcomes = together(
        *[
            (
                lambda v=v: services.signup_for(
                    actor=people.community_worker, activity_id=activity.pk, volunteer_id=v.pk
                )
            )
            for v in volunteers
        ]
    )
    assert all(o[0] == "ok" for o in outcomes), [o for o in outcomes if o[0] != "ok"][:3]
    activity.refresh_from_db()
    confirmed = Participation.objects.filter(activity=activity, state=P.CONFIRMED).count()
    assert confirmed == activity.confirmed == 3
    assert Participation.objects.filter(activity=activity, state=P.WAITING).count() == 57


@postgres_only
@threaded
def test_one_volunteer_on_two_overlapping_activities_at_once_is_confirmed_once(people, tree):
    a = make_activity(people.community_worker, tree.community, capacity=5)
    b = make_activity(people.community_worker, tree.community, capacity=5, hours_from_now=25)
    (v,) = _volunteers(people, tree, 1)
    outcomes = together(
        *[
            (
                lambda x=x: services.signup_for(
                    actor=people.community_worker, activity_id=x.pk, volunteer_id=v.pk
                )
            )
            for x in (a, b)
        ]
    )
    assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
    assert Participation.objects.filter(volunteer=v, state=P.CONFIRMED).count() == 1


@postgres_only
@threaded
def test_the_same_sign_up_sent_twice_at_once_is_stored_once(people, tree):
    activity = make_activity(people.community_worker, tree.community, capacity=5)
    (v,) = _volunteers(people, tree, 1)
    call = lambda: services.signup_for(  # noqa: E731
        actor=people.community_worker, activity_id=activity.pk, volunteer_id=v.pk
    )
    outcomes = together(call, call, call)
    assert [o[0] for o in outcomes].count("ok") == 1, outcomes
    assert Participation.objects.count() == 1
    assert Activity.objects.get().confirmed == 1


@postgres_only
@threaded
def test_forty_check_ins_at_once(people, tree):
    activity = make_activity(people.community_worker, tree.community, capacity=40)
    volunteers = _volunteers(people, tree, 40)
    for v in volunteers:
        services.signup_for(
            actor=people.community_worker, activity_id=activity.pk, volunteer_id=v.pk
        )
    with time_machine.travel(activity.starts_at + dt.timedelta(minutes=1)):
        outcomes = together(
            *[
                (
                    lambda v=v: services.check_by_card(
                        actor=people.community_worker,
                        activity_id=activity.pk,
                        card_token=v.card_token,
                    )
                )
                for v in volunteers
            ]
        )
    assert all(o[0] == "ok" for o in outcomes)
    assert Participation.objects.filter(checked_in_at__isnull=False).count() == 40
