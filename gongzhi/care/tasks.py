"""Jobs of care: scheduled visits kept current, reminders, and claims that ran out."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.care import services


@db_periodic_task(crontab(minute="15", hour="*"))
def care_generate_plans():
    """Hourly, so a new week, month or quarter (and a move, a death, a removed tag) is
    taken up within the hour; idempotent (the unique window constraint)."""
    return services.plans_generate_all()


@db_periodic_task(crontab(minute="*/10"))
def care_expire_claims():
    """A claim held past its time returns the wish to the board."""
    return services.claims_expire()


@db_periodic_task(crontab(minute="0", hour="8"))
def care_remind_visits():
    """Each morning: the grid workers' due and overdue visits (once a day a grid)."""
    return services.remind_due_visits()


@db_periodic_task(crontab(minute="30", hour="*"))
def care_remind_claimers():
    """The claimer of a wish due tomorrow is texted once."""
    return services.remind_claimers()
