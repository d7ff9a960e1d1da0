"""Every write on inspections: templates and their versions, campaigns, rounds and their
tasks, and an inspection's result (with the hazard case its failed items become).

Each service checks its permission over the area, validates, writes in one transaction
with an audit row, and changes nothing when it refuses. What the actor may not see is
NotFound, the same as what does not exist.
"""

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Category, Channel, Urgency
from gongzhi.core import dates
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied, raise_if
from gongzhi.core.http.forms import clean_client_id, parse_id
from gongzhi.core.permissions import can, scope_for
from gongzhi.inspections import checklists, perms
from gongzhi.inspections.models import (
    CampaignState,
    ChecklistTemplate,
    ChecklistVersion,
    InspectionCampaign,
    InspectionResult,
    InspectionRound,
    InspectionTask,
    Outcome,
    Severity,
    TaskState,
)
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Premises, PremisesCategory
from gongzhi.registry.services import clean_float, clean_text

MAX_NAME = 100
MAX_NOTE = 500
MAX_CAMPAIGN_DAYS = 366


def _categories(ids, errors) -> list[PremisesCategory]:
    given = ids if isinstance(ids, list | tuple | set) else ()
    wanted = {parse_id(i) for i in given} - {None}
    if len(wanted) != len(set(given)):
        wanted = set()
    found = list(PremisesCategory.objects.filter(pk__in=wanted, is_active=True))
    if not wanted or len(found) != len(wanted):
        errors.setdefault("category_ids", []).append(_("Choose one or more premises categories."))
    return found


# -- templates -----------------------------------------------------------------------


def template_save(
    *, actor, name: str, category_ids, case_category_id, items, template_id=None
) -> ChecklistTemplate:
    """Create a template, or edit one: the edit adds a version (results made with the
    earlier one keep it). A category has at most one active template."""
    if not can(actor, perms.TEMPLATES):
        raise PermissionDenied(_("You may not edit checklists."))
    errors: dict[str, list[str]] = {}
    name = clean_text(name, 50, "name", errors, required=True)
    categories = _categories(category_ids, errors)
    case_category = Category.objects.filter(
        pk=parse_id(case_category_id),
        parent__isnull=False,
        is_active=True,
    ).first()
    if case_category is None:
        errors.setdefault("case_category_id", []).append(_("Choose a case category."))
    try:
        cleaned = checklists.clean_items(items)
    except ValueError as exc:
        errors.setdefault("items", []).append(str(exc))
        cleaned = []
    template = None
    if template_id is not None:
        template = ChecklistTemplate.objects.filter(pk=template_id).first()
        if template is None:
            raise NotFound(_("The checklist does not exist."))
    taken = (
        ChecklistTemplate.objects.filter(is_active=True, categories__in=categories)
        .exclude(pk=getattr(template, "pk", None))
        .values_list("name", flat=True)
        .first()
    )
    if taken:
        errors.setdefault("category_ids", []).append(
            _("A category already has the checklist “%(name)s”.") % {"name": taken}
        )
    if ChecklistTemplate.objects.filter(name=name).exclude(pk=getattr(template, "pk", None)):
        errors.setdefault("name", []).append(_("A checklist with this name exists."))
    raise_if(errors)
    with transaction.atomic():
        if template is None:
            template = ChecklistTemplate.objects.create(name=name, case_category=case_category)
            number = 1
        else:
            template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
            template.name, template.case_category = name, case_category
            template.save(update_fields=["name", "case_category"])
            number = (template.current.number if template.current else 0) + 1
        template.categories.set(categories)
        ChecklistVersion.objects.create(
            template=template, number=number, items=cleaned, created_by=actor
        )
        audit_record(
            actor=actor,
            action="inspections.template_save",
            obj=template,
            changes={"version": number, "items": len(cleaned)},
        )
    return template


# -- campaigns and rounds ------------------------------------------------------------


def _date(value, name, errors) -> dt.date | None:
    """A date within core.dates' bounds, given as a date or as YYYY-MM-DD."""
    try:
        if isinstance(value, dt.date):
            return value if dates.in_bounds(value) else dates.parse_day("0000-00-00", name)
        return dates.parse_day(str(value or ""), name, code="invalid")
    except Invalid as exc:
        errors.setdefault(name, []).append(exc.message)
        return None


