"""Pages of hotspots (高频共性问题) and special campaigns (专项治理).

Readers hold COMMAND_VIEW (a user without it gets 404); only CAMPAIGN_MANAGE writes: the
forms are not shown to others, and a write they post anyway is refused by the service
(403). A refused write shows the page again with the message in place (400 for bad
input, 409 for a closed campaign).
"""

from urllib.parse import urlencode

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.campaigns import exports, selectors, services
from gongzhi.campaigns import forms as f
from gongzhi.campaigns import hotspots as hs
from gongzhi.campaigns.models import CampaignState
from gongzhi.cases.exports import cases_download
from gongzhi.cases.forms import category_choices
from gongzhi.cases.models import Category, State
from gongzhi.cases.selectors import cases_visible_to
from gongzhi.core import permissions, xlsx
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs.access import PICKABLE, command_units
from gongzhi.orgs.models import OrgUnit
from gongzhi.orgs.selectors import units_visible_to
from gongzhi.registry.models import Building


def _reader(user) -> None:
    if not selectors.may_view(user):
        raise NotFound(_("Not found."))


def hotspot_text(h: hs.Hotspot, window_days: int) -> str:
    """What a campaign opened from the hotspot records ("近 7 天 12 件，常态约 2.0 件")."""
    return _("%(n)d cases in the last %(days)d days; usually about %(expected).1f.") % {
        "n": h.recent,
        "days": window_days,
        "expected": h.expected,
    }


def _level_label(level: str) -> str:
    if level == hs.BUILDING:
        return _("Building")
    return str(Level(level).label)


def _hotspot_rows(user, unit_code: str, window_days: int) -> list[dict]:
    """The unit's hotspots, ranked, each with its sentence, its cases the user sees and
    the address that opens a campaign on it."""
    found = hs.hotspots(user, unit_code) if unit_code else []
    ids = [i for h in found for i in h.case_ids]
    cases = {
        c["pk"]: c
        for c in cases_visible_to(user)
        .filter(pk__in=ids)
        .values("pk", "number", "title", "state", "reported_at")
    }
    labels = dict(State.choices)
    rows = []
    for rank, h in enumerate(found, 1):
        text = hotspot_text(h, window_days)
        query = {"unit": h.area_code, "category": h.category_id, "hotspot": text}
        if h.building_id:
            query["building"] = h.building_id
        rows.append(
            {
                "rank": rank,
                "h": h,
                "level_label": _level_label(h.level),
                "text": text,
                "cases": [
                    {**cases[i], "state_label": labels.get(cases[i]["state"], "")}
                    for i in h.case_ids
                    if i in cases
                ],
                "open_url": reverse("campaign_new") + "?" + urlencode(query),
            }
        )
    return rows


def _hotspot_unit(request, units) -> str:
    return (request.GET.get("unit") or (units[0].code if units else "")).strip()[:24]


