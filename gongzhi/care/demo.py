"""The care demo (step 48 of manage.py demo): 明德路街道's visit plans (独居/孤寡 every
week, 残疾人 every month, 低保 every quarter), a year of visits to its cared-for
residents, and 30 micro-wishes in every state.

The plans are made through the services, and so is the current window's schedule.
The year behind is history: its scheduled visits and visits are inserted in bulk (a
service call per visit would take minutes), each visit closing its window's scheduled
visit, one in ten late. The first grid's worker (wangge01) made exactly 50 of this
year's visits, so the next one they record is "第51次家访"; the grid's other visits were
made by volunteers (recorded by the community). The wishes go through the real services
(claims, photos, the resident's confirmation), then their dates are spread over the
year. Idempotent: nothing is done when a plan exists.
"""

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from gongzhi.accounts.models import Position, User
from gongzhi.care import services, windows
from gongzhi.care.models import (
    ScheduledState,
    ScheduledVisit,
    Visit,
    Visitor,
    VisitPlan,
    VisitType,
    Wish,
)
from gongzhi.cases.models import Category
from gongzhi.core.roles import CODE_LENGTH, Level, Role
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.models import Resident, Tag

PLANS = (
    ("独居/孤寡", "独居孤寡老人每周走访", "week", 2),
    ("残疾人", "残疾人每月走访", "month", 5),
    ("低保", "低保户每季度走访", "quarter", 10),
)
NOTES = [
    "身体状况良好，精神不错",
    "血压偏高，提醒按时服药",
    "暖气温度正常",
    "家中燃气阀门已检查",
    "聊了聊家常，老人很开心",
    "医保缴费已提醒",
    "子女本周来看望过",
    "帮忙清理了楼道杂物",
    "冰箱里食物充足",
    "提醒冬季用电安全",
    "电动车不进楼道，已宣传",
]
WISHES = [
    ("想要一台收音机", "想要一台收音机"),
    ("希望有人陪我聊聊天", "希望有人陪着聊聊天"),
    ("想学用智能手机视频通话", "想学用智能手机视频"),
    ("卫生间装个扶手", "卫生间想装一个扶手"),
    ("想要一副老花镜", "想要一副老花镜"),
    ("孙子需要一套课外书", "孩子想要一套课外书"),
    ("想理一次发", "想理一次发"),
    ("想要一个电暖器", "想要一个电暖器"),
    ("家门口坡道改造", "门口想做个无障碍坡道"),
    ("想去看一次黄河", "想去看一次黄河"),
    ("想要一床新棉被", "想要一床厚棉被"),
    ("帮忙修一下轮椅", "轮椅需要修一修"),
]
# How many of the 30 wishes end in each state.
STATES = (
    ("collected", 5),
    ("rejected", 2),
    ("case", 2),
    ("published", 6),
    ("claimed", 4),
    ("fulfilled", 3),
    ("confirmed", 8),
)
PARTNERS = ["暖心超市", "龙门眼镜店", "区第一实验小学", "兴华物业", "惠民理发店"]


def _photo(rnd) -> SimpleUploadedFile:
    buf = io.BytesIO()
    colour = tuple(rnd.randrange(80, 230) for _ in range(3))
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    return SimpleUploadedFile("wish.jpg", buf.getvalue(), content_type="image/jpeg")


def run(log):
    if VisitPlan.objects.exists():
        log("走访计划已存在，跳过。")
        return
    sub = OrgUnit.objects.filter(code="990101001").first()
    operator = User.objects.filter(username="jiedao").first()
    if sub is None or operator is None:
        log("care: the demo district or its operator is missing; skipped")
        return
    rnd = random.Random(18)
    tags = {t.name: t for t in Tag.objects.filter(is_care=True)}
    plans = []
    for tag_name, name, period, grace in PLANS:
        if tag_name in tags:
            plans.append(
                services.plan_save(
                    actor=operator,
                    name=name,
                    tag_id=tags[tag_name].pk,
                    unit_code=sub.code,
                    period=period,
                    grace_days=grace,
                )
            )
    made = _history(plans, rnd)
    log(f"走访计划 {len(plans)} 个，历史走访 {made} 次。")
    counts = _wishes(sub, rnd)
    log("微心愿：" + "，".join(f"{k} {v}" for k, v in counts.items()))


