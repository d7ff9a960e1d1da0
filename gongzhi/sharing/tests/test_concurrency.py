"""Many at once, on PostgreSQL (real concurrent transactions; SQLite takes one writer at a
time, so there the lock is the whole database's and the rule is checked under it — the
service tests cover it): many parallel bookings of one slot → exactly one confirmed, and
the others are refused naming it; many parallel check-outs of one item → one loan."""

from gongzhi.cases.tests.test_concurrency import postgres_only, threaded
from gongzhi.core.errors import Conflict
from gongzhi.points.tests.test_concurrency import many
from gongzhi.sharing import services
from gongzhi.sharing.models import Booking, Loan, LoanState
from gongzhi.sharing.tests.conftest import held_for, moment


@postgres_only
@threaded
def test_parallel_bookings_of_one_slot__exactly_one_confirmed(world):
    phones = iter([f"1390000{n:04d}" for n in range(1000)])

    def attempt():
        return services.book_room(
            room_id=world.room.pk,
            starts_at=moment(1, 9),
            ends_at=moment(1, 10, 30),
            title="练歌",
            held=held_for(next(phones)),
        )

    results = many(attempt, attempts=100, threads=25)
    ok = [r for r in results if r[0] == "ok"]
    refused = [r[1] for r in results if r[0] == "error"]
    assert len(ok) == 1
    assert all(isinstance(e, Conflict) and e.code == "clash" for e in refused), refused[:3]
    assert Booking.objects.filter(room=world.room).count() == 1


@postgres_only
@threaded
def test_parallel_check_outs_of_one_item__one_loan(world, people):
    cards = iter([services.card_token(world.wang), services.card_token(world.li)] * 50)

    def attempt():
        return services.check_out(
            actor=people.community_worker,
            hut_id=world.hut.pk,
            item_number="GJ-002",
            card=next(cards),
        )

    results = many(attempt, attempts=50, threads=25)
    assert len([r for r in results if r[0] == "ok"]) == 1
    assert Loan.objects.filter(item=world.wrench, state=LoanState.OUT).count() == 1


@postgres_only
@threaded
def test_the_same_room_name_saved_at_once__one_room_the_others_told_it_is_taken(tree, people):
    from gongzhi.core.errors import Invalid
    from gongzhi.core.models import AuditLog
    from gongzhi.sharing.models import Room
    from gongzhi.sharing.tests.test_places import ROOM

    def attempt():
        return services.room_create(
            actor=people.community_worker, org_unit_id=tree.community.pk, **ROOM
        )

    results = many(attempt, attempts=20, threads=10)
    ok = [r for r in results if r[0] == "ok"]
    refused = [r[1] for r in results if r[0] == "error"]
    assert len(ok) == 1
    assert all(isinstance(e, Invalid) and e.code == "duplicate" for e in refused), refused[:3]
    assert Room.objects.filter(name=ROOM["name"]).count() == 1
    assert AuditLog.objects.filter(action="sharing.room_create").count() == 1
