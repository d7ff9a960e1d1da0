"""The staff's pages that create what the API creates: a poll or an election, a topic, a
meeting (in a room booked through sharing, or at a place given as text), a notice (and
its SMS), a survey with its questions, a call for suggestions, an outreach record.

Each page is a form for those who hold the page's permission somewhere (403 otherwise);
a POST is one call of the service, which checks the area (404 outside it) and validates.
A refusal shows the service's message with the input kept, and changes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.decide import perms, services
from gongzhi.decide.models import (
    Electorate,
    MeetingKind,
    OutreachKind,
    PollKind,
    QuestionKind,
    SurveyMode,
    Topic,
    TopicState,
)
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Building, BuildingRole, Resident

MAX_BLOCKS = 20  # question blocks of the survey form


def _gate(user, perm) -> None:
    if not can(user, perm):
        raise PermissionDenied(_("You may not do this here."))


def _units(user, perm, levels=("subdistrict", "community", "grid")) -> list[OrgUnit]:
    """The units of these levels the user may act in, for a form's choice."""
    scope = scope_for(user, perm)
    return list(OrgUnit.objects.filter(scope.q("code"), level__in=levels).order_by("code")[:200])


def _buildings(user, perm) -> list[Building]:
    return list(
        Building.objects.filter(scope_for(user, perm).q()).order_by("org_code", "name")[:500]
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _page(request, *, perm, heading, template, call, to, context):
    """GET: the form; POST: the one service call, then a redirect to `to(row)` with
    "Saved.", or the form again with the refusal's message (and each field's, under it)
    and the input kept. `context(errors)` gives the page's own values."""
    _gate(request.user, perm)
    status, errors = 200, {}
    if request.method == "POST":
        try:
            done = call()
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
            errors = exc.details if isinstance(exc.details, dict) else {}
        else:
            messages.success(request, _("Saved."))
            return redirect(to(done))
    form = request.POST if request.method == "POST" else {}
    return render(
        request,
        template,
        {**context(errors), "heading": heading, "form": form, "errors": errors},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def poll_new(request):
    """A poll or an election (a draft, opened on its page). An election's candidates are
    offered from the residents of the building chosen with ?building=."""
    d = request.POST
    chosen = parse_id(d.get("building_id") or request.GET.get("building"))

    def context(errors):
        buildings = _buildings(request.user, perms.MANAGE)
        building = next((b for b in buildings if b.pk == chosen), None)
        residents = (
            Resident.objects.filter(household__building=building, is_active=True).order_by(
                "name", "pk"
            )[:200]
            if building
            else []
        )
        return {
            "units": _units(request.user, perms.MANAGE),
            "buildings": buildings,
            "building": building,
            "residents": residents,
            "picked": set(d.getlist("candidate")),
            "kinds": PollKind.choices,
            "electorates": Electorate.choices,
            "roles": BuildingRole.Role.choices,
            "tab": "polls",
        }

    return _page(
        request,
        perm=perms.MANAGE,
        heading=_("New poll or election"),
        template="decide/poll_new.html",
        call=lambda: services.poll_create(
            actor=request.user,
            title=d.get("title", ""),
            description=d.get("description", ""),
            kind=d.get("kind", ""),
            electorate=d.get("electorate", ""),
            closes_at=d.get("closes_at", ""),
            unit_id=d.get("unit_id") or None,
            building_id=d.get("building_id") or None,
            options=_lines(d.get("options", "")),
            candidate_ids=d.getlist("candidate"),
            role=d.get("role", ""),
            seats=parse_id(d.get("seats")) or 1,
            max_choices=parse_id(d.get("max_choices")) or 1,
        ),
        to=lambda poll: reverse("decide_poll", args=[poll.pk]),
        context=context,
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request):
    d = request.POST
    return _page(
        request,
        perm=perms.PROPOSE,
        heading=_("Raise a topic"),
        template="decide/topic_new.html",
        call=lambda: services.topic_raise(
            actor=request.user,
            unit_id=d.get("unit_id") or None,
            building_id=d.get("building_id") or None,
            title=d.get("title", ""),
            description=d.get("description", ""),
            raiser_name=d.get("raiser_name", ""),
        ),
        to=lambda topic: reverse("decide_board"),
        context=lambda errors: {
            # A building head raises a topic for the micro-grid they hold.
            "units": _units(request.user, perms.PROPOSE, ("community", "grid", "microgrid")),
            "buildings": _buildings(request.user, perms.PROPOSE),
            "tab": "board",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request):
    """A meeting of a unit, with its topics; in a bookable room (its end then needed) or
    at a place given as text."""
    from gongzhi.sharing.models import Room

    d = request.POST

    def context(errors):
        scope = scope_for(request.user, perms.RUN)
        topics = (
            Topic.objects.filter(scope.q(), state__in=(TopicState.OPEN, TopicState.DISCUSSED))
            .order_by("-created_at", "-id")
            .only("pk", "title")[:100]
        )
        return {
            "units": _units(request.user, perms.RUN),
            "rooms": Room.objects.filter(scope.q(), is_active=True).order_by("name")[:100],
            "topics": topics,
            "picked": set(d.getlist("topic")),
            "kinds": MeetingKind.choices,
            "tab": "board",
        }

    return _page(
        request,
        perm=perms.RUN,
        heading=_("Schedule a meeting"),
        template="decide/meeting_new.html",
        call=lambda: services.meeting_schedule(
            actor=request.user,
            unit_id=d.get("unit_id"),
            kind=d.get("kind", ""),
            title=d.get("title", ""),
            starts_at=d.get("starts_at", ""),
            ends_at=d.get("ends_at") or None,
            place=d.get("place", ""),
            room_id=d.get("room_id") or None,
            topic_ids=d.getlist("topic"),
        ),
        to=lambda meeting: reverse("decide_board"),
        context=context,
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request):
    d = request.POST
    return _page(
        request,
        perm=perms.MANAGE,
        heading=_("Publish a notice"),
        template="decide/notice_new.html",
        call=lambda: services.notice_publish(
            actor=request.user,
            title=d.get("title", ""),
            body=d.get("body", ""),
            unit_id=d.get("unit_id") or None,
            building_id=d.get("building_id") or None,
            sms=d.get("sms") == "1",
        ),
        to=lambda notice: reverse("decide_board"),
        context=lambda errors: {
            "units": _units(request.user, perms.MANAGE),
            "buildings": _buildings(request.user, perms.MANAGE),
            "tab": "board",
        },
    )


def _blocks(data, n: int) -> list[dict]:
    """The question blocks as posted (the form's values to show again)."""
    return [
        {
            "i": i,
            "kind": data.get(f"q{i}_kind", ""),
            "text": data.get(f"q{i}_text", ""),
            "options": data.get(f"q{i}_options", ""),
            "rows": data.get(f"q{i}_rows", ""),
            "required": data.get(f"q{i}_required", "1" if not data else ""),
            "satisfaction": data.get(f"q{i}_satisfaction", ""),
        }
        for i in range(n)
    ]


def _questions(blocks: list[dict]) -> list[dict]:
    """The filled blocks as survey_create reads them. On a satisfaction question, the
    options that count as satisfied end with "*"."""
    out = []
    for b in blocks:
        options = _lines(b["options"])
        if not (b["text"].strip() or options):
            continue
        satisfied = [j for j, o in enumerate(options) if o.endswith("*")]
        out.append(
            {
                "kind": b["kind"],
                "text": b["text"],
                "options": [o.rstrip("*").strip() for o in options],
                "rows": _lines(b["rows"]),
                "required": b["required"] == "1",
                "satisfaction": b["satisfaction"] == "1",
                "satisfied": satisfied,
            }
        )
    return out


@login_required
@require_http_methods(["GET", "POST"])
def survey_new(request):
    """A survey and its questions, one block a question (more blocks with ?n=)."""
    d = request.POST
    n = min(MAX_BLOCKS, parse_id(d.get("n") or request.GET.get("n")) or 5)
    blocks = _blocks(d, n)
    return _page(
        request,
        perm=perms.MANAGE,
        heading=_("New survey"),
        template="decide/survey_new.html",
        call=lambda: services.survey_create(
            actor=request.user,
            unit_id=d.get("unit_id"),
            title=d.get("title", ""),
            intro=d.get("intro", ""),
            mode=d.get("mode", ""),
            public_results=d.get("public_results") == "1",
            questions=_questions(blocks),
        ),
        to=lambda survey: reverse("decide_survey", args=[survey.pk]),
        context=lambda errors: {
            "units": _units(request.user, perms.MANAGE),
            "modes": SurveyMode.choices,
            "question_kinds": QuestionKind.choices,
            "blocks": [{**b, "errors": errors.get(f"questions.{b['i']}", [])} for b in blocks],
            "n": n,
            "more": min(MAX_BLOCKS, n + 5),
            "tab": "surveys",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_new(request):
    d = request.POST
    return _page(
        request,
        perm=perms.MANAGE,
        heading=_("Open a call for suggestions"),
        template="decide/call_new.html",
        call=lambda: services.call_open(
            actor=request.user,
            unit_id=d.get("unit_id"),
            title=d.get("title", ""),
            description=d.get("description", ""),
            deadline=d.get("deadline", ""),
        ),
        to=lambda call: reverse("decide_call", args=[call.pk]),
        context=lambda errors: {"units": _units(request.user, perms.MANAGE), "tab": "surveys"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def outreach_new(request):
    d = request.POST
    return _page(
        request,
        perm=perms.RUN,
        heading=_("Record an outreach"),
        template="decide/outreach_new.html",
        call=lambda: services.outreach_record(
            actor=request.user,
            unit_id=d.get("unit_id"),
            kind=d.get("kind", ""),
            topic=d.get("topic", ""),
            held_on=d.get("held_on", ""),
            place=d.get("place", ""),
            attendance=d.get("attendance"),
        ),
        to=lambda row: reverse("decide_board"),
        context=lambda errors: {
            "units": _units(request.user, perms.RUN),
            "kinds": OutreachKind.choices,
            "tab": "board",
        },
    )
