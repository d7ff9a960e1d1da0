"""Pages of the points bank for workers and merchants: the community's balances, a
resident's passbook (and its printable 存折), the desk's award and deduction, approvals,
gifts to hand over, the rules and the catalogue, the figures, and the merchant's counter.

Reads go through points.selectors (outside the user's area: 404); every write is a
service, which checks permission. A refusal comes back on the page with its message and
status. The residents' own pages (/my/points/) are in selfservice.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core import xlsx
from gongzhi.core.dates import parse_month, parse_period
from gongzhi.core.errors import DomainError, Invalid, NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import can
from gongzhi.orgs.models import OrgUnit
from gongzhi.points import perms, printing, selectors, services
from gongzhi.points.models import RuleKind


def _int(value, lo=1, hi=1_000_000):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if lo <= number <= hi else None


def _viewer(user):
    if not can(user, perms.VIEW):
        raise NotFound(_("Not found."))


def _attempt(request, call):
    try:
        return call(), 200
    except DomainError as exc:
        messages.error(request, exc.message)
        return None, exc.status


@login_required
@require_GET
def home(request):
    """The community's balances, highest first (keyset pages), and the bank's links."""
    _viewer(request.user)
    banks = list(selectors.banks_visible_to(request.user)[:50])
    bank_id = parse_id(request.GET.get("bank"))
    bank = next((b for b in banks if b.pk == bank_id), banks[0] if banks else None)
    rows, next_cursor = [], None
    if bank is not None:
        rows, next_cursor = selectors.balances_page(
            request.user, bank, cursor=request.GET.get("cursor") or None
        )
    return render(
        request,
        "points/home.html",
        {
            "banks": banks, "bank": bank, "rows": rows, "next_cursor": next_cursor,
            "may_manage": bank is not None and can(request.user, perms.MANAGE, bank),
        },
    )  # fmt: skip


def _passbook_context(request, account):
    rows, next_cursor = selectors.passbook_page(account, cursor=request.GET.get("cursor") or None)
    return {
        "account": account, "rows": rows, "next_cursor": next_cursor,
        "months": selectors.monthly_totals(account),
    }  # fmt: skip


@login_required
@require_GET
def account_page(request, account_id):
    account = selectors.account_for(request.user, account_id)
    context = _passbook_context(request, account)
    context.update(
        may_award=can(request.user, perms.AWARD, account),
        kinds=RuleKind.choices,
        key=services.new_key(),
    )
    return render(request, "points/account.html", context)


@login_required
@require_GET
def account_print(request, account_id):
    account = selectors.account_for(request.user, account_id)
    rows, _next = selectors.passbook_page(account, limit=200)
    back = reverse("points_account", args=[account.pk])
    return render(
        request,
        "points/passbook_print.html",
        printing.passbook_print_context(account, rows, back=back, printed_at=timezone.now()),
    )


@login_required
@require_POST
def account_award(request, account_id):
    kind = request.POST.get("kind", "")
    amount = _int(request.POST.get("amount")) if request.POST.get("amount") else None
    result, _status = _attempt(
        request,
        lambda: services.points_award_at_counter(
            actor=request.user, account_id=account_id, kind=kind, amount=amount,
            key=request.POST.get("key", "")[:100], note=request.POST.get("note", "")[:200],
        ),
    )  # fmt: skip
    if result is not None:
        words = {
            "paid": _("%(n)d points awarded.") % {"n": result.amount},
            "pending": _("%(n)d points wait for approval.") % {"n": result.amount},
            "duplicate": _("This award was made already."),
            "capped": _("The cap of this kind of event is reached: nothing awarded."),
            "no_rule": _("The community has no rule for this kind of event."),
        }
        (messages.success if result.paid else messages.warning)(request, words[result.status])
    return redirect("points_account", account_id)


@login_required
@require_POST
def account_deduct(request, account_id):
    amount = _int(request.POST.get("amount"))
    if amount is None:
        messages.error(request, _("Points must be more than zero."))
        return redirect("points_account", account_id)
    done, _status = _attempt(
        request,
        lambda: services.points_deduct(
            actor=request.user, account_id=account_id, amount=amount,
            reason=request.POST.get("reason", "")[:200], key=request.POST.get("key", "")[:100],
        ),
    )  # fmt: skip
    if done is not None:
        messages.success(request, _("%(n)d points deducted.") % {"n": amount})
    return redirect("points_account", account_id)


@login_required
@require_http_methods(["GET", "POST"])
def pending(request):
    _viewer(request.user)
    if request.method == "POST":
        pk = parse_id(request.POST.get("pending"))
        approve = request.POST.get("decision") == "approve"
        done, _status = _attempt(
            request,
            lambda: services.pending_decide(
                actor=request.user, pending_id=pk or 0, approve=approve
            ),
        )
        if done is not None:
            messages.success(request, _("Decided."))
        return redirect("points_pending")
    rows = list(selectors.pending_of(request.user)[:200])
    reserved = list(selectors.reserved_of(request.user)[:200])
    return render(request, "points/pending.html", {"rows": rows, "reserved": reserved})


@login_required
@require_POST
def redemption_action(request, redemption_id):
    if request.POST.get("action") == "cancel":
        call = lambda: services.redemption_cancel(  # noqa: E731
            actor=request.user, redemption_id=redemption_id,
            reason=request.POST.get("reason", "")[:200] or _("Not collected"),
        )  # fmt: skip
    else:
        call = lambda: services.redemption_hand_over(  # noqa: E731
            actor=request.user, redemption_id=redemption_id
        )
    done, _status = _attempt(request, call)
    if done is not None:
        messages.success(request, _("Saved."))
    return redirect("points_pending")


@login_required
@require_http_methods(["GET", "POST"])
def bank_page(request, bank_id):
    """The bank's earning rules and catalogue; managers edit them here."""
    bank = selectors.bank_for(request.user, bank_id)
    may_manage = can(request.user, perms.MANAGE, bank)
    status = 200
    if request.method == "POST":
        form = request.POST.get("form")
        if form in BANK_FORMS:
            done, status = _attempt(request, lambda: BANK_FORMS[form](request, bank))
        elif form == "rule":
            done, status = _attempt(
                request,
                lambda: services.rule_save(
                    actor=request.user, org_code=bank.org_code, kind=request.POST.get("kind", ""),
                    points=_int(request.POST.get("points")) or 0,
                    daily_cap=_int(request.POST.get("daily_cap")),
                    monthly_cap=_int(request.POST.get("monthly_cap")),
                    needs_approval=bool(request.POST.get("needs_approval")),
                    is_active=bool(request.POST.get("is_active")),
                ),
            )  # fmt: skip
        else:
            done, status = _attempt(
                request,
                lambda: services.reward_save(
                    actor=request.user, org_code=bank.org_code,
                    title=request.POST.get("title", "")[:100],
                    price=_int(request.POST.get("price")) or 0,
                    stock=_int(request.POST.get("stock"), lo=0) or 0,
                    merchant_id=parse_id(request.POST.get("merchant")),
                    description=request.POST.get("description", "")[:300],
                ),
            )  # fmt: skip
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("points_bank", bank.pk)
    rules = {r.kind: r for r in selectors.rules_of(bank)}
    return render(
        request,
        "points/bank.html",
        {
            "bank": bank, "may_manage": may_manage,
            "rules": [(k, label, rules.get(k)) for k, label in RuleKind.choices],
            "rewards": selectors.rewards_of(bank, active_only=False),
            "merchants": list(bank.merchants.order_by("pk")),
        },
        status=status,
    )  # fmt: skip


