"""GeoReport v2 endpoints: parse, call one service or selector, render in the format the
suffix asks for. Every refusal is the spec's `errors` body in that format (XML when the
suffix itself is not one we serve)."""

import functools

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gongzhi.cases.models import FINAL_STATES, Case
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http import unavailable
from gongzhi.open311 import selectors, services
from gongzhi.open311.formats import FORMATS, format_of, render, render_errors

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API's description last changed (Service Discovery `changeset`).
CHANGESET = "2026-12-07T00:00:00+08:00"

# Case-loop field names as an Open311 client knows them.
FIELD_NAMES = {
    "reporter_phone": "phone",
    "reporter_name": "first_name",
    "address": "address_string",
    "category_id": "service_code",
    "building_id": "address_id",
}


def _describe(exc: DomainError) -> str:
    if isinstance(exc.details, dict) and exc.details:
        parts = []
        for field, messages in exc.details.items():
            if isinstance(messages, (list, tuple)):
                for message in messages:
                    parts.append(f"{FIELD_NAMES.get(field, field)}: {message}")
        if parts:
            return "; ".join(parts)
    return exc.message


def _status(exc: DomainError) -> int:
    return exc.status if exc.status in (403, 404, 422) else 400


def open311(view):
    """Checks the format suffix and jurisdiction_id, and turns DomainErrors into the spec's
    error replies: 404 unknown resource or jurisdiction, 403 api_key, 422 an
    Idempotency-Key used for a different request (its description begins with the code,
    idempotency_conflict), 400 otherwise; and the database out of reach into 503 with
    Retry-After (the description begins with "unavailable")."""

    @csrf_exempt  # machines' endpoints: the api_key authenticates a POST
    @functools.wraps(view)
    def wrapper(request, fmt, **kwargs):
        if fmt not in FORMATS:
            return render_errors("xml", 404, _("Unsupported format: use .xml or .json."))
        expected = settings.OPEN311_JURISDICTION_ID
        given = (request.POST.get("jurisdiction_id") if request.method == "POST" else "") or (
            request.GET.get("jurisdiction_id")
        )
        if expected and given and given.strip() != expected:
            return render_errors(fmt, 404, _("Unknown jurisdiction_id."))
        try:
            return view(request, fmt, **kwargs)
        except DomainError as exc:
            description = _describe(exc)
            if exc.status == 422:
                description = f"{exc.code}: {description}"
            return render_errors(fmt, _status(exc), description)
        except (OperationalError, InterfaceError) as exc:
            if not unavailable.database_unavailable(exc):
                raise
            response = render_errors(fmt, 503, f"{unavailable.CODE}: {unavailable.MESSAGE}")
            return unavailable.mark(response, exc)

    return wrapper


def _not_allowed(fmt, allowed: str):
    response = render_errors(fmt, 405, _("Method not allowed."))
    response["Allow"] = allowed
    return response


def _get_only(request, fmt):
    if request.method not in ("GET", "HEAD"):
        return _not_allowed(fmt, "GET, HEAD")
    return None


def _iso(value) -> str | None:
    """ISO 8601 with the installation's offset (+08:00), to the second."""
    if value is None:
        return None
    return timezone.localtime(value, timezone.get_default_timezone()).isoformat(timespec="seconds")


