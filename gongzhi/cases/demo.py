"""Demo cases: half a year of problems in the demo district, in every state.

About 3000 cases (150 with `small`, in the grids the small demo fills) over the past six
months: reports from grid workers, 12345, residents, phone calls, walk-ins, patrols and
door-to-door visits; registered, rejected, dispatched to the departments or the
community, accepted, returned, handled, sent back, verified, closed, called back;
suspended, extended, supervised, escalated after an unsatisfied callback, merged,
repeated (领导到现场 at the third repeat); and the recent ones still open, some due
soon and some overdue.

Rows are written in bulk, not through the services (they stamp "now" and would take
minutes), but every case is walked through the same steps the services take: a
timeline row for each change with its actor, states and time; deadlines from the
policies and the working-day calendar; repeats found as intake finds them; case numbers
that continue the day counters, so cases reported later through the services get the
next numbers.

Skipped when the district already has cases.
"""

import contextlib
import datetime as dt
import random
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from faker import Faker
from shapely import prepared
from shapely.geometry import Point, shape

from gongzhi.accounts.models import Position
from gongzhi.cases import policies, repeats, rollups
from gongzhi.cases.models import (
    OPEN_STATES,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    Channel,
    ExtensionRequest,
    Rating,
    RequestStatus,
    State,
    Supervision,
    Urgency,
)
from gongzhi.cases.services.clock import _due_soon
from gongzhi.core.calendar import work_calendar
from gongzhi.core.deadlines import add_working_days, resume_deadline
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

# -- what people report ------------------------------------------------------------

# How often each group comes in (市容环境 and 民生诉求 lead, as in the seed statistics).
GROUP_WEIGHTS = {
    "01": 30,
    "08": 20,
    "04": 14,
    "07": 9,
    "03": 8,
    "06": 8,
    "02": 5,
    "05": 4,
    "09": 2,
}

# Per category: (where, title, description). where: "b" a building, "s" a street, "p" a
# shop. {b} building name, {addr} its address, {street} and {n} a street and number,
# {shop} and {paddr} a shop and its address, {unit} a stairwell, {floor} a floor.
TEMPLATES = {
    "0101": [
        (
            "b",
            "{b}垃圾桶满溢",
            "{addr}楼下垃圾桶已经满溢，周边散落生活垃圾，气味很大，请尽快清运。",
        ),
        (
            "s",
            "{street}路边暴露垃圾",
            "{street}{n}号附近人行道上堆放多袋生活垃圾，无人清理，影响市容。",
        ),
    ],
    "0102": [
        ("b", "{b}旁装修垃圾长期堆放", "{b}东侧空地堆放装修垃圾和渣土半个多月，占用消防通道。"),
        ("s", "{street}积存渣土", "{street}{n}号附近绿化带旁积存建筑渣土，下雨后泥水流到路面。"),
    ],
    "0103": [
        (
            "s",
            "{street}路面油污",
            "{street}{n}号门前路面有大片油污和泥土，行人容易滑倒，请安排清扫。",
        )
    ],
    "0104": [
        ("s", "{street}桥下河道漂浮垃圾", "{street}桥下河道内漂浮塑料袋和泡沫，水面发黑有异味。")
    ],
    "0105": [("b", "{b}前绿地脏乱", "{addr}前绿地内丢弃大量烟头、塑料瓶，部分绿地被毁种菜。")],
    "0106": [("b", "{b}楼道堆放废弃家具", "{addr}{unit}楼道内堆放旧沙发、旧床垫，影响通行。")],
    "0107": [
        (
            "s",
            "{street}有人焚烧树叶",
            "{street}{n}号附近有人焚烧落叶和垃圾，浓烟较大，影响周边居民。",
        )
    ],
    "0108": [
        ("s", "{street}公厕卫生差", "{street}公共厕所地面积水、便池堵塞，异味很重，无人打扫。")
    ],
    "0201": [
        ("b", "{b}楼道小广告", "{addr}各单元楼道墙面、电梯内贴满开锁、疏通小广告，清理后又被贴上。")
    ],
    "0202": [
        (
            "s",
            "{street}路口散发小广告",
            "{street}{n}号路口有人向行人散发健身、培训传单，地面丢弃很多。",
        )
    ],
    "0203": [
        ("p", "{shop}门前占道广告牌", "{shop}（{paddr}）在人行道上摆放立式广告牌，影响行人通行。")
    ],
    "0204": [("p", "{shop}招牌破损", "{shop}门头招牌一角脱落，大风天晃动厉害，存在坠落危险。")],
    "0301": [
        (
            "b",
            "{b}附近夜间施工扰民",
            "{addr}附近工地晚上十点后仍在施工，机器噪音很大，影响居民休息。",
        )
    ],
    "0302": [("s", "{street}工地扬尘", "{street}{n}号工地未覆盖防尘网，车辆进出扬尘严重。")],
    "0303": [
        ("s", "{street}渣土车遗撒", "{street}路面有渣土车遗撒的泥土，约两百米长，未及时清理。")
    ],
    "0304": [
        (
            "s",
            "{street}占道施工未设围挡",
            "{street}{n}号门前开挖路面，未设置围挡和警示标志，夜间很危险。",
        )
    ],
    "0305": [("b", "{b}楼顶违建", "{addr}顶楼住户在楼顶搭建彩钢房，其他住户反映影响安全。")],
    "0401": [
        ("s", "{street}游商占道", "{street}{n}号路口有流动摊贩用三轮车卖水果，占用非机动车道。")
    ],
    "0402": [
        ("p", "{shop}店外经营", "{shop}（{paddr}）在门外人行道上摆放货架经营，行人只能走机动车道。")
    ],
    "0403": [("s", "{street}占道收购废品", "{street}{n}号附近有人长期占道收购废品，堆放杂乱。")],
    "0404": [
        ("b", "{b}消防通道停车", "{addr}门前消防通道长期停放私家车，消防车无法通行。"),
        ("s", "{street}机动车乱停放", "{street}{n}号门前机动车停在人行道上，堵塞盲道。"),
    ],
    "0405": [
        ("s", "{street}共享单车乱停", "{street}{n}号公交站附近共享单车堆放杂乱，占用人行道。")
    ],
    "0406": [("p", "{shop}露天烧烤", "{shop}晚上在店外露天烧烤，油烟很大，直冲沿街住户窗户。")],
    "0501": [
        ("s", "{street}路面塌陷", "{street}{n}号门前路面出现约一米见方的塌陷，已有电动车摔倒。")
    ],
    "0502": [("b", "{b}楼下水管爆裂", "{addr}楼下自来水管破裂，水流满路面，楼内停水。")],
    "0503": [
        ("b", "{b}楼道有燃气味", "{addr}{unit}楼道内闻到明显燃气味，居民担心泄漏，请立即处置。")
    ],
    "0504": [
        ("b", "{b}门前下水道堵塞", "{addr}门前下水道堵塞，污水外溢，气味刺鼻。"),
        ("s", "{street}井盖破损", "{street}{n}号门前雨水井盖破损下陷，存在安全隐患。"),
    ],
    "0505": [("s", "{street}道路积水", "{street}{n}号附近路段积水约三十厘米，车辆行人无法通行。")],
    "0506": [("b", "{b}楼下电动车起火", "{addr}楼下电动车起火冒烟，已有居民用灭火器扑救。")],
    "0601": [
        (
            "b",
            "{b}楼上漏水邻里纠纷",
            "{addr}{floor}楼住户家中漏水，楼下天花板受损，双方协商不成发生争执。",
        ),
        ("b", "{b}噪音邻里纠纷", "{addr}住户反映楼上邻居深夜拖拽家具声音大，多次沟通无果。"),
    ],
    "0602": [("b", "{b}老人赡养纠纷", "{addr}一户老人反映子女不履行赡养义务，请求社区协调。")],
    "0603": [("b", "{b}物业收费纠纷", "{addr}部分住户对物业收费有异议，与物业公司发生争执。")],
    "0604": [
        ("s", "{street}员工讨薪", "{street}{n}号一家餐馆拖欠多名员工两个月工资，员工请求帮助。")
    ],
    "0605": [("b", "{b}车库使用纠纷", "{addr}两户居民因楼下车库使用权发生纠纷，请求调解。")],
    "0701": [
        (
            "b",
            "{b}楼道堆物堵塞消防通道",
            "{addr}{unit}楼道堆放纸箱杂物，堵塞消防通道，消防栓被遮挡。",
        ),
        ("p", "{shop}灭火器过期", "{shop}店内灭火器已过期，安全出口堆放货物。"),
    ],
    "0702": [("p", "{shop}违规使用液化气", "{shop}后厨使用多个液化气罐，未安装燃气报警装置。")],
    "0703": [
        ("b", "{b}飞线充电", "{addr}有住户从窗户拉电线到楼下给电动车充电，存在火灾隐患。"),
        ("b", "{b}电动车楼道充电", "{addr}{unit}楼道内停放电动车并充电，夜间无人看管。"),
    ],
    "0704": [("b", "{b}外墙瓷砖脱落", "{addr}外墙瓷砖大面积空鼓，已有瓷砖掉落，下方是人行通道。")],
    "0705": [
        ("s", "{street}排水口堵塞", "{street}{n}号附近排水口被树叶垃圾堵塞，下雨时积水严重。")
    ],
    "0706": [
        ("b", "{b}阳台花盆坠落隐患", "{addr}高层住户阳台外沿摆放花盆，无防护措施，存在坠落危险。")
    ],
    "0801": [("b", "{b}水压低", "{addr}高层住户反映近一周水压很低，早晚用水高峰时没有水。")],
    "0802": [
        ("b", "{b}楼道灯不亮", "{addr}{unit}楼道照明灯坏了一个多月，老人晚上上下楼不便。"),
        ("b", "{b}频繁停电", "{addr}近期频繁停电，请协调供电部门检修线路。"),
    ],
    "0803": [("b", "{b}暖气不热", "{addr}{floor}楼住户反映暖气不热，室温只有十四度左右。")],
    "0804": [
        ("b", "{b}电梯经常停运", "{addr}电梯经常停运，物业维修不及时，老人上下楼困难。"),
        ("b", "{b}小区门禁损坏", "{addr}所在小区门禁损坏一个月未修，外来人员随意进出。"),
    ],
    "0805": [("b", "孩子入学咨询", "{addr}住户咨询孩子秋季入学的学区划分和报名材料。")],
    "0806": [("b", "独居老人就医协助", "{addr}独居老人行动不便，希望社区协助联系家庭医生上门。")],
    "0807": [("b", "低保申请咨询", "{addr}一户居民家庭困难，咨询低保和临时救助的申请条件。")],
    "0901": [
        ("s", "{street}路灯损坏治安差", "{street}{n}号附近路段路灯损坏，夜间漆黑，居民担心安全。")
    ],
    "0902": [("b", "{b}可疑人员敲门推销", "{addr}近几天有陌生人挨家挨户敲门推销，行为可疑。")],
    "0903": [("p", "{shop}疑似聚众赌博", "{shop}晚上经常有人聚集打牌，疑似赌博。")],
}
GENERIC = [
    ("b", "{b}{cat}问题", "{addr}居民反映{cat}问题，请尽快处理。"),
    ("s", "{street}{cat}问题", "{street}{n}号附近存在{cat}问题，请尽快处理。"),
]
AGAIN = ["居民再次反映：", "仍未解决，", "又有居民反映，", "多次反映未解决，"]

