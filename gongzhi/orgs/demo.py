"""The demo district: a fictional 区 with 2 街道, 6 社区, 40 网格 and their 微网格.

Idempotent: units are found by code, so running it again changes nothing.
"""

import random

from faker import Faker

from gongzhi.core.roles import Level
from gongzhi.orgs.models import Department, OrgUnit

DISTRICT = ("990101", "青禾区")
SUBDISTRICTS = [
    ("001", "明德路街道", [("001", "桂园社区", 7), ("002", "翠竹社区", 7), ("003", "兴华社区", 7)]),
    ("002", "和平里街道", [("001", "博雅社区", 7), ("002", "新村社区", 6), ("003", "滨河社区", 6)]),
]
DEPARTMENTS = [
    ("CG", "区城市管理局", "0379-62110001"),
    ("SJ", "区市场监督管理局", "0379-62110002"),
    ("ZJ", "区住房和城乡建设局", "0379-62110003"),
    ("HB", "区生态环境分局", "0379-62110004"),
    ("GA", "青禾公安分局明德路派出所", "0379-62110005"),
    ("WY", "安居物业服务有限公司", "0379-62110006"),
]
ESTATES = ["小区", "家属院", "花园", "新村", "苑", "公寓"]


def _unit(code, name, level, parent, **extra):
    unit, _ = OrgUnit.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, **extra}
    )
    return unit


def run(log):
    fake = Faker("zh_CN")
    Faker.seed(20261122)
    rnd = random.Random(20261122)
    district = _unit(
        DISTRICT[0],
        DISTRICT[1],
        Level.DISTRICT,
        None,
        service_phone="0379-12345678",
        introduction="青禾区网格化管理联动指挥中心：统一受理、集中研判、及时交办、限时办结。",
    )
    grids = 0
    for s_code, s_name, communities in SUBDISTRICTS:
        sub = _unit(
            district.code + s_code,
            s_name,
            Level.SUBDISTRICT,
            district,
            service_phone=f"0379-6{rnd.randint(1000000, 9999999)}",
        )
        for c_code, c_name, n_grids in communities:
            community = _unit(
                sub.code + c_code,
                c_name,
                Level.COMMUNITY,
                sub,
                service_phone=f"0379-6{rnd.randint(1000000, 9999999)}",
                introduction=f"{c_name}党群服务中心，工作日 8:30–17:30 为居民办理事务。",
            )
            for g in range(1, n_grids + 1):
                street = fake.street_name()
                estate = f"{street[:2]}{rnd.choice(ESTATES)}"
                first = rnd.randint(1, 12)
                grid = _unit(
                    f"{community.code}{g:03d}",
                    f"第{g}网格",
                    Level.GRID,
                    community,
                    service_phone=fake.phone_number(),
                    introduction=f"服务范围：{estate}{first}—{first + rnd.randint(3, 8)}号楼，"
                    f"{street}沿街门店。有事请拨打网格服务电话。",
                )
                grids += 1
                for m in range(1, rnd.randint(2, 4) + 1):
                    _unit(f"{grid.code}{m:03d}", f"第{g}网格{m}号微网格", Level.MICROGRID, grid)
    for code, name, phone in DEPARTMENTS:
        Department.objects.get_or_create(
            code=f"{district.code}-{code}",
            defaults={"name": name, "district": district, "phone": phone},
        )
    micro = OrgUnit.objects.filter(level=Level.MICROGRID, code__within=district.code).count()
    log(f"演示区：{district.name}，{grids} 个网格，{micro} 个微网格。")