def _staff_of(text: str):
    """The merchant's counter staff from user names (comma, space or 、 between them)."""
    from gongzhi.accounts.models import User

    names = [
        n for n in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if n
    ]
    if len(names) > 20:
        raise Invalid(_("At most 20 staff."), details={"staff": [_("At most 20 staff.")]})
    users = list(User.objects.filter(username__in=names, is_active=True))
    unknown = sorted(set(names) - {u.username for u in users})
    if unknown:
        message = _("No such user: %(names)s.") % {"names": "、".join(unknown)}
        raise Invalid(message, details={"staff": [message]})
    return users


def _date(value, name: str):
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        message = _("Give dates as YYYY-MM-DD.")
        raise Invalid(message, details={name: [message]}) from None


def _merchant_add(request, bank):
    p = request.POST
    return services.merchant_save(
        actor=request.user, org_code=bank.org_code, name=p.get("name", "")[:100],
        address=p.get("address", "")[:200],
        agreement_from=_date(p.get("agreement_from"), "agreement_from"),
        agreement_until=_date(p.get("agreement_until"), "agreement_until"),
        staff=_staff_of(p.get("staff", "")[:2000]),
    )  # fmt: skip


def _merchant_update(request, bank):
    p = request.POST
    merchant = bank.merchants.filter(pk=parse_id(p.get("merchant"))).first()
    if merchant is None:
        raise NotFound(_("Not found."))
    return services.merchant_save(
        actor=request.user, org_code=bank.org_code, name=merchant.name,
        address=merchant.address, agreement_from=merchant.agreement_from,
        agreement_until=_date(p.get("agreement_until"), "agreement_until"),
        staff=list(merchant.staff.all()), is_active=p.get("is_active") == "1",
        merchant=merchant,
    )  # fmt: skip