@open311
def discovery(request, fmt):
    if refused := _get_only(request, fmt):
        return refused
    url = request.build_absolute_uri(reverse("open311:root"))
    return render(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": _("Contact the system administrator of this platform."),
            "key_service": _(
                "The api_key is an API token issued by the system administrator, for an "
                "account allowed to report problems in its area. Send each POST with an "
                "Idempotency-Key header (new for each request): a resent request then "
                "answers with the first one's service_request_id and is never stored twice, "
                "and the same key with a different request is refused with 422. A timeout, "
                "a lost connection or a 5xx does not mean the request was not stored: "
                "resend it with the same key."
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url.rstrip("/"),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@open311
def service_list(request, fmt):
    if refused := _get_only(request, fmt):
        return refused
    return render(
        fmt,
        "services",
        [
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": category.description,
                "metadata": bool(category.open311_attributes.all()),
                "type": "realtime",
                "keywords": "",
                "group": category.parent.name,
            }
            for category in selectors.public_services()
        ],
    )


@open311
def service_definition(request, fmt, code):
    if refused := _get_only(request, fmt):
        return refused
    category = selectors.public_services().filter(code=code).first()
    if category is None:
        raise NotFound(_("No service has this service_code."))
    return render(
        fmt,
        "service_definition",
        {
            "service_code": category.code,
            "attributes": [
                {
                    "variable": attr.variable,
                    "code": attr.code,
                    "datatype": attr.datatype,
                    "required": attr.required,
                    "datatype_description": attr.datatype_description,
                    "order": attr.order,
                    "description": attr.description,
                    **(
                        {
                            "values": [
                                {"key": str(v.get("key")), "name": str(v.get("name"))}
                                for v in attr.values
                            ]
                        }
                        if attr.values
                        else {}
                    ),
                }
                for attr in category.open311_attributes.all()
            ],
        },
    )


def _request_reply(case: Case, agencies: dict[str, str]) -> dict:
    extra = getattr(case, "open311", None)
    names = [case.reporter_name]
    if extra is not None:
        names += [extra.first_name, extra.last_name]
    description = (extra.description if extra is not None else "") or case.description
    closed = case.state in FINAL_STATES
    notes = case.get_state_display()
    if closed and case.result:
        notes = f"{notes}：{case.result}"
    if case.department_id:
        agency = case.department.name
    else:
        agency = agencies.get(selectors.community_code(case), "")
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": selectors.public_text(notes, names),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": selectors.public_text(description, names),
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": _iso(case.reported_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.due_at),
        "address": selectors.public_text(case.address, names),
        "address_id": str(case.building_id) if case.building_id else None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        # Case photos are served to staff only; a media_url is echoed only as the
        # client sent it.
        "media_url": (extra.media_url or None) if extra is not None else None,
    }


def _replies(cases) -> list[dict]:
    agencies = selectors.agency_names(cases)
    return [_request_reply(case, agencies) for case in cases]


@open311
def requests(request, fmt):
    """GET: the public list of service requests; POST: a new one (from machines, so no
    CSRF token: the api_key authenticates it). A POST with an Idempotency-Key header is
    safe to resend: 201 the first time, 200 with the same reply after."""
    if request.method not in ("GET", "HEAD", "POST"):
        return _not_allowed(fmt, "GET, HEAD, POST")
    if request.method == "POST":
        created = services.open311_request_create(
            api_key=request.POST.get("api_key"),
            data=request.POST,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        extra = created.request
        return render(
            fmt,
            "service_requests",
            [
                {
                    "service_request_id": extra.case.number,
                    "token": extra.token,
                    "service_notice": created.service_notice,
                    "account_id": extra.account_id or None,
                }
            ],
            status=201 if created.created else 200,
        )
    if refused := _get_only(request, fmt):
        return refused
    query = selectors.request_query(request.GET)
    return render(fmt, "service_requests", _replies(selectors.public_requests(query)))


@open311
def request_detail(request, fmt, number):
    if refused := _get_only(request, fmt):
        return refused
    case = selectors.public_case(number)
    if case is None:
        raise NotFound(_("No service request has this service_request_id."))
    return render(fmt, "service_requests", _replies([case]))


@open311
def token_detail(request, fmt, token):
    if refused := _get_only(request, fmt):
        return refused
    extra = services.request_by_token(token)
    return render(
        fmt,
        "service_requests",
        [{"service_request_id": extra.case.number, "token": extra.token}],
    )


@csrf_exempt
def not_found(request, path=""):
    return render_errors(format_of(request.path_info), 404, _("No such resource."))


@csrf_exempt
def root(request):
    """The endpoint's base URL (named in discovery): points at the discovery document."""
    return not_found(request)
