"""Every read of residents' decisions, scoped to the reader. Poll results are hidden until
the poll closes (`poll_result`); rates always come with their denominators."""

import datetime as dt

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import Conflict, NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import scope_for
from gongzhi.decide import perms
from gongzhi.decide.models import (
    Answer,
    BoardEntry,
    BoardState,
    Meeting,
    Notice,
    Outreach,
    Poll,
    PollState,
    QuestionKind,
    RaisedBy,
    Resolution,
    ResolutionState,
    Response,
    Suggestion,
    SuggestionCall,
    Survey,
    Topic,
    TopicState,
)


def rate(part: int, whole: int) -> dict:
    """A rate with its denominator: {"part", "whole", "percent"} (percent None when 0/0)."""
    return {
        "part": part,
        "whole": whole,
        "percent": round(100 * part / whole, 1) if whole else None,
    }


def visible(model, user, perm=perms.VIEW):
    return model.objects.filter(scope_for(user, perm).q())


def one(model, user, pk, perm=perms.VIEW):
    row = visible(model, user, perm).filter(pk=parse_id(pk)).first()
    if row is None:
        raise NotFound(_("Not found, or outside your area."))
    return row


def poll_result(poll: Poll) -> dict:
    """The published count; refused while the poll is open (no partial tallies leak)."""
    if poll.state != PollState.CLOSED:
        raise Conflict(_("Results are published when the poll closes."), code="results_hidden")
    return {**poll.result, "turnout_rate": rate(poll.result["ballots"], poll.result["electorate"])}


TOPIC_FIELDS = ("id", "org_code", "title", "state", "raised_by_kind", "raiser_name", "created_at")
RESOLUTION_FIELDS = (
    "id", "topic_id", "text", "owner", "deadline", "state", "progress", "done_at", "case_id",
)  # fmt: skip


def board(user, *, state: str | None = None, limit: int = 200) -> list[dict]:
    """The deliberation board: the latest topics of the reader's area, each with its
    resolutions (two queries; rows as dicts with their labels: the board of a district
    reads hundreds of rows)."""
    topics = visible(Topic, user).order_by("-created_at", "-id")
    if state:
        topics = topics.filter(state=state)
    rows = list(topics.values(*TOPIC_FIELDS)[:limit])
    states, kinds = dict(TopicState.choices), dict(RaisedBy.choices)
    res_states = dict(ResolutionState.choices)
    by_topic: dict[int, list[dict]] = {}
    # The page's topics again as a subquery (read from the index), not as a list of 200
    # parameters the driver would bind one by one; the range of their ids lets the
    # database read the resolutions by the topic index instead of scanning them all.
    ids = [t["id"] for t in rows] or [0]
    resolutions = Resolution.objects.filter(
        topic_id__gte=min(ids), topic_id__lte=max(ids), topic__in=topics.values("id")[:limit]
    )
    for r in resolutions.order_by("deadline", "id").values(*RESOLUTION_FIELDS):
        r["state_label"] = res_states[r["state"]]
        by_topic.setdefault(r["topic_id"], []).append(r)
    for t in rows:
        t["state_label"], t["raised_by_label"] = states[t["state"]], kinds[t["raised_by_kind"]]
        t["resolutions"] = by_topic.get(t["id"], [])
    return rows