def _workers() -> dict[str, User]:
    """grid code -> its grid worker; community code -> its community worker."""
    out = {}
    for p in Position.objects.filter(
        is_active=True, role__in=(Role.GRID_WORKER, Role.COMMUNITY_WORKER)
    ).select_related("user"):
        out.setdefault(p.org_code, p.user)
    return out


def _history(plans, rnd) -> int:
    """A year of windows before the current one, each visited (one in ten late)."""
    today = timezone.localdate()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    workers = _workers()
    grid_len, community_len = CODE_LENGTH[Level.GRID], CODE_LENGTH[Level.COMMUNITY]
    rows = []  # (plan, resident, start, end, overdue, visited_at)
    for plan in plans:
        residents = list(
            Resident.objects.filter(
                is_active=True, tags=plan.tag_id, org_code__startswith=plan.unit_code
            ).order_by("pk")
        )
        start, _end = windows.window(plan.period, today)
        day = start - dt.timedelta(days=1)
        while day >= today - dt.timedelta(days=365):
            w_start, w_end = windows.window(plan.period, day)
            overdue = windows.overdue_after(w_end, plan.grace_days)
            for resident in residents:
                span = (w_end - w_start).days
                when = w_start + dt.timedelta(days=rnd.randrange(span + 1))
                if rnd.random() < 0.1:
                    when = overdue + dt.timedelta(days=rnd.randrange(1, 6))
                moment = dt.datetime.combine(
                    min(when, today - dt.timedelta(days=1)),
                    dt.time(rnd.randrange(8, 18), rnd.randrange(60)),
                    tz,
                )
                rows.append((plan, resident, w_start, w_end, overdue, moment))
            day = w_start - dt.timedelta(days=1)
    rows.sort(key=lambda r: r[5])
    scheduled = ScheduledVisit.objects.bulk_create(
        [
            ScheduledVisit(
                plan=plan,
                resident=r,
                org_code=r.org_code,
                window_start=s,
                due_on=e,
                overdue_on=o,
                state=ScheduledState.DONE,
                created_at=now,
                closed_at=now,
            )
            for plan, r, s, e, o, _m in rows
        ],
        batch_size=2000,
    )
    year = dt.datetime(today.year, 1, 1, tzinfo=tz)
    first_grid = min((r[1].org_code[:grid_len] for r in rows), default="")
    star = workers.get(first_grid)
    starred = 0
    visits = []
    for n, ((_p, r, _s, _e, _o, moment), sched) in enumerate(zip(rows, scheduled, strict=True)):
        grid = r.org_code[:grid_len]
        visitor = workers.get(grid) or workers.get(r.org_code[:community_len])
        role = Visitor.WORKER
        if grid == first_grid and moment >= year:
            if starred < 50:
                starred += 1
            else:  # 周末儿女志愿者: the community records the volunteers' visits
                visitor = workers.get(r.org_code[:community_len]) or visitor
                role = Visitor.VOLUNTEER
        if visitor is None:
            continue
        if grid == first_grid and moment >= year and role == Visitor.WORKER:
            visitor = star or visitor
        concern = rnd.random() < 0.15
        visits.append(
            Visit(
                client_id=f"demo-{n}",
                resident=r,
                org_code=r.org_code,
                scheduled=sched,
                kind=rnd.choice([VisitType.HOME] * 6 + [VisitType.PHONE] * 3 + [VisitType.STREET]),
                visitor=visitor,
                visitor_role=role,
                visited_at=moment,
                received_at=moment + dt.timedelta(minutes=rnd.randrange(1, 90)),
                checklist={
                    "health": "concern" if concern else "ok",
                    "safety": "ok",
                    "heating": rnd.choice(["ok", "ok", "concern", "na"]),
                    "needs": "ok",
                },
                notes=rnd.choice(NOTES),
            )
        )
    Visit.objects.bulk_create(visits, batch_size=2000)
    return len(visits)


