"""Demo places and people: buildings with households in every grid, residents with valid
身份证号 and phones (Faker zh_CN), building heads, premises. Skipped when present."""

import random

from django.db import transaction
from faker import Faker

from gongzhi.core.roles import Level
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import (
    Building,
    BuildingRole,
    Household,
    Premises,
    PremisesCategory,
    Relationship,
    ResidenceType,
    Resident,
    Tag,
)
from gongzhi.registry.validation import clean_id_number

ESTATES = [
    "六安公寓",
    "牡丹小区",
    "翠竹苑",
    "兴华家属院",
    "博雅花园",
    "滨河新村",
    "桂园小区",
    "明德里",
]
# Shops and the category each is registered under (理发店、棋牌室、快递驿站 are "九小"场所).
SHOPS = [
    ("便利店", "沿街门店"),
    ("早餐店", "餐饮场所"),
    ("理发店", "九小场所"),
    ("五金店", "沿街门店"),
    ("药店", "沿街门店"),
    ("小饭馆", "餐饮场所"),
    ("水果店", "沿街门店"),
    ("快递驿站", "九小场所"),
    ("洗衣店", "沿街门店"),
    ("棋牌室", "九小场所"),
]


def _point(rnd, grid):
    """A point inside the grid's boundary when it has one (the orgs demo draws them)."""
    boundary = getattr(grid, "boundary", None)
    if not boundary:
        return None, None
    from shapely.geometry import Point, shape

    poly = shape(boundary)
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(50):
        x, y = rnd.uniform(minx, maxx), rnd.uniform(miny, maxy)
        if poly.contains(Point(x, y)):
            return round(x, 7), round(y, 7)
    c = poly.representative_point()
    return round(c.x, 7), round(c.y, 7)


def run(log, small=False):
    """Every grid gets buildings and people; `small` fills only the first three grids."""
    district_code = "990101"
    if Building.objects.filter(org_code__within=district_code).exists():
        log("人房数据已存在，跳过。")
        return
    fake = Faker("zh_CN")
    Faker.seed(3)
    rnd = random.Random(3)
    # The lists are seeded by a migration; a flushed test database has lost them.
    for name, care in (("老年人", True), ("独居/孤寡", True), ("残疾人", True), ("低保", True)):
        Tag.objects.get_or_create(name=name, defaults={"is_care": care})
    for name in ("退役军人", "党员"):
        Tag.objects.get_or_create(name=name)
    for name in ("沿街门店", "九小场所", "餐饮场所"):
        PremisesCategory.objects.get_or_create(name=name)
    tags = {t.name: t for t in Tag.objects.all()}
    categories = {c.name: c for c in PremisesCategory.objects.all()}
    grids = list(
        OrgUnit.objects.filter(code__within=district_code, level=Level.GRID).order_by("code")
    )
    if small:
        grids = grids[:3]
    micro = {}
    for m in OrgUnit.objects.filter(code__within=district_code, level=Level.MICROGRID).order_by(
        "code"
    ):
        micro.setdefault(m.parent_id, []).append(m)
    n_res = n_bld = n_hh = 0
    with transaction.atomic():
        for gi, grid in enumerate(grids):
            estate = ESTATES[gi % len(ESTATES)]
            places = micro.get(grid.pk) or [grid]
            for b in range(1, rnd.randint(6, 10) + 1):
                place = places[(b - 1) % len(places)]
                lng, lat = _point(rnd, place)
                floors = rnd.choice([6, 6, 7, 11, 18])
                building = Building.objects.create(
                    grid=place,
                    org_code=place.code,
                    name=f"{estate}{b}号楼",
                    address=f"{fake.street_name()}{rnd.randint(1, 300)}号{estate}{b}号楼",
                    floors=floors,
                    lng=lng,
                    lat=lat,
                )
                n_bld += 1
                head = None
                for u in range(1, rnd.randint(1, 3) + 1):
                    for _ in range(rnd.randint(2, 5)):
                        room = f"{rnd.randint(1, floors)}0{rnd.randint(1, 4)}"
                        household, created = Household.objects.get_or_create(
                            building=building,
                            unit_name=f"{u}单元",
                            room=room,
                            defaults={"org_code": place.code},
                        )
                        if not created:
                            continue
                        n_hh += 1
                        size = rnd.choice([1, 1, 2, 2, 3, 3, 4, 5])
                        for i in range(size):
                            resident = _resident(fake, rnd, place, household, i, size, tags)
                            n_res += 1
                            if head is None and i == 0 and resident.birth_date.year < 1975:
                                head = resident
                if head is not None:
                    BuildingRole.objects.create(
                        building=building, resident=head, role=BuildingRole.Role.HEAD
                    )
            for _ in range(rnd.randint(3, 8)):
                place = rnd.choice(places)
                lng, lat = _point(rnd, place)
                shop, category = rnd.choice(SHOPS)
                Premises.objects.create(
                    grid=place,
                    org_code=place.code,
                    name=f"{fake.last_name()}记{shop}",
                    category=categories[category],
                    address=f"{fake.street_name()}{rnd.randint(1, 300)}号",
                    responsible_name=fake.name(),
                    lng=lng,
                    lat=lat,
                    **pii.seal_phone(fake.phone_number()),
                )
    log(f"人房数据：{n_bld} 栋楼，{n_hh} 户，{n_res} 名居民，{Premises.objects.count()} 家场所。")


REGIONS = ["410302", "410303", "410304", "410305", "410307", "410311", "410322", "410323"]
_issued: set[str] = set()


def _id_number(rnd, age) -> str:
    """A synthetic 身份证号 with a real check digit, unique within the demo."""
    import datetime as dt

    from stdnum.cn import ric

    while True:
        birth = dt.date.today() - dt.timedelta(days=age * 365 + rnd.randint(0, 364))
        body = f"{rnd.choice(REGIONS)}{birth:%Y%m%d}{rnd.randint(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in _issued:
            _issued.add(number)
            return number


def _resident(fake, rnd, place, household, i, size, tags):
    if i == 0:
        age, relation = rnd.randint(30, 90), Relationship.HEAD
    elif i == 1 and size > 1:
        age, relation = rnd.randint(28, 88), Relationship.SPOUSE
    else:
        age, relation = rnd.randint(1, 40), Relationship.CHILD
    number, birth, gender = clean_id_number(_id_number(rnd, age))
    phone = fake.phone_number() if age >= 16 else ""
    resident = Resident.objects.create(
        grid=place,
        org_code=place.code,
        household=household,
        name=fake.name_male() if gender == "M" else fake.name_female(),
        gender=gender,
        birth_date=birth,
        relationship=relation,
        residence_type=rnd.choices(list(ResidenceType), weights=[70, 20, 10])[0],
        phone_last4=phone[-4:],
        **pii.seal_id_number(number),
        **pii.seal_phone(phone),
    )
    chosen = []
    if age >= 60:
        chosen.append(tags.get("老年人"))
        if size == 1 and rnd.random() < 0.5:
            chosen.append(tags.get("独居/孤寡"))
    if rnd.random() < 0.04:
        chosen.append(tags.get("残疾人"))
    if rnd.random() < 0.03:
        chosen.append(tags.get("低保"))
    if age >= 40 and rnd.random() < 0.05:
        chosen.append(tags.get("退役军人"))
    if age >= 25 and rnd.random() < 0.08:
        chosen.append(tags.get("党员"))
    chosen = [t for t in chosen if t]
    if chosen:
        resident.tags.set(chosen)
    return resident
