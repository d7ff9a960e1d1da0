"""The same report sent twice at once (a phone resending while the first is in flight):
one row, both answered with it. Real concurrent transactions: PostgreSQL only."""

import pytest

from gongzhi.cases.tests.test_concurrency import _TableLock, postgres_only, threaded, together
from gongzhi.core.models import AuditLog
from gongzhi.fieldwork import services
from gongzhi.fieldwork.models import TaskReport, TaskTarget


@postgres_only
@threaded
@pytest.mark.parametrize("kind", ["count"])
def test_the_same_client_id_at_once__one_report(people, tree, send, kind):
    task = send(kind=kind, targets={tree.grid_a.pk: 50})

    def submit():
        return services.task_report(
            actor=people.gw_a, task_id=task.pk, client_id="race-1", grid_id=tree.grid_a.pk,
            count=7,
        )  # fmt: skip

    # Both pass the look-up for an earlier report, then queue behind a lock on the
    # reports' table: the second one's INSERT meets the unique constraint.
    results = together(submit, submit, submit, hold=_TableLock(TaskReport._meta.db_table))
    assert [r[0] for r in results] == ["ok", "ok", "ok"], results
    reports = [r[1][0] for r in results]
    assert len({r.pk for r in reports}) == 1
    assert sorted(r[1][1] for r in results) == [False, False, True]
    assert TaskReport.objects.count() == 1
    assert AuditLog.objects.filter(action="fieldwork.task_report").count() == 1
    target = TaskTarget.objects.get(task=task)
    assert target.reports.get().amount == 7 and target.completed_at is None