def campaign_create(
    *, actor, unit_code: str, name: str, starts_on, ends_on, category_ids, phases=()
) -> InspectionCampaign:
    """整治行动 over an org unit's premises of the chosen categories."""
    unit = OrgUnit.objects.filter(code=str(unit_code or "")).first()
    if unit is None or not can(actor, perms.VIEW, unit):
        raise NotFound(_("The org unit does not exist or is outside your area."))
    if not can(actor, perms.MANAGE, unit):
        raise PermissionDenied(_("You may not run inspection campaigns here."))
    errors: dict[str, list[str]] = {}
    name = clean_text(name, MAX_NAME, "name", errors, required=True)
    starts_on = _date(starts_on, "starts_on", errors)
    ends_on = _date(ends_on, "ends_on", errors)
    if starts_on and ends_on and not 0 <= (ends_on - starts_on).days <= MAX_CAMPAIGN_DAYS:
        errors.setdefault("ends_on", []).append(
            _("A campaign ends on or after its first day, within a year.")
        )
    categories = _categories(category_ids, errors)
    cleaned_phases = []
    for n, phase in enumerate(phases or (), start=1):
        phase = phase if isinstance(phase, dict) else {}
        label = clean_text(phase.get("name"), 30, f"phases.{n}", errors, required=True)
        start = _date(phase.get("start"), f"phases.{n}", errors)
        end = _date(phase.get("end"), f"phases.{n}", errors)
        if start and end and starts_on and ends_on and not starts_on <= start <= end <= ends_on:
            errors.setdefault(f"phases.{n}", []).append(_("A phase lies within the campaign."))
        cleaned_phases.append({"name": label, "start": str(start), "end": str(end)})
    raise_if(errors)
    with transaction.atomic():
        campaign = InspectionCampaign.objects.create(
            name=name,
            unit_code=unit.code,
            starts_on=starts_on,
            ends_on=ends_on,
            phases=cleaned_phases,
            created_by=actor,
        )
        campaign.categories.set(categories)
        audit_record(
            actor=actor,
            action="inspections.campaign_create",
            obj=campaign,
            changes={"unit": unit.code, "categories": [c.name for c in categories]},
        )
    return campaign


def _campaign_to_manage(actor, campaign_id) -> InspectionCampaign:
    from gongzhi.inspections.selectors import campaign_for

    campaign = campaign_for(actor, campaign_id)
    if not scope_for(actor, perms.MANAGE).covers_code(campaign.unit_code):
        raise PermissionDenied(_("You may not run this campaign."))
    if campaign.state != CampaignState.ACTIVE:
        raise Conflict(_("The campaign is closed."), code="campaign_closed")
    return campaign


def round_add(*, actor, campaign_id, starts_on, due_on) -> InspectionRound:
    """The next round of a campaign (第N轮), and its tasks."""
    campaign = _campaign_to_manage(actor, campaign_id)
    errors: dict[str, list[str]] = {}
    starts_on = _date(starts_on, "starts_on", errors)
    due_on = _date(due_on, "due_on", errors)
    if starts_on and due_on and not campaign.starts_on <= starts_on <= due_on <= campaign.ends_on:
        errors.setdefault("due_on", []).append(_("A round starts and ends within the campaign."))
    raise_if(errors)
    with transaction.atomic():
        campaign = InspectionCampaign.objects.select_for_update().get(pk=campaign.pk)
        last = campaign.rounds.order_by("-number").values_list("number", flat=True).first()
        round_ = InspectionRound.objects.create(
            campaign=campaign,
            number=(last or 0) + 1,
            starts_on=starts_on,
            due_on=due_on,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="inspections.round_add",
            obj=round_,
            changes={"number": round_.number, "due_on": str(due_on)},
        )
    round_generate(actor=actor, round_id=round_.pk)
    round_.refresh_from_db()
    return round_


def templates_by_category(category_ids) -> dict[int, int]:
    """category id -> its active template's id."""
    return dict(
        ChecklistTemplate.categories.through.objects.filter(
            premisescategory_id__in=category_ids, checklisttemplate__is_active=True
        ).values_list("premisescategory_id", "checklisttemplate_id")
    )


