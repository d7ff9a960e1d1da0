"""Housekeeping on huey: rate-limit counters of windows long past are dropped hourly."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.selfservice import services


@db_periodic_task(crontab(minute="17"))
def selfservice_purge_task() -> int:
    return services.purge_counters()
