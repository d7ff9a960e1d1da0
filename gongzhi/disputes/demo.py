"""The disputes demo: a year of disputes in the first subdistrict, in every state, lived
through the real services — registered by the grid's worker, assigned by the community
worker to a mediator (the first community's 智囊团 of retired cadres, the subdistrict's
police assistant and lawyer), sessions back to back and face to face, agreements signed
with a photo, settled, failed, referred, withdrawn, verified and closed, followed up — each
step at the moment it was planned at (core.democlock: the services number, date and count
what they write on that day). The screening
reports of every grid for the last twelve months: most on time, some zero, some late, and
one missing (the last month of one grid).

Idempotent: nothing is done when the 智囊团 exists.
"""

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from faker import Faker
from PIL import Image, ImageDraw

from gongzhi.accounts.demo import DEMO_PASSWORD
from gongzhi.accounts.models import Position, User
from gongzhi.cases import rollups
from gongzhi.cases import services as cases
from gongzhi.cases.models import Case
from gongzhi.core import democlock
from gongzhi.core.roles import Level, Role
from gongzhi.disputes import seed, selectors, services
from gongzhi.disputes.models import (
    Dispute,
    DisputeType,
    FollowUp,
    Mediator,
    ScreeningReport,
    ScreeningRevision,
)
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.demo import _point
from gongzhi.registry.models import Building, Resident

TEAM = "智囊团"
STORIES = {
    "邻里纠纷": ("楼上漏水致楼下墙面受损", "甲称乙家卫生间漏水，墙皮脱落，要求赔偿维修费"),
    "物业纠纷": ("物业费收缴争议", "业主以电梯长期故障为由拒交物业费，物业公司催缴"),
    "婚姻家庭纠纷": ("老人赡养费分担争议", "兄妹三人对父亲赡养费分担意见不一"),
    "劳动争议/欠薪": ("装修工人工资拖欠", "包工头拖欠六名工人工资共计三万余元"),
    "宠物纠纷": ("宠物犬夜间吠叫扰民", "邻居家犬只夜间吠叫，多次沟通无果"),
    "土地/拆迁纠纷": ("院落边界争议", "两户对院墙位置各执一词"),
    "医疗纠纷": ("社区诊所输液后过敏", "患者家属要求诊所承担医疗费用"),
    "交通事故纠纷": ("小区内电动车剐蹭", "电动车与行人剐蹭，就医疗费协商未果"),
}
TERMS = "一、{a}一次性支付{b}人民币{n}元，于{d}前付清；\n二、双方就此纠纷再无其他争议。"
# What becomes of a dispute of each month ago (0 is this month).
OUTCOMES = [("settled", 70), ("failed", 10), ("referred", 8), ("withdrawn", 5)]
OPEN_STEPS = ["reported", "dispatched", "sessions", "drafted"]
SOURCES = ["screening", "screening", "visit", "grid_worker", "hotline", "police", "petition"]


