"""A case with its timeline and its actions: one small form per action the user may take
now (from the action catalogue, cases.actions), each carrying the version the page showed.

A refused action shows the page again with the service's message in place (400 for bad
input, 409 for "already changed" or a step no longer allowed); a case outside the user's
area, or an action the user may not take, is the error page (404 / 403)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gongzhi.cases import actions, selectors, services
from gongzhi.cases.kinds import GENERAL, event_label, get_kind
from gongzhi.cases.models import Rating, RequestStatus, State, Supervision
from gongzhi.cases.views.common import clock_of, form_errors
from gongzhi.core import permissions
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.roles import CODE_LENGTH, Level, Perm
from gongzhi.orgs import selectors as orgs

LOCAL_LEVELS = (Level.COMMUNITY, Level.GRID, Level.MICROGRID)


def _labels() -> dict[str, str]:
    """Button and timeline labels: the catalogue's, the loop's own timeline rows, and the
    kinds' rows (cases.kinds.event_label)."""
    labels = actions.labels()
    labels.update(
        {
            "report": _("Reported"),
            "self_handle": _("Reported and handled on the spot"),
            "merged_in": _("A duplicate was merged in"),
        }
    )
    return labels


def _label(labels: dict, action: str) -> str:
    return labels.get(action) or event_label(action) or action


def _event_details(event) -> list[str]:
    """A few words on what a timeline row changed, beside its note."""
    d = event.data or {}
    out = []
    if event.action == "dispatch":
        out.append(d.get("department") or d.get("unit") or "")
    elif event.action == "callback":
        out.append(_("Solved") if d.get("solved") else _("Not solved"))
        if d.get("rating"):
            out.append(str(Rating(d["rating"]).label) if d["rating"] in Rating.values else "")
    elif event.action == "supervise" and isinstance(d.get("level"), list):
        level = d["level"][-1]
        out.append(str(Supervision(level).label) if level in Supervision.values else "")
    elif event.action == "request_extension" and d.get("days"):
        out.append(_("%(n)s working days") % {"n": d["days"]})
    elif event.action == "decide_extension":
        out.append(_("Approved") if d.get("approved") else _("Refused"))
    elif event.action in ("merge", "merged_in"):
        out.append(d.get("into") or d.get("from") or "")
    elif event.action == "escalate" and d.get("level"):
        out.append(_("Level %(n)s") % {"n": d["level"]})
    return [x for x in out if x]


def _state_label(state: str) -> str:
    return str(State(state).label) if state in State.values else state


def _dispatch_extra(case, user, pending, chain):
    if chain is None:
        chain = [*orgs.unit_ancestors(case.grid), case.grid]
    return {
        "departments": list(
            orgs.departments_visible_to(user)
            .filter(is_active=True, district__code=case.org_code[: CODE_LENGTH[Level.DISTRICT]])
            .order_by("name")
        ),
        "units": [
            u
            for u in chain
            if u.level in LOCAL_LEVELS and permissions.can(user, Perm.CASE_TRIAGE, u)
        ],
        "people": get_kind(case.kind).assignable is not None,
    }


def _register_extra(case, user, pending, chain):
    # The grids of the case's community the operator covers, to correct a wrong one.
    community = case.org_code[: CODE_LENGTH[Level.COMMUNITY]]
    return {
        "grids": list(
            orgs.units_visible_to(user, Perm.CASE_TRIAGE)
            .filter(level__in=(Level.GRID, Level.MICROGRID), code__within=community)
            .order_by("code")[:200]
        )
    }


FORM_EXTRA = {
    "dispatch": _dispatch_extra,
    "register": _register_extra,
    "decide_extension": lambda case, user, pending, chain: {"requests": pending},
}


def _form_for(action, case, *, user, pending, chain=None, data=None, files=None):
    extra_of = action.form_extra or FORM_EXTRA.get(action.name)
    extra: dict[str, Any] = extra_of(case, user, pending, chain) if extra_of else {}
    initial = {"version": case.version}
    if action.name == "decide_extension" and pending:
        initial["request_id"] = pending[0].pk
    form = action.form(data, files, initial=initial, case=case, action=action.name, **extra)
    form.actor = user
    return form


