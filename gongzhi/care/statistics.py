"""The statistic care registers with the loop's (core.manifest): cases found on visits.

Visits and wishes are care's own records, which the statistics registry does not count
(it counts cases and their timeline: docs/architecture.md, "Caring for residents"). What
visits add to the loop is counted there: the cases that came in through a visit (channel
走访: a visit's finding, a wish from a visit turned into a case, or any report staff
filed as found on a door-to-door visit), and their share of the problems received —
未诉先办, problems found before anyone called. It is kept in the rollups like every
registered count, so the command center's cards and the monthly report show it."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import Channel, State
from gongzhi.core.manifest import Count, Rate

NOT_RECEIVED = (State.REJECTED, State.MERGED)  # as the loop's "received" (cases.statistics)

FOUND_ON_VISITS = Count(
    "care_found_on_visits",
    _("Found on visits"),
    "cases",
    lambda now=None: Q(channel=Channel.VISIT) & ~Q(state__in=NOT_RECEIVED),
    of_case=lambda case: case.channel == Channel.VISIT and case.state not in NOT_RECEIVED,
)
# 走访发现率: cases found on visits / problems received (the loop's "received").
FOUND_ON_VISITS_SHARE = Rate(
    "care_found_on_visits_share", _("Found on visits, share"), FOUND_ON_VISITS.key, "received",
    column=False,
)  # fmt: skip
