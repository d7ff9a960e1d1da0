"""Jobs of the points bank: the nightly reconciliation and the daily expiry."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from gongzhi.points import services


@db_periodic_task(crontab(minute="30", hour="2"))
def reconcile():
    """Nightly: every balance against its movements; the report is an audit row, and a
    mismatch is logged as an error."""
    import logging

    report = services.points_reconcile()
    if report["mismatches"] or report["total"]:
        logging.getLogger("gongzhi.points").error("points ledger mismatches: %s", report)
    return len(report["mismatches"])


@db_periodic_task(crontab(minute="10", hour="3"))
def expire():
    """Daily: points older than their bank's expiry (keyed by account and day: a second
    run the same day posts nothing)."""
    return services.points_expire()
