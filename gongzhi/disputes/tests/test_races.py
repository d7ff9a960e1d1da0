"""One winner when two people act at once (PostgreSQL: SQLite takes one writer at a time,
so the threads cannot race there): two filings of one unit's month make one report with
two revisions; two signings of one agreement sign it once."""

from django.utils import timezone

from gongzhi.cases.tests.test_concurrency import postgres_only, threaded, together
from gongzhi.disputes import services
from gongzhi.disputes.models import Agreement, ScreeningReport, ScreeningRevision
from gongzhi.disputes.tests.conftest import jpeg


@postgres_only
@threaded
def test_two_filings_of_one_month_make_one_report(disp, people, tree):
    m = timezone.localdate()

    def file(actor):
        return lambda: services.screening_file(
            actor=actor, unit_id=tree.grid_a.pk, year=m.year, month=m.month, is_zero=True
        )

    results = together(file(people.gw_a), file(people.community_worker))
    assert [r[0] for r in results] == ["ok", "ok"]
    report = ScreeningReport.objects.get()
    assert report.revision == 2
    assert sorted(ScreeningRevision.objects.values_list("revision", flat=True)) == [1, 2]


@postgres_only
@threaded
def test_two_signings_sign_once(disp, people):
    case = disp.mediating()
    agreement = services.agreement_save(actor=disp.med_user, dispute_id=case.pk, terms="条款")

    def sign():
        return services.agreement_sign(actor=disp.med_user, agreement_id=agreement.pk, photo=jpeg())

    results = together(sign, sign)
    assert sorted(r[0] for r in results) == ["error", "ok"]
    error = next(r[1] for r in results if r[0] == "error")
    assert getattr(error, "code", "") == "already_signed"
    assert Agreement.objects.filter(signed_at__isnull=False).count() == 1
