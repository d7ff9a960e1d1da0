"""Scoped reads of places and people. Lists never decrypt: they show the masked forms."""

import re

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.core.permissions import scope_for
from gongzhi.core.pii_text import fold
from gongzhi.core.roles import Perm
from gongzhi.registry import pii
from gongzhi.registry.models import Building, Household, Premises, ResidenceType, Resident
from gongzhi.registry.validation import FieldError, clean_phone

_ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
_PHONE_SUFFIX = re.compile(r"^[0-9]{4}$")
_FULL_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def _mobile_or_empty(q: str) -> str:
    try:
        return clean_phone(q)
    except FieldError:
        return ""


def _scoped(model, user) -> QuerySet:
    return model.objects.filter(scope_for(user, Perm.REGISTRY_VIEW).q("org_code"))


def buildings_visible_to(user) -> QuerySet[Building]:
    return _scoped(Building, user).select_related("grid")


def households_visible_to(user) -> QuerySet[Household]:
    return _scoped(Household, user).select_related("building")


def residents_visible_to(user) -> QuerySet[Resident]:
    return _scoped(Resident, user).select_related("grid", "household__building")


def premises_visible_to(user) -> QuerySet[Premises]:
    return _scoped(Premises, user).select_related("grid", "category")


def _one(qs, pk, message):
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, TypeError, ValueError):
        raise NotFound(message) from None


def building_for(user, pk) -> Building:
    return _one(
        buildings_visible_to(user), pk, _("The building does not exist or is outside your area.")
    )


def household_for(user, pk) -> Household:
    return _one(
        households_visible_to(user), pk, _("The household does not exist or is outside your area.")
    )


def resident_for(user, pk) -> Resident:
    return _one(
        residents_visible_to(user), pk, _("The resident does not exist or is outside your area.")
    )


def premises_for(user, pk) -> Premises:
    return _one(
        premises_visible_to(user), pk, _("The premises does not exist or is outside your area.")
    )


def residents_search(
    user,
    *,
    q: str = "",
    within: str = "",
    residence_type: str = "",
    tag_id: int | None = None,
    building_id: int | None = None,
) -> QuerySet[Resident]:
    """Search by name, masked phone suffix (4 digits), full mobile or exact 身份证号
    (through the keyed hash) and address (building name or address)."""
    qs = residents_visible_to(user).filter(is_active=True)
    q = (q or "").strip()
    # A number as people type it: full-width, spaced, with +86 (the hashes hold the
    # canonical form).
    number = re.sub(r"[\s\-]", "", fold(q)).upper()
    if q:
        if _ID_NUMBER.match(number):
            qs = qs.filter(id_number_hash=pii.id_number_hash(number))
        elif _PHONE_SUFFIX.match(number):
            qs = qs.filter(phone_last4=number)
        elif _FULL_MOBILE.match(phone := _mobile_or_empty(q)):
            qs = qs.filter(phone_hash=pii.phone_hash(phone))
        else:
            qs = qs.filter(
                Q(name__contains=q)
                | Q(household__building__name__contains=q)
                | Q(household__building__address__contains=q)
            )
    if within:
        qs = qs.filter(org_code__within=within)
    if residence_type:
        qs = qs.filter(residence_type=residence_type)
    if tag_id:
        qs = qs.filter(tags__id=tag_id)
    if building_id:
        qs = qs.filter(household__building_id=building_id)
    return qs


def grid_statistics(user, *, within: str = "") -> list[dict]:
    """Per grid (or micro-grid) of the user's area: buildings, households, residents by
    residence type and by tag. A handful of GROUP BY queries, whatever the area's size."""
    from gongzhi.orgs.models import OrgUnit
    from gongzhi.registry.models import Tag

    def grouped(qs, *extra):
        if within:
            qs = qs.filter(org_code__within=within)
        return qs.values("org_code", *extra).annotate(n=Count("id"))

    rows: dict[str, dict] = {}

    def row(code):
        return rows.setdefault(
            code,
            {
                "code": code,
                "buildings": 0,
                "households": 0,
                "residents": 0,
                "by_type": {},
                "by_tag": {},
            },
        )

    for r in grouped(_scoped(Building, user)):
        row(r["org_code"])["buildings"] = r["n"]
    for r in grouped(_scoped(Household, user)):
        row(r["org_code"])["households"] = r["n"]
    for r in grouped(_scoped(Resident, user).filter(is_active=True), "residence_type"):
        entry = row(r["org_code"])
        entry["residents"] += r["n"]
        entry["by_type"][r["residence_type"]] = r["n"]
    tag_names = dict(Tag.objects.values_list("id", "name"))
    for r in grouped(_scoped(Resident, user).filter(is_active=True, tags__isnull=False), "tags"):
        row(r["org_code"])["by_tag"][tag_names.get(r["tags"], "?")] = r["n"]
    names = dict(OrgUnit.objects.filter(code__in=list(rows)).values_list("code", "name"))
    result = []
    for code in sorted(rows):
        entry = rows[code]
        entry["name"] = names.get(code, code)
        entry["types"] = [(t.label, entry["by_type"].get(t.value, 0)) for t in ResidenceType]
        result.append(entry)
    return result


def editable_grids(user) -> list:
    """Grids and micro-grids where the user may keep data, for form choices."""
    from gongzhi.orgs.models import OrgUnit

    scope = scope_for(user, Perm.REGISTRY_EDIT)
    return list(
        OrgUnit.objects.filter(scope.q("code"), level__in=("grid", "microgrid"), is_active=True)
        .select_related("parent")
        .order_by("code")
    )
