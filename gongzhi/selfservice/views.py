"""Resident self-service pages under /my/: no account, a phone proven by an SMS code.

Mobile first (they open inside WeChat's browser). Every refusal re-renders the page with
the service's message and its status: 400 for bad input, 429 for too many requests."""

import uuid

from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Rating, State
from gongzhi.core import crypto
from gongzhi.core.context import client_ip
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.registry import pii
from gongzhi.selfservice import forms, services

MAX_INFO = case_services.MAX_NOTE
MAX_DESCRIPTION = case_services.MAX_DESCRIPTION


def _ip() -> str | None:
    return client_ip.get()


def _next(request, default: str) -> str:
    """Where to go after the phone is proven: a page of /my/ only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/my/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default


def _need_phone(request):
    return redirect(f"{reverse('my_phone')}?next={request.path}")


def _errors(exc: DomainError) -> dict:
    return exc.details if isinstance(exc.details, dict) else {}


def _page(request, template: str, context: dict, status: int = 200):
    context.setdefault("held", services.verified(request.session))
    context.setdefault(
        "my_tab",
        {"report.html": "report", "reports.html": "reports", "detail.html": "reports"}.get(
            template, ""
        ),
    )
    return render(request, f"selfservice/{template}", context, status=status)


@never_cache
@require_GET
def home(request):
    held = services.verified(request.session)
    recent = list(services.my_cases(held["hash"])[:3]) if held else []
    return _page(request, "home.html", {"recent": recent, "status_words": services.STATUS_WORDS})


@never_cache
def phone(request):
    """Step 1: the mobile number; a code is sent to it."""
    context = {"next": _next(request, reverse("my_report")), "phone": ""}
    if request.method == "POST":
        context["phone"] = request.POST.get("phone", "")[:20]
        try:
            number = services.send_code(phone=context["phone"], ip=_ip())
        except DomainError as exc:
            context.update(error=exc.message, errors=_errors(exc))
            return _page(request, "phone.html", context, status=exc.status)
        request.session[services.PENDING_KEY] = {
            "enc": crypto.encrypt(number, purpose=pii.PHONE_PURPOSE),
            "masked": crypto.mask_phone(number),
        }
        return redirect(f"{reverse('my_code')}?next={context['next']}")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _page(request, "phone.html", context)


@never_cache
def code(request):
    """Step 2: the code from the text message (or another one sent)."""
    pending = request.session.get(services.PENDING_KEY)
    nxt = _next(request, reverse("my_report"))
    if not pending:
        return redirect(f"{reverse('my_phone')}?next={nxt}")
    context = {"next": nxt, "masked": pending["masked"]}
    if request.method == "POST":
        number = crypto.decrypt(pending["enc"], purpose=pii.PHONE_PURPOSE)
        try:
            if request.POST.get("resend"):
                services.send_code(phone=number, ip=_ip())
                context["sent_again"] = True
                return _page(request, "code.html", context)
            sealed = services.verify_code(
                phone=number, code=request.POST.get("code", "")[:12], ip=_ip()
            )
        except DomainError as exc:
            context.update(error=exc.message, errors=_errors(exc))
            return _page(request, "code.html", context, status=exc.status)
        services.remember(request.session, sealed)
        return redirect(nxt)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _page(request, "code.html", context)


@require_POST
def signout(request):
    services.forget(request.session)
    return redirect("my_home")


def _report_context(request, values=None) -> dict:
    values = values or {}
    return {
        "groups": forms.category_groups(),
        "communities": forms.communities(),
        "buildings": forms.buildings_in(values.get("community")) if values.get("community") else [],
        "values": values,
        "key": values.get("key") or uuid.uuid4().hex,
        "max_description": MAX_DESCRIPTION,
        "max_photos": case_services.MAX_PHOTOS,
    }


@never_cache
def report(request):
    held = services.verified(request.session)
    if held is None:
        return _need_phone(request)
    if request.method == "GET":
        return _page(request, "report.html", _report_context(request))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    p = request.POST
    values = {
        "category": p.get("category_id", ""),
        "description": p.get("description", ""),
        "name": p.get("name", ""),
        "lng": p.get("lng", ""),
        "lat": p.get("lat", ""),
        "crs": p.get("crs") or "wgs84",
        "community": p.get("community", ""),
        "building": p.get("building_id", ""),
        "address": p.get("address", ""),
        "key": p.get("idempotency_key", "")[:64],
    }
    try:
        case, _created = services.report(
            held=held,
            ip=_ip(),
            name=values["name"],
            category_id=values["category"],
            description=values["description"],
            lng=values["lng"] or None,
            lat=values["lat"] or None,
            crs=values["crs"],
            building_id=values["building"] or None,
            address=values["address"],
            photos=request.FILES.getlist("photos"),
            idempotency_key=values["key"],
        )
    except case_services.IdempotencyConflict as exc:
        # The form's key made a report with other content: this one goes with a new key.
        context = _report_context(request, {**values, "key": ""})
        context.update(error=str(exc.page_message), errors={})
        return _page(request, "report.html", context, status=exc.status)
    except DomainError as exc:
        context = _report_context(request, values)
        context.update(error=exc.message, errors=_errors(exc))
        return _page(request, "report.html", context, status=exc.status)
    return redirect(f"{reverse('my_report_detail', args=[case.pk])}?new=1")


@never_cache
@require_GET
def my_grid(request):
    """我的网格员: who serves the resident's home — the grid, its workers, the grid's and the
    community's service phones (the public board at the gate). With a verified phone that
    the registry knows, the homes registered with it; anyone may look a building up."""
    held = services.verified(request.session)
    places = services.my_places(held) if held else []
    building = forms.public_building(request.GET.get("building"))
    looked_up = services.places_of_building(building) if building else []
    community = request.GET.get("community", "")
    return _page(
        request,
        "grid.html",
        {
            "places": places,
            "places_ctx": {"places": places},
            "looked_up_ctx": {"places": looked_up},
            "building": building,
            "communities": forms.communities(),
            "community": community,
            "buildings": forms.buildings_in(community) if community else [],
            "my_tab": "grid",
        },
    )


@require_GET
def buildings(request):
    """The building options (public names) within a community or near the phone."""
    if request.GET.get("community"):
        rows = forms.buildings_in(request.GET["community"])
    else:
        rows = forms.buildings_near(request.GET.get("lng"), request.GET.get("lat"))
    return render(request, "selfservice/_building_options.html", {"buildings": rows})


@never_cache
@require_GET
def reports(request):
    held = services.verified(request.session)
    if held is None:
        return _need_phone(request)
    cases = list(services.my_cases(held["hash"])[:100])
    return _page(request, "reports.html", {"cases": cases, "status_words": services.STATUS_WORDS})


def _detail(request, held, case_id, status=200, **extra):
    case = services.my_case(held["hash"], case_id)
    context = {
        "case": case,
        "status_word": services.STATUS_WORDS.get(case.state, case.get_state_display()),
        "timeline": services.public_timeline(case),
        "new": request.GET.get("new") == "1",
        "can_rate": case.state == State.CLOSED and case.callback_at is None,
        "can_add": case.state in services.REPORTER_OPEN_STATES,
        "ratings": Rating.choices,
        "max_info": MAX_INFO,
        "values": {},
        **extra,
    }
    return _page(request, "detail.html", context, status=status)


@never_cache
@require_GET
def report_detail(request, case_id):
    held = services.verified(request.session)
    if held is None:
        return _need_phone(request)
    return _detail(request, held, case_id)


@require_POST
def rate(request, case_id):
    held = services.verified(request.session)
    if held is None:
        return _need_phone(request)
    p = request.POST
    solved = p.get("solved")
    try:
        if solved not in ("yes", "no"):
            message = services.choose_solved_message()
            raise services.Invalid(message, details={"solved": [message]})
        case_services.case_callback_by_reporter(
            phone_hash=held["hash"],
            case_id=case_id,
            solved=solved == "yes",
            rating=p.get("rating", ""),
            note=p.get("note", ""),
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _detail(
            request,
            held,
            case_id,
            status=exc.status,
            rate_error=exc.message,
            values={"solved": solved, "rating": p.get("rating", ""), "note": p.get("note", "")},
        )
    return redirect("my_report_detail", case_id=case_id)


@require_POST
def add_info(request, case_id):
    held = services.verified(request.session)
    if held is None:
        return _need_phone(request)
    try:
        case_services.case_add_info_by_reporter(
            phone_hash=held["hash"],
            case_id=case_id,
            note=request.POST.get("note", ""),
            photos=request.FILES.getlist("photos"),
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _detail(
            request,
            held,
            case_id,
            status=exc.status,
            info_error=exc.message,
            values={"note": request.POST.get("note", "")},
        )
    return redirect("my_report_detail", case_id=case_id)


@require_GET
def photo(request, case_id, attachment_id, thumb):
    """A photo of the resident's own case, from a public timeline row only."""
    held = services.verified(request.session)
    if held is None:
        raise NotFound(services.photo_missing_message())
    att = services.my_photo(held["hash"], case_id, attachment_id)
    stored = att.thumb if thumb else att.file
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise NotFound(services.photo_missing_message()) from None
    response = FileResponse(handle, content_type="image/jpeg" if thumb else att.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response