def deliberation_counts(
    code: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict:
    """Resolutions done (the 商议解决问题 N 件) of an area, of all resolutions."""
    qs = Resolution.objects.filter(org_code__within=code)
    done = qs.filter(state=ResolutionState.DONE)
    if start is not None:
        done = done.filter(done_at__gte=start, done_at__lt=end)
        qs = qs.filter(created_at__lt=end)
    agg = qs.aggregate(n=Count("id"), done=Count("id", filter=Q(state=ResolutionState.DONE)))
    return {
        "resolutions": agg["n"],
        "done": done.count(),
        "done_rate": rate(agg["done"], agg["n"]),
        "meetings": Meeting.objects.filter(org_code__within=code, held=True).count(),
    }


def satisfaction(survey: Survey) -> dict:
    """满意率 of the survey's satisfaction question: satisfied answers of all answers."""
    q = survey.satisfaction_question_id
    if q is None:
        return rate(0, 0)
    agg = Answer.objects.filter(question_id=q).aggregate(
        n=Count("id"), ok=Count("id", filter=Q(option__satisfied=True))
    )
    return rate(agg["ok"], agg["n"])


def survey_results(survey: Survey) -> dict:
    """Per question: counts per option (per row for a matrix), the ratings' distribution
    and mean; text answers counted (read them in the export). One GROUP BY in all."""
    questions = list(survey.questions.prefetch_related("options"))
    counts: dict[tuple, int] = {}
    for qid, opt, row, value, n in (
        Answer.objects.filter(question__in=[q.pk for q in questions])
        .values_list("question", "option", "row", "value")
        .annotate(n=Count("id"))
        .values_list("question", "option", "row", "value", "n")
    ):
        counts[(qid, opt, row, value)] = n
    out = []
    for q in questions:
        item = {"id": q.pk, "text": q.text, "kind": q.kind}
        mine = {k: n for k, n in counts.items() if k[0] == q.pk}
        item["answered"] = sum(mine.values()) if q.kind in ("single", "rating", "text") else None
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            item["options"] = [
                {"label": o.label, "n": mine.get((q.pk, o.pk, None, None), 0)}
                for o in q.options.all()
            ]
        elif q.kind == QuestionKind.RATING:
            dist = {v: mine.get((q.pk, None, None, v), 0) for v in range(1, 6)}
            total = sum(dist.values())
            item["ratings"] = dist
            item["mean"] = round(sum(v * n for v, n in dist.items()) / total, 2) if total else None
        elif q.kind == QuestionKind.MATRIX:
            item["rows"] = [
                {
                    "label": label,
                    "options": [
                        {"label": o.label, "n": mine.get((q.pk, o.pk, i, None), 0)}
                        for o in q.options.all()
                    ],
                }
                for i, label in enumerate(q.rows)
            ]
        out.append(item)
    responses = Response.objects.filter(survey=survey).count()
    return {"responses": responses, "questions": out, "satisfaction": satisfaction(survey)}


def call_counts(call: SuggestionCall) -> dict:
    """Suggestions, people (distinct phones or names, else each one) and replies."""
    rows = list(call.suggestions.values_list("phone_hash", "name", "reply"))
    people = {h or (f"n:{n}" if n else f"#{i}") for i, (h, n, _r) in enumerate(rows)}
    return {
        "suggestions": len(rows),
        "people": len(people),
        "replied": rate(sum(1 for r in rows if r[2]), len(rows)),
    }


def public_board(community_code: str, today: dt.date):
    return BoardEntry.objects.filter(
        org_code=community_code,
        state=BoardState.PUBLISHED,
        publish_from__lte=today,
        publish_until__gte=today,
    ).order_by("color", "-publish_from", "-id")


def figures(code: str, start: dt.date, end: dt.date) -> dict:
    """The command center's section: resolutions done in the period (of all resolutions
    open in it), meetings held, polls closed and their turnout, 满意率 with its N (the
    satisfaction questions of the area's surveys), suggestions and replies — from records,
    every rate with its denominator. Five queries, however many surveys or polls."""
    from gongzhi.core.dates import period_bounds

    lo, hi = period_bounds(start, end)
    res = Resolution.objects.filter(org_code__within=code, created_at__lt=hi).aggregate(
        n=Count("id", filter=Q(done_at__isnull=True) | Q(done_at__gte=lo)),
        done=Count("id", filter=Q(done_at__gte=lo, done_at__lt=hi)),
    )
    meetings = Meeting.objects.filter(
        org_code__within=code, held=True, starts_at__gte=lo, starts_at__lt=hi
    ).count()
    results = list(
        Poll.objects.filter(
            org_code__within=code, state=PollState.CLOSED, closed_at__gte=lo, closed_at__lt=hi
        ).values_list("result", flat=True)
    )
    sat = Answer.objects.filter(
        question__survey__org_code__within=code,
        question__survey__satisfaction_question=F("question"),
        response__at__gte=lo,
        response__at__lt=hi,
    ).aggregate(n=Count("id"), ok=Count("id", filter=Q(option__satisfied=True)))
    sugg = Suggestion.objects.filter(call__org_code__within=code, at__gte=lo, at__lt=hi).aggregate(
        n=Count("id"), replied=Count("id", filter=~Q(reply=""))
    )
    return {
        "resolutions_done": res["done"],
        "resolutions_done_rate": rate(res["done"], res["n"]),
        "meetings": meetings,
        "polls": len(results),
        "turnout": rate(
            sum(r.get("ballots", 0) for r in results), sum(r.get("electorate", 0) for r in results)
        ),
        "satisfaction": rate(sat["ok"], sat["n"]),
        "suggestions": sugg["n"],
        "replied": rate(sugg["replied"], sugg["n"]),
    }


def resident_polls(phone_hash: str):
    """The polls (open or closed) in which a verified phone stands for a frozen voter."""
    from gongzhi.registry.models import Resident

    residents = Resident.objects.filter(phone_hash=phone_hash, is_active=True)
    return (
        Poll.objects.filter(
            Q(voters__household__in=residents.values("household"))
            | Q(voters__resident__in=residents)
        )
        .distinct()
        .order_by("-id")
    )


def resident_poll(phone_hash: str, poll_id) -> Poll:
    poll = resident_polls(phone_hash).filter(pk=parse_id(poll_id)).first()
    if poll is None:
        raise NotFound(_("Not found."))
    return poll


def for_resident(phone_hash: str) -> dict:
    """/my/decide/: my polls, the open verified surveys and calls of my community."""
    from gongzhi.registry.models import Resident

    codes = {
        c[:12]
        for c in Resident.objects.filter(phone_hash=phone_hash, is_active=True).values_list(
            "org_code", flat=True
        )
    }
    area = Q(pk__in=[])
    for code in codes:
        area |= Q(org_code__within=code)
    today = timezone.localdate()
    return {
        "polls": list(resident_polls(phone_hash)[:20]),
        "surveys": list(
            Survey.objects.filter(area, is_open=True, mode="verified").order_by("-id")[:20]
        ),
        "calls": list(
            SuggestionCall.objects.filter(area, deadline__gte=today).order_by("-id")[:20]
        ),
        "board_codes": sorted(codes),
        "notices": notices_for(phone_hash),
    }


def outreach_counts(code: str, start: dt.date, end: dt.date) -> dict:
    """ "法治宣传 N 场次，覆盖 M 人次": sessions and attendance per kind, from records."""
    rows = (
        Outreach.objects.filter(org_code__within=code, held_on__gte=start, held_on__lte=end)
        .values("kind")
        .annotate(sessions=Count("id"), people=Sum("attendance"))
    )
    return {r["kind"]: {"sessions": r["sessions"], "people": r["people"] or 0} for r in rows}


def notices_for(phone_hash: str) -> list:
    """The notices of the areas a verified phone's residents live in (their community's,
    their grid's, their building's), newest first, with read counts."""
    from gongzhi.registry.models import Resident

    homes = list(
        Resident.objects.filter(phone_hash=phone_hash, is_active=True).values_list(
            "org_code", "household__building"
        )
    )
    area = Q(pk__in=[])
    for code, building in homes:
        area |= Q(building__isnull=True, org_code__in=_prefixes(code))
        if building:
            area |= Q(building_id=building)
    return list(Notice.objects.filter(area).annotate(read=Count("reads")).order_by("-id")[:20])


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in range(6, len(code) + 1, 3)]


def workbench(user) -> dict | None:
    """The workbench panel: topics still to discuss, resolutions past their deadline, polls
    open — in the area the user sees residents' decisions in."""
    scope = scope_for(user, perms.VIEW)
    if scope.is_empty:
        return None
    return {
        "topics": Topic.objects.filter(scope.q("org_code"), state="open").count(),
        "late": Resolution.objects.filter(
            scope.q("org_code"), state="open", deadline__lt=timezone.localdate()
        ).count(),
        "polls": Poll.objects.filter(scope.q("org_code"), state="open").count(),
    }
