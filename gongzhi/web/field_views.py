"""The grid worker's offline app (外勤): the /field/ page, its service worker and its web
app manifest.

The page is a shell the service worker keeps: it opens without the network (a basement,
a stairwell), and what the worker records there (reports with photos, a patrol with its
GPS track, task reports) waits in the phone's IndexedDB until the network returns
(web/static/js/field.js). Each item carries the id the phone gave it; the server stores it
once whatever the retries (cases: the Idempotency-Key; patrols and tasks: client_id).

The service worker is served from the site's root (its scope is the whole site, though it
only answers for this page and the static files): its text names the static files of this
version, so a new version of any of them is a new worker, which replaces the old one
without touching the queue (the queue lives in IndexedDB, not in the worker's caches)."""

import hashlib

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gongzhi.cases.forms import category_choices
from gongzhi.cases.selectors import report_grids
from gongzhi.core import permissions
from gongzhi.core.roles import Perm

# What the page needs to open offline, besides itself.
SHELL_STATIC = (
    "css/app.css",
    "css/field.css",
    "js/site.js",
    "js/field.js",
    "vendor/htmx.min.js",
    "img/logo.svg",
    "img/icon-192.png",
    "img/icon-512.png",
)


def _shell() -> list[str]:
    return [reverse("field"), *(static(path) for path in SHELL_STATIC)]


def _version(shell: list[str]) -> str:
    """Changes when a file of the shell or the page's template changes (or the list does):
    the phone then fetches the new shell and drops the old one."""
    digest = hashlib.sha256("\n".join(shell).encode())
    files = [finders.find(path) for path in SHELL_STATIC]
    files.append(get_template("web/field.html").origin.name)
    for name in filter(None, files):
        with open(name, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:12]


def texts() -> dict[str, str]:
    """What field.js says, in the page's language."""
    return {
        "online": _("Connected"),
        "offline": _("Offline: what you record waits on this phone"),
        "waiting": _("Waiting"),
        "sent": _("Sent"),
        "failed": _("Not accepted"),
        "login": _("Sign in again to send"),
        "sending": _("Sending…"),
        "queued": _("Saved on this phone; it is sent when the network returns."),
        "retry": _("Try again"),
        "remove": _("Remove"),
        "remove_confirm": _("Remove this item from the phone? It has not been sent."),
        "nothing_waiting": _("Nothing waits to be sent."),
        "no_cases": _("No cases yet."),
        "no_tasks": _("No tasks."),
        "fetched": _("Updated"),
        "never": _("not yet fetched"),
        "gps_wait": _("Finding the location…"),
        "gps_ok": _("Located (±{m} m)"),
        "gps_none": _("No location: choose the grid"),
        "patrol_running": _("On patrol since {t} · {n} points · {d} m"),
        "patrol_none": _("No patrol running."),
        "patrol_started": _("Patrol started."),
        "patrol_ended": _("Patrol ended."),
        "point_saved": _("Checkpoint recorded."),
        "kind_case": _("Problem report"),
        "kind_patrol_start": _("Patrol start"),
        "kind_patrol_point": _("Checkpoint"),
        "kind_patrol_track": _("Track"),
        "kind_patrol_end": _("Patrol end"),
        "kind_task_report": _("Task report"),
        "kind_case_progress": _("Progress"),
        "photos": _("{n} photos"),
        "parent_failed": _("Its patrol was not accepted."),
        "network": _("No network; tried {n} times."),
        "conflict": _("Changed meanwhile on the server:"),
        "storage": _("This phone keeps {used} MB for the app (may keep it: {persisted})."),
        "yes": _("yes"),
        "no": _("no"),
        "export_done": _("Saved to a file: keep it until the items are sent."),
        "due": _("Due"),
        "done_of": _("{done} / {target} done"),
        "report_task": _("Report progress"),
        "describe": _("Describe the problem."),
        "choose_category": _("Choose a category."),
        "choose_grid": _("Choose the grid, or wait for the location."),
        "queue_left": _("{n} items wait on this phone. Sign out anyway?"),
    }


@login_required
@require_GET
def field(request):
    """外勤: report, patrol, tasks, cases and the phone's queue, online or not."""
    if not permissions.can(request.user, Perm.CASE_REPORT):
        raise DjangoPermissionDenied
    grids = list(report_grids(request.user).values("id", "code", "name")[:200])
    return render(
        request,
        "web/field.html",
        {
            "grids": grids,
            "categories": category_choices(with_empty=False),
            "boot": {"user": request.user.pk, "grids": grids, "text": texts()},
            "active_nav": "field",
        },
    )


@require_GET
@never_cache
def service_worker(request):
    shell = _shell()
    body = render(
        request,
        "web/sw.js",
        {"version": _version(shell), "shell": shell, "page": reverse("field")},
        content_type="text/javascript; charset=utf-8",
    )
    body["Service-Worker-Allowed"] = "/"
    return body


@require_GET
def manifest(request):
    """The web app manifest: installed from /field/, it opens there, full screen."""
    return JsonResponse(
        {
            "name": _("Gongzhi field work"),
            "short_name": _("Field work"),
            "start_url": reverse("field"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#f5f7f6",
            "theme_color": "#1d4fa8",
            "lang": "zh-CN",
            "icons": [
                {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("img/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
