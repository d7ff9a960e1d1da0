"""The demo district as the cases find it: its grids, places, staff, departments,
residents and reporters, the working calendar, and the desks' opening hours."""

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from faker import Faker
from shapely import prepared
from shapely.geometry import shape

from gongzhi.accounts.models import Position
from gongzhi.cases.models import (
    Category,
)
from gongzhi.core.calendar import work_calendar
from gongzhi.core.roles import CODE_LENGTH, Level, Role
from gongzhi.orgs.models import Department, OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Building, Premises, Resident

DISTRICT = "990101"
FULL_CASES, SMALL_CASES = 3000, 150
DAYS = 182
PERSONS = 200  # reporters with a phone, sealed once and reused
SEED = 20261122

MINUTE, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)

# -- the world the cases happen in -------------------------------------------------


@dataclass
class Person:
    name: str
    sealed: dict


@dataclass
class Grid:
    unit: OrgUnit
    community_code: str
    worker: object | None
    community_worker: object | None
    operators: list  # the nearest first
    leaders: list
    buildings: list = field(default_factory=list)
    places: list = field(default_factory=list)  # (unit, prepared polygon, polygon)
    premises: list = field(default_factory=list)
    streets: list = field(default_factory=list)
    persons: list = field(default_factory=list)
    weight: float = 1.0


class World:
    def __init__(self, small: bool):
        self.small = small
        self.rnd = random.Random(SEED + (1 if small else 0))
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(SEED)
        self.now = timezone.now()
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.cal = work_calendar()
        # Filled by load(): who works where, the departments, residents, reporters.
        self.at_code: dict[tuple[str, str], list] = {}
        self.departments: dict[str, Department] = {}
        self.handlers: dict[int, list] = {}
        self.residents: dict[int, list] = {}
        self.all_persons: list[Person] = []
        self.categories: dict[str, list[Category]] = {}

    # time ----------------------------------------------------------------------

    def local(self, day: dt.date, hours: float) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(), tzinfo=self.tz) + dt.timedelta(hours=hours)
        return moment.astimezone(dt.UTC)

    def within(self, t: dt.datetime, start: float, end: float, workdays: bool) -> dt.datetime:
        """`t`, or the next opening of a desk open from `start` to `end` o'clock."""
        loc = timezone.localtime(t, self.tz)
        hours = loc.hour + loc.minute / 60
        day = loc.date()
        open_today = not workdays or self.cal.is_working_day(day)
        if open_today and start <= hours < end:
            return t
        if not (open_today and hours < start):
            day += DAY
            while workdays and not self.cal.is_working_day(day):
                day += DAY
        return self.local(day, start) + MINUTE * self.rnd.uniform(0, 80)

    def duty(self, t):  # the command center: every day, early till late
        return self.within(t, 7.5, 22, False)

    def office(self, t):  # departments and communities: working days
        return self.within(t, 8.5, 17.5, True)

    def field_hours(self, t):  # grid workers walk their grid every day
        return self.within(t, 8, 19, False)

    def span(self, lo: dt.timedelta, hi: dt.timedelta) -> dt.timedelta:
        return lo + (hi - lo) * self.rnd.random()

    # rules ---------------------------------------------------------------------

    def pick(self, weighted):
        items, weights = zip(*weighted, strict=True)
        return self.rnd.choices(items, weights=weights)[0]


