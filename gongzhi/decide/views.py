"""Pages of residents' decisions. Staff: the deliberation board (/decide/), polls and a
poll's page (paper ballots, open, close; the result only once closed), surveys with their
results (ECharts) and xlsx, calls for suggestions with replies, the board's entries.
Public: a community's red/black board, a survey's results where the community chose so,
an anonymous survey by its token. Residents (/my/decide/, the verified phone): the polls
they may vote in, the verified surveys, the open calls for suggestions."""

import io
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core import xlsx
from gongzhi.core.errors import NotFound
from gongzhi.core.http.forms import attempt, parse_id
from gongzhi.core.permissions import can
from gongzhi.decide import perms, selectors, services
from gongzhi.decide.models import (
    BoardEntry,
    Poll,
    PollState,
    QuestionKind,
    Suggestion,
    SuggestionCall,
    Survey,
    SurveyMode,
)
from gongzhi.selfservice import services as my


def _done(request, call, to):
    done, status = attempt(request, call)
    if done is not None:
        messages.success(request, _("Saved."))
        return None, redirect(to)
    return status, None


@login_required
@require_http_methods(["GET", "POST"])
def board(request):
    """The deliberation board: topics of the reader's area with their resolutions, and a
    progress entry for each open resolution."""
    status = 200
    if request.method == "POST":
        d = request.POST
        status, response = _done(
            request,
            lambda: services.resolution_progress(
                actor=request.user,
                resolution_id=d.get("resolution_id"),
                percent=d.get("percent"),
                note=d.get("note", ""),
                done=d.get("done") == "1",
            ),
            "decide_board",
        )
        if response:
            return response
    state = request.GET.get("state") or None
    topics = selectors.board(
        request.user, state=state if state in ("open", "discussed", "resolved") else None
    )
    return render(
        request,
        "decide/board.html",
        {
            "topics": topics,
            "state": state,
            "tab": "board",
            "may_run": can(request.user, perms.RUN),
            "may_propose": can(request.user, perms.PROPOSE),
            "may_manage": can(request.user, perms.MANAGE),
        },
        status=status,
    )


