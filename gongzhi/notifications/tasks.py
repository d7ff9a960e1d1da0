"""Delivery jobs on huey. The service makes a repeated or concurrent run harmless."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from gongzhi.notifications import services


@db_task()
def notifications_deliver_task() -> None:
    """Queued when a transaction that wrote notifications commits."""
    services.notifications_deliver_due()


@db_periodic_task(crontab(minute="*"))
def notifications_retry_task() -> None:
    """Retries the rows whose backoff has passed (and any whose first run was lost)."""
    while services.notifications_deliver_due() == services.BATCH:
        pass
