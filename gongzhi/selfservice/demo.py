"""The demo's residents' reports paid: each report of the resident channel that the loop
verified and closed (the cases' demo, before the points bank had its rules) pays its
reporter through the points bank's own feed, at the moment it was closed."""

from gongzhi.cases.models import Case, Channel, State
from gongzhi.core import democlock
from gongzhi.points import feeds
from gongzhi.points.models import Transfer


def run(log):
    if Transfer.objects.filter(source=feeds.REPORT_CLOSED_SOURCE).exists():
        log("随手拍积分已发放，跳过。")
        return
    closed = (
        Case.objects.filter(channel=Channel.RESIDENT, state=State.CLOSED, closed_at__isnull=False)
        .select_related("reporter_resident")
        .order_by("closed_at")
    )
    before = Transfer.objects.count()
    for case in closed:
        with democlock.at(case.closed_at):
            feeds.report_closed(case, "verify_pass", None)
    log(f"随手拍：{Transfer.objects.count() - before} 件已办结的居民反映为反映人发放了绿币。")