def _settings(request, bank):
    months = (request.POST.get("expiry_months") or "").strip()
    number = _int(months, lo=-(10**6)) if months else None
    if months and number is None:
        message = _("Expiry is 1 to 120 months, or never.")
        raise Invalid(message, details={"expiry_months": [message]})
    return services.bank_settings_save(
        actor=request.user, org_code=bank.org_code, expiry_months=number
    )


# The bank page's forms beside the rules and rewards: each a (request, bank) -> saved row.
BANK_FORMS = {"merchant": _merchant_add, "merchant_update": _merchant_update,
              "settings": _settings}  # fmt: skip


def _report_args(request):
    """The unit (the user's first bank's community by default) and the period (this month
    to today by default)."""
    today = timezone.localdate()
    start, end = parse_period(
        request.GET.get("start") or today.replace(day=1).isoformat(),
        request.GET.get("end") or today.isoformat(),
    )
    code = (request.GET.get("unit") or "")[:24]
    banks = list(selectors.banks_visible_to(request.user)[:50])
    if not code and banks:
        code = banks[0].org_code
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not can(request.user, perms.VIEW, unit):
        raise NotFound(_("The unit does not exist or is outside your area."))
    return unit, start, end, banks


@login_required
@require_GET
def report(request):
    _viewer(request.user)
    unit, start, end, banks = _report_args(request)
    figures = selectors.figures(unit.code, start, end)
    return render(
        request, "points/report.html",
        {"unit": unit, "f": figures, "banks": banks,
         "communities": selectors.by_community(unit.code, start, end)},
    )  # fmt: skip