def _wishes(sub, rnd) -> dict[str, int]:
    """30 wishes of the subdistrict's cared-for residents, through the services."""
    workers = _workers()
    residents = list(
        Resident.objects.filter(is_active=True, tags__is_care=True, org_code__startswith=sub.code)
        .distinct()
        .order_by("pk")[:200]
    )
    category = (
        Category.objects.filter(parent__isnull=False, is_active=True).order_by("code").first()
    )
    counts: dict[str, int] = {}
    today = timezone.localdate()
    n = 0
    for state, how_many in STATES:
        for _ in range(how_many):
            if not residents:
                break
            resident = residents[(n * 7) % len(residents)]
            community = resident.org_code[: CODE_LENGTH[Level.COMMUNITY]]
            staff = workers.get(community)
            if staff is None:
                continue
            text, title = WISHES[n % len(WISHES)]
            n += 1
            source = ("visit", "phone", "desk")[n % 3]
            wish = services.wish_collect(
                actor=staff, resident_id=resident.pk, text=text, source=source
            )
            counts[state] = counts.get(state, 0) + 1
            if state == "collected":
                continue
            if state == "rejected":
                services.wish_review(
                    actor=staff, wish_id=wish.pk, publish=False, note="超出社区能力，已转介相关部门"
                )
                continue
            if state == "case" and category is not None:
                services.wish_to_case(actor=staff, wish_id=wish.pk, category_id=category.pk)
                continue
            services.wish_review(
                actor=staff,
                wish_id=wish.pk,
                publish=True,
                public_title=title,
                plan="社区联系志愿者和共建单位认领",
                target_on=today + dt.timedelta(days=rnd.randrange(7, 40)),
            )
            if state == "published":
                continue
            if rnd.random() < 0.5:
                services.wish_claim_for_partner(
                    actor=staff, wish_id=wish.pk, partner=rnd.choice(PARTNERS)
                )
                by = {"actor": staff}
            else:
                phone = f"1390000{n:04d}"
                sealed = pii.seal_phone(phone)
                held = {
                    "hash": sealed["phone_hash"],
                    "enc": sealed["phone_enc"],
                    "masked": sealed["phone_masked"],
                }
                services.wish_claim_by_volunteer(
                    held=held, wish_id=wish.pk, name="志愿者小" + "刘王张李陈"[n % 5]
                )
                by = {"held": held}
            if state == "claimed":
                continue
            services.wish_fulfil(wish_id=wish.pk, photos=[_photo(rnd)], **by)
            if state == "fulfilled":
                continue
            services.wish_confirm(actor=staff, wish_id=wish.pk, how=rnd.choice(["phone", "visit"]))
            if n % 8 < 5:
                services.wish_follow_up(
                    actor=staff, wish_id=wish.pk, note="回头看：物品使用良好，老人满意"
                )
    # Spread the finished ones over the year behind (the services stamped them today).
    for i, wish in enumerate(Wish.objects.filter(state="confirmed").order_by("pk")):
        back = dt.timedelta(days=30 + i * 35)
        Wish.objects.filter(pk=wish.pk).update(
            collected_at=wish.collected_at - back - dt.timedelta(days=20),
            published_at=wish.published_at - back - dt.timedelta(days=15),
            fulfilled_at=wish.fulfilled_at - back - dt.timedelta(days=2),
            confirmed_at=wish.confirmed_at - back,
            target_on=(wish.confirmed_at - back).date() + dt.timedelta(days=3),
            followup_on=(wish.confirmed_at - back).date() + dt.timedelta(days=30),
            followed_up_at=(wish.confirmed_at - back + dt.timedelta(days=30))
            if wish.followed_up_at
            else None,
        )
    return counts