@login_required
@require_GET
def hotspot_xlsx(request):
    """The hotspots of the page as a workbook (campaigns.exports)."""
    user = request.user
    _reader(user)
    unit_code = _hotspot_unit(request, command_units(user))
    window_days = int(hs.setting("WINDOW_DAYS"))
    rows = _hotspot_rows(user, unit_code, window_days)
    data = exports.hotspots_workbook(user, rows, unit_code=unit_code, window_days=window_days)
    return xlsx.response(data, f"{_('Hotspots')}_{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@require_GET
def hotspot_page(request):
    user = request.user
    _reader(user)
    units = command_units(user)
    unit_code = _hotspot_unit(request, units)
    window_days = int(hs.setting("WINDOW_DAYS"))
    rows = _hotspot_rows(user, unit_code, window_days)
    can_manage = selectors.may_manage(user, unit_code) if unit_code else False
    today = timezone.localdate()
    window = hs.window_of(today, window_days, int(hs.setting("HISTORY_WEEKS")))
    return render(
        request,
        "campaigns/hotspots.html",
        {
            "units": units,
            "unit_code": unit_code,
            "rows": rows,
            "window": window,
            "min_count": hs.setting("MIN_COUNT"),
            "factor": hs.setting("FACTOR"),
            "can_manage": can_manage,
            "active_nav": "command",
        },
    )


def _campaign_rows(request) -> tuple[list[dict], str]:
    state = request.GET.get("state") or CampaignState.OPEN
    qs = selectors.campaigns_visible_to(request.user)
    if state in CampaignState.values:
        qs = qs.filter(state=state)
    else:
        state = "all"
    campaigns = list(qs[:100])
    numbers = selectors.progress_of_many(campaigns)
    names = selectors.unit_names(c.unit_code for c in campaigns)
    rows = [
        {"c": c, "p": numbers[c.pk], "area": names.get(c.unit_code, c.unit_code)} for c in campaigns
    ]
    return rows, state


@login_required
@require_GET
def campaign_list_xlsx(request):
    """The list's campaigns (the same state tab) with their progress, as a workbook."""
    _reader(request.user)
    rows, state = _campaign_rows(request)
    data = exports.campaigns_workbook(request.user, rows, state=state)
    return xlsx.response(data, f"{_('Special campaigns')}_{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@require_GET
def campaign_cases_xlsx(request, campaign_id):
    """A campaign's cases the user sees, as every list of cases (cases.exports)."""
    user = request.user
    _reader(user)
    campaign = selectors.campaign_for(user, campaign_id)
    qs = cases_visible_to(user).filter(campaign_links__campaign=campaign)
    return cases_download(
        request, qs, ordering=("-reported_at", "-id"), title=campaign.name,
        filters={"campaign": campaign.pk}, name=campaign.name,
    )  # fmt: skip


@login_required
@require_GET
def campaign_list(request):
    user = request.user
    _reader(user)
    rows, state = _campaign_rows(request)
    return render(
        request,
        "campaigns/list.html",
        {
            "rows": rows,
            "state": state,
            "states": [*CampaignState.choices, ("all", _("All"))],
            "can_open": permissions.can(user, Perm.CAMPAIGN_MANAGE),
            "active_nav": "command",
        },
    )


def _open_form(user, data=None, initial=None):
    form = f.CampaignOpenForm(data=data, initial=initial)
    units = list(
        units_visible_to(user, Perm.CAMPAIGN_MANAGE)
        .filter(level__in=PICKABLE)
        .order_by("code")[:500]
    )
    chosen = (data or initial or {}).get("unit") or ""
    choices = [(u.code, u.name) for u in units]
    if chosen and chosen not in {u.code for u in units}:
        extra = units_visible_to(user, Perm.CAMPAIGN_MANAGE).filter(code=chosen).first()
        if extra is not None:
            choices.append(
                (extra.code, f"{extra.parent.name if extra.parent else ''} {extra.name}")
            )
    form.fields["unit"] = djforms.ChoiceField(label=_("Area"), choices=choices)
    form.fields["category"] = djforms.TypedChoiceField(
        label=_("Category"),
        choices=[("", _("Any category")), *category_choices(with_empty=False)],
        coerce=int,
        required=False,
        empty_value=None,
    )
    order = ["name", "unit", "category", "building", "target_date", "hotspot", "with_recent_cases"]
    form.order_fields(order)
    return form


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    user = request.user
    _reader(user)
    if not permissions.can(user, Perm.CAMPAIGN_MANAGE):
        raise permissions_denied()
    building = None
    if request.method == "POST":
        form = _open_form(user, data=request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                campaign = services.campaign_open(
                    actor=user,
                    name=d["name"],
                    unit_code=d["unit"],
                    category_id=d["category"],
                    building_id=d["building"],
                    hotspot=d["hotspot"],
                    target_date=d["target_date"],
                    with_recent_cases=d["with_recent_cases"],
                )
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                _form_errors(form, exc)
            else:
                messages.success(request, _("The special campaign is open."))
                return redirect("campaign_detail", campaign_id=campaign.pk)
        building_id = request.POST.get("building")
    else:
        g = request.GET
        initial = {
            "unit": (g.get("unit") or "").strip()[:24],
            "category": g.get("category") or "",
            "building": g.get("building") or "",
            "hotspot": (g.get("hotspot") or "")[:2000],
            "with_recent_cases": True,
        }
        initial["name"] = _suggested_name(initial)
        form = _open_form(user, initial=initial)
        building_id = initial["building"]
    if building_id and str(building_id).isdigit():
        building = Building.objects.filter(pk=int(building_id)).only("name").first()
    return render(
        request,
        "campaigns/new.html",
        {"form": form, "building": building, "active_nav": "command"},
        status=400 if form.is_bound and form.errors else 200,
    )


def permissions_denied() -> PermissionDenied:
    return PermissionDenied(_("You may not manage special campaigns here."))


def _suggested_name(initial: dict) -> str:
    area = ""
    if initial.get("building") and str(initial["building"]).isdigit():
        b = Building.objects.filter(pk=int(initial["building"])).only("name").first()
        area = b.name if b else ""
    if not area and initial.get("unit"):
        u = OrgUnit.objects.filter(code=initial["unit"]).only("name").first()
        area = u.name if u else ""
    category = ""
    if str(initial.get("category") or "").isdigit():
        c = Category.objects.filter(pk=int(initial["category"])).only("name").first()
        category = c.name if c else ""
    if not (area or category):
        return ""
    return _("%(area)s %(category)s special campaign") % {"area": area, "category": category}


def _form_errors(form, exc: DomainError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    aliases = {"category_id": "category", "building_id": "building", "unit_code": "unit"}
    placed = False
    for name, errors in details.items():
        name = aliases.get(name, name)
        if name in form.fields and isinstance(errors, list | tuple):
            for error in errors:
                form.add_error(name, str(error))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _detail(request, campaign_id, *, add_form=None, close_form=None, status=200):
    user = request.user
    _reader(user)
    campaign = selectors.campaign_for(user, campaign_id)
    numbers, weeks = selectors.progress_and_effect(campaign)
    cases, total = selectors.campaign_cases(campaign)
    now = timezone.now()
    labels = dict(State.choices)
    for c in cases:
        c.state_label = labels.get(c.state, c.state)
        c.overdue_now = c.is_overdue(now)
    names = selectors.unit_names([campaign.unit_code])
    can_manage = campaign.is_open and selectors.may_manage(user, campaign)
    peak = max([w["count"] for w in weeks] or [0]) or 1
    for w in weeks:
        w["height"] = round(w["count"] * 100 / peak)
    before = [w["count"] for w in weeks if not w["after"]]
    after = [w["count"] for w in weeks if w["after"]]
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "area": names.get(campaign.unit_code, campaign.unit_code),
            "p": numbers,
            "weeks": weeks,
            "before_mean": sum(before) / len(before) if before else None,
            "after_mean": sum(after) / len(after) if after else None,
            "cases": cases,
            "total": total,
            "can_manage": can_manage,
            "add_form": add_form or f.AddCasesForm(),
            "close_form": close_form or f.CloseForm(),
            "active_nav": "command",
        },
        status=status,
    )


@login_required
@require_GET
def campaign_detail(request, campaign_id):
    return _detail(request, campaign_id)


def _refused(request, campaign_id, exc: DomainError, *, add_form=None, close_form=None):
    if exc.status in (403, 404):
        raise exc
    form = add_form or close_form
    field = "numbers" if add_form is not None else "summary"
    details = exc.details if isinstance(exc.details, dict) else {}
    form.add_error(field if field in details else None, exc.message)
    return _detail(
        request, campaign_id, add_form=add_form, close_form=close_form, status=exc.status
    )


def _managed(user, campaign_id):
    """The campaign `user` changes: one they may read (else 404) and manage (else 403)."""
    _reader(user)
    campaign = selectors.campaign_for(user, campaign_id)
    if not selectors.may_manage(user, campaign):
        raise permissions_denied()
    return campaign


@login_required
@require_POST
def campaign_add(request, campaign_id):
    user = request.user
    campaign = _managed(user, campaign_id)
    form = f.AddCasesForm(request.POST)
    if not form.is_valid():
        return _detail(request, campaign.pk, add_form=form, status=400)
    try:
        n = services.campaign_add_cases(
            actor=user,
            campaign_id=campaign.pk,
            numbers=services.parse_numbers(form.cleaned_data["numbers"]),
        )
    except DomainError as exc:
        return _refused(request, campaign.pk, exc, add_form=form)
    messages.success(request, _("%(n)d cases added.") % {"n": n})
    return redirect("campaign_detail", campaign_id=campaign.pk)


@login_required
@require_POST
def campaign_remove(request, campaign_id, case_id):
    user = request.user
    campaign = _managed(user, campaign_id)
    try:
        services.campaign_remove_case(actor=user, campaign_id=campaign.pk, case_id=case_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect("campaign_detail", campaign_id=campaign.pk)
    messages.success(request, _("The case was taken out of the campaign."))
    return redirect("campaign_detail", campaign_id=campaign.pk)


@login_required
@require_POST
def campaign_close(request, campaign_id):
    user = request.user
    campaign = _managed(user, campaign_id)
    form = f.CloseForm(request.POST)
    if not form.is_valid():
        return _detail(request, campaign.pk, close_form=form, status=400)
    try:
        services.campaign_close(
            actor=user, campaign_id=campaign.pk, summary=form.cleaned_data["summary"]
        )
    except DomainError as exc:
        return _refused(request, campaign.pk, exc, close_form=form)
    messages.success(request, _("The special campaign is closed."))
    return redirect("campaign_detail", campaign_id=campaign.pk)
