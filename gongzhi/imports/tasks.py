"""Import jobs on huey. Tasks only call services; the services make a repeated or
resumed task harmless (see services.py)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from gongzhi.imports import services

log = logging.getLogger(__name__)

RETRIES = 2


def _run(service, job_id: int, task) -> None:
    try:
        service(job_id=job_id)
    except Exception:
        if task is not None and task.retries > 0:
            raise  # huey retries: the claim and the checkpoint make it safe
        log.exception("import job %s failed", job_id)
        services.import_job_crashed(job_id=job_id)


@db_task(retries=RETRIES, retry_delay=10, context=True)
def import_validate_task(job_id: int, task=None) -> None:
    _run(services.import_job_validate, job_id, task)


@db_task(retries=RETRIES, retry_delay=10, context=True)
def import_run_task(job_id: int, task=None) -> None:
    _run(services.import_job_run, job_id, task)


@db_periodic_task(crontab(minute="*/5"))
def import_jobs_tidy_task() -> None:
    services.import_jobs_tidy()