@login_required
@require_GET
def report_xlsx(request):
    _viewer(request.user)
    unit, start, end, _banks = _report_args(request)
    f = selectors.figures(unit.code, start, end)
    rows = [
        (_("Points issued"), f["issued"]), (_("Points redeemed"), f["redeemed"]),
        (_("Points deducted"), f["deducted"]), (_("Points expired"), f["expired"]),
        (_("Points outstanding"), f["outstanding"]),
    ]  # fmt: skip
    sheets = [
        (_("Figures"), [_("Figure"), _("Points")], rows),
        (_("Top earners"), [_("Name"), _("Points earned")],
         [(t["account__name"], t["earned"]) for t in f["top"]]),
        (_("Merchants"), [_("Merchant"), _("Redemptions"), _("Points")],
         [(m["merchant__name"], m["count"], m["points"]) for m in f["merchants"]]),
        (_("By community"),
         [_("Community"), _("Points issued"), _("Points redeemed"), _("Points deducted"),
          _("Points outstanding"), _("Holders")],
         [(c["bank"].name, c["issued"], c["redeemed"], c["deducted"], c["outstanding"],
           c["holders"]) for c in selectors.by_community(unit.code, start, end)]),
    ]  # fmt: skip
    name = f"{_('Green points')}-{unit.name}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    return xlsx.response(printing.workbook(sheets), name)


# -- the merchant's counter ----------------------------------------------------------------


def _merchant_or_404(user):
    merchants = selectors.merchants_of(user)
    if not merchants:
        raise NotFound(_("Not found."))
    return merchants


def _statement(request, merchant) -> tuple[dict, str]:
    """The merchant's statement of the month asked (this month by default)."""
    today = timezone.localdate()
    year, month = (
        parse_month(request.GET.get("month"))
        if request.GET.get("month")
        else (today.year, today.month)
    )
    return selectors.merchant_statement(merchant, year, month), f"{year}-{month:02d}"


def _statement_xlsx(statement: dict, month: str):
    rows = [
        (timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"), r.reward.title,
         r.account.name, r.price, r.get_state_display())
        for r in statement["rows"]
    ]  # fmt: skip
    rows.append((_("Total"), "", "", statement["points"], ""))
    head = [_("Time"), _("Reward"), _("Resident"), _("Points"), _("State")]
    name = f"{_('Statement')}-{statement['merchant'].name}-{month}.xlsx"
    return xlsx.response(printing.workbook([(month, head, rows)]), name)


@login_required
@require_GET
def merchant_home(request):
    """The merchant's counter: enter (or scan) a resident's code; this month's statement."""
    merchant = _merchant_or_404(request.user)[0]
    statement, month = _statement(request, merchant)
    return render(
        request, "points/merchant.html",
        {"s": statement, "month": month, "xlsx": reverse("points_merchant_xlsx")},
    )  # fmt: skip


@login_required
@require_GET
def merchant_home_xlsx(request):
    """The merchant's own statement of a month as a workbook."""
    return _statement_xlsx(*_statement(request, _merchant_or_404(request.user)[0]))


@login_required
@require_GET
def merchant_page(request, merchant_id):
    """A merchant's statement of a month for the community that settles with it."""
    merchant = selectors.merchant_for(request.user, merchant_id)
    statement, month = _statement(request, merchant)
    return render(
        request, "points/merchant_statement.html",
        {"s": statement, "month": month,
         "xlsx": reverse("points_merchant_statement_xlsx", args=[merchant.pk])},
    )  # fmt: skip


@login_required
@require_GET
def merchant_page_xlsx(request, merchant_id):
    return _statement_xlsx(*_statement(request, selectors.merchant_for(request.user, merchant_id)))


@login_required
@require_http_methods(["GET", "POST"])
def merchant_redeem(request):
    """The QR's address: the offer and the resident (masked) to confirm, then confirm."""
    _merchant_or_404(request.user)
    token = (request.POST.get("t") or request.GET.get("t") or "").strip()[:64]
    if request.method == "POST":
        done, status = _attempt(
            request, lambda: services.merchant_redeem(actor=request.user, token=token)
        )
        if done is not None:
            return render(request, "points/merchant_done.html", {"r": done})
        return render(request, "points/merchant_redeem.html", {"row": None}, status=status)
    row, status = _attempt(
        request, lambda: services.token_for_merchant(actor=request.user, token=token)
    )
    return render(request, "points/merchant_redeem.html", {"row": row, "t": token}, status=status)
