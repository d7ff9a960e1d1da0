"""The demo district: a fictional 区 with 2 街道, 6 社区, 40 网格 and their 微网格.

Every unit gets a boundary: a slightly slanted tessellation around (112.45 E,
34.62 N) in which each unit is cut out of its parent, so the polygons nest and
siblings share their edges.

Idempotent: units are found by code and a boundary is only set where none is
stored, so running it again changes nothing.
"""

import random

import shapely
from django.utils import timezone
from faker import Faker

from gongzhi.core.roles import Level
from gongzhi.orgs import geo, locator
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
    added = _boundaries(district)
    if added:
        log(f"边界：为 {added} 个单位画了演示边界。")


# The district's outline, in degrees around its centre: about 5.9 × 4.9 km.
CENTRE = (112.45, 34.62)
HALF_WIDTH, HALF_HEIGHT = 0.032, 0.022


def _outline(rnd: random.Random):
    """A convex, slightly irregular outline: the hull of a jittered rectangle's points."""
    cx, cy = CENTRE
    points = []
    for fx, fy in [(-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0)]:
        points.append(
            (
                cx + fx * HALF_WIDTH * rnd.uniform(0.9, 1.05),
                cy + fy * HALF_HEIGHT * rnd.uniform(0.9, 1.05),
            )
        )
    return shapely.MultiPoint(points).convex_hull


def _half_plane(a, b, side: float):
    """The half-plane left of the line a → b (side=1) or right of it (side=-1), cut to a
    box a degree past both points: far larger than any district."""
    (ax, ay), (bx, by) = a, b
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    dx, dy = (bx - ax) / length, (by - ay) / length
    a2, b2 = (ax - dx, ay - dy), (bx + dx, by + dy)
    nx, ny = -dy * side, dx * side
    return shapely.Polygon([a2, b2, (b2[0] + nx, b2[1] + ny), (a2[0] + nx, a2[1] + ny)])


def _strips(poly, n: int, axis: str, rnd: random.Random) -> list:
    """`poly` cut into n pieces by slanted lines across `axis` ("x": west → east,
    "y": north → south). Each piece is what is left of `poly` intersected with a
    half-plane, so the pieces cover `poly` exactly and neighbours share their cut."""
    west, south, east, north = poly.bounds
    pieces, rest = [], poly
    for k in range(1, n):
        jitter = rnd.uniform(-0.12, 0.12)
        if axis == "x":
            span = east - west
            x = west + span * (k + jitter) / n
            slant = span / n * rnd.uniform(-0.2, 0.2)
            # West of the line from south to north.
            half = _half_plane((x - slant, south), (x + slant, north), 1)
        else:
            span = north - south
            y = north - span * (k + jitter) / n
            slant = span / n * rnd.uniform(-0.2, 0.2)
            # North of the line from west to east.
            half = _half_plane((west, y - slant), (east, y + slant), 1)
        pieces.append(shapely.intersection(rest, half))
        rest = shapely.difference(rest, half)
    pieces.append(rest)
    return pieces


def _cells(poly, n: int, rnd: random.Random) -> list:
    """n pieces in reading order: rows north → south, each row west → east."""
    if n <= 3:
        return _strips(poly, n, "x", rnd)
    rows = 2 if n <= 8 else 3
    counts = [n // rows + (1 if r < n % rows else 0) for r in range(rows)]
    return [
        cell
        for row, k in zip(_strips(poly, rows, "y", rnd), counts, strict=True)
        for cell in _strips(row, k, "x", rnd)
    ]


def _boundaries(district: OrgUnit) -> int:
    """Give every unit of the district without a boundary one cut out of its parent's."""
    units = list(
        OrgUnit.objects.filter(code__within=district.code).only(
            "id", "code", "level", "parent_id", "boundary", "boundary_bbox"
        )
    )
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    now, changed = timezone.now(), []

    def place(unit: OrgUnit, generated) -> None:
        # A stored boundary wins over the generated one, so children always nest in
        # what is really there (an imported district, say).
        if unit.boundary is not None:
            geom = geo.from_geojson(unit.boundary)
        else:
            geom = shapely.normalize(generated)
            unit.boundary, unit.boundary_bbox = geo.to_geojson(geom), geo.bbox(geom)
            unit.boundary_updated_at = unit.updated_at = now
            changed.append(unit)
        kids = sorted(children.get(unit.pk, []), key=lambda u: u.code)
        if not kids:
            return
        rnd = random.Random(f"boundary:{unit.code}")
        if unit.level == Level.DISTRICT:
            pieces = _strips(geom, len(kids), "x", rnd)
        elif unit.level == Level.SUBDISTRICT:
            pieces = _strips(geom, len(kids), "y", rnd)
        else:
            pieces = _cells(geom, len(kids), rnd)
        for kid, piece in zip(kids, pieces, strict=True):
            place(kid, piece)

    place(district, _outline(random.Random(f"boundary:{district.code}")))
    OrgUnit.objects.bulk_update(
        changed, ["boundary", "boundary_bbox", "boundary_updated_at", "updated_at"], batch_size=200
    )
    if changed:
        locator.invalidate()
    return len(changed)