def round_generate(*, actor, round_id) -> int:
    """One task per open premises of the campaign's area and categories, for the workers
    of its grid or micro-grid. Idempotent: premises that already have a task in the round
    are skipped (the unique (round, premises) constraint decides), so running it again
    after premises were added gives the new ones theirs. Premises whose category has no
    checklist get none. Returns the number of tasks made.

    One INSERT … SELECT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL both have it): a
    round of a city district's 100,000 premises is made in the database, not row by row
    through Python (docs/performance.md, "Inspections")."""
    round_ = InspectionRound.objects.select_related("campaign").filter(pk=round_id).first()
    if round_ is None:
        raise NotFound(_("The round does not exist or is outside your area."))
    campaign = _campaign_to_manage(actor, round_.campaign_id)
    templates = templates_by_category(list(campaign.categories.values_list("pk", flat=True)))
    made = 0
    with transaction.atomic():
        if templates:
            made = _insert_tasks(round_, campaign.unit_code, templates)
        InspectionRound.objects.filter(pk=round_.pk).update(generated_at=timezone.now())
        audit_record(
            actor=actor, action="inspections.round_generate", obj=round_, changes={"tasks": made}
        )
    return made


def _insert_tasks(round_, unit_code: str, templates: dict[int, int]) -> int:
    q = connection.ops.quote_name
    task, premises = InspectionTask._meta.db_table, Premises._meta.db_table
    when = " ".join("WHEN %s THEN %s" for _ in templates)
    sql = (
        f"INSERT INTO {q(task)} (round_id, premises_id, org_code, template_id, due_on, state, "
        "item_keys, created_at) "
        f"SELECT %s, p.id, p.org_code, CASE p.category_id {when} END, %s, %s, %s, %s "
        f"FROM {q(premises)} p WHERE p.is_active AND p.org_code >= %s AND p.org_code < %s "
        f"AND p.category_id IN ({', '.join('%s' for _ in templates)}) "
        "ON CONFLICT (round_id, premises_id) DO NOTHING"
    )
    params = [
        round_.pk,
        *(v for pair in templates.items() for v in pair),
        round_.due_on,
        TaskState.OPEN,
        "[]",
        timezone.now(),
        unit_code,
        unit_code + ":",  # the codes within `unit_code` (core.fields: ':' follows '9')
        *templates,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# -- inspecting ----------------------------------------------------------------------


def _task_to_inspect(actor, task_id) -> InspectionTask:
    task = (
        InspectionTask.objects.select_related("premises", "template", "round")
        .filter(pk=task_id)
        .first()
    )
    if task is None or not scope_for(actor, perms.INSPECT).covers_code(task.org_code):
        raise NotFound(_("The task does not exist or is not yours."))
    return task


def version_for(task: InspectionTask) -> ChecklistVersion:
    """The version an inspection of `task` answers: a re-inspection answers the one its
    original was made with; a first inspection, the template's current one."""
    if task.reinspects_id is not None:
        return task.reinspects.result.version
    version = task.template.current
    if version is None:
        raise Conflict(_("The checklist has no items."), code="no_checklist")
    return version


def items_for(task: InspectionTask, version: ChecklistVersion) -> list[dict]:
    if task.reinspects_id is not None:
        return [i for i in version.items if i["key"] in set(task.item_keys)]
    return list(version.items)


def task_submit(
    *,
    actor,
    task_id,
    client_id: str,
    outcome: str = Outcome.INSPECTED,
    answers=None,
    photos=None,
    note: str = "",
    device_at=None,
    lng=None,
    lat=None,
    accuracy_m=None,
) -> tuple[InspectionResult, bool]:
    """Record an inspection. `client_id` is made by the phone once per submission: a
    resent one returns the result it made (created False). The first submission of a task
    wins; a later one is Conflict "already_inspected". Failed items become one hazard case
    (kind "hazard"), with the photos of the failed items, in the same transaction."""
    client_id = clean_client_id(client_id)
    earlier = InspectionResult.objects.filter(client_id=client_id).first()
    if earlier is not None:
        if earlier.inspector_id != actor.pk or earlier.task_id != parse_id(task_id):
            raise Conflict(_("This submission id is taken."), code="client_id_taken")
        return earlier, False
    task = _task_to_inspect(actor, task_id)
    if task.state != TaskState.OPEN:
        raise Conflict(_("This premises has already been inspected."), code="already_inspected")
    version = version_for(task)
    items = items_for(task, version)
    photos = {str(k): v for k, v in (photos or {}).items() if v}
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors.setdefault("outcome", []).append(_("Choose one of the options."))
    note = clean_text(note, MAX_NOTE, "note", errors, required=outcome == Outcome.REFUSED)
    lng = clean_float(lng, "lng", errors, -180, 180)
    lat = clean_float(lat, "lat", errors, -90, 90)
    accuracy_m = clean_float(accuracy_m, "accuracy_m", errors, 0, 100_000)
    if isinstance(device_at, dt.datetime):
        device_at = device_at.isoformat()
    try:
        device_at = dates.parse_moment(str(device_at or ""), "device_at")
    except Invalid as exc:
        errors.setdefault("device_at", []).append(exc.message)
        device_at = None
    checked = checklists.Checked({}, [], {})
    if outcome == Outcome.INSPECTED:
        checked = checklists.check_answers(items, answers, photos=set(photos))
        for key, messages in checked.errors.items():
            errors.setdefault(f"answers.{key}", []).extend(messages)
    raise_if(errors)
    failed_keys = [i["key"] for i in checked.failed]
    try:
        with transaction.atomic():
            locked = InspectionTask.objects.select_for_update().get(pk=task.pk)
            if locked.state != TaskState.OPEN:
                raise Conflict(
                    _("This premises has already been inspected."), code="already_inspected"
                )
            result = InspectionResult.objects.create(
                task=locked,
                version=version,
                client_id=client_id,
                outcome=outcome,
                answers=checked.answers,
                failed_keys=failed_keys,
                passed=outcome == Outcome.INSPECTED and not failed_keys,
                note=note,
                inspector=actor,
                device_at=device_at or None,
                lng=lng,
                lat=lat,
                accuracy_m=accuracy_m,
                received_at=timezone.now(),
            )
            if checked.failed and task.reinspects_id is None:
                result.hazard = _hazard_report(actor, task, checked.failed, photos, result)
                result.save(update_fields=["hazard"])
            if locked.notice_id is not None:
                from gongzhi.inspections import notices

                notices.reinspected(actor, locked, result)
            locked.state = TaskState.DONE
            locked.save(update_fields=["state"])
            audit_record(
                actor=actor,
                action="inspections.task_submit",
                obj=locked,
                changes={"outcome": outcome, "failed": failed_keys},
            )
    except IntegrityError:
        # The same client_id or the same task raced another request: that one won.
        earlier = InspectionResult.objects.filter(client_id=client_id).first()
        if earlier is not None and earlier.inspector_id == actor.pk:
            return earlier, False
        raise Conflict(
            _("This premises has already been inspected."), code="already_inspected"
        ) from None
    return result, True


def _hazard_report(actor, task, failed, photos, result):
    """The hazard case of an inspection's failed items, reported by the inspector through
    the loop's intake (kind "hazard", channel 巡查), the failed items' photos attached."""
    from gongzhi.inspections.kind import HazardIn

    premises = task.premises
    worst = checklists.worst(failed)
    coded = [i["category"] for i in failed if i["severity"] == worst and i["category"]]
    category = Category.objects.filter(code__in=coded).first() if coded else None
    category = category or task.template.case_category
    lines = [
        f"{n}. {i['text']}" + (f"（{i['note']}）" if i["note"] else "")
        for n, i in enumerate(failed, start=1)
    ]
    description = _("Inspection of %(premises)s found:") % {"premises": premises.name}
    description = description + "\n" + "\n".join(lines)
    with_photo = [i["key"] for i in failed if i["key"] in photos]
    case, _created = case_services.case_report(
        actor=actor,
        category_id=category.pk,
        title=_("Hazard at %(premises)s") % {"premises": premises.name[:60]},
        description=description[:2000],
        grid_id=premises.grid_id,
        lng=premises.lng,
        lat=premises.lat,
        address=premises.address or premises.name,
        # A major hazard (重大隐患) is urgent: its deadlines are the urgent policy's.
        urgency=Urgency.URGENT if worst == Severity.HIGH else Urgency.NORMAL,
        photos=[photos[k] for k in with_photo],
        kind="hazard",
        details=HazardIn(
            premises_id=premises.pk,
            task_id=task.pk,
            items=[{k: i[k] for k in ("key", "text", "severity", "note", "basis")} for i in failed],
            severity=worst,
        ),
        via=Channel.PATROL,
    )
    stored = list(case.attachments.order_by("id").values_list("pk", flat=True))
    for key, attachment_id in zip(with_photo, stored, strict=False):
        result.answers[key]["photo"] = attachment_id
    result.save(update_fields=["answers"])
    return case
