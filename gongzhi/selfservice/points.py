"""The resident's green-points passbook (绿币存折) under /my/points/, behind the verified
phone: the balance, every movement with its reason, date and the balance after it,
monthly totals, a printable passbook, the community's catalogue — a gift reserved online
(handed over at the community's desk) or a one-time QR for a merchant's offer.

The passbooks shown are those of the residents registered with the verified number (a
household may share one); an account id in the address must be one of them, else 404.
Reads and writes go through points.selectors and points.services."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.forms import parse_id
from gongzhi.points import printing, selectors
from gongzhi.points import services as points
from gongzhi.selfservice import services


def _accounts(request):
    held = services.verified(request.session)
    if held is None:
        return None, None, []
    accounts = selectors.resident_accounts_by_phone(held["hash"])
    wanted = parse_id(request.GET.get("account") or request.POST.get("account"))
    if wanted is None:
        return held, (accounts[0] if accounts else None), accounts
    account = next((a for a in accounts if a.pk == wanted), None)
    if account is None:
        raise NotFound(_("Not found."))
    return held, account, accounts


def _need_phone(request):
    return redirect(f"{reverse('my_phone')}?next={request.path}")


def _page(request, template, context, status=200):
    context.setdefault("my_tab", "points")
    return render(request, f"selfservice/{template}", context, status=status)


@never_cache
@require_GET
def passbook(request):
    held, account, accounts = _accounts(request)
    if held is None:
        return _need_phone(request)
    context = {"held": held, "account": account, "accounts": accounts}
    if account is not None:
        rows, next_cursor = selectors.passbook_page(
            account, cursor=request.GET.get("cursor") or None
        )
        context.update(rows=rows, next_cursor=next_cursor, months=selectors.monthly_totals(account))
    return _page(request, "points.html", context)


@never_cache
@require_GET
def passbook_print(request):
    held, account, _others = _accounts(request)
    if held is None:
        return _need_phone(request)
    if account is None:
        raise NotFound(_("Not found."))
    rows, _next = selectors.passbook_page(account, limit=200)
    back = f"{reverse('my_points')}?account={account.pk}"
    return render(
        request,
        "points/passbook_print.html",
        printing.passbook_print_context(account, rows, back=back, printed_at=timezone.now()),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def rewards(request):
    """The catalogue; POST `reward` reserves a gift or shows the QR of a merchant's offer."""
    held, account, accounts = _accounts(request)
    if held is None:
        return _need_phone(request)
    if account is None:
        raise NotFound(_("Not found."))
    context = {"held": held, "account": account, "accounts": accounts}
    status = 200
    if request.method == "POST":
        reward_id = parse_id(request.POST.get("reward")) or 0
        try:
            if request.POST.get("how") == "qr":
                token, row = points.token_issue(account=account, reward_id=reward_id)
                url = request.build_absolute_uri(reverse("points_merchant_redeem")) + f"?t={token}"
                context.update(qr=printing.qr_data_uri(url), token=token, token_row=row)
                return _page(request, "points_qr.html", context)
            redemption = points.redemption_reserve(
                account=account,
                reward_id=reward_id,
                key=request.POST.get("key", "")[:100] or points.new_key(),
            )
            context["reserved"] = redemption
            account.refresh_from_db()
        except DomainError as exc:
            context["error"] = exc.message
            status = exc.status
    context.update(rewards=selectors.rewards_of(account.bank), key=points.new_key())
    return _page(request, "points_rewards.html", context, status=status)