def _detail(
    request, case_id, *, failed: tuple[str, Any] | None = None, error: str = "", status=200
):
    user = request.user
    case = selectors.case_for(user, case_id)
    now = timezone.now()
    events = selectors.timeline(case)
    chain = [*orgs.unit_ancestors(case.grid), case.grid]
    by_code = {u.code: u for u in chain}
    pending = list(
        case.extension_requests.filter(status=RequestStatus.PENDING).select_related("requested_by")
    )
    related = {
        c.pk: c
        for c in selectors.cases_visible_to(user).filter(
            Q(pk__in=[x for x in (case.repeat_of_id, case.merged_into_id) if x])
            | Q(merged_into=case)
            | Q(repeat_of=case)
        )
    }
    shown = [a.name for a in actions.available(case, user, pending)]
    if failed and failed[0] not in shown and not error:
        # The form is no longer offered (the case moved on): say why above the actions.
        error = " ".join(str(m) for errors in failed[1].errors.values() for m in errors)
    action_forms = []
    for key in shown:
        if failed and failed[0] == key:
            form = failed[1]
            data = form.data.copy()
            data["version"] = case.version  # the page now shows the case as it is
            form.data = data
        else:
            form = _form_for(actions.get(key), case, chain=chain, user=user, pending=pending)
        action_forms.append({"key": key, "form": form})
    primary = next((a["key"] for a in action_forms if actions.get(a["key"]).primary), None)
    labels = _labels()
    for a in action_forms:
        a["label"] = _label(labels, a["key"])
        a["primary"] = a["key"] == primary
        a["open"] = bool(failed and failed[0] == a["key"])
    timeline = [
        {
            "e": e,
            "label": _label(labels, e.action),
            "from": _state_label(e.from_state) if e.from_state else "",
            "to": _state_label(e.to_state) if e.to_state and e.to_state != e.from_state else "",
            "details": _event_details(e),
            "photos": list(e.attachments.all()),
        }
        for e in events
    ]
    intake = next((t for t in timeline if t["e"].action in ("report", "self_handle")), None)
    map_data = None
    if case.lng is not None and case.lat is not None:
        map_data = {"point": [case.lng, case.lat], "grid": case.grid.boundary}
    kind = get_kind(case.kind)
    context = {
        "case": case,
        "kind": kind if kind.code != GENERAL.code else None,
        "details": kind.details(case),
        "details_template": kind.details_template,
        "clock": clock_of(case, now),
        "chain": [u for u in chain if u.level not in (Level.DISTRICT,)],
        "assignee": by_code.get(case.assignee_code) if case.assignee_code else None,
        "repeat_of": related.get(case.repeat_of_id),
        "merged_into": related.get(case.merged_into_id),
        "merged": [c for c in related.values() if c.merged_into_id == case.pk],
        "repeats": [c for c in related.values() if c.repeat_of_id == case.pk],
        "pending": pending,
        "timeline": timeline,
        "intake_photos": intake["photos"] if intake else [],
        "reported_by_name": intake["e"].actor_name if intake else "",
        "actions": action_forms,
        "action_error": error,
        "can_reveal": bool(
            (case.reporter_phone_masked or case.reporter_resident_id)
            and permissions.can(user, Perm.CASE_REVEAL, case)
        ),
        "can_reveal_text": bool(case.text_enc) and permissions.can(user, Perm.CASE_REVEAL, case),
        "map_data": map_data,
        "tile_url": getattr(settings, "MAP_TILE_URL", "") or "",
        "active_nav": "cases",
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
@require_GET
def case_detail(request, case_id):
    return _detail(request, case_id)


@login_required
@require_POST
def case_act(request, case_id, action):
    """One action from the case page, through its service."""
    spec = actions.get(action)
    if spec is None:
        raise NotFound(_("Not found."))
    user = request.user
    case = selectors.case_for(user, case_id)
    pending = list(case.extension_requests.filter(status=RequestStatus.PENDING))
    form = _form_for(spec, case, user=user, pending=pending, data=request.POST, files=request.FILES)
    if not form.is_valid():
        return _detail(request, case.pk, failed=(action, form), status=400)
    try:
        d = form.cleaned_data
        spec.run(
            actor=user, case_id=case.pk, version=d["version"], **spec.inputs_from_form(d, form)
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        if exc.status == 409:
            return _detail(request, case.pk, failed=(action, form), error=exc.message, status=409)
        form_errors(form, exc)
        return _detail(request, case.pk, failed=(action, form), status=exc.status)
    # An action may take the case out of the actor's sight (a department handler who
    # returns it, a grid worker who hands it on): back to their list, not to a 404.
    if not selectors.cases_visible_to(user).filter(pk=case.pk).exists():
        messages.success(
            request,
            _("%(done)s Case %(number)s has left your list.")
            % {"done": spec.done, "number": case.number},
        )
        return redirect("cases")
    messages.success(request, str(spec.done))
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def case_reveal(request, case_id):
    """The reporter's phone in full (htmx swaps it in); the service audits it."""
    value = services.case_reveal_phone(actor=request.user, case_id=case_id)
    return render(request, "cases/_revealed.html", {"value": value})


@login_required
@require_POST
def case_reveal_text(request, case_id):
    """The title and description as written (htmx swaps them in); the service audits it."""
    text = services.case_reveal_text(actor=request.user, case_id=case_id)
    return render(request, "cases/_text_revealed.html", {"text": text})


# -- extension requests ------------------------------------------------------------------
