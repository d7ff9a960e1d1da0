"""Open311 reads: the public services and the public view of cases.

Every case in a public category is listed, whatever channel it came in by; only its
public facts are: the problem, the place, the state, the deadline, the unit handling it.
Reporter names, phones and emails never leave, and phone-number-like or ID-number-like
digits and the reporter's name are masked in the free text.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases.models import FINAL_STATES, Case, Category
from gongzhi.core import dates
from gongzhi.core.errors import Invalid
from gongzhi.core.pii_text import mask_personal_text
from gongzhi.core.roles import CODE_LENGTH, Level
from gongzhi.open311.models import ServiceAttribute
from gongzhi.orgs.models import OrgUnit

MAX_DAYS = 90
MAX_RESULTS = 1000
# Far past any list a client pages through (a 90-day window), and an offset every
# database holds.
MAX_PAGE = 10_000


def public_text(text: str, names=()) -> str:
    """`text` for anyone to read: phones and 身份证号 in any written form, and their masks,
    as *** (core.pii_text), and the reporter's names starred out."""
    text = mask_personal_text(text or "", public=True)
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            text = text.replace(name, "*" * len(name))
    return text


def public_services():
    """Public active categories of active groups, with whether each has attributes."""
    return (
        Category.objects.filter(
            is_public=True, is_active=True, parent__isnull=False, parent__is_active=True
        )
        .select_related("parent")
        .prefetch_related(
            Prefetch(
                "open311_attributes",
                queryset=ServiceAttribute.objects.order_by("order", "code"),
            )
        )
        .order_by("parent__sort", "parent__code", "sort", "code")
    )


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    status: str = ""
    page: int = 1
    page_size: int = MAX_RESULTS


def _invalid(name: str, message: str) -> Invalid:
    return Invalid(message, details={name: [message]})


def _positive(value, name: str, default: int, maximum: int) -> int:
    if value in (None, ""):
        return default
    text = str(value).strip()
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0
    if not 1 <= number <= maximum:
        message = _("A whole number from 1 to %(max)d.") % {"max": maximum}
        raise _invalid(name, message)
    return number


def _list(value) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))


def request_query(params, now: dt.datetime | None = None) -> RequestQuery:
    """The filters of GET requests from the query string; Invalid (400) when a value is
    unreadable, the range is reversed, or it spans more than 90 days. Without dates the
    last 90 days are listed; one date alone makes a 90-day range from it."""
    now = now or timezone.now()
    ids = _list(params.get("service_request_id"))
    if len(ids) > MAX_RESULTS:
        raise _invalid(
            "service_request_id",
            _("At most %(n)d values.") % {"n": MAX_RESULTS},
        )
    page = _positive(params.get("page"), "page", 1, MAX_PAGE)
    page_size = _positive(params.get("page_size"), "page_size", MAX_RESULTS, MAX_RESULTS)
    if ids:
        # The spec: service_request_id overrides every other filter.
        return RequestQuery(ids=ids, page=page, page_size=page_size)
    start = dates.parse_moment(params.get("start_date"), "start_date")
    end = dates.parse_moment(params.get("end_date"), "end_date")
    span = dt.timedelta(days=MAX_DAYS)
    if start is None and end is None:
        start, end = now - span, now
    elif start is None:
        start = end - span
    elif end is None:
        end = start + span
    if end < start:
        raise _invalid("end_date", _("It is before start_date."))
    if end - start > span:
        raise _invalid(
            "end_date", _("The date range may span at most %(n)d days.") % {"n": MAX_DAYS}
        )
    status = (params.get("status") or "").strip().lower()
    if status not in ("", "open", "closed"):
        raise _invalid("status", _("Either open or closed."))
    return RequestQuery(
        service_codes=_list(params.get("service_code")),
        start=start,
        end=end,
        status=status,
        page=page,
        page_size=page_size,
    )


def public_cases():
    return Case.objects.filter(category__is_public=True).select_related(
        "category", "department", "open311"
    )


def public_requests(query: RequestQuery) -> list[Case]:
    """One page of public cases, newest first. The date range uses the reported_at index
    (with the category one when service codes are given); one query, plus one for the
    names of the communities handling them (agency_names)."""
    qs = public_cases()
    if query.ids:
        qs = qs.filter(number__in=query.ids)
    else:
        qs = qs.filter(reported_at__gte=query.start, reported_at__lte=query.end)
        if query.service_codes:
            qs = qs.filter(category__code__in=query.service_codes)
        if query.status == "closed":
            qs = qs.filter(state__in=FINAL_STATES)
        elif query.status == "open":
            qs = qs.exclude(state__in=FINAL_STATES)
    offset = (query.page - 1) * query.page_size
    return list(qs.order_by("-reported_at", "-id")[offset : offset + query.page_size])


def public_case(number: str) -> Case | None:
    return public_cases().filter(number=number).first() if number else None


_COMMUNITY = CODE_LENGTH[Level.COMMUNITY]


def community_code(case: Case) -> str:
    code = case.assignee_code or case.org_code
    return code[:_COMMUNITY] if len(code) >= _COMMUNITY else code


def agency_names(cases) -> dict[str, str]:
    """Names of the communities (or the units themselves, above community level) that
    answer for cases handled by no department: one query for a whole page."""
    codes = {community_code(c) for c in cases if not c.department_id}
    if not codes:
        return {}
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))
