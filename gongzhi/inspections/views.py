"""Pages of inspections: the worker's tasks (phone first) and the checklist form, the
campaigns with their progress, and the checklists.

Reads go through inspections.selectors (outside the user's area: 404); every write is a
service, which checks permission. A refused submission shows the form again with the
messages in place and the answers kept (400).
"""

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.cases.models import Category
from gongzhi.core import xlsx
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http.forms import attempt, parse_float, parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.inspections import exports, forms, perms, printing, risk, selectors, services
from gongzhi.inspections.models import AnswerType, Outcome, TaskState
from gongzhi.orgs.geo import distance_label
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import PremisesCategory


def _viewer(user):
    if not can(user, perms.VIEW):
        raise NotFound(_("Not found."))


@login_required
@require_GET
def todo(request):
    """检查任务: what the worker has to inspect, nearest first once the phone says where."""
    _viewer(request.user)
    lng = parse_float(request.GET.get("lng"), -180, 180)
    lat = parse_float(request.GET.get("lat"), -90, 90)
    rows = selectors.todo(request.user, lng=lng, lat=lat)
    for row in rows:
        row.distance = distance_label(row.distance_m)
    return render(
        request,
        "inspections/todo.html",
        {
            "rows": rows,
            "located": lng is not None and lat is not None,
            "overdue": sum(1 for r in rows if r.overdue),
            "may_inspect": can(request.user, perms.INSPECT),
        },
    )


def _answers_from(post, items) -> dict:
    return {
        i["key"]: {"value": post.get(f"a_{i['key']}", ""), "note": post.get(f"n_{i['key']}", "")}
        for i in items
    }


