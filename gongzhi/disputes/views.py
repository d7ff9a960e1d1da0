"""Pages of disputes: the register (staff with the dispute permission, a mediator their
own), the grid worker's quick register on the phone, a dispute's confidential page (an
audited read), the 人民调解告知书 and 调解协议书 on A4, the screening board with the filing
form and the month's summary, the KPIs, the mediators, and the xlsx downloads.

Reads go through disputes.selectors (outside the user's area: 404); every write is a
service, which checks permission; a refusal shows the page again with the message (its
status: 400, 403, 404, 409).
"""

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core import xlsx
from gongzhi.core.dates import parse_month
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.core.roles import Level
from gongzhi.disputes import exports, perms, selectors, services
from gongzhi.disputes.models import (
    MediatorKind,
    Outcome,
    Performance,
    Risk,
    SessionMode,
    Source,
)
from gongzhi.orgs.models import OrgUnit

PARTY_ROWS = 3
MEDIATOR_LEVELS = (Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID)


def _attempt(request, call):
    try:
        return call(), 200
    except DomainError as exc:
        messages.error(request, exc.message)
        return None, exc.status


def _units(user, perm, levels) -> list[OrgUnit]:
    scope = scope_for(user, perm)
    if scope.is_empty:
        return []
    return list(OrgUnit.objects.filter(scope.q("code"), level__in=levels).order_by("code")[:200])


# -- the register --------------------------------------------------------------------


@login_required
@require_GET
def register(request):
    """登记簿: open or concluded disputes, newest first; no party data."""
    concluded = request.GET.get("tab") == "concluded"
    rows = list(selectors.disputes_list(request.user, open_only=not concluded)[:100])
    if not rows and not (
        can(request.user, perms.VIEW) or can(request.user, perms.REPORT)
        or can(request.user, perms.STATS)
    ):  # fmt: skip
        raise NotFound(_("Not found."))
    return render(
        request,
        "disputes/register.html",
        {
            "rows": rows,
            "concluded": concluded,
            "may_report": can(request.user, perms.REPORT),
            "sees": can(request.user, perms.VIEW),
            "stats": can(request.user, perms.STATS),
            "manages": can(request.user, perms.MANAGE),
        },
    )