# Who handles what: department code suffixes, or the community or grid itself.
DISPATCH = {
    "01": [("CG", 8), ("community", 1), ("grid", 1)],
    "0104": [("HB", 3), ("CG", 1)],
    "0107": [("HB", 1), ("CG", 1)],
    "02": [("CG", 9), ("community", 1)],
    "03": [("CG", 5), ("ZJ", 3)],
    "0301": [("HB", 2), ("CG", 1)],
    "0302": [("HB", 2), ("ZJ", 1)],
    "04": [("CG", 8), ("community", 1), ("grid", 1)],
    "0401": [("SJ", 1), ("CG", 1)],
    "0404": [("GA", 1), ("CG", 1)],
    "05": [("ZJ", 3), ("CG", 1)],
    "0506": [("GA", 1)],
    "06": [("community", 8), ("grid", 2)],
    "0603": [("WY", 1), ("community", 1)],
    "07": [("community", 4), ("ZJ", 2), ("WY", 2)],
    "0701": [("community", 1), ("GA", 1)],
    "0702": [("ZJ", 1)],
    "0703": [("WY", 1), ("community", 1)],
    "0704": [("ZJ", 1)],
    "08": [("community", 5), ("WY", 3), ("ZJ", 2)],
    "0802": [("WY", 1)],
    "0804": [("WY", 1)],
    "0805": [("community", 1)],
    "0806": [("community", 1)],
    "0807": [("community", 1)],
    "09": [("GA", 1)],
}

RESULTS = {
    "01": ["已安排环卫人员清运，现场已清理干净。", "已通知物业保洁清理，并增加清运频次。"],
    "02": ["已组织人员清除小广告，并对张贴号码进行停机处理。", "已责令商户整改，广告牌已拆除。"],
    "03": ["已责令施工单位整改，夜间停止施工并覆盖防尘网。", "已下达限期整改通知书，现场已恢复。"],
    "04": [
        "已劝离流动摊贩，恢复通行秩序。",
        "已对车辆进行劝离，并张贴温馨提示。",
        "已责令商户退店经营。",
    ],
    "05": ["已组织抢修，现场已恢复正常。", "已设置围挡并完成修复。"],
    "06": ["经社区调解，双方达成一致意见。", "已组织双方协商，签订调解协议。"],
    "07": ["已清理楼道杂物，并对住户进行安全宣传。", "已责令整改，隐患已消除。"],
    "08": ["已协调相关单位维修，现已恢复正常。", "已为居民解答政策并协助办理。"],
    "09": ["已通知辖区派出所加强巡逻，现场已处置。"],
}
REJECT_REASONS = [
    "经现场核实，反映问题不存在。",
    "不属于网格化管理事项，已告知反映人向相关部门咨询。",
    "反映内容不具体，无法核实，已告知反映人补充信息。",
]
RETURN_REASONS = [
    "该事项不属于本单位职责，请重新派遣。",
    "地址不详，无法找到现场，请核实后重新派遣。",
]
PROGRESS_NOTES = [
    "已到现场查看，正在协调处理。",
    "已联系相关责任单位，预计两日内处理完毕。",
    "已约谈当事人，限期整改。",
    "材料已采购，安排施工。",
]
FAIL_NOTES = ["现场复核问题仍存在，请继续处置。", "反映人称问题反复出现，请彻底解决。"]
SUSPEND_REASONS = [
    "需等待供电部门停电检修后施工。",
    "当事人外出，待其返回后继续调解。",
    "连续降雨，无法施工。",
]
RESUME_NOTES = ["条件具备，恢复办理。", "当事人已返回，继续办理。"]
EXTENSION_REASONS = [
    "需采购维修配件，申请延期。",
    "涉及多个产权单位，协调需要时间，申请延期。",
    "需等待专业检测结果，申请延期。",
]
SUPERVISE_NOTES = {
    1: ["已超期，请加快办理。", "群众反映强烈，列为跟进督办。"],
    2: ["多次催办未果，提级督办。"],
    3: ["领导批示，高位推动解决。"],
}
VISIT_NOTES = [
    "分管领导到现场查看，要求责任单位限期解决。",
    "街道主要领导现场办公，协调相关单位共同处置。",
]
CALLBACK_NOTES = {
    Rating.SATISFIED: ["群众表示问题已解决，非常满意。", "回访反映人，对处置结果满意。"],
    Rating.BASICALLY: ["问题基本解决，希望加强日常管理。", "处置及时，但希望以后不再出现。"],
    Rating.UNSATISFIED: ["反映人称问题仍未解决，不满意。", "反映人对处置结果不认可。"],
}
CONTACT_NOTES = ["已电话联系反映人，告知办理进度。", "已联系反映人，了解详细情况。"]
MERGE_NOTES = ["同一问题重复上报，并案办理。"]
REOPEN_NOTES = ["反映人补充了材料，重新办理。"]

