"""Periodic jobs of the case loop on huey. The service makes a repeated run harmless."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.cases import services


@db_periodic_task(crontab(minute="*/10"))
def cases_remind_task() -> int:
    """Due-soon and overdue reminders; each (case, kind, deadline) is sent once."""
    return services.remind_due()
