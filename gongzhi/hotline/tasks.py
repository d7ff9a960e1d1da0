"""Jobs of the 12345 exchange on huey: deliveries, their retries, and the nonce purge."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from gongzhi.hotline import services


@db_task()
def hotline_deliver_task(pk: int):
    """Send one outbound event now (queued when the change commits)."""
    return services.event_deliver(pk)


@db_periodic_task(crontab(minute="*"))
def hotline_deliver_due_task() -> int:
    """Send the pending events whose retry time has come."""
    return services.events_deliver_due()


@db_periodic_task(crontab(minute="*/15"))
def hotline_purge_nonces_task() -> int:
    return services.nonces_purge()