@login_required
@require_http_methods(["GET", "POST"])
def task_page(request, task_id):
    """One task: its checklist to fill in (large targets, the camera for failed items,
    the phone's place and time sent along), or its result once recorded."""
    task = selectors.task_for(request.user, task_id)
    result = selectors.result_of(task)
    version = result.version if result else services.version_for(task)
    items = services.items_for(task, version)
    may_inspect = task.state == TaskState.OPEN and scope_for(
        request.user, perms.INSPECT
    ).covers_code(task.org_code)
    values, errors, status = {}, {}, 200
    client_id = uuid.uuid4().hex
    outcome = Outcome.INSPECTED
    note = ""
    if request.method == "POST":
        if not may_inspect:
            raise NotFound(_("The task does not exist or is not yours."))
        client_id = request.POST.get("client_id", "")[:64] or client_id
        outcome = request.POST.get("outcome", Outcome.INSPECTED)
        note = request.POST.get("note", "")
        values = _answers_from(request.POST, items)
        photos = {
            name.removeprefix("p_"): f for name, f in request.FILES.items() if name.startswith("p_")
        }
        try:
            result, _created = services.task_submit(
                actor=request.user,
                task_id=task.pk,
                client_id=client_id,
                outcome=outcome,
                answers=values,
                photos=photos,
                note=note,
                device_at=request.POST.get("device_at") or None,
                lng=request.POST.get("lng") or None,
                lat=request.POST.get("lat") or None,
                accuracy_m=request.POST.get("accuracy_m") or None,
            )
        except DomainError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, exc.message)
            status = exc.status
        else:
            if result.hazard_id:
                messages.warning(
                    request,
                    _("Recorded: %(n)d items failed; hazard case %(number)s was reported.")
                    % {"n": len(result.failed_keys), "number": result.hazard.number},
                )
            else:
                messages.success(request, _("Recorded."))
            return redirect("inspection_todo")
    rows = [
        {
            "item": i,
            "value": (values.get(i["key"]) or {}).get("value", ""),
            "note": (values.get(i["key"]) or {}).get("note", ""),
            "errors": errors.get(f"answers.{i['key']}", []),
            "answer": (result.answers.get(i["key"]) if result else None),
            "failed": bool(result and i["key"] in result.failed_keys),
        }
        for i in items
    ]
    return render(
        request,
        "inspections/task.html",
        {
            "task": task,
            "result": result,
            "version": version,
            "rows": rows,
            "may_inspect": may_inspect,
            "client_id": client_id,
            "outcome": outcome,
            "outcomes": Outcome.choices,
            "note": note,
            "note_errors": errors.get("note", []),
            "pass_fail": AnswerType.PASS_FAIL,
            "number": AnswerType.NUMBER,
            "overdue": task.state == TaskState.OPEN and task.due_on < timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_GET
def campaign_list(request):
    _viewer(request.user)
    campaigns = list(selectors.campaigns_visible_to(request.user)[:100])
    names = dict(
        OrgUnit.objects.filter(code__in={c.unit_code for c in campaigns}).values_list(
            "code", "name"
        )
    )
    return render(
        request,
        "inspections/campaigns.html",
        {
            "rows": [(c, names.get(c.unit_code, c.unit_code)) for c in campaigns],
            "may_manage": can(request.user, perms.MANAGE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    """整治行动: an area of the user's, a period, the categories of premises."""
    if not can(request.user, perms.MANAGE):
        raise NotFound(_("Not found."))
    units = selectors.managed_areas(request.user)
    categories = list(PremisesCategory.objects.filter(is_active=True))
    today = timezone.localdate()
    data = {
        "name": "",
        "unit_code": units[0].code if units else "",
        "starts_on": today,
        "ends_on": today + dt.timedelta(days=30),
        "category_ids": [],
    }
    errors, status = {}, 200
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "unit_code": request.POST.get("unit_code", ""),
            "starts_on": request.POST.get("starts_on", ""),
            "ends_on": request.POST.get("ends_on", ""),
            "category_ids": request.POST.getlist("category_ids"),
        }
        try:
            campaign = services.campaign_create(actor=request.user, **data)
        except DomainError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("The campaign was created. Add its first round."))
            return redirect("inspection_campaign", campaign.pk)
    return render(
        request,
        "inspections/campaign_new.html",
        {"units": units, "categories": categories, "data": data, "errors": errors},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_page(request, campaign_id):
    """The campaign: each round's progress, and one round's per grid and per category."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    may_manage = scope_for(request.user, perms.MANAGE).covers_code(campaign.unit_code)
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise NotFound(_("Not found."))
        round_, status = attempt(
            request,
            lambda: services.round_add(
                actor=request.user,
                campaign_id=campaign.pk,
                starts_on=request.POST.get("starts_on", ""),
                due_on=request.POST.get("due_on", ""),
            ),
        )
        if round_ is not None:
            messages.success(
                request,
                _("Round %(n)d was added with %(tasks)d tasks.")
                % {"n": round_.number, "tasks": round_.tasks.count()},
            )
            return redirect("inspection_campaign", campaign.pk)
    number = parse_id(request.GET.get("round"))
    progress = selectors.progress(request.user, campaign, round_number=number)
    last = campaign.rounds.order_by("-number").first()
    start = last.due_on + dt.timedelta(days=1) if last else campaign.starts_on
    start = min(max(start, campaign.starts_on), campaign.ends_on)
    return render(
        request,
        "inspections/campaign.html",
        {
            "campaign": campaign,
            "unit": OrgUnit.objects.filter(code=campaign.unit_code).first(),
            "progress": progress,
            "round_number": number or (last.number if last else None),
            "may_manage": may_manage and campaign.state == "active",
            "next_start": start,
            "next_due": min(start + dt.timedelta(days=14), campaign.ends_on),
        },
        status=status,
    )


@login_required
@require_GET
def checklists(request):
    _viewer(request.user)
    return render(
        request,
        "inspections/checklists.html",
        {"templates": selectors.templates(), "may_edit": can(request.user, perms.TEMPLATES)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def checklist_edit(request, template_id=None):
    """Edit a checklist (or make one): its name, the premises categories it is for, the
    case category its hazards are filed under, and its items — edited, reordered,
    removed and added in rows. Saving adds a version; past results keep theirs."""
    if not can(request.user, perms.TEMPLATES):
        raise NotFound(_("Not found."))
    template = None
    if template_id is not None:
        template = selectors.templates().filter(pk=parse_id(template_id)).first()
        if template is None:
            raise NotFound(_("The checklist does not exist."))
    earlier = template.current.items if template and template.current else []
    data = {
        "name": template.name if template else "",
        "category_ids": [str(c.pk) for c in template.categories.all()] if template else [],
        "case_category_id": str(template.case_category_id) if template else "",
    }
    errors, status = {}, 200
    if request.method == "POST":
        data = {
            "name": request.POST.get("name", ""),
            "category_ids": request.POST.getlist("category_ids"),
            "case_category_id": request.POST.get("case_category_id", ""),
        }
        rows = forms.ItemFormSet(request.POST, prefix="items")
        if not rows.is_valid():
            errors["items"] = [_("Check the items marked below.")]
            errors["items"] += [str(e) for e in rows.non_form_errors()]
            status = 400
        else:
            try:
                saved = services.template_save(
                    actor=request.user,
                    items=forms.items_of(rows, earlier),
                    template_id=template.pk if template else None,
                    **data,
                )
            except DomainError as exc:
                errors = exc.details if isinstance(exc.details, dict) else {}
                status = exc.status
            else:
                messages.success(
                    request,
                    _("“%(name)s” was saved as version %(n)s.")
                    % {"name": saved.name, "n": saved.current.number},
                )
                return redirect("inspection_checklists")
        if status != 200:
            messages.error(request, _("The checklist was not saved. See the messages below."))
    else:
        rows = forms.ItemFormSet(initial=forms.initial_rows(earlier), prefix="items")
    return render(
        request,
        "inspections/checklist_edit.html",
        {
            "template": template,
            "rows": rows,
            "data": data,
            "errors": errors,
            "categories": PremisesCategory.objects.filter(is_active=True),
            "case_categories": Category.objects.filter(parent__isnull=False, is_active=True)
            .select_related("parent")
            .order_by("parent__sort", "sort", "code"),
        },
        status=status,
    )


# -- notices -------------------------------------------------------------------------


@login_required
@require_GET
def notice_list(request):
    """整改通知书: the open ones, or only the overdue ones, the earliest deadline first."""
    _viewer(request.user)
    overdue = request.GET.get("overdue") == "1"
    try:
        rows, next_cursor = selectors.notices_page(
            request.user, overdue=overdue, cursor=request.GET.get("cursor") or None
        )
    except DomainError:  # a cursor that is not one: the first page
        rows, next_cursor = selectors.notices_page(request.user, overdue=overdue)
    return render(
        request,
        "inspections/notices.html",
        {"rows": rows, "overdue": overdue, "next_cursor": next_cursor},
    )


def _case_url(request, notice) -> str:
    return request.build_absolute_uri(reverse("case_detail", args=[notice.hazard_id]))


@login_required
@require_GET
def notice_page(request, notice_id):
    """The notice on A4, to print (print CSS) or to download as a PDF."""
    notice = selectors.notice_for(request.user, notice_id)
    return render(
        request,
        "inspections/notice.html",
        {"notice": notice, "t": printing.text_of(notice)},
    )


@login_required
@require_GET
def notice_pdf(request, notice_id):
    notice = selectors.notice_for(request.user, notice_id)
    response = HttpResponse(
        printing.notice_pdf(notice, _case_url(request, notice)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    return response


@login_required
@require_GET
def notice_qr(request, notice_id):
    notice = selectors.notice_for(request.user, notice_id)
    return HttpResponse(printing.qr_svg(_case_url(request, notice)), content_type="image/svg+xml")


# -- risk points and alerts ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def risk_page(request):
    """风险点位: the points of the area with their people, and the alerts; those who run
    campaigns declare an alert here."""
    _viewer(request.user)
    status = 200
    if request.method == "POST":
        post = request.POST
        alert, status = attempt(
            request,
            lambda: risk.alert_declare(
                actor=request.user,
                **{k: post.get(k, "") for k in ("unit_code", "title", "level", "message")},
                report_minutes=post.get("report_minutes", ""),
            ),
        )
        if alert is not None:
            messages.success(
                request,
                _("The alert is declared; %(n)d points are told.") % {"n": alert.points.count()},
            )
            return redirect("inspection_alert", alert.pk)
    units = selectors.managed_areas(request.user)
    return render(
        request,
        "inspections/risk.html",
        {
            "points": list(risk.points_visible_to(request.user)[:500]),
            "alerts": list(risk.alerts_visible_to(request.user)[:20]),
            "units": units,
            "levels": ["蓝色", "黄色", "橙色", "红色"],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def alert_page(request, alert_id):
    """The alert board: who has reported, who has not (first), who was late; each point's
    people report from here."""
    alert = risk.alert_for(request.user, alert_id)
    status, refused, posted, errors = 200, None, {}, {}
    if request.method == "POST":
        posted = {k[2:]: v for k, v in request.POST.items() if k.startswith("a_")}
        try:
            risk.alert_report(
                actor=request.user,
                alert_id=alert.pk,
                point_id=request.POST.get("point_id"),
                status=request.POST.get("status", ""),
                note=request.POST.get("note", ""),
                answers=posted,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status, refused = exc.status, request.POST.get("point_id")
            errors = exc.details if isinstance(exc.details, dict) else {}
        else:
            messages.success(request, _("Reported."))
            return redirect("inspection_alert", alert.pk)
    rows = risk.board(request.user, alert)
    for row in rows:
        row.may_report = row.report is None and risk.may_report(request.user, row.point)
        mine = refused == str(row.point.pk)
        row.note = request.POST.get("note", "") if mine else ""
        row.duty = [
            {
                **item,
                "value": str(posted.get(item["key"], "")) if mine else "",
                "errors": errors.get(f"answers.{item['key']}", []) if mine else [],
            }
            for item in risk.duty_items(row.point)
        ]
    return render(
        request,
        "inspections/alert.html",
        {
            "alert": alert,
            "rows": rows,
            "missing": sum(1 for r in rows if r.report is None),
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_GET
def campaign_xlsx(request, campaign_id):
    campaign = selectors.campaign_for(request.user, campaign_id)
    data = exports.campaign_workbook(request.user, campaign)
    return xlsx.response(data, f"{campaign.name}-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@require_GET
def notices_xlsx(request):
    _viewer(request.user)
    overdue = request.GET.get("overdue") == "1"
    data = exports.notices_workbook(request.user, overdue=overdue)
    name = "逾期整改通知书" if overdue else "整改通知书"
    return xlsx.response(data, f"{name}-{timezone.localdate():%Y%m%d}.xlsx")