@login_required
@require_GET
def register_xlsx(request):
    """The register as a workbook: the same rows as the page (no party data)."""
    if not can(request.user, perms.VIEW):
        raise NotFound(_("Not found."))
    rows = selectors.disputes_list(request.user)[:5000]
    return xlsx.response(exports.register_workbook(rows), "矛盾纠纷登记簿.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    """The quick register from the street (phone first): the grid, what it is about, the
    parties; a hidden key makes a double tap one dispute."""
    grids = _units(request.user, perms.REPORT, (Level.GRID, Level.MICROGRID))
    if not grids:
        raise NotFound(_("Not found."))
    values = {"key": uuid.uuid4().hex, "grid_id": str(grids[0].pk)}
    errors, status = {}, 200
    if request.method == "POST":
        names = ("key", "grid_id", "type_id", "source", "risk", "summary", "account", "place",
                 "source_ref")  # fmt: skip
        values = {k: request.POST.get(k, "") for k in names}
        parties = []
        for i in range(PARTY_ROWS):
            given = {f: request.POST.get(f"p{i}_{f}", "").strip() for f in
                     ("resident_id", "name", "phone", "id_number")}  # fmt: skip
            values.update({f"p{i}_{f}": v for f, v in given.items()})
            if any(given.values()):
                given["resident_id"] = (
                    parse_id(given["resident_id"]) if given["resident_id"] else None
                )
                parties.append(given)
        try:
            case, _created = services.dispute_register(
                actor=request.user, grid_id=parse_id(values["grid_id"]),
                type_id=parse_id(values["type_id"]), source=values["source"],
                risk=values["risk"], summary=values["summary"], account=values["account"],
                place=values["place"], source_ref=values["source_ref"], parties=parties,
                idempotency_key=values["key"][:64],
            )  # fmt: skip
        except DomainError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Dispute %(n)s is registered.") % {"n": case.number})
            if can(request.user, perms.VIEW):
                return redirect("dispute", case.pk)
            return redirect("case_detail", case.pk)
    return render(
        request,
        "disputes/new.html",
        {
            "grids": grids,
            "types": selectors.types().filter(is_active=True),
            "sources": Source.choices,
            "risks": Risk.choices,
            "values": values,
            "errors": errors,
            "party_rows": [_party_row(i, values, errors) for i in range(PARTY_ROWS)],
        },
        status=status,
    )  # fmt: skip


def _party_row(i, values, errors):
    fields = ("resident_id", "name", "phone", "id_number")
    given = {f: values.get(f"p{i}_{f}", "") for f in fields}
    mine = {k.split(".", 2)[-1]: v for k, v in errors.items() if k.startswith(f"parties.{i}")}
    return i, given, mine


# -- one dispute -----------------------------------------------------------------------


def _dispute_context(request, dispute):
    full = selectors.dispute_full(dispute)
    case = dispute.case
    is_mediator = case.assignee_user_id == request.user.pk
    in_progress = case.state == "in_progress"
    manages = can(request.user, perms.MANAGE, dispute)
    return {
        "d": dispute,
        "case": case,
        "account": services.account_of(dispute),
        "parties": full.parties,
        "sessions": [(s, services.minutes_of(s)) for s in full.sessions],
        "agreements": full.agreements,
        "draft": next((a for a in full.agreements if a.signed_at is None), None),
        "follow_ups": full.follow_ups,
        "mediates": is_mediator and in_progress,
        "manages": manages and not dispute.outcome,
        "mediators": list(selectors.mediators_for(dispute)) if manages else [],
        "modes": SessionMode.choices,
        "room_bookings": list(services.session_room_bookings(dispute)),
        "rooms": list(services.session_rooms(dispute)),
        "performances": Performance.choices,
        "outcome_label": Outcome(dispute.outcome).label if dispute.outcome else "",
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }  # fmt: skip


@login_required
@require_GET
def dispute_page(request, dispute_id):
    """The dispute with its parties (masked), account, sessions, agreements and
    follow-ups; the read is audited."""
    dispute = services.dispute_read(actor=request.user, dispute_id=dispute_id)
    return render(request, "disputes/dispute.html", _dispute_context(request, dispute))


@login_required
@require_POST
def dispute_post(request, dispute_id, what):
    """The dispute page's forms: reveal, assign, room, session, agreement, sign, follow-up."""
    p = request.POST
    user = request.user
    calls = {
        "reveal": lambda: services.party_reveal(
            actor=user, party_id=_party(dispute_id, p.get("party_id")), field=p.get("field", "")
        ),
        "assign": lambda: services.mediator_assign(
            actor=user, dispute_id=dispute_id, mediator_id=parse_id(p.get("mediator_id")),
            version=p.get("version") or None,
        ),
        "session": lambda: services.session_record(
            actor=user, dispute_id=dispute_id, mode=p.get("mode", ""),
            party_id=parse_id(p.get("party_id")), held_at=p.get("held_at", ""),
            place=p.get("place", ""), attendees=p.get("attendees", ""),
            minutes=p.get("minutes", ""), next_step=p.get("next_step", ""),
            booking_id=parse_id(p.get("booking_id")) if p.get("booking_id") else None,
        ),
        "room": lambda: services.session_room_book(
            actor=user, dispute_id=dispute_id, room_id=parse_id(p.get("room_id")),
            starts_at=f"{p.get('day', '')}T{p.get('starts', '')}",
            ends_at=f"{p.get('day', '')}T{p.get('ends', '')}",
        ),
        "agreement": lambda: services.agreement_save(
            actor=user, dispute_id=dispute_id, terms=p.get("terms", ""),
            agreement_id=parse_id(p.get("agreement_id")) if p.get("agreement_id") else None,
        ),
        "sign": lambda: services.agreement_sign(
            actor=user, agreement_id=parse_id(p.get("agreement_id")),
            photo=request.FILES.get("photo"),
        ),
        "follow_up": lambda: services.follow_up_record(
            actor=user, follow_up_id=parse_id(p.get("follow_up_id")),
            performance=p.get("performance", ""), note=p.get("note", ""),
        ),
    }  # fmt: skip
    if what not in calls:
        raise NotFound(_("Not found."))
    selectors.dispute_for(user, dispute_id)
    result, status = _attempt(request, calls[what])
    if status == 200:
        if what == "reveal":
            messages.info(request, _("In full: %(value)s") % {"value": result})
        else:
            messages.success(request, _("Saved."))
        if what == "assign" and not selectors.disputes_visible(user).filter(pk=dispute_id).exists():
            return redirect("disputes")
        return redirect("dispute", dispute_id)
    dispute = services.dispute_read(actor=user, dispute_id=dispute_id)
    return render(
        request, "disputes/dispute.html", _dispute_context(request, dispute), status=status
    )


def _party(dispute_id, party_id):
    pid = parse_id(party_id)
    if pid is None or not selectors.party_in(dispute_id, pid):
        raise NotFound(_("Not found."))
    return pid


@login_required
@require_GET
def notice(request, dispute_id):
    """人民调解告知书 on A4: the parties' rights and duties, the mediator, the committee."""
    dispute = services.dispute_read(actor=request.user, dispute_id=dispute_id)
    full = selectors.dispute_full(dispute)
    return render(
        request,
        "disputes/notice.html",
        {"d": dispute, "parties": full.parties, "today": timezone.localdate(),
         "unit": _community_of(dispute.org_code)},
    )  # fmt: skip


@login_required
@require_GET
def agreement_print(request, agreement_id):
    """调解协议书 on A4: the parties, the dispute, the terms, the signatures (or the photo
    of the signed paper once signed)."""
    agreement = selectors.agreement_for(request.user, agreement_id)
    dispute = services.dispute_read(actor=request.user, dispute_id=agreement.dispute_id)
    full = selectors.dispute_full(dispute)
    return render(
        request,
        "disputes/agreement.html",
        {"a": agreement, "d": dispute, "parties": full.parties,
         "account": services.account_of(dispute), "unit": _community_of(dispute.org_code),
         "mediator": dispute.case.assignee_user},
    )  # fmt: skip


@login_required
@require_GET
def agreement_photo(request, agreement_id):
    agreement = selectors.agreement_for(request.user, agreement_id)
    if not agreement.photo:
        raise NotFound(_("Not found."))
    return FileResponse(agreement.photo.open("rb"), content_type=agreement.photo_type)


def _community_of(code: str):
    return OrgUnit.objects.filter(code=code[:12]).first()


# -- screening, KPIs, mediators ---------------------------------------------------------


def _month_of(request) -> dt.date:
    raw = request.GET.get("month", "")
    if not raw:
        return selectors.last_month()
    try:
        year, month = parse_month(raw)
    except DomainError:
        return selectors.last_month()
    return dt.date(year, month, 1)


@login_required
@require_http_methods(["GET", "POST"])
def screening(request):
    """月排查月上报: file one's units' reports; the board (who has not reported, on time or
    late) and the month's summary for those with the figures."""
    filing = _units(request.user, perms.SCREEN, (selectors.screening_level(),))
    stats = can(request.user, perms.STATS)
    if not (filing or stats):
        raise NotFound(_("Not found."))
    first = _month_of(request)
    status = 200
    if request.method == "POST":
        raw = request.POST.get("month", "")

        def file():
            year, month = parse_month(raw)
            return services.screening_file(
                actor=request.user, unit_id=parse_id(request.POST.get("unit_id")), year=year,
                month=month, is_zero=request.POST.get("is_zero") == "1",
                note=request.POST.get("note", ""),
            )  # fmt: skip

        report, status = _attempt(request, file)
        if report is not None:
            messages.success(
                request,
                _("The report of %(month)s is filed (revision %(n)d).")
                % {"month": f"{report.month:%Y-%m}", "n": report.revision},
            )
            return redirect(f"{reverse('dispute_screening')}?month={report.month:%Y-%m}")
    unit = board = summary = None
    if stats:
        unit = selectors.unit_for_stats(request.user, request.GET.get("unit") or None)
        board = selectors.board(unit, first)
        summary = selectors.month_summary(unit, first)
    return render(
        request,
        "disputes/screening.html",
        {"filing": filing, "month": first, "unit": unit, "board": board, "s": summary,
         "this_month": timezone.localdate().replace(day=1)},
        status=status,
    )  # fmt: skip


@login_required
@require_GET
def screening_xlsx(request):
    """The board and the summary of a month as a workbook (the monthly report's part)."""
    if not can(request.user, perms.STATS):
        raise NotFound(_("Not found."))
    first = _month_of(request)
    unit = selectors.unit_for_stats(request.user, request.GET.get("unit") or None)
    data = exports.screening_workbook(
        selectors.board(unit, first), selectors.month_summary(unit, first)
    )
    return xlsx.response(data, f"矛盾纠纷月排查{first:%Y-%m}.xlsx")


@login_required
@require_GET
def kpis(request):
    """调解成功率 and the counts, each with its denominator, for a unit and period."""
    if not can(request.user, perms.STATS):
        raise NotFound(_("Not found."))
    unit = selectors.unit_for_stats(request.user, request.GET.get("unit") or None)
    try:
        start, end = selectors.default_period(
            request.GET.get("start", ""), request.GET.get("end", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        start, end = selectors.default_period("", "")
    return render(request, "disputes/kpis.html", {"k": selectors.kpis(unit, start, end)})


@login_required
@require_http_methods(["GET", "POST"])
def types(request):
    """The list of dispute types (邻里, 物业 …): add one, rename one, retire or restore one.
    A retired type stays on the disputes filed under it and is no longer offered."""
    if not can(request.user, perms.TYPES):
        raise NotFound(_("Not found."))
    status = 200
    if request.method == "POST":
        saved, status = _attempt(
            request,
            lambda: services.type_save(
                actor=request.user, name=request.POST.get("name", ""),
                type_id=parse_id(request.POST.get("id")),
                is_active=request.POST.get("is_active", "1") == "1",
            ),
        )  # fmt: skip
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("dispute_types")
    return render(request, "disputes/types.html", {"rows": list(selectors.types())}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mediators(request):
    """The roster: 社区调解员, 智囊团, 警务助理, 律师 of the area; add one."""
    if not can(request.user, perms.MANAGE):
        raise NotFound(_("Not found."))
    status = 200
    if request.method == "POST":
        from gongzhi.accounts.models import User

        def add():
            user = User.objects.filter(username=request.POST.get("username", "")[:150]).first()
            if user is None:
                raise NotFound(_("No such user."))
            return services.mediator_add(
                actor=request.user, user_id=user.pk, unit_id=parse_id(request.POST.get("unit_id")),
                kind=request.POST.get("kind", ""), team=request.POST.get("team", ""),
            )  # fmt: skip

        made, status = _attempt(request, add)
        if made is not None:
            messages.success(request, _("Saved."))
            return redirect("dispute_mediators")
    return render(
        request,
        "disputes/mediators.html",
        {"rows": selectors.mediators_visible(request.user)[:200], "kinds": MediatorKind.choices,
         "units": _units(request.user, perms.MANAGE, MEDIATOR_LEVELS)},
        status=status,
    )  # fmt: skip
