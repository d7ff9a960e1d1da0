"""Jobs of fieldwork: remind the grid workers a day before a task's deadline."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.fieldwork import services


@db_periodic_task(crontab(minute="*/15"))
def fieldwork_remind_tasks():
    """Every quarter of an hour; each task is reminded once (Task.reminded_at)."""
    return services.tasks_remind()
