"""The case lists: one tab per queue the user's roles need, with counts; a kind filter."""

import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.cases import exports, selectors
from gongzhi.cases.views.common import can_use_cases, clock_of, page, place_label
from gongzhi.core import permissions
from gongzhi.core.errors import NotFound
from gongzhi.core.roles import Perm

NUMBER = re.compile(r"^SJ\d{8,14}$", re.IGNORECASE)

ALERT_QUEUES = {"overdue": "red", "due_soon": "amber", "supervised": "red"}


def _queue(request, user, keys, now):
    """The queue the request names (the user's first by default), searched: (key, its
    cases, the Queue, the search text)."""
    key = request.GET.get("queue") or keys[0]
    if key not in selectors.QUEUES or key not in keys:
        key = keys[0]
    qs, queue = selectors.queue(user, key, now=now)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(number=q.upper()) if NUMBER.match(q) else qs.filter(title__contains=q)
    return key, qs, queue, q


@login_required
@require_GET
def case_list_xlsx(request):
    """The queue on the page, searched as it is, as a workbook (cases.exports)."""
    user = request.user
    if not can_use_cases(user):
        raise NotFound(_("Not found."))
    now = timezone.now()
    key, qs, queue, q = _queue(request, user, selectors.queues_for(user), now)
    return exports.cases_download(
        request, qs, ordering=queue.ordering, title=str(queue.label),
        filters={"queue": key, **({"q": q} if q else {})}, name=str(queue.label),
    )  # fmt: skip


@login_required
@require_GET
def case_list(request):
    user = request.user
    if not can_use_cases(user):
        raise NotFound(_("Not found."))
    keys = selectors.queues_for(user)
    now = timezone.now()
    counts = selectors.queue_counts(user, keys, now=now)
    key, qs, queue, q = _queue(request, user, keys, now)
    rows, next_cursor = page(
        selectors.for_list(qs, "grid__parent", "grid__parent__parent"),
        queue.ordering,
        request.GET.get("cursor"),
    )
    for case in rows:
        case.clock = clock_of(case, now)
        case.place = place_label(case.grid)
    query = urlencode({"queue": key, **({"q": q} if q else {})})
    can_decide = permissions.can(user, Perm.CASE_DECIDE)
    return render(
        request,
        "cases/list.html",
        {
            "tabs": [
                {
                    "key": k,
                    "label": selectors.QUEUES[k].label,
                    "count": selectors.count_label(counts[k]),
                    "tone": ALERT_QUEUES.get(k, "") if counts[k] else "",
                }
                for k in keys
            ],
            "queue": queue,
            "q": q,
            "rows": rows,
            "next_cursor": next_cursor,
            "query": query,
            "can_report": permissions.can(user, Perm.CASE_REPORT),
            "can_see_kpis": permissions.can(user, Perm.CASE_VIEW),
            "extension_count": (
                selectors.extension_requests_visible_to(user).count() if can_decide else None
            ),
        },
    )
