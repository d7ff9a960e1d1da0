"""Jobs of volunteers: forgotten check-outs closed at the activity's end and flagged."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.volunteers import services


@db_periodic_task(crontab(minute="*/15"))
def volunteers_close_forgotten():
    """Every quarter of an hour: checked in, the activity over, never checked out."""
    return services.close_forgotten()
