"""Jobs of decide: polls close and are counted at their closing time."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.decide import services


@db_periodic_task(crontab(minute="*"))
def decide_close_due_polls():
    """Every minute: a poll is not left open past its time for want of a manager."""
    return services.polls_close_due()
