"""Demo places and people: buildings with households in every grid, residents with valid
身份证号 and phones (Faker zh_CN), building heads, premises. Skipped when present."""

import random
import re

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
            count = rnd.randint(6, 10)
            for b in range(1, count + 1):
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
                        family: dict = {}
                        for i in range(size):
                            resident = _resident(fake, rnd, place, household, i, size, tags, family)
                            n_res += 1
                            if head is None and i == 0 and resident.birth_date.year < 1975:
                                head = resident
                if head is not None:
                    BuildingRole.objects.create(
                        building=building, resident=head, role=BuildingRole.Role.HEAD
                    )
            # The grid's public card names the buildings it serves: these ones.
            intro = re.sub(
                r"服务范围：[^，]*号楼", f"服务范围：{estate}1—{count}号楼", grid.introduction
            )
            OrgUnit.objects.filter(pk=grid.pk).update(introduction=intro)
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


# Given names as people of each generation were named (Faker's zh_CN lists mix the
# sexes: 冬梅 and 桂芳 come out of name_male), so a community worker reading the demo
# sees 王建国 born in 1951 and 李梓涵 born in 2016, not a grandmother called 浩然.
GIVEN = {
    ("M", 1960): ["建国", "国强", "建华", "德明", "志刚", "振华", "福生", "保国", "玉山", "长林",
                  "永庆", "文斌", "卫东", "红军", "树林", "金生", "学文", "广田", "庆丰", "秉义"],
    ("F", 1960): ["秀英", "桂英", "秀兰", "玉兰", "桂兰", "淑珍", "凤英", "美兰", "玉珍", "素芬",
                  "翠花", "桂芝", "秀珍", "玉梅", "淑华", "凤兰", "金凤", "兰英", "秀芳", "月娥"],
    ("M", 1990): ["伟", "强", "磊", "军", "勇", "涛", "杰", "斌", "超", "明", "刚", "鹏", "辉",
                  "海涛", "志强", "建军", "小龙", "晓东", "文杰", "永刚"],
    ("F", 1990): ["丽", "敏", "静", "艳", "娟", "芳", "燕", "霞", "红梅", "丽娟", "晓燕", "海燕",
                  "春梅", "雪梅", "丽华", "秀丽", "玉洁", "晓红", "婷婷", "慧敏"],
    ("M", 9999): ["浩然", "子轩", "宇航", "俊杰", "梓豪", "一鸣", "博文", "子豪", "天宇", "皓轩",
                  "明哲", "嘉懿", "思远", "泽宇", "锦程", "睿", "昊天", "家豪", "铭", "奕辰"],
    ("F", 9999): ["梓涵", "欣怡", "子涵", "诗涵", "一诺", "雨桐", "可馨", "思彤", "紫萱", "语嫣",
                  "佳琪", "梦琪", "雨萱", "欣然", "若曦", "晨曦", "心怡", "静怡", "佳怡", "雅琪"],
}  # fmt: skip


def _given_name(rnd, gender: str, born: int) -> str:
    for upto in (1960, 1990, 9999):
        if born < upto:
            return rnd.choice(GIVEN[(gender, upto)])
    return rnd.choice(GIVEN[(gender, 9999)])


def _id_number(rnd, age, gender: str | None = None) -> str:
    """A synthetic 身份证号 with a real check digit, unique within the demo; its 17th digit
    odd for a man, even for a woman, when `gender` says which."""
    import datetime as dt

    from stdnum.cn import ric

    while True:
        birth = dt.date.today() - dt.timedelta(days=age * 365 + rnd.randint(0, 364))
        seq = rnd.randint(0, 999)
        if gender is not None and (seq % 2 == 1) != (gender == "M"):
            seq = seq + 1 if seq < 999 else seq - 1
        body = f"{rnd.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in _issued:
            _issued.add(number)
            return number


def _resident(fake, rnd, place, household, i, size, tags, family):
    """The i-th of a household: the head, a spouse of the other sex and of about the same
    age, then children young enough to be theirs, carrying the head's surname (`family`
    holds the head's surname, sex and age for the rest of the household)."""
    gender = None
    if i == 0:
        age, relation = rnd.randint(30, 90), Relationship.HEAD
        family.clear()
        family["surname"] = fake.last_name()
    elif i == 1 and size > 1:
        age = max(20, min(95, family["age"] + rnd.randint(-5, 5)))
        relation, gender = Relationship.SPOUSE, "F" if family["gender"] == "M" else "M"
    else:  # born when the head was 20 to 42: grown-up children of the elderly
        low = max(1, family["age"] - 42)
        age, relation = rnd.randint(low, max(low, family["age"] - 20)), Relationship.CHILD
    number, birth, gender = clean_id_number(_id_number(rnd, age, gender))
    if i == 0:
        family.update(gender=gender, age=age)
    surname = fake.last_name() if relation == Relationship.SPOUSE else family["surname"]
    if relation == Relationship.SPOUSE and gender == "M":
        family["surname"] = surname  # the children carry their father's surname
    phone = fake.phone_number() if age >= 16 else ""
    resident = Resident.objects.create(
        grid=place,
        org_code=place.code,
        household=household,
        name=surname + _given_name(rnd, gender, birth.year),
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


def basemap(log, small=False):
    """The demo district's offline basemap (orgs.basemap): its roads along the units'
    edges and a footprint for each building of the registry. Skipped when drawn."""
    from gongzhi.orgs import basemap as drawing
    from gongzhi.orgs.models import MapFeature

    district = OrgUnit.objects.filter(code="990101").first()
    if district is None or MapFeature.objects.filter(source=drawing.DEMO).exists():
        log("底图已存在，跳过。")
        return
    buildings = list(
        Building.objects.filter(org_code__within=district.code)
        .order_by("org_code", "pk")
        .values_list("name", "org_code", "lng", "lat")
    )
    n = drawing.draw_demo(district, buildings)
    log(f"底图：{n} 个要素（道路、绿地、水面、{len(buildings)} 栋楼的轮廓）。")
