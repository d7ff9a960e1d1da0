"""100 concurrent ballots from one phone, on PostgreSQL (SQLite takes one writer at a
time): exactly one is stored, the others are refused as already voted."""

from gongzhi.cases.tests.test_concurrency import postgres_only, threaded
from gongzhi.decide import services
from gongzhi.decide.models import Ballot, BallotChoice
from gongzhi.decide.tests.conftest import held
from gongzhi.decide.tests.test_polls import household_poll
from gongzhi.points.tests.test_concurrency import many


@postgres_only
@threaded
def test_100_concurrent_ballots_from_one_phone__exactly_one(people, estate):
    poll = household_poll(people, estate)
    yes = poll.options.first().pk
    phone = held("13800000001")
    results = many(lambda: services.ballot_cast_web(held=phone, poll_id=poll.pk, option_ids=[yes]))
    ok = [r for r in results if r[0] == "ok"]
    refused = [r for r in results if r[0] == "error"]
    assert len(ok) == 1
    assert all(getattr(e, "code", None) == "already_voted" for _s, e in refused), refused[:3]
    assert Ballot.objects.filter(poll=poll).count() == 1 == BallotChoice.objects.count()
