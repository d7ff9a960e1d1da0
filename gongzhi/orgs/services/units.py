"""Creating and editing org units and departments."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.core import permissions
from gongzhi.core.audit import audit_record, diff
from gongzhi.core.errors import Conflict, DomainError, PermissionDenied
from gongzhi.core.roles import Level, Perm
from gongzhi.orgs.codes import level_for_child_of
from gongzhi.orgs.models import Department, OrgUnit


def _validation_error(exc: ValidationError) -> DomainError:
    details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    first = next(iter(details.values()))[0]
    return DomainError(first, code="invalid", details=details)


def org_unit_create(*, actor, parent: OrgUnit | None, code: str, name: str) -> OrgUnit:
    """Create a unit under `parent` (None: a district). The level follows from the parent."""
    if parent is None:
        if not permissions.scope_for(actor, Perm.ORGS_MANAGE).everything:
            raise PermissionDenied(_("Only a system administrator may create a district."))
    elif not permissions.can(actor, Perm.ORGS_MANAGE, parent):
        raise PermissionDenied(_("You may not add units here."))
    level = level_for_child_of(parent.level if parent else None)
    if level is None:
        raise DomainError(
            _("A micro-grid is the smallest unit; nothing can be placed under it."),
            code="invalid_level",
        )
    code, name = (code or "").strip(), (name or "").strip()
    if not name:
        raise DomainError(
            _("The name is required."), code="invalid", details={"name": ["required"]}
        )
    unit = OrgUnit(code=code, name=name, level=level, parent=parent)
    try:
        unit.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    with transaction.atomic():
        if OrgUnit.objects.filter(code=code).exists():
            raise Conflict(
                _("The code “%(code)s” is already used.") % {"code": code}, code="duplicate_code"
            )
        if OrgUnit.objects.filter(parent=parent, name=name).exists():
            raise Conflict(
                _("“%(name)s” already exists under this unit.") % {"name": name},
                code="duplicate_name",
            )
        try:
            with transaction.atomic():
                unit.save()
        except IntegrityError:
            # A concurrent request took the code or the name between the check and the insert.
            raise Conflict(
                _("The code “%(code)s” is already used.") % {"code": code}, code="duplicate_code"
            ) from None
        audit_record(
            actor=actor,
            action="orgs.unit_created",
            obj=unit,
            changes={"code": code, "name": name, "level": level},
        )
    return unit


def org_unit_rename(*, actor, unit: OrgUnit, name: str) -> OrgUnit:
    if not permissions.can(actor, Perm.ORGS_MANAGE, unit):
        raise PermissionDenied(_("You may not rename this unit."))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_("The name must be 1 to 100 characters."), code="invalid")
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        if OrgUnit.objects.filter(parent=unit.parent_id, name=name).exclude(pk=unit.pk).exists():
            raise Conflict(
                _("“%(name)s” already exists under this unit.") % {"name": name},
                code="duplicate_name",
            )
        before = {"name": unit.name}
        unit.name = name
        unit.save(update_fields=["name", "updated_at"])
        audit_record(
            actor=actor, action="orgs.unit_renamed", obj=unit, changes=diff(before, {"name": name})
        )
    return unit


def org_unit_update_profile(
    *, actor, unit: OrgUnit, service_phone: str, introduction: str
) -> OrgUnit:
    """Edit the unit's public service card (服务电话, 简介)."""
    if not permissions.can(actor, Perm.ORGS_EDIT_PROFILE, unit):
        raise PermissionDenied(_("You may not edit this unit's service card."))
    service_phone = (service_phone or "").strip().replace(" ", "")
    introduction = (introduction or "").strip()
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        before = {"service_phone": unit.service_phone, "introduction": unit.introduction}
        unit.service_phone, unit.introduction = service_phone, introduction
        try:
            unit.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise _validation_error(exc) from None
        changes = diff(before, {"service_phone": service_phone, "introduction": introduction})
        if changes:
            unit.save(update_fields=["service_phone", "introduction", "updated_at"])
            audit_record(actor=actor, action="orgs.unit_profile_updated", obj=unit, changes=changes)
    return unit


def department_create(
    *, actor, district: OrgUnit, code: str, name: str, phone: str = ""
) -> Department:
    if district.level != Level.DISTRICT:
        raise DomainError(_("A department belongs to a district."), code="invalid")
    if not permissions.can(actor, Perm.DEPARTMENTS_MANAGE, district):
        raise PermissionDenied(_("You may not add departments."))
    dept = Department(
        code=(code or "").strip(), name=(name or "").strip(), district=district, phone=phone
    )
    try:
        dept.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    with transaction.atomic():
        if Department.objects.filter(code=dept.code).exists():
            raise Conflict(
                _("The code “%(code)s” is already used.") % {"code": dept.code},
                code="duplicate_code",
            )
        dept.save()
        audit_record(
            actor=actor,
            action="orgs.department_created",
            obj=dept,
            changes={"code": dept.code, "name": dept.name},
        )
    return dept