@login_required
@require_GET
def polls(request):
    rows = selectors.visible(Poll, request.user).order_by("-id")[:100]
    return render(
        request,
        "decide/polls.html",
        {"rows": rows, "tab": "polls", "may_manage": can(request.user, perms.MANAGE)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def poll_page(request, poll_id):
    poll = selectors.one(Poll, request.user, poll_id)
    status = 200
    if request.method == "POST":
        d, action = request.POST, request.POST.get("action", "")
        calls = {
            "open": lambda: services.poll_open(actor=request.user, poll_id=poll.pk),
            "close": lambda: services.poll_close(actor=request.user, poll_id=poll.pk),
            "ballot": lambda: services.ballot_enter(
                actor=request.user,
                poll_id=poll.pk,
                voter_id=d.get("voter_id"),
                option_ids=d.getlist("option"),
                channel=d.get("channel", "paper"),
            ),
        }
        if action not in calls:
            raise NotFound(_("Not found."))
        status, response = _done(request, calls[action], reverse("decide_poll", args=[poll.pk]))
        if response:
            return response
    result = selectors.poll_result(poll) if poll.state == PollState.CLOSED else None
    voters = []
    if poll.state == PollState.OPEN and can(request.user, perms.RUN, poll):
        voters = poll.voters.exclude(pk__in=poll.ballots.values("voter")).order_by("label")[:500]
    return render(
        request,
        "decide/poll.html",
        {
            "poll": poll,
            "options": poll.options.all(),
            "result": result,
            "voters": voters,
            "ballots": poll.ballots.count() if result else None,
            "tab": "polls",
            "may_manage": can(request.user, perms.MANAGE, poll),
        },
        status=status,
    )


@login_required
@require_GET
def surveys(request):
    return render(
        request,
        "decide/surveys.html",
        {
            "surveys": selectors.visible(Survey, request.user).order_by("-id")[:100],
            "calls": selectors.visible(SuggestionCall, request.user).order_by("-id")[:100],
            "tab": "surveys",
            "may_manage": can(request.user, perms.MANAGE),
        },
    )


def _results_context(survey):
    results = selectors.survey_results(survey)
    chart = []
    for q in results["questions"]:
        if q["kind"] in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            chart.append(
                {
                    "id": q["id"],
                    "title": q["text"],
                    "labels": [o["label"] for o in q["options"]],
                    "values": [o["n"] for o in q["options"]],
                }
            )
        elif q["kind"] == QuestionKind.RATING:
            chart.append(
                {
                    "id": q["id"],
                    "title": q["text"],
                    "labels": [str(v) for v in q["ratings"]],
                    "values": list(q["ratings"].values()),
                }
            )
    return {"survey": survey, "r": results, "chart": chart}


@login_required
@require_GET
def survey_page(request, survey_id):
    survey = selectors.one(Survey, request.user, survey_id)
    return render(request, "decide/survey.html", {**_results_context(survey), "tab": "surveys"})


@login_required
@require_GET
def survey_xlsx(request, survey_id):
    """The results per question and option (text answers masked by nobody: they are
    anonymous answers; a resident who wrote a number in one wrote it to the community)."""
    survey = selectors.one(Survey, request.user, survey_id)
    results = selectors.survey_results(survey)
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("Results"))
    sheet.write_row(0, 0, [survey.title, _("Responses"), results["responses"]])
    sat = results["satisfaction"]
    sheet.write_row(1, 0, [_("Satisfaction"), sat["part"], sat["whole"], sat["percent"] or ""])
    row = 3
    for q in results["questions"]:
        sheet.write(row, 0, q["text"])
        row += 1
        items = q.get("options") or [
            {"label": k, "n": v} for k, v in (q.get("ratings") or {}).items()
        ]
        for item in items:
            sheet.write_row(row, 1, [str(item["label"]), item["n"]])
            row += 1
        for mrow in q.get("rows") or []:
            sheet.write_row(
                row, 1, [mrow["label"]] + [f"{o['label']} {o['n']}" for o in mrow["options"]]
            )
            row += 1
    book.close()
    return xlsx.response(out.getvalue(), f"survey-{survey.pk}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def call_page(request, call_id):
    call = selectors.one(SuggestionCall, request.user, call_id)
    status = 200
    if request.method == "POST":
        d = request.POST
        if d.get("action") == "reply":
            call_ = lambda: services.suggestion_reply(  # noqa: E731
                actor=request.user, suggestion_id=d.get("suggestion_id"), reply=d.get("reply", "")
            )
        else:
            call_ = lambda: services.suggestion_submit(  # noqa: E731
                call_id=call.pk,
                actor=request.user,
                text=d.get("text", ""),
                channel=d.get("channel", ""),
                name=d.get("name", ""),
                phone=d.get("phone", ""),
                submission_id=d.get("submission_id", ""),
                public_name=d.get("public_name") == "1",
            )
        status, response = _done(request, call_, reverse("decide_call", args=[call.pk]))
        if response:
            return response
    rows = Suggestion.objects.filter(call=call).order_by("-at", "-id")[:200]
    return render(
        request,
        "decide/call.html",
        {
            "call": call,
            "rows": rows,
            "counts": selectors.call_counts(call),
            "tab": "surveys",
            "submission_id": uuid.uuid4().hex,
            "may_manage": can(request.user, perms.MANAGE, call),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def entries(request):
    status = 200
    if request.method == "POST":
        d = request.POST
        status, response = _done(
            request,
            lambda: services.board_approve(
                actor=request.user,
                entry_id=d.get("entry_id"),
                publish_from=d.get("publish_from"),
                publish_until=d.get("publish_until"),
            ),
            "decide_entries",
        )
        if response:
            return response
    rows = selectors.visible(BoardEntry, request.user).order_by("-id")[:200]
    return render(
        request,
        "decide/entries.html",
        {
            "rows": rows,
            "tab": "entries",
            "today": timezone.localdate(),
        },
        status=status,
    )


# -- public ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def public_board(request, code):
    """A community's red/black board: what is published today; anyone may appeal."""
    if not (code.isascii() and code.isdigit() and len(code) == 12):
        raise NotFound(_("Not found."))
    status = 200
    if request.method == "POST":
        status, response = _done(
            request,
            lambda: services.board_appeal(
                entry_id=request.POST.get("entry_id"), text=request.POST.get("appeal", "")
            ),
            request.path,
        )
        if response:
            return response
    rows = list(selectors.public_board(code, timezone.localdate()))
    return render(
        request,
        "decide/public_board.html",
        {
            "red": [e for e in rows if e.color == "red"],
            "black": [e for e in rows if e.color == "black"],
        },
        status=status,
    )


@require_GET
def public_results(request, survey_id):
    survey = Survey.objects.filter(pk=parse_id(survey_id), public_results=True).first()
    if survey is None:
        raise NotFound(_("Not found."))
    return render(request, "decide/public_results.html", _results_context(survey))


def _answer_page(request, survey, *, token="", held=None, template):
    status = 200
    if request.method == "POST":
        answers = {}
        for q in survey.questions.all():
            key = f"q{q.pk}"
            if q.kind == QuestionKind.MULTIPLE:
                answers[str(q.pk)] = request.POST.getlist(key)
            elif q.kind == QuestionKind.MATRIX:
                answers[str(q.pk)] = {
                    str(i): request.POST.get(f"{key}_{i}")
                    for i in range(len(q.rows))
                    if request.POST.get(f"{key}_{i}")
                }
            else:
                answers[str(q.pk)] = request.POST.get(key, "")
        done, status = attempt(
            request,
            lambda: services.survey_submit(
                survey_id=survey.pk,
                answers=answers,
                submission_id=request.POST.get("submission_id"),
                token=token,
                held=held,
            ),
        )
        if done is not None:
            return render(request, template, {"survey": survey, "thanks": True})
    return render(
        request,
        template,
        {
            "survey": survey,
            "questions": survey.questions.prefetch_related("options"),
            "submission_id": request.POST.get("submission_id") or uuid.uuid4().hex,
            "token": token,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def survey_answer(request, survey_id):
    """An anonymous survey, by its token (?t=…, from a printed QR or a link)."""
    survey = Survey.objects.filter(pk=parse_id(survey_id), mode=SurveyMode.ANONYMOUS).first()
    if survey is None:
        raise NotFound(_("Not found."))
    token = (request.GET.get("t") or request.POST.get("t") or "")[:64]
    return _answer_page(request, survey, token=token, template="decide/answer.html")


# -- residents (/my/) --------------------------------------------------------------------


def _need_phone(request):
    return redirect(f"{reverse('my_phone')}?next={request.path}")


@never_cache
@require_GET
def my_decide(request):
    held = my.verified(request.session)
    if held is None:
        return _need_phone(request)
    return render(
        request, "decide/my.html", {**selectors.for_resident(held["hash"]), "my_tab": "decide"}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_poll(request, poll_id):
    held = my.verified(request.session)
    if held is None:
        return _need_phone(request)
    poll = selectors.resident_poll(held["hash"], poll_id)
    status = 200
    if request.method == "POST":
        done, status = attempt(
            request,
            lambda: services.ballot_cast_web(
                held=held, poll_id=poll.pk, option_ids=request.POST.getlist("option")
            ),
        )
        if done is not None:
            messages.success(request, _("Your vote is recorded."))
            return redirect("my_decide_poll", poll.pk)
    voted = poll.ballots.filter(voter__in=services.voters_for_phone(poll, held["hash"])).exists()
    result = selectors.poll_result(poll) if poll.state == PollState.CLOSED else None
    return render(
        request,
        "decide/my_poll.html",
        {
            "poll": poll,
            "options": poll.options.all(),
            "voted": voted,
            "result": result,
            "my_tab": "decide",
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def my_survey(request, survey_id):
    held = my.verified(request.session)
    if held is None:
        return _need_phone(request)
    survey = Survey.objects.filter(
        pk=parse_id(survey_id), mode=SurveyMode.VERIFIED, is_open=True
    ).first()
    if survey is None:
        raise NotFound(_("Not found."))
    return _answer_page(request, survey, held=held, template="decide/my_survey.html")


@never_cache
@require_http_methods(["GET", "POST"])
def my_call(request, call_id):
    held = my.verified(request.session)
    if held is None:
        return _need_phone(request)
    call = SuggestionCall.objects.filter(pk=parse_id(call_id)).first()
    if call is None:
        raise NotFound(_("Not found."))
    status = 200
    if request.method == "POST":
        d = request.POST
        done, status = attempt(
            request,
            lambda: services.suggestion_submit(
                call_id=call.pk,
                held=held,
                text=d.get("text", ""),
                name=d.get("name", ""),
                public_name=d.get("public_name") == "1",
                submission_id=d.get("submission_id", ""),
            ),
        )
        if done is not None:
            messages.success(request, _("Thank you: your suggestion is received."))
            return redirect("my_decide_call", call.pk)
    replies = call.suggestions.exclude(reply="").order_by("-replied_at")[:50]
    return render(
        request,
        "decide/my_call.html",
        {
            "call": call,
            "replies": replies,
            "submission_id": uuid.uuid4().hex,
            "my_tab": "decide",
        },
        status=status,
    )


@never_cache
@require_GET
def my_notice(request, notice_id):
    """One notice of the resident's area; opening it counts as read (once a phone)."""
    held = my.verified(request.session)
    if held is None:
        return _need_phone(request)
    notice = services.notice_read(held=held, notice_id=notice_id)
    return render(request, "decide/my_notice.html", {"notice": notice, "my_tab": "decide"})
