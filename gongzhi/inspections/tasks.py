"""Jobs of inspections: the re-inspection tasks of notices near their deadline."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.inspections import notices


@db_periodic_task(crontab(minute="5", hour="*"))
def make_reinspections():
    """Hourly (so a missed run or a restart loses nothing): one task a notice, at most."""
    return notices.reinspections_due()