CHANNELS = [
    (Channel.GRID_WORKER, 40),
    (Channel.HOTLINE, 18),
    (Channel.PATROL, 13),
    (Channel.RESIDENT, 10),
    (Channel.VISIT, 8),
    (Channel.PHONE, 7),
    (Channel.WALK_IN, 4),
]
BY_OPERATOR = (Channel.HOTLINE, Channel.PHONE, Channel.WALK_IN)
# The states in which a case may be supervised or contacted (cases.workflow).
SUPERVISABLE = (
    State.REPORTED,
    State.REGISTERED,
    State.DISPATCHED,
    State.IN_PROGRESS,
    State.SUSPENDED,
    State.HANDLED,
)
CONTACTABLE = SUPERVISABLE[:-1]
# Actions that go through the services' _transition (each bumps `version`).
NOT_TRANSITIONS = {"report", "self_handle", "repeat", "merged_in"}


# -- the world the cases happen in -------------------------------------------------


@dataclass
class _Person:
    name: str
    sealed: dict


@dataclass
class _Grid:
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


@dataclass
class _Fate:
    """What will happen to a case (as far as time allows)."""

    stall: str = ""  # the step never taken: the case waits before it
    stall_round: int = 0  # 1: after an escalation
    reject: bool = False
    reopen: bool = False
    merge_into: object = None  # an earlier _Item
    self_handle: bool = False
    direct: bool = False  # dispatched straight from the report (registered in the same step)
    returned: bool = False
    rework: bool = False
    suspend: bool = False
    extension: str = ""  # approved, refused, pending
    supervise: int = 0
    late: bool = False
    late_contact: bool = False
    rating: str = ""  # the first callback's rating, else drawn
    rush: bool = False  # every step within hours, whatever the office hours
    leader_visit: bool = True
    register_delay: dt.timedelta | None = None


@dataclass
class _Item:
    at: dt.datetime
    grid: _Grid
    category: Category
    group: str
    urgency: str
    channel: str
    title: str
    description: str
    building: Building | None
    unit_id: int
    org_code: str
    lng: float | None
    lat: float | None
    address: str
    reported_by: object | None
    resident: tuple | None  # (id, name)
    person: _Person | None
    fate: _Fate
    case: Case | None = None
    sim: "_Sim | None" = None
    first: "_Item | None" = None  # the first case of its repeat chain

    @property
    def contactable(self) -> bool:
        return bool(self.person or self.resident)


class _Stop(Exception):
    """The case waits here: the next step lies in the future or will not come."""


class _World:
    def __init__(self, small: bool):
        self.small = small
        self.rnd = random.Random(SEED + (1 if small else 0))
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(SEED)
        self.now = timezone.now()
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.cal = work_calendar()
        self._limits = {}
        # Filled by _load(): who works where, the departments, residents, reporters.
        self.at_code: dict[tuple[str, str], list] = {}
        self.departments: dict[str, Department] = {}
        self.handlers: dict[int, list] = {}
        self.residents: dict[int, list] = {}
        self.all_persons: list[_Person] = []
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

    def limits(self, category, urgency):
        key = (category.pk, urgency)
        if key not in self._limits:
            self._limits[key] = policies.limits_for(category, urgency)
        return self._limits[key]

    def pick(self, weighted):
        items, weights = zip(*weighted, strict=True)
        return self.rnd.choices(items, weights=weights)[0]


