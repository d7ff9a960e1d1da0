"""The register, mediation and outcomes through the services: stored rows, audit rows,
timeline rows, and the invariants of issue 17."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.cases import services as cases
from gongzhi.cases.models import CaseEvent, State
from gongzhi.core.errors import Conflict, DomainError, Invalid, NotFound
from gongzhi.core.models import AuditLog
from gongzhi.disputes import selectors, services
from gongzhi.disputes.models import Agreement, Dispute, FollowUp, MediationSession, Outcome, Party
from gongzhi.disputes.tests.conftest import ID_X, jpeg

pytestmark = pytest.mark.django_db


def test_register__case_dispute_parties_sealed_and_audited(disp, people):
    case = disp.register()
    assert case.kind == "dispute" and case.state == State.REPORTED
    assert case.category.code == "DSP01" and not case.category.is_public
    dispute = Dispute.objects.get(case=case)
    assert dispute.org_code == case.org_code and dispute.summary == "楼上漏水引发邻里矛盾"
    assert "三千元" not in dispute.account_enc
    assert services.account_of(dispute) == "王某称李某家装修致漏水，索赔三千元"
    first, second = Party.objects.filter(dispute=dispute).order_by("seq")
    assert first.resident == disp.res_a and first.name == "李大爷"
    assert second.resident is None and second.name == "王强"
    assert second.phone_masked == "139****5678" and "13912345678" not in second.phone_enc
    assert second.id_number_masked.startswith("4103") and "*" in second.id_number_masked
    assert (
        AuditLog.objects.filter(action="disputes.register", object_id=str(dispute.pk)).count() == 1
    )
    # Nothing of the parties in what the case shows.
    assert "王强" not in case.title + case.description


def test_register__needs_two_parties(disp):
    with pytest.raises(Invalid) as exc:
        disp.register(parties=[{"resident_id": disp.res_a.pk}])
    assert "parties" in exc.value.details
    assert not Dispute.objects.exists()


def test_register__each_party_once(disp):
    with pytest.raises(Invalid) as exc:
        disp.register(parties=[{"resident_id": disp.res_a.pk}, {"resident_id": disp.res_a.pk}])
    assert "parties.1" in exc.value.details
    with pytest.raises(Invalid) as exc:
        disp.register(
            parties=[
                {"name": "王强", "id_number": ID_X},
                {"name": "王 强", "phone": "13900000000", "id_number": ID_X.lower()},
            ]
        )
    assert "parties.1" in exc.value.details
    assert not Dispute.objects.exists() and not Party.objects.exists()


def test_register__bad_id_number_and_phone_refused(disp):
    with pytest.raises(Invalid) as exc:
        disp.register(
            parties=[
                {"resident_id": disp.res_a.pk},
                {"name": "王强", "id_number": "410302198003031250"},
            ]
        )
    assert "parties.1.id_number" in exc.value.details
    with pytest.raises(Invalid) as exc:
        disp.register(parties=[{"resident_id": disp.res_a.pk}, {"name": "王强", "phone": "12345"}])
    assert "parties.1.phone" in exc.value.details
    assert not Dispute.objects.exists()


def test_register__outside_the_grid_is_404(disp, people, tree):
    with pytest.raises(NotFound):
        disp.register(actor=people.gw_b)
    assert not Dispute.objects.exists()


def test_register__idempotency_key_makes_one(disp, people, tree):
    kw = {"idempotency_key": "k-1"}
    a = disp.register(**kw)
    b = disp.register(**kw)
    assert a.pk == b.pk and Dispute.objects.count() == 1


def test_assign__a_party_may_not_mediate(disp, people):
    case = disp.register()
    # The party mediator is of the household of a party (李大爷): refused.
    with pytest.raises(Invalid) as exc:
        services.mediator_assign(
            actor=people.community_worker, dispute_id=case.pk, mediator_id=disp.party_mediator.pk
        )
    assert exc.value.code == "mediator_is_party"
    case.refresh_from_db()
    assert case.assignee_user_id is None and case.state == State.REPORTED
    # The loop's own dispatch refuses them too (CaseKind.assignable).
    with pytest.raises(NotFound):
        cases.case_dispatch(
            actor=people.community_worker, case_id=case.pk, user_id=disp.party_user.pk
        )


def test_assign__a_party_named_by_id_number_may_not_mediate(disp, people):
    from gongzhi.registry import pii

    disp.mediator.id_number_hash = pii.id_number_hash(ID_X)
    disp.mediator.save()
    case = disp.register()
    with pytest.raises(Invalid):
        services.mediator_assign(
            actor=people.community_worker, dispute_id=case.pk, mediator_id=disp.mediator.pk
        )


def test_mediation__session_agreement_settle_and_follow_ups(disp, people):
    case = disp.mediating()
    assert case.state == State.IN_PROGRESS and case.assignee_user == disp.med_user
    party = Party.objects.filter(dispute_id=case.pk).first()
    session = services.session_record(
        actor=disp.med_user, dispute_id=case.pk, mode="separate", party_id=party.pk,
        held_at="2026-01-01T10:00:00+08:00", place="助和调解室", attendees="张调解、李大爷",
        minutes="李大爷同意赔偿一千元", next_step="约双方面对面",
    )  # fmt: skip
    assert services.minutes_of(session) == "李大爷同意赔偿一千元"
    assert "一千元" not in session.minutes_enc
    event = CaseEvent.objects.get(case=case, action="mediation_session")
    assert "一千元" not in event.note + str(event.data)
    # Settling needs a signed agreement.
    with pytest.raises(DomainError):
        services.mediation_conclude(actor=disp.med_user, case_id=case.pk, outcome="settled")
    agreement = services.agreement_save(
        actor=disp.med_user, dispute_id=case.pk, terms="李某赔偿王某一千元"
    )
    with pytest.raises(DomainError):
        services.mediation_conclude(actor=disp.med_user, case_id=case.pk, outcome="settled")
    services.agreement_sign(actor=disp.med_user, agreement_id=agreement.pk, photo=jpeg())
    case = services.mediation_conclude(actor=disp.med_user, case_id=case.pk, outcome="settled")
    assert case.state == State.HANDLED
    dispute = Dispute.objects.get(case=case)
    assert dispute.outcome == Outcome.SETTLED and dispute.concluded_at is not None
    assert dispute.settled_locally  # a mediator of the dispute's own community
    assert FollowUp.objects.filter(agreement=agreement).count() == 2
    ev = CaseEvent.objects.get(case=case, action="mediation_conclude")
    assert ev.data["outcome"] == "settled"


def test_agreement__signed_is_immutable_and_a_change_is_a_new_version(disp, people):
    case = disp.mediating()
    v1 = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="第一稿")
    same = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="第一稿修改")
    assert same.pk == v1.pk and same.version == 1
    services.agreement_sign(actor=disp.med_user, agreement_id=v1.pk, photo=jpeg())
    with pytest.raises(Conflict) as exc:
        services.agreement_save(
            actor=disp.med_user, dispute_id=case.pk, terms="改", agreement_id=v1.pk
        )
    assert exc.value.code == "agreement_signed"
    with pytest.raises(Conflict) as exc:
        services.agreement_sign(actor=disp.med_user, agreement_id=v1.pk, photo=jpeg())
    assert exc.value.code == "already_signed"
    v1.refresh_from_db()
    assert v1.terms == "第一稿修改"
    v2 = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="第二版")
    assert v2.version == 2 and v2.pk != v1.pk
    assert list(Agreement.objects.filter(dispute_id=case.pk).values_list("version", flat=True)) == [
        1,
        2,
    ]


def test_outcomes__failed_withdrawn_referred(disp, people):
    for outcome, referred in (("failed", ""), ("withdrawn", ""), ("referred", "court")):
        case = disp.mediating(disp.register(summary=f"纠纷{outcome}"))
        services.mediation_conclude(
            actor=disp.med_user, case_id=case.pk, outcome=outcome, referred_to=referred
        )
        d = Dispute.objects.get(case_id=case.pk)
        assert d.outcome == outcome and d.referred_to == referred and not d.settled_locally
    case = disp.mediating(disp.register(summary="无去处"))
    with pytest.raises(Invalid):
        services.mediation_conclude(actor=disp.med_user, case_id=case.pk, outcome="referred")


def test_only_the_mediator_records_sessions(disp, people):
    case = disp.mediating()
    with pytest.raises(DomainError):
        services.session_record(
            actor=people.community_worker, dispute_id=case.pk, mode="joint",
            held_at="2026-01-01T10:00:00+08:00", place="室", attendees="甲乙", minutes="记录",
        )  # fmt: skip
    assert not MediationSession.objects.exists()


def test_session__not_in_the_future(disp):
    case = disp.mediating()
    with pytest.raises(Invalid) as exc:
        services.session_record(
            actor=disp.med_user, dispute_id=case.pk, mode="joint",
            held_at="2099-01-01T10:00:00+08:00", place="室", attendees="甲乙", minutes="记录",
        )  # fmt: skip
    assert "held_at" in exc.value.details


def test_follow_up__once(disp, people):
    case = disp.mediating()
    a = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="条款")
    services.agreement_sign(actor=disp.med_user, agreement_id=a.pk, photo=jpeg())
    services.mediation_conclude(actor=disp.med_user, case_id=case.pk, outcome="settled")
    f = FollowUp.objects.filter(agreement=a).first()
    services.follow_up_record(
        actor=people.community_worker, follow_up_id=f.pk, performance="performed"
    )
    with pytest.raises(Conflict):
        services.follow_up_record(actor=disp.med_user, follow_up_id=f.pk, performance="not")
    f.refresh_from_db()
    assert f.performance == "performed" and f.done_by == people.community_worker
    assert CaseEvent.objects.filter(case=case, action="follow_up").count() == 1


def test_scope__outside_is_404_and_reads_are_audited(disp, people):
    case = disp.register()
    for who in (disp.other_cw, people.gw_b, people.leader, people.resident, people.gw_a):
        with pytest.raises(NotFound):
            services.dispute_read(actor=who, dispute_id=case.pk)
    assert not AuditLog.objects.filter(action="disputes.read").exists()
    services.dispute_read(actor=people.community_worker, dispute_id=case.pk)
    assert (
        AuditLog.objects.filter(action="disputes.read", actor=people.community_worker).count() == 1
    )
    party = Party.objects.get(dispute_id=case.pk, seq=2)
    with pytest.raises(NotFound):
        services.party_reveal(actor=people.leader, party_id=party.pk, field="phone")
    assert (
        services.party_reveal(actor=people.op_sub, party_id=party.pk, field="phone")
        == "13912345678"
    )
    row = AuditLog.objects.get(action="disputes.party_revealed")
    assert row.changes == {"field": "phone", "masked": "139****5678"} and row.actor == people.op_sub


def test_scope__the_assigned_mediator_sees_their_dispute(disp, people):
    case = disp.mediating()
    assert selectors.dispute_for(disp.med_user, case.pk).pk == case.pk
    other = disp.register(summary="另一起")
    with pytest.raises(NotFound):
        selectors.dispute_for(disp.med_user, other.pk)


def test_kpis__success_rate_with_denominators(disp, people, tree):
    for outcome in ("settled", "failed", "withdrawn"):
        case = disp.mediating(disp.register(summary=outcome))
        if outcome == "settled":
            a = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="条款")
            services.agreement_sign(actor=disp.med_user, agreement_id=a.pk, photo=jpeg())
        services.mediation_conclude(actor=disp.med_user, case_id=case.pk, outcome=outcome)
    today = dt.date.today()
    k = selectors.kpis(tree.sub, today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    assert (k["success"].numerator, k["success"].denominator) == (1, 2)
    assert k["withdrawn"] == 1 and k["registered"] == 3
    assert (k["local"].numerator, k["local"].denominator) == (1, 1)
    assert k["days_to_settle"] is not None
    assert dict((v, n) for v, _l, n in k["by_source"])["screening"] == 3


def test_registered_statistics__in_the_kpi_reports_and_kept_in_the_rollups(
    disp, people, tree, login
):
    from django.utils import timezone

    from gongzhi.cases import kpis, rollups

    for outcome in ("settled", "failed", "withdrawn"):
        case = disp.mediating(disp.register(summary=outcome))
        if outcome == "settled":
            a = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="条款")
            services.agreement_sign(actor=disp.med_user, agreement_id=a.pk, photo=jpeg())
        services.mediation_conclude(actor=disp.med_user, case_id=case.pk, outcome=outcome)
    today = timezone.localdate().isoformat()
    body = (
        login(people.op_sub)
        .get(f"/api/v1/kpis?unit={tree.sub.code}&start={today}&end={today}")
        .json()
    )
    assert body["counts"]["disputes"] == 3
    assert body["counts"]["mediations_concluded"] == 2  # withdrawn is not concluded
    assert body["counts"]["mediations_settled"] == 1
    rate = next(r for r in body["rates"] if r["key"] == "mediation_success_rate")
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (1, 2, 0.5)
    day = {
        "unit_code": tree.grid_a.code,
        "start": timezone.localdate(),
        "end": timezone.localdate(),
    }
    kept = kpis.case_kpis(people.op_sub, **day).counts
    rollups.rebuild()
    assert kpis.case_kpis(people.op_sub, **day).counts == kept


def _signed(disp):
    case = disp.mediating()
    a = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="条款")
    services.agreement_sign(actor=disp.med_user, agreement_id=a.pk, photo=jpeg())
    return case, a


def test_follow_up_dates__set_by_the_mediator(disp, people):
    case, a = _signed(disp)
    today = timezone.localdate()
    days = [today + dt.timedelta(days=7), today + dt.timedelta(days=60)]
    services.mediation_conclude(
        actor=disp.med_user, case_id=case.pk, outcome="settled", follow_up_on=days[::-1]
    )
    assert list(FollowUp.objects.filter(agreement=a).values_list("due_on", flat=True)) == days
    ev = CaseEvent.objects.get(case=case, action="mediation_conclude")
    assert ev.data["follow_up_on"] == [d.isoformat() for d in days]


@pytest.mark.parametrize(
    "outcome, offsets",
    [
        ("settled", [0]),  # today is not a follow-up
        ("settled", [-3]),
        ("settled", [5, 5]),
        ("settled", [1, 2, 3, 4, 5]),
        ("settled", [4000]),
        ("failed", [30]),  # only a settlement is followed up
    ],
)
def test_follow_up_dates__bad_ones_refused_and_nothing_changes(disp, people, outcome, offsets):
    case, a = _signed(disp)
    today = timezone.localdate()
    with pytest.raises(Invalid) as exc:
        services.mediation_conclude(
            actor=disp.med_user, case_id=case.pk, outcome=outcome,
            follow_up_on=[today + dt.timedelta(days=d) for d in offsets],
        )  # fmt: skip
    assert "follow_up_on" in exc.value.details
    assert not Dispute.objects.get(pk=case.pk).outcome
    assert not FollowUp.objects.filter(agreement=a).exists()
    assert not CaseEvent.objects.filter(case=case, action="mediation_conclude").exists()


def test_follow_up_dates__from_the_case_page_form(disp, people, login):
    case, a = _signed(disp)
    day = timezone.localdate() + dt.timedelta(days=14)
    case.refresh_from_db()
    r = login(disp.med_user).post(
        f"/cases/{case.pk}/act/mediation_conclude/",
        {"version": case.version, "outcome": "settled", "referred_to": "", "note": "",
         "follow_up_1": day.isoformat()},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    assert list(FollowUp.objects.filter(agreement=a).values_list("due_on", flat=True)) == [day]


def test_source_ref__kept_for_the_offices_and_refused_otherwise(disp, people):
    case = disp.register(source="petition", source_ref="XF2026-0117")
    assert Dispute.objects.get(pk=case.pk).source_ref == "XF2026-0117"
    before = Dispute.objects.count()
    for source, ref in (("screening", "XF1"), ("police", "110 警情"), ("hotline", "x" * 41)):
        with pytest.raises(Invalid) as exc:
            disp.register(source=source, source_ref=ref, summary=f"另一起{source}")
        assert "source_ref" in exc.value.details
    assert Dispute.objects.count() == before
