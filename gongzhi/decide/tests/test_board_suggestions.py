"""The red/black board (consent for a person on the black board, approval, period,
appeal) and the suggestion box (named or not, idempotent, replies, counts)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongzhi.core.errors import Invalid, NotFound, PermissionDenied
from gongzhi.decide import selectors, services
from gongzhi.decide.models import BoardEntry, Suggestion
from gongzhi.decide.tests.conftest import held

pytestmark = pytest.mark.django_db


def test_a_black_entry_naming_a_person_without_consent_is_refused(people, tree):
    kw = dict(
        actor=people.gw_a,
        unit_id=tree.grid_a.pk,
        color="black",
        title="高空抛物",
        text="3号楼有人高空抛物",
        basis="照片两张",
        place="3号楼",
    )
    with pytest.raises(Invalid) as refused:
        services.board_propose(**kw, identifies_person=True)
    assert "consent" in refused.value.details
    with pytest.raises(Invalid):  # a phone number in the text identifies a person too
        services.board_propose(**{**kw, "text": "业主13812345678高空抛物"})
    assert BoardEntry.objects.count() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardEntry.objects.create(
            org_code=tree.community.code,
            color="black",
            title="x",
            text="x",
            basis="x",
            identifies_person=True,
        )
    entry = services.board_propose(**kw)  # the act and the place only
    assert entry.org_code == tree.community.code
    named = services.board_propose(**kw, identifies_person=True, consent="本人书面同意 2026-12-01")
    assert named.identifies_person


def test_approval_period_public_board_and_appeal(people, tree):
    entry = services.board_propose(
        actor=people.building_head,
        unit_id=tree.micro_a1.pk,
        color="red",
        title="最美楼栋",
        text="3号楼楼道整洁",
        basis="社区评比",
    )
    today = timezone.localdate()
    assert not selectors.public_board(tree.community.code, today).exists()
    with pytest.raises(NotFound):  # a grid worker proposes, does not approve
        services.board_approve(
            actor=people.gw_a, entry_id=entry.pk, publish_from=today, publish_until=today
        )
    with pytest.raises(Invalid):
        services.board_approve(
            actor=people.community_worker,
            entry_id=entry.pk,
            publish_from=today,
            publish_until=today + dt.timedelta(days=400),
        )
    services.board_approve(
        actor=people.community_worker,
        entry_id=entry.pk,
        publish_from=today,
        publish_until=today + dt.timedelta(days=30),
    )
    assert list(selectors.public_board(tree.community.code, today)) == [entry]
    services.board_appeal(entry_id=entry.pk, text="评比有误")
    services.board_appeal_decide(
        actor=people.community_worker, entry_id=entry.pk, withdraw=True, decision="核实后撤下"
    )
    assert not selectors.public_board(tree.community.code, today).exists()


def test_suggestions_named_or_not_idempotent_replied_and_counted(people, tree, estate):
    call = services.call_open(
        actor=people.community_worker,
        unit_id=tree.community.pk,
        title="对社区工作的意见建议",
        deadline=timezone.localdate(),
    )
    s, created = services.suggestion_submit(
        call_id=call.pk, text="增加路灯", submission_id="w1", held=held("13800000001")
    )
    again, created_again = services.suggestion_submit(
        call_id=call.pk, text="增加路灯", submission_id="w1", held=held("13800000001")
    )
    assert created and not created_again and s.pk == again.pk
    services.suggestion_submit(
        call_id=call.pk,
        text="电话反映：修健身器材",
        submission_id="h1",
        actor=people.gw_a,
        channel="hotline",
        name="李建国",
        phone="138 0000 0002",
    )
    services.suggestion_submit(
        call_id=call.pk, text="纸质意见", submission_id="p1", actor=people.gw_a, channel="paper"
    )
    with pytest.raises(PermissionDenied):
        services.suggestion_submit(call_id=call.pk, text="x", submission_id="anon")
    with pytest.raises(Invalid):
        services.suggestion_submit(
            call_id=call.pk, text="", submission_id="e1", held=held("13800000001")
        )
    with pytest.raises(NotFound):
        services.suggestion_submit(
            call_id=call.pk, text="x", submission_id="o1", actor=people.handler
        )
    services.suggestion_reply(actor=people.community_worker, suggestion_id=s.pk, reply="已列入计划")
    assert Suggestion.objects.count() == 3
    assert selectors.call_counts(call) == {
        "suggestions": 3,
        "people": 3,
        "replied": {"part": 1, "whole": 3, "percent": 33.3},
    }
