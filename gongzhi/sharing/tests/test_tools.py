"""The tool hut: one open loan a item (a database constraint), holds, the counter, repair,
overdue borrowers, renewals, reminders and the late-return points."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.points import services as points
from gongzhi.points.models import Account
from gongzhi.sharing import selectors, services
from gongzhi.sharing.models import Item, Loan, LoanState
from gongzhi.sharing.tests.conftest import PHONE


def out(world, people, item, card=PHONE, **kw):
    kw.setdefault("deposit_paid", True)
    return services.check_out(
        actor=people.community_worker, hut_id=world.hut.pk, item_number=item.number, card=card, **kw
    )


def test_an_item_has_at_most_one_open_loan_by_a_database_constraint(world):
    Loan.objects.create(
        item=world.wrench,
        hut=world.hut,
        org_code=world.hut.org_code,
        resident=world.wang,
        state=LoanState.OUT,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(
            item=world.wrench,
            hut=world.hut,
            org_code=world.hut.org_code,
            resident=world.li,
            state=LoanState.HELD,
        )
    # Closed loans do not count.
    Loan.objects.create(
        item=world.wrench,
        hut=world.hut,
        org_code=world.hut.org_code,
        resident=world.li,
        state=LoanState.RETURNED,
    )


def test_hold_then_check_out_by_card_then_check_in(world, people):
    hold = services.hold_place(held=world.held, item_id=world.wrench.pk)
    assert hold.state == LoanState.HELD and hold.resident == world.wang
    with pytest.raises(Conflict) as exc:  # someone else
        services.hold_place(held=world.other_held, item_id=world.wrench.pk)
    assert exc.value.code == "item_taken"
    loan = out(world, people, world.wrench, card=services.card_token(world.wang))
    assert loan.pk == hold.pk and loan.state == LoanState.OUT
    assert loan.due_at.date() == dt.date(2026, 12, 9)
    back = services.check_in(
        actor=people.community_worker,
        hut_id=world.hut.pk,
        item_number="GJ-002",
        condition="worn",
        note="有点松",
    )
    assert (
        back.state == LoanState.RETURNED
        and Item.objects.get(pk=world.wrench.pk).condition == "worn"
    )


def test_an_item_in_repair_cannot_be_lent_or_held(world, people):
    services.item_repair(
        actor=people.community_worker, item_id=world.tape.pk, in_repair=True, note="断了"
    )
    with pytest.raises(Conflict) as exc:
        out(world, people, world.tape)
    assert exc.value.code == "in_repair"
    with pytest.raises(Conflict):
        services.hold_place(held=world.held, item_id=world.tape.pk)
    assert not Loan.objects.exists()


def test_a_broken_return_goes_to_repair(world, people):
    out(world, people, world.tape)
    services.check_in(
        actor=people.community_worker, hut_id=world.hut.pk, item_number="GJ-003", condition="broken"
    )
    assert Item.objects.get(pk=world.tape.pk).in_repair


def test_deposit_and_limits_are_asked_for(world, people):
    with pytest.raises(Invalid) as exc:
        out(world, people, world.drill, deposit_paid=False)
    assert exc.value.code == "deposit_needed"
    second = Item.objects.create(
        hut=world.hut,
        category=world.drills,
        org_code=world.hut.org_code,
        number="GJ-009",
        name="电锤",
    )
    out(world, people, world.drill)
    with pytest.raises(Conflict) as exc:  # one power tool at once
        out(world, people, second)
    assert exc.value.code == "too_many"


def test_an_overdue_borrower_cannot_borrow_until_return_and_pays_the_late_points(
    world, people, clock
):
    points.rule_save(
        actor=people.community_worker, org_code=world.hut.org_code, kind="civility", points=5
    )
    points.points_award(source="test", key="1", kind="civility", resident=world.wang, amount=20)
    bank_account = points.account_for_resident(world.wang)
    out(world, people, world.drill)
    clock.advance(days=8)
    with pytest.raises(Conflict) as exc:
        out(world, people, world.wrench)
    assert exc.value.code == "overdue"
    with pytest.raises(Conflict):
        services.hold_place(held=world.held, item_id=world.wrench.pk)
    with pytest.raises(Conflict):
        services.renew(loan_id=Loan.objects.get().pk, held=world.held)
    services.check_in(
        actor=people.community_worker, hut_id=world.hut.pk, item_number="GJ-001", condition="good"
    )
    assert Account.objects.get(pk=bank_account.pk).balance == 15  # 5 points for a late return
    out(world, people, world.wrench)


def test_renewal_is_counted(world, people):
    loan = out(world, people, world.drill)
    due = loan.due_at
    loan = services.renew(loan_id=loan.pk, held=world.held)
    assert loan.due_at == due + dt.timedelta(days=7)
    with pytest.raises(Conflict) as exc:
        services.renew(loan_id=loan.pk, held=world.held)
    assert exc.value.code == "no_renewals"
    with pytest.raises(NotFound):  # not theirs
        services.renew(loan_id=loan.pk, held=world.other_held)


def test_reminders_are_sent_once(
    world, people, clock, tmp_path, django_capture_on_commit_callbacks
):
    out(world, people, world.wrench)
    clock.advance(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_loans() == 1
        assert services.remind_loans() == 0
        clock.advance(days=2)
        assert services.remind_loans() == 1
    log = (tmp_path / "sms.log").read_text(encoding="utf-8")
    assert log.count("扳手") == 2 and "13912345678" in log


def test_the_counter_is_the_keepers_and_reads_are_scoped(world, people):
    with pytest.raises((NotFound, PermissionDenied)):
        services.check_out(actor=people.gw_a, hut_id=world.hut.pk, item_number="GJ-002", card=PHONE)
    world.hut.keepers.add(people.resident)  # a resident volunteer keeps the hut
    loan = services.check_out(
        actor=people.resident, hut_id=world.hut.pk, item_number="GJ-002", card=PHONE
    )
    assert selectors.loans_visible(people.resident).filter(pk=loan.pk).exists()
    assert not selectors.loans_visible(people.gw_b).exists()
    assert [x.pk for x in selectors.my_loans(world.held["hash"])] == [loan.pk]
    assert selectors.my_loans(world.other_held["hash"]) == []


def test_unknown_card_is_refused(world, people):
    with pytest.raises(Invalid) as exc:
        out(world, people, world.wrench, card="GZK:forged")
    assert exc.value.code == "unknown_card"
    assert not Loan.objects.exists()


def test_catalogue_shows_availability(world, people):
    out(world, people, world.wrench)
    items = {i.number: i.open_loans for i in selectors.catalogue([world.hut.pk])}
    assert items == {"GJ-001": 0, "GJ-002": 1, "GJ-003": 0}
