"""Jobs of sharing: holds that ran out, and the borrowers' due-soon and overdue texts."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.sharing import services


@db_periodic_task(crontab(minute="*/15"))
def sharing_expire_holds():
    return services.holds_expire()


@db_periodic_task(crontab(minute="0", hour="9,18"))
def sharing_remind_loans():
    """Twice a day; each loan is texted once due soon and once overdue."""
    return services.remind_loans()
