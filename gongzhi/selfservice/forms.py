"""What the resident pages offer to choose from: public categories by group, communities,
buildings (public names only)."""

import math
from dataclasses import dataclass

from gongzhi.cases.models import Category
from gongzhi.core.roles import Level
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Building

MAX_NEARBY = 15
NEAR_DEGREES = 0.01  # about 1 km: the box searched around the phone's position


@dataclass
class Group:
    name: str
    categories: list


def category_groups() -> list[Group]:
    """Public, active categories under active groups, in the taxonomy's order."""
    groups: dict[int, Group] = {}
    rows = (
        Category.objects.filter(
            is_public=True, is_active=True, parent__isnull=False, parent__is_active=True
        )
        .select_related("parent")
        .order_by("parent__sort", "parent__code", "sort", "code")
    )
    for c in rows:
        groups.setdefault(c.parent_id, Group(c.parent.name, [])).categories.append(c)
    return list(groups.values())


def communities():
    return OrgUnit.objects.filter(level=Level.COMMUNITY, is_active=True).order_by("code")


def buildings_in(community_id) -> list[Building]:
    try:
        community = communities().get(pk=int(community_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        return []
    return list(
        Building.objects.filter(org_code__within=community.code)
        .only("id", "name")
        .order_by("name")[:500]
    )


def public_building(building_id) -> Building | None:
    """A building by id, as the public pickers offer them (any registered building)."""
    try:
        return Building.objects.only("id", "name", "org_code").get(pk=int(building_id))
    except (Building.DoesNotExist, TypeError, ValueError, OverflowError):
        return None


def buildings_near(lng, lat) -> list[Building]:
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        return []
    if not (math.isfinite(lng) and math.isfinite(lat)):
        return []
    rows = Building.objects.filter(
        lng__range=(lng - NEAR_DEGREES, lng + NEAR_DEGREES),
        lat__range=(lat - NEAR_DEGREES, lat + NEAR_DEGREES),
    ).only("id", "name", "lng", "lat")[:500]
    scale = math.cos(math.radians(lat))
    return sorted(rows, key=lambda b: ((b.lng - lng) * scale) ** 2 + (b.lat - lat) ** 2)[
        :MAX_NEARBY
    ]
