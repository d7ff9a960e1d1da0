"""The reminder job: a day before the deadline, the workers of the grids not done yet are
told once, however often the job runs; not for a cancelled task or one due later."""

import datetime as dt

from django.utils import timezone

from gongzhi.fieldwork import services
from gongzhi.notifications.models import Notification


def test_remind__once_to_the_grids_not_done(people, tree, send):
    now = timezone.now()
    soon = send(title="冬季燃气安全入户检查", deadline=now + dt.timedelta(hours=20))
    later = send(title="独生子女认证入户", deadline=now + dt.timedelta(days=3))
    cancelled = send(title="已撤销", deadline=now + dt.timedelta(hours=5))
    services.task_cancel(actor=people.community_worker, task_id=cancelled.pk)
    services.task_report(actor=people.gw_a, task_id=soon.pk, client_id="d", grid_id=tree.grid_a.pk)
    assert services.tasks_remind() == 1
    note = Notification.objects.get()
    assert note.recipient == people.gw_b and note.kind == "fieldwork.task_due"
    assert soon.title in note.title and "0 of 2 done" in note.title
    assert note.link == f"/fieldwork/tasks/{soon.pk}/"
    assert services.tasks_remind() == 0
    assert Notification.objects.count() == 1
    # The later task is reminded when its day comes.
    assert services.tasks_remind(now=now + dt.timedelta(days=2, hours=1)) == 2
    assert set(Notification.objects.filter(link__contains=str(later.pk)).values_list(
        "recipient__username", flat=True
    )) == {"gw_a", "gw_b"}  # fmt: skip