def _jpeg(rnd) -> bytes:
    img = Image.new("RGB", (480, 640), (245, 243, 236))
    draw = ImageDraw.Draw(img)
    for y in range(80, 560, 28):
        draw.line((40, y, 440, y), fill=(rnd.randint(40, 90), 40, 40), width=2)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def _user(username, name):
    user, created = User.objects.get_or_create(username=username, defaults={"name": name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _holder(role, unit):
    p = Position.objects.filter(role=role, org_unit=unit, is_active=True).select_related("user")
    return p.first().user if p.first() else None


def _mediators(sub, community, fake):
    made = []
    for i in range(1, 5):
        user = _user(f"zhinang{i}", fake.name())
        made.append(
            services.mediator_add(
                actor=_holder(Role.OPERATOR, sub) or user,
                user_id=user.pk,
                unit_id=community.pk,
                kind="think_tank",
                team=TEAM,
            )
        )
    for username, kind, team in (
        ("jingwu1", "police", "警务室"),
        ("lvshi1", "lawyer", "法律援助室"),
    ):
        user = _user(username, fake.name())
        made.append(
            services.mediator_add(
                actor=_holder(Role.OPERATOR, sub),
                user_id=user.pk,
                unit_id=sub.pk,
                kind=kind,
                team=team,
            )
        )
    return made


def _live(rnd, fake, *, grid, community_worker, reporter, mediators, dtype, end, residents, t0):
    """One dispute through the services from `t0` up to `end` (an outcome or an open
    step), each step at its own moment after the one before; a step due after now is
    left for later (the dispute stays open there)."""
    title, account = STORIES.get(dtype.name, ("邻里矛盾", "双方因琐事发生争执"))
    pool = [r for r in residents if r.org_code.startswith(grid.code)]
    first = (
        {"resident_id": rnd.choice(pool).pk}
        if pool
        else {"name": fake.name(), "phone": fake.phone_number()}
    )
    parties = [first, {"name": fake.name(), "phone": fake.phone_number()}]
    # A point in the grid or one of its micro-grids, filed there (as intake would locate it).
    place = rnd.choice(list(grid.children.order_by("code")) or [grid])
    lng, lat = _point(rnd, place)
    # After the day's earlier reports: a day's numbers follow the order of reporting.
    day_start = timezone.make_aware(dt.datetime.combine(timezone.localdate(t0), dt.time()))
    latest = Case.objects.filter(
        reported_at__gte=day_start, reported_at__lt=day_start + dt.timedelta(days=1)
    ).aggregate(last=Max("reported_at"))["last"]
    if latest is not None and latest >= t0:
        t0 = latest + dt.timedelta(minutes=rnd.randint(1, 20))
    clock = {"t": t0}
    now = timezone.now()

    def step(hours):
        clock["t"] += dt.timedelta(hours=hours, minutes=rnd.randint(0, 50))
        return clock["t"] <= now

    with democlock.at(clock["t"]):
        case, _ = services.dispute_register(
            actor=reporter, grid_id=place.pk, type_id=dtype.pk, source=rnd.choice(SOURCES),
            risk=rnd.choices(["ordinary", "serious", "major"], [80, 17, 3])[0],
            summary=title, account=account, parties=parties, lng=lng, lat=lat,
            place=f"{grid.name}{rnd.randint(1, 30)}号楼",
        )  # fmt: skip
    if end == "reported" or not step(2):
        return case
    mediator = rnd.choice(mediators)
    with democlock.at(clock["t"]):
        services.mediator_assign(
            actor=community_worker, dispute_id=case.pk, mediator_id=mediator.pk
        )
    if end == "dispatched" or not step(3):
        return case
    med = mediator.user
    with democlock.at(clock["t"]):
        cases.case_accept(actor=med, case_id=case.pk)
    party = Dispute.objects.get(pk=case.pk).parties.order_by("seq").first()
    for mode in ("separate", "joint"):
        if not step(30):
            return case
        with democlock.at(clock["t"]):
            services.session_record(
                actor=med, dispute_id=case.pk, mode=mode,
                party_id=party.pk if mode == "separate" else None,
                held_at=(clock["t"] - dt.timedelta(hours=2)).isoformat(),
                place=rnd.choice(["助和调解室", "社区调解室", "警务室"]),
                attendees="调解员、当事人" if mode == "joint" else f"调解员、{party.name}",
                minutes="听取当事人陈述，释法说理，双方情绪平稳。" if mode == "separate"
                else "双方当面协商，就赔偿金额初步达成一致。",
                next_step="起草调解协议" if mode == "joint" else "约双方面对面",
            )  # fmt: skip
    if end == "sessions":
        return case
    if end in ("drafted", "settled"):
        if not step(4):
            return case
        names = list(
            Dispute.objects.get(pk=case.pk).parties.order_by("seq").values_list("name", flat=True)
        )
        with democlock.at(clock["t"]):
            a = services.agreement_save(
                actor=med, dispute_id=case.pk,
                terms=TERMS.format(a=names[0], b=names[1], n=rnd.randint(5, 60) * 100, d="本月底"),
            )  # fmt: skip
        if end == "drafted" or not step(20):
            return case
        with democlock.at(clock["t"]):
            services.agreement_sign(
                actor=med, agreement_id=a.pk,
                photo=SimpleUploadedFile("signed.jpg", _jpeg(rnd), content_type="image/jpeg"),
            )  # fmt: skip
    if not step(1):
        return case
    referred = rnd.choice(["court", "petition", "police", "confirmation", "subdistrict"])
    with democlock.at(clock["t"]):
        services.mediation_conclude(
            actor=med, case_id=case.pk, outcome=end,
            referred_to=referred if end == "referred" else "",
        )  # fmt: skip
    if not step(20):
        return case
    with democlock.at(clock["t"]):
        cases.case_verify(actor=community_worker, case_id=case.pk, passed=True)
    if end == "settled":
        for f in FollowUp.objects.filter(agreement__dispute_id=case.pk).order_by("due_on"):
            moment = timezone.make_aware(dt.datetime.combine(f.due_on, dt.time(10)))
            if moment > now:
                break
            with democlock.at(moment):
                services.follow_up_record(
                    actor=community_worker, follow_up_id=f.pk,
                    performance=rnd.choices(["performed", "partly", "not"], [85, 10, 5])[0],
                )  # fmt: skip
    return case


def run(log, small=False):
    from gongzhi.cases.models import Category

    seed.ensure(Category, DisputeType)
    if Mediator.objects.filter(team=TEAM).exists():
        log("矛盾纠纷：演示数据已存在，跳过。")
        return
    rnd = random.Random(17)
    fake = Faker("zh_CN")
    Faker.seed(17)
    sub = OrgUnit.objects.filter(level=Level.SUBDISTRICT).order_by("code").first()
    if sub is None or _holder(Role.OPERATOR, sub) is None:
        log("矛盾纠纷：没有街道或值班员，跳过。")
        return
    communities = list(OrgUnit.objects.filter(level=Level.COMMUNITY, parent=sub).order_by("code"))
    mediators = _mediators(sub, communities[0], fake)
    types = list(DisputeType.objects.filter(is_active=True).order_by("sort"))
    residents = list(Resident.objects.filter(org_code__within=sub.code).order_by("pk")[:2000])
    grids = list(OrgUnit.objects.filter(level=Level.GRID, code__within=sub.code).order_by("code"))
    if small:  # the small demo's grids: those with buildings
        built = {c[:15] for c in Building.objects.values_list("org_code", flat=True)}
        grids = [g for g in grids if g.code in built] or grids
    staffed = []
    for grid in grids:
        cw = _holder(Role.COMMUNITY_WORKER, grid.parent)
        reporter = _holder(Role.GRID_WORKER, grid) or cw
        if cw is not None and reporter is not None:
            staffed.append((grid, cw, reporter))
    if not staffed:
        log("矛盾纠纷：没有配备人员的网格，跳过。")
        return
    now = timezone.now()
    per_month = 1 if small else 6
    made = 0
    forced = [o for o, _ in OUTCOMES]
    for months_ago in range(11, -1, -1):
        for _ in range(per_month):
            grid, cw, reporter = rnd.choice(staffed)
            if months_ago == 0:
                end = rnd.choice(OPEN_STEPS)
            elif months_ago == 1 and rnd.random() < 0.4:
                end = rnd.choice(OPEN_STEPS[1:])
            elif forced:  # every outcome at least once, the small demo too
                end = forced.pop()
            else:
                end = rnd.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
            days = months_ago * 30 + rnd.randint(0, 25) if months_ago else rnd.randint(2, 4)
            day = timezone.localdate(now) - dt.timedelta(days=days)
            t0 = timezone.make_aware(dt.datetime.combine(day, dt.time(rnd.randint(8, 16))))
            with transaction.atomic():
                _live(
                    rnd, fake, grid=grid, community_worker=cw, reporter=reporter,
                    mediators=mediators, dtype=rnd.choice(types), end=end, residents=residents,
                    t0=t0,
                )  # fmt: skip
            made += 1
    reports = _screening(rnd, staffed, now)
    rollups.rebuild((now - dt.timedelta(days=400)).date(), timezone.localdate(now))
    log(
        f"矛盾纠纷：{made} 起纠纷（一年，各种状态），{len(mediators)} 名调解员（含智囊团），"
        f"{reports} 份月排查报告。"
    )


def _screening(rnd, staffed, now) -> int:
    """Twelve months of reports for every staffed grid: the last month of the first grid
    is missing; a few are late; the months without disputes are zero reports."""
    today = timezone.localdate(now)
    first_of = today.replace(day=1)
    made = 0
    for months_ago in range(12, 0, -1):
        month = first_of
        for _ in range(months_ago):
            month = (month - dt.timedelta(days=1)).replace(day=1)
        for i, (grid, _cw, reporter) in enumerate(staffed):
            if months_ago == 1 and i == 0:
                continue  # the one missing report
            found = selectors.found_in(grid.code, month)
            report = services.screening_file(
                actor=reporter, unit_id=grid.pk, year=month.year, month=month.month,
                is_zero=not found, note="" if found else "经排查，本月未发现矛盾纠纷",
            )  # fmt: skip
            nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            late = rnd.random() < 0.08
            day = nxt + dt.timedelta(days=rnd.randint(6, 14) if late else rnd.randint(0, 3))
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(rnd.randint(9, 17))))
            ScreeningReport.objects.filter(pk=report.pk).update(
                first_filed_at=at, filed_at=at, late=day > services.due_date(month)
            )
            ScreeningRevision.objects.filter(report=report).update(filed_at=at)
            made += 1
    return made
