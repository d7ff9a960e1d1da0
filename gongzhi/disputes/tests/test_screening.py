"""月排查月上报: one report a unit and month (a second filing is an amendment with its
history), zero reports checked against the register, future months refused, the board of
who has reported (on time, late, missing), and the month's summary from the records."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.core.errors import Invalid, NotFound
from gongzhi.core.models import AuditLog
from gongzhi.disputes import selectors, services
from gongzhi.disputes.models import Dispute, ScreeningReport, ScreeningRevision
from gongzhi.disputes.tests.conftest import jpeg

pytestmark = pytest.mark.django_db


def _month(delta=0):
    first = timezone.localdate().replace(day=1)
    for _ in range(-delta):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def test_zero_report__filed_on_time_with_a_revision(disp, people, tree, settings):
    settings.GONGZHI_DISPUTE_REPORT_DAY = 28
    m = _month()
    report = services.screening_file(
        actor=people.gw_b, unit_id=tree.grid_b.pk, year=m.year, month=m.month, is_zero=True
    )
    assert report.is_zero and report.found == 0 and not report.late and report.revision == 1
    assert ScreeningRevision.objects.filter(report=report).count() == 1
    assert AuditLog.objects.filter(action="disputes.screening_file").count() == 1


def test_second_filing_is_an_amendment_with_history(disp, people, tree):
    m = _month()
    services.screening_file(
        actor=people.gw_b, unit_id=tree.grid_b.pk, year=m.year, month=m.month, is_zero=True
    )
    again = services.screening_file(
        actor=people.community_worker, unit_id=tree.grid_b.pk, year=m.year, month=m.month,
        is_zero=False, note="补报：经排查发现一起",
    )  # fmt: skip
    assert ScreeningReport.objects.count() == 1
    assert again.revision == 2 and not again.is_zero and again.filed_by == people.community_worker
    revisions = list(
        ScreeningRevision.objects.order_by("revision").values_list("revision", "is_zero")
    )
    assert revisions == [(1, True), (2, False)]
    assert AuditLog.objects.filter(action="disputes.screening_amend").count() == 1


def test_zero_report_refused_when_the_register_holds_disputes(disp, people, tree):
    disp.register()
    m = _month()
    with pytest.raises(Invalid) as exc:
        services.screening_file(
            actor=people.gw_a, unit_id=tree.grid_a.pk, year=m.year, month=m.month, is_zero=True
        )
    assert exc.value.code == "not_zero"
    report = services.screening_file(
        actor=people.gw_a, unit_id=tree.grid_a.pk, year=m.year, month=m.month, is_zero=False
    )
    assert report.found == 1


def test_future_month_refused(disp, people, tree):
    nxt = (timezone.localdate().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    with pytest.raises(Invalid) as exc:
        services.screening_file(
            actor=people.gw_a, unit_id=tree.grid_a.pk, year=nxt.year, month=nxt.month, is_zero=True
        )
    assert exc.value.code == "future_month"
    assert not ScreeningReport.objects.exists()


def test_other_grid_is_404(disp, people, tree):
    m = _month()
    with pytest.raises(NotFound):
        services.screening_file(
            actor=people.gw_a, unit_id=tree.grid_b.pk, year=m.year, month=m.month, is_zero=True
        )
    assert not ScreeningReport.objects.exists()


def test_late_report_and_the_board(disp, people, tree):
    m = _month(-2)  # due on the 5th of last month: past
    late = services.screening_file(
        actor=people.gw_a, unit_id=tree.grid_a.pk, year=m.year, month=m.month, is_zero=True
    )
    assert late.late
    board = selectors.board(tree.sub, m)
    states = {r.code: r.state for r in board.rows}
    assert states == {
        tree.grid_a.code: "late", tree.grid_b.code: "overdue", tree.grid_c.code: "overdue",
    }  # fmt: skip
    assert board.counts["late"] == 1 and board.counts["overdue"] == 2 and board.counts["zero"] == 1


def test_month_summary_from_records(disp, people, tree):
    a = disp.mediating(disp.register(summary="一"))
    agreement = services.agreement_save(actor=disp.med_user, dispute_id=a.pk, terms="条款")
    services.agreement_sign(actor=disp.med_user, agreement_id=agreement.pk, photo=jpeg())
    services.mediation_conclude(actor=disp.med_user, case_id=a.pk, outcome="settled")
    disp.register(summary="二", risk="major")
    old = disp.register(summary="上月的")
    Dispute.objects.filter(pk=old.pk).update(registered_at=timezone.now() - dt.timedelta(days=40))
    s = selectors.month_summary(tree.sub, _month())
    assert (s["new"], s["carried_over"], s["settled"], s["concluded"], s["open_at_end"]) == (
        2,
        1,
        1,
        1,
        2,
    )
    assert s["by_type"] == [("邻里纠纷", 2)]
    assert dict(s["by_risk"])["Major"] == 1
    assert s["success"].percent == "100.0%"
