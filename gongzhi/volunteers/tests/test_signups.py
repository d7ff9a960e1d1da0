"""Sign-ups: capacity, the waiting list, overlaps, rules; check-in and hours; partners."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.points import services as points
from gongzhi.points.models import Account, RuleKind
from gongzhi.volunteers import selectors, services
from gongzhi.volunteers.models import (
    Activity,
    HourRecord,
    HourState,
    Participation,
    ParticipationState,
    PartnerKind,
    PartnerRole,
    SignupRule,
    VolunteerState,
)
from gongzhi.volunteers.tests.conftest import held, make_activity, make_resident

P = ParticipationState
USCC = "91110108551385082Q"  # a valid code (checked with python-stdnum)


def signup(people, activity, volunteer):
    return services.signup_for(
        actor=people.community_worker, activity_id=activity.pk, volunteer_id=volunteer.pk
    )


def test_capacity_then_waiting_list_moves_up_on_cancel(vol, people):
    a, b, c = (signup(people, vol.activity, v) for v in vol.v[:3])
    assert [a.state, b.state, c.state] == [P.CONFIRMED, P.CONFIRMED, P.WAITING]
    services.cancel_for(actor=people.community_worker, participation_id=a.pk)
    c.refresh_from_db()
    vol.activity.refresh_from_db()
    assert c.state == P.CONFIRMED
    assert vol.activity.confirmed == 2
    assert Participation.objects.filter(activity=vol.activity, state=P.CONFIRMED).count() == 2


def test_one_participation_per_person_and_activity(vol, people):
    signup(people, vol.activity, vol.v[0])
    with pytest.raises(Conflict) as exc:
        signup(people, vol.activity, vol.v[0])
    assert exc.value.code == "already_signed_up"
    with pytest.raises(IntegrityError), transaction.atomic():
        p = Participation.objects.get()
        Participation.objects.create(
            activity=p.activity,
            volunteer=p.volunteer,
            org_code=p.org_code,
            state=P.WAITING,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            created_at=p.created_at,
        )


def test_capacity_is_a_database_constraint_too(vol):
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=vol.activity.pk).update(confirmed=3)


def test_no_two_overlapping_confirmed_activities(vol, people, tree):
    other = make_activity(people.community_worker, tree.community, hours_from_now=25, capacity=5)
    signup(people, vol.activity, vol.v[0])
    before = Participation.objects.count()
    with pytest.raises(Conflict) as exc:
        signup(people, other, vol.v[0])
    assert exc.value.code == "overlap"
    assert Participation.objects.count() == before
    later = make_activity(people.community_worker, tree.community, hours_from_now=30)
    assert signup(people, later, vol.v[0]).state == P.CONFIRMED


def test_waiting_list_skips_someone_confirmed_elsewhere_meanwhile(vol, people, tree):
    a, _b = signup(people, vol.activity, vol.v[0]), signup(people, vol.activity, vol.v[1])
    waiting = signup(people, vol.activity, vol.v[2])
    third = signup(people, vol.activity, vol.v[3])
    other = make_activity(people.community_worker, tree.community, hours_from_now=25)
    # v2 is confirmed on an overlapping activity by an organiser who checks it directly.
    Participation.objects.filter(pk=waiting.pk).update(state=P.CANCELLED)
    signup(people, other, vol.v[2])
    Participation.objects.filter(pk=waiting.pk).update(state=P.WAITING)
    services.cancel_for(actor=people.community_worker, participation_id=a.pk)
    waiting.refresh_from_db()
    third.refresh_from_db()
    assert waiting.state == P.WAITING and third.state == P.CONFIRMED


def test_rules_deadline_age_team_and_approval(vol, people, tree):
    cw = people.community_worker
    stranger = services.volunteer_add(
        actor=cw,
        unit_code=tree.community.code,
        name="外单位志愿者",
        phone="13700000001",
        birth_date="2012-01-01",
    )
    team_only = make_activity(
        cw, tree.community, rule=SignupRule.TEAM, team_id=vol.team.pk, hours_from_now=48
    )
    with pytest.raises(Conflict) as exc:
        signup(people, team_only, stranger)
    assert exc.value.code == "team_only"
    adults = make_activity(cw, tree.community, min_age=18, hours_from_now=60)
    with pytest.raises(Conflict) as exc:
        signup(people, adults, stranger)
    assert exc.value.code == "too_young"
    soon = make_activity(
        cw, tree.community, hours_from_now=72, deadline=timezone.now() + dt.timedelta(hours=1)
    )
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=2)),
        pytest.raises(Conflict) as exc,
    ):
        signup(people, soon, vol.v[0])
    assert exc.value.code == "deadline"
    ask = make_activity(cw, tree.community, rule=SignupRule.APPROVAL, capacity=1, hours_from_now=80)
    r1, r2 = signup(people, ask, vol.v[0]), signup(people, ask, vol.v[1])
    assert r1.state == r2.state == P.REQUESTED
    assert (
        services.participation_decide(actor=cw, participation_id=r1.pk, approve=True).state
        == P.CONFIRMED
    )
    assert (
        services.participation_decide(actor=cw, participation_id=r2.pk, approve=True).state
        == P.WAITING
    )


def test_bad_activity_input_is_refused_with_field_errors(people, tree):
    with pytest.raises(Invalid) as exc:
        services.activity_create(
            actor=people.community_worker,
            unit_code=tree.community.code,
            title="",
            kind="x",
            starts_at="2026-05-01T10:00",
            ends_at="2026-05-01T09:00",
            place="",
            capacity=0,
        )
    assert {"title", "kind", "ends_at", "place", "capacity"} <= set(exc.value.details)
    assert Activity.objects.count() == 0


def test_writes_check_permission_and_scope(vol, people, tree):
    with pytest.raises(PermissionDenied):
        make_activity(people.leader, tree.community)
    with pytest.raises(NotFound):
        make_activity(people.community_worker, tree.community2)
    with pytest.raises(NotFound):
        services.signup_for(
            actor=people.handler, activity_id=vol.activity.pk, volunteer_id=vol.v[0].pk
        )
    assert selectors.volunteer_list(people.handler).count() == 0
    assert selectors.volunteer_list(people.gw_a).count() == 3  # grid A's residents only


def _at_start(activity, minutes=0):
    return time_machine.travel(activity.starts_at + dt.timedelta(minutes=minutes), tick=False)


def test_check_in_out_hours_capped_and_points_paid(vol, people, tree):
    cw = people.community_worker
    points.rule_save(
        actor=cw, org_code=tree.community.code, kind=RuleKind.VOLUNTEER_HOUR, points=10
    )
    part = signup(people, vol.activity, vol.v[0])
    card = vol.v[0].card_token
    with _at_start(vol.activity, -30):
        with pytest.raises(Conflict) as exc:
            services.check_by_card(
                actor=cw, activity_id=vol.activity.pk, card_token=card, direction="out"
            )
        assert exc.value.code == "not_checked_in"
        services.check_by_card(actor=cw, activity_id=vol.activity.pk, card_token=card)
    # After the end no one checks in or out; the job closes it (flagged).
    with _at_start(vol.activity, 150), pytest.raises(Conflict):
        services.check_by_card(actor=cw, activity_id=vol.activity.pk, card_token=card)
    with _at_start(vol.activity, 110):
        part = services.check_by_code(held=held("13900000000"), code=vol.activity.code)
    record = HourRecord.objects.get(participation=part)
    assert (record.state, record.minutes, record.raw_minutes) == (HourState.APPROVED, 120, 140)
    account = Account.objects.get(resident=vol.residents[0])
    assert account.balance == 20  # two hours × 10
    assert part.checked_out_at >= part.checked_in_at


def test_approved_hours_are_immutable_corrections_are_new_records(vol, people, tree):
    cw = people.community_worker
    record = services.hours_request(
        actor=vol.cw2,
        volunteer_id=vol.v[0].pk,
        minutes=90,
        served_on="2026-03-01",
        note="补录: 助老",
    )
    assert record.state == HourState.PENDING
    with pytest.raises(PermissionDenied):
        services.hours_decide(actor=vol.cw2, record_id=record.pk, approve=True)
    other = services.hours_request(
        actor=cw, volunteer_id=vol.v[0].pk, minutes=30, served_on="2026-03-02", note="补录"
    )
    with pytest.raises(PermissionDenied) as exc:
        services.hours_decide(actor=cw, record_id=other.pk, approve=True)
    assert exc.value.code == "own_request"
    record = services.hours_decide(actor=cw, record_id=record.pk, approve=True)
    with pytest.raises(Conflict) as exc:
        services.hours_decide(actor=cw, record_id=record.pk, approve=False)
    assert exc.value.code == "immutable"
    record.minutes = 10
    with pytest.raises(ValueError):
        record.save()
    with pytest.raises(ValueError):
        record.delete()
    fix = services.hours_request(
        actor=vol.cw2,
        volunteer_id=vol.v[0].pk,
        minutes=-30,
        served_on="2026-03-01",
        note="多录了半小时",
        corrects_id=record.pk,
    )
    services.hours_decide(actor=cw, record_id=fix.pk, approve=True)
    assert HourRecord.objects.get(pk=record.pk).minutes == 90
    assert selectors.certificate(vol.v[0], 2026)["minutes"] == 60


def test_forgotten_check_out_closes_at_the_end_flagged(vol, people):
    cw = people.community_worker
    signup(people, vol.activity, vol.v[0])
    with _at_start(vol.activity, 5):
        services.check_by_card(
            actor=cw, activity_id=vol.activity.pk, card_token=vol.v[0].card_token
        )
    assert services.close_forgotten(now=vol.activity.ends_at + dt.timedelta(minutes=1)) == 1
    assert services.close_forgotten(now=vol.activity.ends_at + dt.timedelta(minutes=2)) == 0
    part = Participation.objects.get()
    assert part.auto_closed and part.checked_out_at == vol.activity.ends_at
    record = HourRecord.objects.get()
    assert record.flagged and record.state == HourState.PENDING and record.minutes == 115


def test_totals_are_sums_of_records(vol, people, tree):
    cw = people.community_worker
    for v in vol.v[:2]:
        signup(people, vol.activity, v)
        with _at_start(vol.activity, 0):
            services.check_by_card(actor=cw, activity_id=vol.activity.pk, card_token=v.card_token)
        with _at_start(vol.activity, 60):
            services.check_by_card(actor=cw, activity_id=vol.activity.pk, card_token=v.card_token)
    services.attendance_record(actor=cw, activity_id=vol.activity.pk, people=120, note="宣传")
    day = timezone.localdate(vol.activity.starts_at)
    total, children = selectors.figures(people.admin, tree.sub, day, day)
    assert total.activities == Activity.objects.count() == 1
    assert total.turns == Participation.objects.filter(checked_in_at__isnull=False).count() == 2
    assert (
        total.minutes
        == HourRecord.objects.filter(state=HourState.APPROVED).aggregate(m=Sum("minutes"))["m"]
        == 120
    )
    assert total.attendance == 120
    assert sum(c.turns for c in children) == total.turns
    assert [c.turns for c in children] == [2, 0]  # 桂园, 翠竹
    # A community's records are its own row beside its grids'.
    total, children = selectors.figures(people.admin, tree.community, day, day)
    assert [c.turns for c in children] == [0, 0, 2] and children[-1].code == tree.community.code
    assert sum(c.minutes for c in children) == total.minutes == 120


def test_partner_code_valid_and_unique_roles_never_deleted(people, tree):
    cw = people.community_worker
    with pytest.raises(Invalid) as exc:
        services.partner_save(
            actor=cw,
            unit_code=tree.community.code,
            kind=PartnerKind.INSTITUTION,
            name="区医院",
            uscc="91110108551385083Q",
        )
    assert "uscc" in exc.value.details
    with pytest.raises(Invalid):
        services.partner_save(
            actor=cw, unit_code=tree.community.code, kind=PartnerKind.INSTITUTION, name="区医院"
        )
    p = services.partner_save(
        actor=cw,
        unit_code=tree.community.code,
        kind=PartnerKind.INSTITUTION,
        name="区医院",
        uscc=USCC,
        contact_phone="13812345678",
    )
    assert p.contact_phone_masked == "138****5678"
    with pytest.raises(Invalid) as exc:
        services.partner_save(
            actor=cw,
            unit_code=tree.community.code,
            kind=PartnerKind.MERCHANT,
            name="同码商户",
            uscc=USCC.lower(),
        )
    assert "uscc" in exc.value.details
    with pytest.raises(Invalid) as exc:
        services.partner_save(
            actor=cw,
            unit_code=tree.community.code,
            kind=PartnerKind.COBUILDING,
            name="共建单位",
            uscc="",
        )
    assert "agreement" in exc.value.details
    person = services.partner_save(
        actor=cw, unit_code=tree.community.code, kind=PartnerKind.PROFESSIONAL, name="张律师"
    )
    assert person.uscc is None
    role = services.partner_role_add(
        actor=cw, partner_id=p.pk, role="大党委兼职委员", starts_on="2026-01-01"
    )
    services.partner_role_end(actor=cw, role_id=role.pk, ends_on="2026-06-30")
    with pytest.raises(TypeError):
        role.delete()
    assert PartnerRole.objects.get().ends_on == dt.date(2026, 6, 30)


def test_phones_are_masked_and_sealed(vol, people, tree):
    v = services.volunteer_add(
        actor=people.community_worker,
        unit_code=tree.community.code,
        name="合伙人派员",
        phone="13612345678",
    )
    assert v.phone_masked == "136****5678"
    assert "13612345678" not in v.phone_enc
    assert vol.v[0].phone_masked == vol.residents[0].phone_masked != ""


def test_resident_registers_then_signs_up_on_the_board(vol, people, tree):
    make_resident(tree.grid_a, "新志愿者", "13511112222")
    v = services.volunteer_register_by_resident(held=held("13511112222"), skills="摄影")
    assert v.state == VolunteerState.REGISTERED
    with pytest.raises(PermissionDenied):
        services.signup_by_resident(held=held("13511112222"), activity_id=vol.activity.pk)
    services.volunteer_approve(actor=people.community_worker, volunteer_id=v.pk)
    part = services.signup_by_resident(held=held("13511112222"), activity_id=vol.activity.pk)
    assert part.state == P.CONFIRMED
    with pytest.raises(Invalid) as exc:
        services.volunteer_register_by_resident(held=held("13599999999"))
    assert exc.value.code == "not_a_resident"


def test_a_night_patrol_activity_starts_its_patrol_once(vol, people, tree):
    cw = people.community_worker
    night = make_activity(
        cw,
        tree.community,
        kind="patrol",
        hours_from_now=50,
        checkpoints=["桂园南门", "菜市场", "桂园北门"],
        capacity=5,
    )
    signup(people, night, vol.v[0])
    patrol = services.patrol_for_activity(actor=cw, activity_id=night.pk)
    assert patrol.route == ["桂园南门", "菜市场", "桂园北门"]
    assert patrol.source_key == str(night.pk) and vol.v[0].name in patrol.patrollers
    assert services.patrol_for_activity(actor=cw, activity_id=night.pk) == patrol
    with pytest.raises(Conflict):
        services.patrol_for_activity(actor=cw, activity_id=vol.activity.pk)