def load(w: World) -> list[Grid]:
    units = {
        u.pk: u
        for u in OrgUnit.objects.filter(
            code__within=DISTRICT, level__in=(Level.GRID, Level.MICROGRID)
        ).only("id", "code", "name", "level", "parent_id", "boundary")
    }

    def grid_of(unit_id):
        unit = units[unit_id]
        return units.get(unit.parent_id, unit) if unit.level == Level.MICROGRID else unit

    buildings = list(Building.objects.filter(org_code__within=DISTRICT).order_by("org_code", "id"))
    by_grid: dict[int, list] = {}
    for b in buildings:
        if b.grid_id in units:
            by_grid.setdefault(grid_of(b.grid_id).pk, []).append(b)
    if not by_grid:
        return []

    positions = list(
        Position.objects.filter(
            is_active=True,
            role__in=(Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.OPERATOR, Role.LEADER),
            org_code__within=DISTRICT,
        )
        .select_related("user")
        .order_by("id")
    )
    at_code: dict[tuple[str, str], list] = {}
    for p in positions:
        if p.user.is_active:
            at_code.setdefault((p.role, p.org_code), []).append(p.user)

    def nearest(role, code):
        users = []
        for n in sorted(set(CODE_LENGTH.values()), reverse=True):
            if n <= len(code):
                users += at_code.get((role, code[:n]), [])
        return users

    w.at_code = at_code
    handlers: dict[int, list] = {}
    for p in Position.objects.filter(
        is_active=True, role=Role.DEPARTMENT_HANDLER, department__district__code=DISTRICT
    ).select_related("user"):
        handlers.setdefault(p.department_id, []).append(p.user)
    w.departments = {
        d.code.rsplit("-", 1)[-1]: d
        for d in Department.objects.filter(district__code=DISTRICT, is_active=True)
        if handlers.get(d.pk)
    }
    w.handlers = handlers

    residents: dict[int, list] = {}
    for rid, building_id, name in Resident.objects.filter(
        org_code__within=DISTRICT, household__isnull=False
    ).values_list("id", "household__building_id", "name"):
        residents.setdefault(building_id, []).append((rid, name))
    w.residents = residents

    grids = []
    for grid_id, blds in sorted(by_grid.items(), key=lambda kv: units[kv[0]].code):
        unit = units[grid_id]
        community = unit.code[: CODE_LENGTH[Level.COMMUNITY]]
        operators = nearest(Role.OPERATOR, unit.code)
        if not operators:
            continue
        g = Grid(
            unit=unit,
            community_code=community,
            worker=(at_code.get((Role.GRID_WORKER, unit.code)) or [None])[0],
            community_worker=(at_code.get((Role.COMMUNITY_WORKER, community)) or [None])[0],
            operators=operators,
            leaders=nearest(Role.LEADER, unit.code),
            buildings=blds,
            weight=w.rnd.uniform(0.6, 1.4),
        )
        kids = [u for u in units.values() if u.parent_id == unit.pk and u.boundary]
        for place in sorted(kids, key=lambda u: u.code) or ([unit] if unit.boundary else []):
            poly = shape(place.boundary)
            g.places.append((place, prepared.prep(poly), poly))
        for b in blds:
            m = re.match(r"^(\D+?)\d+号", b.address or "")
            if m and m.group(1) not in g.streets:
                g.streets.append(m.group(1))
        grids.append(g)
    if not grids:
        return []
    by_unit = {}
    for g in grids:
        by_unit[g.unit.pk] = g
        for place, _p, _poly in g.places:
            by_unit[place.pk] = g
    for shop in Premises.objects.filter(org_code__within=DISTRICT, is_active=True).order_by("id"):
        g = by_unit.get(shop.grid_id)
        if g is not None and shop.lng is not None:
            g.premises.append(shop)
            m = re.match(r"^(\D+?)\d+号", shop.address or "")
            if m and m.group(1) not in g.streets:
                g.streets.append(m.group(1))
    for g in grids:
        g.streets = g.streets or [w.fake.street_name() for _ in range(3)]
    # Reporters with a phone: each lives in one grid.
    for i in range(PERSONS):
        phone = f"1{w.rnd.choice('3578')}{w.rnd.randint(0, 999999999):09d}"
        person = Person(w.fake.name(), pii.seal_phone(phone))
        grids[i % len(grids)].persons.append(person)
    w.all_persons = [p for g in grids for p in g.persons]
    for c in Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent"):
        w.categories.setdefault(c.parent.code, []).append(c)
    return grids
