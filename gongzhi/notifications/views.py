from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gongzhi.core.http.forms import parse_id
from gongzhi.notifications import selectors, services

PER_PAGE = 30


@login_required
@require_GET
def inbox(request):
    """The user's notifications, newest first; `?before=<id>` pages back."""
    qs = selectors.notifications_of(request.user).order_by("-id")
    before = parse_id(request.GET.get("before"))
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[: PER_PAGE + 1])
    more = rows[PER_PAGE - 1].pk if len(rows) > PER_PAGE else None
    context = {
        "notifications": rows[:PER_PAGE],
        "older": more,
        "has_unread": any(n.read_at is None for n in rows),
        "active_nav": "account",
    }
    return render(request, "notifications/inbox.html", context)


@login_required
@require_GET
def inbox_open(request, notification_id: int):
    """Opening a notification reads it: mark it and follow its link (GET, so it is a
    plain link that opens in a new tab too; marking read twice changes nothing)."""
    n = selectors.notification_for(request.user, notification_id)
    services.notification_mark_read(user=request.user, notification=n)
    return redirect(n.link or "inbox")


@login_required
@require_POST
def inbox_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("inbox")
