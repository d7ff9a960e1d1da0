"""Polls and elections: the frozen electorate, one ballot per voter across every channel,
results hidden until close, immutable ballots, an election writing the building's roles."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.decide import selectors, services
from gongzhi.decide.models import Ballot, BallotChoice, CommunityRules, Voter
from gongzhi.decide.tasks import decide_close_due_polls
from gongzhi.decide.tests.conftest import adult, held, in_a_week
from gongzhi.registry.models import BuildingRole

pytestmark = pytest.mark.django_db


def household_poll(people, estate, **kw):
    poll = services.poll_create(
        actor=people.community_worker,
        title="加装电梯",
        kind="single",
        electorate="households",
        building_id=estate.building.pk,
        options=["同意", "不同意"],
        closes_at=in_a_week(),
        **kw,
    )
    return services.poll_open(actor=people.community_worker, poll_id=poll.pk)


def election_kw(people, estate, role="head", **kw):
    return dict(
        actor=people.community_worker, title="3号楼选举", kind="election",
        electorate="households", building_id=estate.building.pk, role=role,
        candidate_ids=[estate.wang.pk, estate.li.pk], closes_at=in_a_week(), **kw,
    )  # fmt: skip


def open_election(people, estate, role="head"):
    poll = services.poll_create(**election_kw(people, estate, role))
    return services.poll_open(actor=people.community_worker, poll_id=poll.pk)


def test_the_electorate_is_frozen_when_the_poll_opens(people, estate, tree):
    poll = household_poll(people, estate)
    assert poll.electorate_size == 2 and poll.voters.count() == 2
    adults = services.poll_create(
        actor=people.community_worker,
        title="垃圾分类时间",
        kind="single",
        electorate="adults",
        building_id=estate.building.pk,
        options=["早", "晚"],
        closes_at=in_a_week(),
    )
    adults = services.poll_open(actor=people.community_worker, poll_id=adults.pk)
    assert adults.electorate_size == 3  # the child is not counted
    # A resident registered after the poll opened is not a voter of it.
    newcomer = adult(tree.grid_a, estate.h2, "新住户", "13800000005")
    with pytest.raises(PermissionDenied) as refused:
        services.ballot_cast_web(
            held=held("13800000005"), poll_id=adults.pk, option_ids=[adults.options.first().pk]
        )
    assert refused.value.code == "not_eligible" and newcomer.pk
    assert Ballot.objects.count() == 0


def test_one_ballot_per_household_across_web_and_paper(people, estate):
    poll = household_poll(people, estate)
    yes, no = poll.options.all()
    services.ballot_cast_web(held=held("13800000001"), poll_id=poll.pk, option_ids=[yes.pk])
    # The son's phone stands for the same household.
    with pytest.raises(Conflict) as again:
        services.ballot_cast_web(held=held("13800000003"), poll_id=poll.pk, option_ids=[no.pk])
    assert again.value.code == "already_voted"
    voter_h1 = Voter.objects.get(poll=poll, household=estate.h1)
    with pytest.raises(Conflict):
        services.ballot_enter(
            actor=people.gw_a, poll_id=poll.pk, voter_id=voter_h1.pk, option_ids=[no.pk]
        )
    voter_h2 = Voter.objects.get(poll=poll, household=estate.h2)
    services.ballot_enter(
        actor=people.gw_a,
        poll_id=poll.pk,
        voter_id=voter_h2.pk,
        option_ids=[no.pk],
        channel="hands",
    )
    with pytest.raises(Conflict):
        services.ballot_cast_web(held=held("13800000002"), poll_id=poll.pk, option_ids=[yes.pk])
    assert Ballot.objects.filter(poll=poll).count() == 2
    # The unique constraint holds under the services too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(poll=poll, voter=voter_h2, channel="paper")


def test_an_outsider_and_bad_choices_are_refused_and_change_nothing(people, estate):
    poll = household_poll(people, estate)
    with pytest.raises(PermissionDenied):
        services.ballot_cast_web(
            held=held("13800000009"), poll_id=poll.pk, option_ids=[poll.options.first().pk]
        )
    with pytest.raises(Invalid):
        services.ballot_cast_web(held=held("13800000001"), poll_id=poll.pk, option_ids=[])
    with pytest.raises(Invalid):  # both options of a single-choice poll
        services.ballot_cast_web(
            held=held("13800000001"),
            poll_id=poll.pk,
            option_ids=list(poll.options.values_list("pk", flat=True)),
        )
    with pytest.raises(Invalid) as not_a_voter:
        services.ballot_enter(
            actor=people.gw_a,
            poll_id=poll.pk,
            voter_id=999999,
            option_ids=[poll.options.first().pk],
        )
    assert not_a_voter.value.code == "not_eligible"
    with pytest.raises(NotFound):  # another grid's worker
        services.ballot_enter(
            actor=people.gw_b, poll_id=poll.pk, voter_id=1, option_ids=[poll.options.first().pk]
        )
    assert Ballot.objects.count() == 0


def test_results_are_hidden_until_close_then_published_with_turnout(people, estate):
    poll = household_poll(people, estate)
    yes = poll.options.first()
    services.ballot_cast_web(held=held("13800000001"), poll_id=poll.pk, option_ids=[yes.pk])
    with pytest.raises(Conflict) as hidden:
        selectors.poll_result(poll)
    assert hidden.value.code == "results_hidden" and poll.result == {}
    poll = services.poll_close(actor=people.community_worker, poll_id=poll.pk)
    result = selectors.poll_result(poll)
    assert result["turnout_rate"] == {"part": 1, "whole": 2, "percent": 50.0}
    assert result["options"][0]["votes"] == 1
    # The count re-runs from the ballots alone and agrees.
    assert services.poll_count(poll) == poll.result
    with pytest.raises(Conflict) as closed:
        services.ballot_cast_web(held=held("13800000002"), poll_id=poll.pk, option_ids=[yes.pk])
    assert closed.value.code == "poll_closed"


def test_ballots_cannot_be_changed_or_deleted(people, estate):
    poll = household_poll(people, estate)
    ballot = services.ballot_cast_web(
        held=held("13800000001"), poll_id=poll.pk, option_ids=[poll.options.first().pk]
    )
    for attempt in (
        ballot.save,
        ballot.delete,
        lambda: Ballot.objects.update(channel="paper"),
        lambda: Ballot.objects.all().delete(),
        lambda: BallotChoice.objects.all().delete(),
    ):
        with pytest.raises(TypeError):
            attempt()
    # And in the database, whoever runs the SQL.
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as c:  # noqa: B017
        c.execute("UPDATE decide_ballot SET channel = 'paper'")
    if connection.vendor == "postgresql":
        with pytest.raises(Exception), transaction.atomic(), connection.cursor() as c:  # noqa: B017
            c.execute("DELETE FROM decide_ballotchoice")
    assert Ballot.objects.get().channel == "web"


def test_an_election_writes_the_buildings_head_and_nothing_else_does(people, estate):
    BuildingRole.objects.create(building=estate.building, resident=estate.li, role="head")
    poll = open_election(people, estate)
    wang = poll.options.get(candidate=estate.wang)
    for phone in ("13800000001", "13800000002"):
        services.ballot_cast_web(held=held(phone), poll_id=poll.pk, option_ids=[wang.pk])
    assert list(BuildingRole.objects.values_list("resident", flat=True)) == [estate.li.pk]
    poll = services.poll_close(actor=people.community_worker, poll_id=poll.pk)
    heads = BuildingRole.objects.filter(building=estate.building, role="head")
    assert [h.resident_id for h in heads] == [estate.wang.pk]


def test_two_heads_only_where_the_community_allows(people, estate, tree):
    kw = election_kw(people, estate, seats=2)
    with pytest.raises(Invalid):
        services.poll_create(**kw)
    CommunityRules.objects.create(org_code=tree.community.code, heads_per_building=2)
    assert services.poll_create(**kw).seats == 2


def test_a_tie_for_the_last_seat_writes_no_role(people, estate):
    poll = open_election(people, estate, role="informant")
    a, b = poll.options.all()
    services.ballot_cast_web(held=held("13800000001"), poll_id=poll.pk, option_ids=[a.pk])
    services.ballot_cast_web(held=held("13800000002"), poll_id=poll.pk, option_ids=[b.pk])
    poll = services.poll_close(actor=people.community_worker, poll_id=poll.pk)
    assert poll.result["tie"] and not BuildingRole.objects.filter(role="informant").exists()


def test_a_poll_closes_and_counts_itself_at_its_time(people, estate):
    election = open_election(people, estate)
    wang = election.options.get(candidate=estate.wang)
    services.ballot_cast_web(held=held("13800000001"), poll_id=election.pk, option_ids=[wang.pk])
    other = household_poll(people, estate)
    services.poll_close(actor=people.community_worker, poll_id=other.pk)
    assert services.polls_close_due() == 0  # nothing is due yet
    with time_machine.travel(election.closes_at + dt.timedelta(minutes=1)):
        assert decide_close_due_polls.call_local() == 1
        assert services.polls_close_due() == 0  # once
    election.refresh_from_db()
    assert election.state == "closed" and election.result["ballots"] == 1
    assert election.result["winners"] == [wang.pk]
    assert list(BuildingRole.objects.values_list("resident", flat=True)) == [estate.wang.pk]
    row = AuditLog.objects.get(action="decide.poll_close", object_id=str(election.pk))
    assert row.actor is None and row.changes["by"] == "deadline"
    staff = AuditLog.objects.get(action="decide.poll_close", object_id=str(other.pk))
    assert staff.actor == people.community_worker and staff.changes["by"] == "staff"


def test_only_managers_in_their_area_open_polls(people, estate, tree):
    with pytest.raises(NotFound):
        services.poll_create(
            actor=people.gw_a,
            title="x",
            kind="single",
            electorate="households",
            building_id=estate.building.pk,
            options=["a", "b"],
            closes_at=in_a_week(),
        )
    with pytest.raises(NotFound):
        services.poll_create(
            actor=people.community_worker,
            title="x",
            kind="single",
            electorate="households",
            unit_id=tree.grid_c.pk,
            options=["a", "b"],
            closes_at=in_a_week(),
        )