def _load(w: _World) -> list[_Grid]:
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
        g = _Grid(
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
        person = _Person(w.fake.name(), pii.seal_phone(phone))
        grids[i % len(grids)].persons.append(person)
    w.all_persons = [p for g in grids for p in g.persons]
    for c in Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent"):
        w.categories.setdefault(c.parent.code, []).append(c)
    return grids


# -- planning: who reports what, where, when ---------------------------------------


def _point_in(w: _World, g: _Grid):
    place, prep, poly = w.rnd.choice(g.places)
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(60):
        x, y = w.rnd.uniform(minx, maxx), w.rnd.uniform(miny, maxy)
        if prep.contains(Point(x, y)):
            return place, round(x, 7), round(y, 7)
    c = poly.representative_point()
    return place, round(c.x, 7), round(c.y, 7)


def _category(w: _World, group: str | None = None, where: str | None = None):
    groups = [g for g in GROUP_WEIGHTS if w.categories.get(g)] or list(w.categories)
    if group is None or group not in w.categories:
        group = w.pick([(g, GROUP_WEIGHTS.get(g, 1)) for g in groups])
    options = w.categories[group]
    if where:
        fitting = [c for c in options if any(t[0] == where for t in TEMPLATES.get(c.code, []))]
        options = fitting or options
    return w.rnd.choice(options)


def _describe(w: _World, g: _Grid, category: Category, where: str | None = None):
    """(title, description, location) for a problem of `category` in grid `g`."""
    templates = TEMPLATES.get(category.code) or GENERIC
    if where:
        templates = [t for t in templates if t[0] == where] or templates
    kind, title, text = w.rnd.choice(templates)
    if kind == "p" and not g.premises:
        kind, title, text = GENERIC[1]
    if kind == "s" and not g.places:  # a grid without a boundary: at a building
        kind, title, text = GENERIC[0]
    street = w.rnd.choice(g.streets)
    values = {
        "cat": category.name,
        "street": street,
        "n": w.rnd.randint(1, 300),
        "unit": f"{w.rnd.randint(1, 3)}单元",
        "floor": w.rnd.randint(2, 11),
    }
    loc = {"building": None}
    if kind == "b":
        b = w.rnd.choice(g.buildings)
        values.update(b=b.name, addr=b.address or b.name)
        loc.update(
            building=b,
            unit_id=b.grid_id,
            org_code=b.org_code,
            lng=b.lng,
            lat=b.lat,
            address=b.address or b.name,
        )
    elif kind == "p":
        shop = w.rnd.choice(g.premises)
        values.update(shop=shop.name, paddr=shop.address)
        loc.update(
            unit_id=shop.grid_id,
            org_code=shop.org_code,
            lng=shop.lng,
            lat=shop.lat,
            address=shop.address,
        )
    else:
        place, lng, lat = _point_in(w, g)
        loc.update(
            unit_id=place.pk,
            org_code=place.code,
            lng=lng,
            lat=lat,
            address=f"{street}{values['n']}号附近",
        )
    return title.format(**values)[:100], text.format(**values), loc


def _reporter(w: _World, g: _Grid, channel: str, building):
    """(entered by, resident, person) for a report through `channel`."""
    rnd = w.rnd
    residents = w.residents.get(building.pk, []) if building is not None else []
    person = rnd.choice(g.persons) if g.persons and rnd.random() < 0.85 else None
    person = person or rnd.choice(w.all_persons)
    worker = g.worker or g.community_worker
    if channel in BY_OPERATOR or worker is None:
        entered = g.operators[0] if rnd.random() < 0.85 else g.operators[-1]
        return entered, None, person
    if channel == Channel.PATROL:
        return worker, None, None
    if channel in (Channel.RESIDENT, Channel.VISIT):
        return (
            worker,
            (rnd.choice(residents) if residents else None),
            (None if residents else person),
        )
    x = rnd.random()  # 网格员上报: often on a resident's behalf
    if x < 0.4 and residents:
        return worker, rnd.choice(residents), None
    if x < 0.7:
        return worker, None, person
    return worker, None, None


def _urgency(w: _World, group: str) -> str:
    if group == "05":
        return w.pick([(Urgency.NORMAL, 30), (Urgency.URGENT, 45), (Urgency.EMERGENCY, 25)])
    return w.pick([(Urgency.NORMAL, 90), (Urgency.URGENT, 9), (Urgency.EMERGENCY, 1)])


def _report_time(w: _World, channel: str, age_days: float) -> dt.datetime:
    """A moment about `age_days` ago, at an hour people report things."""
    rnd = w.rnd
    for _ in range(20):
        day = (timezone.localtime(w.now, w.tz) - dt.timedelta(days=age_days)).date()
        if channel not in BY_OPERATOR and not w.cal.is_working_day(day) and rnd.random() < 0.4:
            age_days = max(0.0, age_days - 1)
            continue
        if channel in BY_OPERATOR:
            hour = rnd.choices(
                range(24),
                weights=[
                    1,
                    1,
                    1,
                    1,
                    1,
                    2,
                    4,
                    8,
                    12,
                    12,
                    12,
                    10,
                    8,
                    9,
                    11,
                    11,
                    10,
                    9,
                    8,
                    7,
                    6,
                    4,
                    3,
                    2,
                ],
            )[0]
        else:
            hour = rnd.choices(
                range(7, 21), weights=[3, 9, 12, 12, 10, 6, 5, 9, 11, 10, 8, 5, 3, 2]
            )[0]
        at = w.local(day, hour + rnd.random())
        if at < w.now - 5 * MINUTE:
            return at
        age_days += 0.5
    return w.now - HOUR * rnd.uniform(1, 5)


def _item(w: _World, g: _Grid, at=None, *, category=None, where=None, channel=None, fate=None):
    rnd = w.rnd
    category = category or _category(w)
    channel = channel or w.pick(CHANNELS)
    title, text, loc = _describe(w, g, category, where)
    entered, resident, person = _reporter(w, g, channel, loc["building"])
    if at is None:
        age = rnd.uniform(0, DAYS) if rnd.random() < 0.8 else rnd.uniform(0, 60)
        at = _report_time(w, channel, age)
    return _Item(
        at=at,
        grid=g,
        category=category,
        group=category.parent.code,
        urgency=_urgency(w, category.parent.code),
        channel=channel,
        title=title,
        description=text,
        building=loc["building"],
        unit_id=loc["unit_id"],
        org_code=loc["org_code"],
        lng=loc["lng"],
        lat=loc["lat"],
        address=loc["address"],
        reported_by=entered,
        resident=resident,
        person=person,
        fate=fate or _Fate(),
    )


def _again(w: _World, first: _Item, at: dt.datetime, channel=None, same_person=True) -> _Item:
    """The same problem reported again: same place, category and (nearly) the same words."""
    g = first.grid
    channel = channel or w.pick(CHANNELS)
    entered, resident, person = _reporter(w, g, channel, first.building)
    if same_person and first.contactable and channel not in (Channel.PATROL,):
        resident, person = first.resident, first.person
    item = _Item(**{**first.__dict__, "at": at, "channel": channel, "fate": _Fate()})
    item.description = w.rnd.choice(AGAIN) + first.description
    item.reported_by, item.resident, item.person = entered, resident, person
    item.case = item.sim = item.first = None
    return item


def _natural_fate(w: _World, item: _Item) -> _Fate:
    rnd = w.rnd
    f = _Fate()
    age = (w.now - item.at) / DAY
    workerish = item.channel in (Channel.GRID_WORKER, Channel.PATROL) and item.grid.worker
    if workerish and item.reported_by == item.grid.worker and rnd.random() < 0.2:
        f.self_handle = True
    elif rnd.random() < 0.045:
        f.reject = True
        f.reopen = rnd.random() < 0.1
    f.direct = rnd.random() < 0.4
    f.returned = rnd.random() < 0.04
    f.rework = rnd.random() < 0.05
    f.suspend = rnd.random() < 0.03
    x = rnd.random()
    f.extension = "approved" if x < 0.04 else "refused" if x < 0.055 else ""
    if rnd.random() < 0.03:
        f.supervise = w.pick([(1, 6), (2, 3), (3, 1)])
    f.late = rnd.random() < 0.09
    f.late_contact = rnd.random() < 0.08
    if rnd.random() < (0.24 if age < 45 else 0.006):
        if f.self_handle:
            f.stall = rnd.choice(["verify", "callback"])
        elif f.reject:
            f.stall = "register" if age < 3 else ""
        else:
            f.stall = w.pick(
                [("dispatch", 12), ("accept", 22), ("handle", 40), ("verify", 13), ("resume", 8)]
            )
            if f.stall == "resume":
                f.suspend = True
            elif f.stall == "handle" and rnd.random() < 0.25:
                f.stall, f.extension = "decide", "pending"
    elif rnd.random() < 0.02:
        f.stall = "callback"  # closed, and nobody has called back yet
    if f.stall == "register":
        f.reject = False  # a fresh report nobody has looked at yet
    return f


def _due_soon_start(w: _World, category, urgency) -> dt.datetime | None:
    """A registration moment whose deadline is due soon now (with a margin either side)."""
    limits = w.limits(category, urgency)
    found = []
    t = w.now - 6 * HOUR
    while t > w.now - 20 * DAY and len(found) < 12:
        _, due = policies.deadlines(t, limits, w.cal)
        soon = _due_soon(t, due, limits.due_soon_share, w.cal, limits)
        if soon <= w.now - 20 * MINUTE and due >= w.now + 2 * HOUR:
            found.append(t)
        t -= 30 * MINUTE
    return w.rnd.choice(found) if found else None


def _plan(w: _World, grids: list[_Grid]) -> list[_Item]:
    rnd = w.rnd
    total = SMALL_CASES if w.small else FULL_CASES
    weighted = [(g, g.weight) for g in grids]
    items: list[_Item] = []

    def ago(lo_days, hi_days):
        return w.now - DAY * rnd.uniform(lo_days, hi_days)

    # Planted: every state and board has something to show, however few cases there are.
    planted = [
        (_Fate(stall="register", rush=True), 0.05, 0.8),
        (_Fate(stall="register", rush=True), 0.1, 1.5),
        (_Fate(stall="dispatch", rush=True), 0.5, 2),
        (_Fate(stall="accept", rush=True), 0.5, 2),
        (_Fate(stall="handle", rush=True), 1, 2.5),
        (_Fate(stall="resume", suspend=True, rush=True), 2, 6),
        (_Fate(stall="verify", rush=True), 1, 3),
        (_Fate(stall="decide", extension="pending", rush=True), 2, 4),
        (_Fate(stall="callback", rush=True), 12, 20),
        (_Fate(stall="verify", self_handle=True, rush=True), 0.1, 0.5),
        (_Fate(reject=True, rush=True), 5, 60),
        (_Fate(rework=True, rush=True), 20, 60),
        (_Fate(rating=Rating.UNSATISFIED, stall="dispatch", stall_round=1, rush=True), 20, 30),
        (_Fate(stall="accept", supervise=1, rush=True), 15, 40),
        (_Fate(stall="handle", rush=True), 15, 60),
        (_Fate(stall="verify", rush=True), 15, 40),
        (_Fate(stall="handle", supervise=3, rush=True), 20, 50),
        (_Fate(extension="approved", rush=True), 20, 90),
        (_Fate(returned=True, late_contact=True, rush=True), 20, 90),
        (_Fate(late=True, rush=True), 20, 90),
    ]
    for fate, lo, hi in planted:
        g = w.pick(weighted)
        if fate.self_handle and g.worker:
            channel = Channel.GRID_WORKER
        elif fate.stall == "callback" or fate.rating:
            channel = Channel.HOTLINE  # someone to call back
        else:
            channel = w.pick(CHANNELS)
        if fate.self_handle and not g.worker:
            fate.self_handle, fate.stall = False, "handle"
        items.append(_item(w, g, ago(lo, hi), channel=channel, fate=fate))
    # Due soon: registered so that most of the time allowed is used up by now.
    for stall in ("handle", "accept"):
        g = w.pick(weighted)
        category = _category(w, "01")
        start = _due_soon_start(w, category, Urgency.NORMAL)
        if start is None:
            continue
        fate = _Fate(stall=stall, rush=True, register_delay=20 * MINUTE)
        item = _item(
            w, g, start - 20 * MINUTE, category=category, channel=Channel.HOTLINE, fate=fate
        )
        item.urgency = Urgency.NORMAL
        items.append(item)

    # Repeat chains: the same problem at the same building, 2–4 times within a month.
    chains = 3 if w.small else 70
    for k in range(chains):
        g = w.pick(weighted)
        length = 4 if k < 2 else w.pick([(2, 3), (3, 3), (4, 4)])
        category = _category(w, rnd.choice(["01", "08", "07", "06", "04"]), "b")
        recent = k == 0 or rnd.random() < 0.25
        start = ago(9, 12) if k == 0 else ago(5, 25) if recent else ago(30, DAYS - 5)
        first = _item(w, g, start, category=category, where="b")
        first.fate = _Fate(rush=k < 2)
        chain = [first]
        at = start
        for _ in range(length - 1):
            at += DAY * (rnd.uniform(1, 2.5) if k == 0 else rnd.uniform(1, 8))
            if at > w.now - 2 * HOUR:
                break
            again = _again(w, first, at, same_person=rnd.random() < 0.6)
            again.fate = _Fate(rush=k < 2, leader_visit=not (recent and rnd.random() < 0.6))
            chain.append(again)
        if k == 0:
            chain[-1].fate.stall, chain[-1].fate.leader_visit = "handle", False
        items += chain

    # Duplicates merged into the case they repeat.
    merges = 2 if w.small else 60
    for _ in range(merges):
        g = w.pick(weighted)
        category = _category(w, None, "b")
        target = _item(w, g, ago(3, DAYS - 3), category=category, where="b", fate=_Fate(rush=True))
        dup = _again(w, target, target.at + HOUR * rnd.uniform(0.3, 20), same_person=False)
        dup.fate = _Fate(merge_into=target, rush=True)
        items += [target, dup]

    while len(items) < total:
        g = w.pick(weighted)
        item = _item(w, g)
        item.fate = _natural_fate(w, item)
        items.append(item)
    items.sort(key=lambda it: it.at)
    return items


# -- the lifecycle, as the services would have written it ---------------------------


class _Sim:
    """One case walked through its life: fields changed and timeline rows written as
    cases.services does, at moments chosen in the past."""

    def __init__(self, w: _World, item: _Item, number: str):
        self.w, self.item = w, item
        self.case = Case(
            number=number,
            kind="general",
            channel=item.channel,
            category=item.category,
            urgency=item.urgency,
            title=item.title,
            description=item.description,
            state=State.REPORTED,
            org_code=item.org_code,
            grid_id=item.unit_id,
            building=item.building,
            address=item.address,
            lng=item.lng,
            lat=item.lat,
            reporter_resident_id=item.resident[0] if item.resident else None,
            reporter_name=(
                item.resident[1] if item.resident else item.person.name if item.person else ""
            ),
            reporter_phone_enc=item.person.sealed["phone_enc"] if item.person else "",
            reporter_phone_hash=item.person.sealed["phone_hash"] if item.person else "",
            reporter_phone_masked=item.person.sealed["phone_masked"] if item.person else "",
            reported_by=item.reported_by,
            reported_at=item.at,
        )
        self.events: list[CaseEvent] = []
        self.requests: list[ExtensionRequest] = []
        self.changes = [(item.at, State.REPORTED)]
        self.last = item.at
        self.round = 0
        self.start = item.at  # when the handling clock last started
        self.merged_into: _Item | None = None

    # bookkeeping ----------------------------------------------------------------

    def at(self, t: dt.datetime) -> dt.datetime:
        if t <= self.last:
            t = self.last + dt.timedelta(seconds=self.w.rnd.randint(20, 300))
        if t > self.w.now:
            raise _Stop
        return t

    def stall(self, step: str) -> None:
        if self.item.fate.stall == step and self.round == self.item.fate.stall_round:
            raise _Stop

    def event(self, t, actor, action, before, note="", data=None, *, side=False) -> CaseEvent:
        """A timeline row. `side`: written beside the main line, later, at a moment when
        the case was in state `before` (it changes nothing)."""
        after = before if side else self.case.state
        ev = CaseEvent(
            at=t,
            actor=actor,
            actor_name=(actor.get_display_name() if actor else gettext("System"))[:150],
            action=action,
            from_state=before,
            to_state=after,
            note=note,
            data=data or {},
        )
        self.events.append(ev)
        if not side:
            self.last = max(self.last, t)
            if after != before:
                self.changes.append((t, after))
            if action not in NOT_TRANSITIONS:
                self.case.version += 1
        return ev

    def move(self, t, actor, action, target, note="", data=None):
        before = self.case.state
        if target:
            self.case.state = target
        return self.event(t, actor, action, before, note, data)

    def state_at(self, t) -> str:
        state = self.changes[0][1]
        for when, s in self.changes:
            if when > t:
                break
            state = s
        return state

    def set_deadlines(self, start) -> None:
        case = self.case
        limits = self.w.limits(case.category, case.urgency)
        respond_by, due = policies.deadlines(start, limits, self.w.cal)
        case.respond_by = case.respond_by or respond_by
        case.due_at = due
        case.due_soon_at = _due_soon(start, due, limits.due_soon_share, self.w.cal, limits)
        self.start = start

    # actors and timing ----------------------------------------------------------

    @property
    def operator(self):
        ops = self.item.grid.operators
        return ops[0] if self.w.rnd.random() < 0.85 else ops[-1]

    def leader(self):
        return self.w.rnd.choice(self.item.grid.leaders) if self.item.grid.leaders else None

    def next(self, t, lo, hi, desk) -> dt.datetime:
        """A moment `lo`–`hi` after `t`, when `desk` is open (rushed cases: any time)."""
        t = t + self.w.span(lo, hi)
        if not self.item.fate.rush:
            t = desk(t)
        return self.at(t)

    def desk_of(self, user):
        if user is not None and user == self.item.grid.worker:
            return self.w.field_hours
        return self.w.office

    # the steps ------------------------------------------------------------------

    def report(self) -> None:
        item, case = self.item, self.case
        if item.fate.self_handle:
            result = self.w.rnd.choice(RESULTS.get(item.group, RESULTS["01"]))
            case.state = State.HANDLED
            case.registered_at = case.accepted_at = case.handled_at = item.at
            case.responded_at = item.at
            case.assignee_code = item.org_code
            case.handler = item.reported_by
            case.self_handled = True
            case.result = result
            self.set_deadlines(item.at)
            self.event(
                item.at, item.reported_by, "self_handle", "", result, {"channel": item.channel}
            )
            self.changes = [(item.at, State.HANDLED)]
        else:
            self.event(item.at, item.reported_by, "report", "", data={"channel": item.channel})

    def repeat(self, first: _Item) -> None:
        """repeats.flag: a repeat of the first case of the chain."""
        case = self.case
        first.case.repeat_count += 1
        self.item.first = first
        case.is_repeat = True
        if first.case.repeat_count >= repeats._setting("LEADER_AT", 3):
            case.needs_leader_visit = True
            case.supervision_level = max(case.supervision_level, Supervision.RAISED)
        note = gettext("Repeat of %(n)s (repeat no. %(k)d)") % {
            "n": first.case.number,
            "k": first.case.repeat_count,
        }
        data = {"first": first.case.number, "count": first.case.repeat_count}
        self.event(self.item.at, None, "repeat", case.state, note, data)

    def register(self, t) -> None:
        self.case.registered_at = t
        self.set_deadlines(t)
        self.move(
            t,
            self.operator,
            "register",
            State.REGISTERED,
            data={"due_at": self.case.due_at.isoformat()},
        )

    def unit(self, avoid=None):
        """(key, department, org code, handler): where the case goes, by its category."""
        w, item = self.w, self.item
        options = DISPATCH.get(item.category.code) or DISPATCH.get(item.group) or [("CG", 1)]
        if avoid is not None:
            options = [o for o in options if o[0] != avoid] or [("community", 1), ("CG", 1)]
        for _ in range(6):
            key = w.pick(options)
            if key == "grid" and item.grid.worker:
                return key, None, item.grid.unit.code, item.grid.worker
            if key in w.departments:
                dept = w.departments[key]
                return key, dept, "", w.rnd.choice(w.handlers[dept.pk])
            if key in ("community", "grid") and item.grid.community_worker:
                return "community", None, item.grid.community_code, item.grid.community_worker
        if item.grid.community_worker:
            return "community", None, item.grid.community_code, item.grid.community_worker
        if not w.departments:
            raise _Stop
        key, dept = next(iter(w.departments.items()))
        return key, dept, "", w.handlers[dept.pk][0]

    def dispatch(self, t, avoid=None):
        """The handler who will take it, and the key of the unit (to avoid on a return)."""
        case = self.case
        key, dept, code, handler = self.unit(avoid)
        if case.registered_at is None:
            case.registered_at = t
            self.set_deadlines(t)
        case.department, case.assignee_code, case.handler = dept, code, None
        case.dispatched_at, case.accepted_at = t, None
        data = {"department": str(dept) if dept else "", "unit": code}
        self.move(
            t,
            self.operator,
            "dispatch",
            State.DISPATCHED,
            self.w.rnd.choice(["", "", "请按时限处置。"]),
            data,
        )
        return handler, key

    def supervise(self, t, level, actor=None):
        case = self.case
        leaders = self.item.grid.leaders
        actor = actor or (self.operator if level == 1 or not leaders else leaders[-1])
        note = self.w.rnd.choice(SUPERVISE_NOTES[level])
        data = {"level": [case.supervision_level, level]}
        case.supervision_level, case.supervision_note, case.supervisor = level, note, actor
        self.move(t, actor, "supervise", None, note, data)

    def leader_visit(self, t):
        leader = self.leader()
        if leader is None:
            return
        self.case.leader_visited_at = t
        self.move(t, leader, "leader_visit", None, self.w.rnd.choice(VISIT_NOTES))

    def handle_at(self, t, late) -> dt.datetime:
        """When the handling unit reports it handled: a share of the time allowed."""
        case, w = self.case, self.w
        share = w.rnd.uniform(1.05, 2.2) if late else w.rnd.betavariate(2, 3) * 0.85 + 0.05
        target = self.start + (case.due_at - self.start) * share
        return max(target, t + 20 * MINUTE)

    def handling(self, t, handler, desk):
        """Accepted → (progress, suspension, extension) → handled."""
        w, case, fate = self.w, self.case, self.item.fate
        if case.needs_leader_visit and fate.leader_visit and not case.leader_visited_at:
            t = self.next(t, HOUR, 2 * DAY, w.office)
            self.leader_visit(t)
        late = fate.late and self.round == 0
        done = self.handle_at(t, late)
        if fate.suspend and self.round == 0:
            t = self.next(t, 2 * HOUR, DAY, w.duty)
            case.suspended_at = t
            self.move(t, self.operator, "suspend", State.SUSPENDED, w.rnd.choice(SUSPEND_REASONS))
            self.stall("resume")
            t = self.next(t, DAY, 8 * DAY, w.duty)
            old = case.due_at
            case.due_at = resume_deadline(case.due_at, case.suspended_at, t, w.cal)
            case.due_soon_at = resume_deadline(case.due_soon_at, case.suspended_at, t, w.cal)
            case.suspended_at = None
            self.move(
                t,
                self.operator,
                "resume",
                State.IN_PROGRESS,
                w.rnd.choice(RESUME_NOTES),
                {"due_at": [old.isoformat(), case.due_at.isoformat()]},
            )
            done = self.handle_at(t, late)
        if (
            fate.extension
            and self.round == 0
            and not self.w.limits(case.category, case.urgency).handling_hours
        ):
            if fate.rush:
                t = self.at(t + w.span(HOUR, 6 * HOUR))
            else:
                t = self.at(max(t + HOUR, t + (case.due_at - t) * w.rnd.uniform(0.3, 0.8)))
            days = w.rnd.choice([2, 3, 3, 5, 7])
            reason = w.rnd.choice(EXTENSION_REASONS)
            self.move(t, handler, "request_extension", None, reason, {"days": days})
            request = ExtensionRequest(
                days=days, reason=reason, requested_by=handler, requested_at=t
            )
            self.requests.append(request)
            self.stall("decide")
            t = self.next(t, HOUR, 20 * HOUR, w.duty)
            approve = fate.extension == "approved"
            operator = self.operator
            note = "" if approve else "理由不充分，请按原时限办结。"
            request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
            request.decided_by, request.decided_at, request.decision_note = operator, t, note
            data = {"approved": approve, "days": days}
            if approve:
                old = case.due_at
                case.due_at = add_working_days(case.due_at, days, w.cal)
                case.due_soon_at = add_working_days(case.due_soon_at, days, w.cal)
                case.extended_days += days
                data["due_at"] = [old.isoformat(), case.due_at.isoformat()]
            self.move(t, operator, "decide_extension", None, note, data)
            done = self.handle_at(t, late)
        notes = sorted(t + (done - t) * w.rnd.random() for _ in range(w.rnd.choice([0, 1, 1, 2])))
        for moment in notes:
            t = self.at(max(moment, t))
            self.move(t, handler, "progress", None, w.rnd.choice(PROGRESS_NOTES))
        self.stall("handle")
        limits = w.limits(case.category, case.urgency)
        t = self.at(done if limits.handling_hours or fate.rush else desk(done))
        self.handled(t, handler)
        return t

    def handled(self, t, handler):
        case = self.case
        case.result = self.w.rnd.choice(RESULTS.get(self.item.group, RESULTS["01"]))
        case.handled_at = t
        self.move(t, handler, "handle", State.HANDLED, case.result)

    def verify(self, t):
        """Verified: closed (or sent back first); then called back and maybe escalated."""
        w, case, fate = self.w, self.case, self.item.fate
        self.stall("verify")
        t = self.next(t, 20 * MINUTE, 10 * HOUR, w.duty)
        if fate.rework and self.round == 0:
            case.rework_count += 1
            self.move(
                t,
                self.operator,
                "verify_fail",
                State.IN_PROGRESS,
                w.rnd.choice(FAIL_NOTES),
                {"rework": case.rework_count},
            )
            handler = case.handler
            t = self.next(t, 4 * HOUR, 2 * DAY, self.desk_of(handler))
            self.handled(t, handler)
            t = self.next(t, 20 * MINUTE, 8 * HOUR, w.duty)
        if case.needs_leader_visit and not case.leader_visited_at:
            if not fate.leader_visit:
                raise _Stop  # waits for the leader
            self.leader_visit(t)
            t = self.next(t, HOUR, DAY, w.duty)
        case.closed_at = t
        case.closed_on_time = bool(case.due_at is None or t <= case.due_at)
        self.move(
            t, self.operator, "verify_pass", State.CLOSED, data={"on_time": case.closed_on_time}
        )
        if not self.item.contactable:
            return None
        self.stall("callback")
        t = self.next(t, 2 * HOUR, 3 * DAY, w.duty)
        rating = (fate.rating if self.round == 0 else "") or w.pick(
            [(Rating.SATISFIED, 70), (Rating.BASICALLY, 22), (Rating.UNSATISFIED, 8)]
        )
        if self.round >= 2 and rating == Rating.UNSATISFIED:
            rating = Rating.BASICALLY
        solved = {
            Rating.SATISFIED: True,
            Rating.BASICALLY: w.rnd.random() < 0.9,
            Rating.UNSATISFIED: w.rnd.random() < 0.3,
        }[rating]
        note = w.rnd.choice(CALLBACK_NOTES[rating])
        case.callback_at, case.callback_solved, case.callback_rating = t, solved, rating
        self.move(t, self.operator, "callback", None, note, {"solved": solved, "rating": rating})
        if rating != Rating.UNSATISFIED:
            return None
        self.escalate(t, note)
        return t

    def escalate(self, t, note):
        """services._escalate_unchecked: reopened one level up, supervised."""
        case = self.case
        case.escalation_level += 1
        case.supervision_level = max(case.supervision_level, Supervision.RAISED)
        length = CODE_LENGTH[Level.SUBDISTRICT if case.escalation_level <= 1 else Level.DISTRICT]
        unit_code = case.org_code[:length]
        leaders = self.w.at_code.get((Role.LEADER, unit_code), [])
        case.supervisor = leaders[0] if leaders else case.supervisor
        case.supervision_note = note[:200]
        self.reopen_fields(t)
        self.round += 1
        self.move(
            t,
            None,
            "escalate",
            State.REGISTERED,
            note,
            {"level": case.escalation_level, "unit": unit_code},
        )

    def reopen_fields(self, t):
        case = self.case
        case.closed_at = case.closed_on_time = case.callback_at = case.callback_solved = None
        case.callback_rating = ""
        case.department, case.assignee_code, case.handler = None, "", None
        case.accepted_at = case.suspended_at = None
        self.set_deadlines(t)

    # the whole life --------------------------------------------------------------

    def run(self) -> None:
        with contextlib.suppress(_Stop):
            self._run()
        self._after()

    def _run(self) -> None:
        w, case, fate, item = self.w, self.case, self.item.fate, self.item
        t = item.at
        if fate.self_handle:
            self.loop(t)
            return
        self.stall("register")
        if fate.merge_into is not None:
            target = fate.merge_into
            t = self.next(t, 10 * MINUTE, 3 * HOUR, w.duty)
            if target.sim.state_at(t) not in (State.MERGED, State.REJECTED):
                self.merged_into = target
                operator = self.operator
                note = w.rnd.choice(MERGE_NOTES)
                self.move(t, operator, "merge", State.MERGED, note, {"into": target.case.number})
                target.sim.event(
                    t,
                    operator,
                    "merged_in",
                    target.sim.state_at(t),
                    note,
                    {"from": case.number},
                    side=True,
                )
                return
        if fate.reject:
            t = self.next(t, 10 * MINUTE, 4 * HOUR, w.duty)
            self.move(t, self.operator, "reject", State.REJECTED, w.rnd.choice(REJECT_REASONS))
            if not fate.reopen:
                return
            t = self.next(t, DAY, 5 * DAY, w.duty)
            if case.registered_at is None:
                case.registered_at = t
            self.reopen_fields(t)
            self.move(
                t,
                self.operator,
                "reopen",
                State.REGISTERED,
                w.rnd.choice(REOPEN_NOTES),
                {"due_at": case.due_at.isoformat()},
            )
        elif not fate.direct or fate.stall == "dispatch":
            delay = fate.register_delay
            t = self.at(t + delay) if delay else self.next(t, 5 * MINUTE, 3 * HOUR, w.duty)
            self.register(t)
        self.loop(t)

    def loop(self, t) -> None:
        w, case, fate = self.w, self.case, self.item.fate
        while True:
            if not case.self_handled or self.round > 0:
                self.stall("dispatch")
                delay = fate.register_delay if case.registered_at is None else None
                t = self.at(t + delay) if delay else self.next(t, 10 * MINUTE, 4 * HOUR, w.duty)
                handler, choice = self.dispatch(t)
                if fate.supervise and self.round == 0:
                    t = self.next(t, 30 * MINUTE, DAY, w.duty)
                    self.supervise(t, fate.supervise)
                self.stall("accept")
                desk = self.desk_of(handler)
                t = self.next(t, 10 * MINUTE, 6 * HOUR, desk)
                if fate.returned and self.round == 0:
                    note = w.rnd.choice(RETURN_REASONS)
                    data = {"department": str(case.department or ""), "unit": case.assignee_code}
                    case.department, case.assignee_code, case.handler = None, "", None
                    case.accepted_at = None
                    self.move(t, handler, "return", State.REGISTERED, note, data)
                    t = self.next(t, 20 * MINUTE, 4 * HOUR, w.duty)
                    handler, _choice = self.dispatch(t, avoid=choice)
                    desk = self.desk_of(handler)
                    t = self.next(t, 10 * MINUTE, 6 * HOUR, desk)
                case.handler, case.accepted_at = handler, t
                self.move(t, handler, "accept", State.IN_PROGRESS)
                t = self.handling(t, handler, desk)
            if self.verify(t) is None:
                return
            t = self.last

    def _after(self) -> None:
        """Things that happen beside the main line: the first contact with the reporter,
        and supervision of a case left overdue."""
        w, case, item = self.w, self.case, self.item
        if item.contactable and case.registered_at and not case.self_handled:
            late = item.fate.late_contact
            c = case.registered_at + (
                w.span(65 * MINUTE, 20 * HOUR) if late else w.span(4 * MINUTE, 50 * MINUTE)
            )
            if c <= w.now and self.state_at(c) in CONTACTABLE:
                case.responded_at = c
                data = {"first": True, "on_time": bool(case.respond_by and c <= case.respond_by)}
                self.case.version += 1
                self.event(
                    c,
                    self.operator,
                    "contact",
                    self.state_at(c),
                    w.rnd.choice(CONTACT_NOTES),
                    data,
                    side=True,
                )
        if (
            case.state in SUPERVISABLE
            and case.state != State.SUSPENDED
            and case.due_at
            and case.due_at < w.now
            and case.supervision_level == 0
            and w.rnd.random() < 0.45
        ):
            t = max(self.last, case.due_at) + w.span(4 * HOUR, 3 * DAY)
            if t <= w.now:
                level = w.pick([(1, 6), (2, 3), (3, 1)])
                self.supervise(t, level)


# -- repeats, as intake finds them --------------------------------------------------


def _find_earlier(w: _World, item: _Item, recent: list[_Item]) -> _Item | None:
    """repeats.find_earlier over the cases planned so far."""
    days = repeats._setting("DAYS", 30)
    radius = repeats._setting("RADIUS_M", 50)
    threshold = repeats._setting("SIMILARITY", 60)
    since = item.at - dt.timedelta(days=days)
    text = f"{item.title} {item.description}".strip()
    phone = item.person.sealed["phone_hash"] if item.person else ""
    for other in recent:
        if not since <= other.at < item.at:
            continue
        if other.sim.state_at(item.at) in (State.REJECTED, State.MERGED):
            continue
        other_phone = other.case.reporter_phone_hash
        close = (
            (phone and other_phone == phone)
            or (item.building is not None and other.building == item.building)
            or (
                None not in (item.lng, item.lat, other.lng, other.lat)
                and abs(item.lat - other.lat) < 0.001
                and repeats.distance_m(item.lng, item.lat, other.lng, other.lat) <= radius
            )
        )
        if close and repeats.similarity(text, f"{other.title} {other.description}") >= threshold:
            return other
    return None


# -- writing it all -----------------------------------------------------------------


def _numbers(w: _World, items: list[_Item]) -> tuple[list[str], dict]:
    """SJ + local date + the day's sequence, continuing the stored counters."""
    days = {timezone.localtime(it.at, w.tz).date() for it in items}
    last = dict(CaseCounter.objects.filter(day__in=days).values_list("day", "last"))
    stored = set(last)
    numbers = []
    for it in items:
        day = timezone.localtime(it.at, w.tz).date()
        last[day] = last.get(day, 0) + 1
        numbers.append(f"SJ{day:%Y%m%d}{last[day]:06d}")
    return numbers, {"last": last, "stored": stored}


def _save(items: list[_Item], counters: dict) -> None:
    cases = [it.case for it in items]
    Case.objects.bulk_create(cases, batch_size=500)
    ids = dict(Case.objects.filter(org_code__within=DISTRICT).values_list("number", "id"))
    for case in cases:
        case.pk = case.id = ids[case.number]
    linked = []
    for it in items:
        merged = it.sim.merged_into
        if it.first is not None or merged is not None:
            it.case.repeat_of_id = it.first.case.pk if it.first is not None else None
            it.case.merged_into_id = merged.case.pk if merged is not None else None
            linked.append(it.case)
    Case.objects.bulk_update(linked, ["repeat_of", "merged_into"], batch_size=500)
    events, requests = [], []
    for it in items:
        for ev in sorted(it.sim.events, key=lambda e: e.at):
            ev.case_id = it.case.pk
            events.append(ev)
        for req in it.sim.requests:
            req.case_id = it.case.pk
            requests.append(req)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    ExtensionRequest.objects.bulk_create(requests, batch_size=500)
    last, stored = counters["last"], counters["stored"]
    for day, n in last.items():
        if day in stored:
            CaseCounter.objects.filter(day=day, last__lt=n).update(last=n)
    CaseCounter.objects.bulk_create(
        [CaseCounter(day=day, last=n) for day, n in last.items() if day not in stored],
        batch_size=500,
    )


def run(log, small=False):
    """Half a year of cases in the demo district; `small`: a few in the small demo's grids."""
    if Case.objects.filter(org_code__within=DISTRICT).exists():
        log("案件数据已存在，跳过。")
        return
    policies.ensure_reference_data()
    w = _World(small)
    grids = _load(w)
    if not grids or not w.categories:
        log("没有楼栋或值班员，跳过演示案件。")
        return
    items = _plan(w, grids)
    numbers, counters = _numbers(w, items)
    by_category: dict[int, list[_Item]] = {}
    for item, number in zip(items, numbers, strict=True):
        if item.fate.merge_into is not None and item.fate.merge_into.sim is None:
            item.fate.merge_into = None  # planned after its duplicate: cannot merge
        item.sim = _Sim(w, item, number)
        item.case = item.sim.case
        item.sim.report()
        recent = by_category.setdefault(item.category.pk, [])
        earlier = _find_earlier(w, item, recent)
        if earlier is not None:
            item.sim.repeat(earlier.first or earlier)
        recent.append(item)
        if len(recent) > 400:
            del recent[:200]
        item.sim.run()
    with transaction.atomic():
        _save(items, counters)
    rows = rollups.rebuild()  # the rows were written in bulk, past the services
    states: dict[str, int] = {}
    for it in items:
        states[it.case.state] = states.get(it.case.state, 0) + 1
    overdue = sum(1 for it in items if it.case.is_overdue(w.now))
    open_ = sum(n for s, n in states.items() if s in OPEN_STATES)
    log(
        f"演示案件：{len(items)} 件（待立案 {states.get(State.REPORTED, 0)}，办理中 {open_}，"
        f"超期 {overdue}，已结案 {states.get(State.CLOSED, 0)}），"
        f"时间线 {sum(len(it.sim.events) for it in items)} 条，统计汇总 {rows} 行。"
    )


__all__ = ["run"]
