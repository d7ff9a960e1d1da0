"""Demo data of sharing (step 65 of `manage.py demo`): in the demo's first community with
residents, the party-and-people service center's 8 function rooms with a season of weekly
bookings (the dance troupe, the photography club, the opera society, the calligraphy
class) and one-off bookings by residents, and a tool hut (共享小屋) of 40 items with a year
of loans. Bookings go through the services at their moment of the past
(core.democlock.at), so the rules, the buffers and the audit hold as for people; the
year of returned loans is written in bulk (a fast path: a locked transaction per loan
would take the step past a few seconds), the loans out now and the holds through the
services. Idempotent: nothing is done when the community has rooms."""

import contextlib
import datetime as dt
import random

from django.db.models import F
from django.utils import timezone

from gongzhi.accounts.models import Position, User
from gongzhi.core import democlock
from gongzhi.core.errors import DomainError
from gongzhi.core.roles import Level, Role
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Resident
from gongzhi.sharing import services
from gongzhi.sharing.models import (
    BookerKind,
    Booking,
    BookingState,
    Condition,
    Hut,
    Item,
    Loan,
    LoanState,
    Room,
    ToolCategory,
)

ROOMS = [
    # name, capacity, equipment, opens, closes, needs approval, residents may book
    ("健身房", 20, "跑步机、动感单车、哑铃", 7, 21, False, True),
    ("红色放映厅", 60, "投影仪、音响、党史影片库", 9, 21, True, True),
    ("甲骨文书屋", 30, "书法桌、文房四宝、甲骨文拓片", 9, 20, False, True),
    ("康养中心", 15, "血压计、按摩椅、理疗床", 8, 18, False, True),
    ("社区大食堂", 80, "餐桌、厨房设备", 10, 20, True, True),
    ("图书室", 25, "藏书三千册、阅览桌", 9, 21, False, True),
    ("调解室", 8, "圆桌、录音设备", 9, 18, False, False),
    ("文体活动室", 40, "音响、镜墙、舞蹈把杆", 8, 21, False, True),
]
SERIES = [
    ("文体活动室", 1, dt.time(19), dt.time(21), "舞蹈队排练", "夕阳红舞蹈队"),
    ("红色放映厅", 3, dt.time(14, 30), dt.time(16, 30), "摄影协会交流", "社区摄影协会"),
    ("文体活动室", 5, dt.time(9), dt.time(11), "戏曲社排练", "豫剧票友社"),
    ("甲骨文书屋", 2, dt.time(15), dt.time(17), "书法班", "老年书法班"),
]
ONE_OFF = ["生日会", "读书分享", "亲子手工", "老友聚会", "合唱练习", "健康讲座", "围棋交流"]
CATEGORIES = [
    # name, loan days, renewals, at once, approval, deposit, training, late points
    ("电动工具", 7, 1, 1, False, 100, True, 10),
    ("手动工具", 14, 2, 3, False, 0, False, 5),
    ("测量工具", 14, 2, 2, False, 0, False, 0),
    ("园艺工具", 7, 1, 2, False, 0, False, 0),
    ("家用器具", 3, 0, 1, True, 50, False, 5),
]
ITEMS = [
    ("电动工具", "冲击钻", "戴护目镜；使用前检查钻头"),
    ("电动工具", "电锤", "需培训后借用"),
    ("电动工具", "角磨机", "须戴手套与护目镜"),
    ("电动工具", "电动螺丝刀", ""),
    ("电动工具", "手持电锯", "须培训；儿童勿近"),
    ("电动工具", "热风枪", "高温，用后冷却再还"),
    ("手动工具", "扳手套装", ""),
    ("手动工具", "螺丝刀套装", ""),
    ("手动工具", "老虎钳", ""),
    ("手动工具", "羊角锤", ""),
    ("手动工具", "管钳", ""),
    ("手动工具", "手锯", "锯齿锋利"),
    ("手动工具", "套筒扳手", ""),
    ("手动工具", "内六角扳手", ""),
    ("手动工具", "水泵钳", ""),
    ("手动工具", "剥线钳", ""),
    ("测量工具", "卷尺", ""),
    ("测量工具", "水平仪", ""),
    ("测量工具", "激光测距仪", "勿直视激光"),
    ("测量工具", "万用表", ""),
    ("测量工具", "角尺", ""),
    ("园艺工具", "修枝剪", ""),
    ("园艺工具", "铁锹", ""),
    ("园艺工具", "耙子", ""),
    ("园艺工具", "喷壶", ""),
    ("园艺工具", "高枝剪", "注意头顶电线"),
    ("园艺工具", "割草机", "须培训"),
    ("家用器具", "折叠梯", "两人配合使用"),
    ("家用器具", "疏通器", ""),
    ("家用器具", "缝纫机", ""),
    ("家用器具", "电饼铛", ""),
    ("家用器具", "大号蒸锅", ""),
    ("家用器具", "折叠桌", ""),
    ("家用器具", "折叠椅(10把)", ""),
    ("家用器具", "推车", ""),
    ("家用器具", "吸尘器", ""),
    ("家用器具", "挂烫机", ""),
    ("手动工具", "玻璃胶枪", ""),
    ("手动工具", "打气筒", ""),
    ("测量工具", "电子秤", ""),
]


def _worker(community):
    position = (
        Position.objects.filter(role=Role.COMMUNITY_WORKER, org_code=community.code, is_active=True)
        .select_related("user")
        .first()
    )
    return (
        position.user if position else User.objects.filter(is_superuser=True).order_by("pk").first()
    )


def _held(resident):
    return {"hash": resident.phone_hash, "enc": resident.phone_enc, "masked": resident.phone_masked}


def run(log, small=False):
    communities = OrgUnit.objects.filter(level=Level.COMMUNITY, code__within="990101").order_by(
        "code"
    )
    community = next(
        (
            c
            for c in communities
            if Resident.objects.filter(org_code__within=c.code).exclude(phone_hash="").exists()
        ),
        None,
    )
    if community is None:
        log("共享：没有居民，跳过。")
        return
    if Room.objects.filter(org_unit=community).exists():
        log("共享数据已存在，跳过。")
        return
    rnd = random.Random(21)
    worker = _worker(community)
    now = timezone.now()
    residents = list(
        Resident.objects.filter(org_code__within=community.code, is_active=True)
        .exclude(phone_hash="")
        .order_by("pk")[:60]
    )
    rooms = {}
    for name, cap, equipment, opens, closes, approval, residents_ok in ROOMS:
        rooms[name] = Room.objects.create(
            org_unit=community,
            org_code=community.code,
            name=name,
            capacity=cap,
            equipment=equipment,
            opens_at=dt.time(opens),
            closes_at=dt.time(closes),
            needs_approval=approval,
            residents_may_book=residents_ok,
            buffer_minutes=15,
            max_minutes=240,
            max_days_ahead=30,
            no_show_points=5 if residents_ok else 0,
        )
    # A season of weekly bookings: booked eight weeks ago, running eight weeks ahead.
    booked_at = now - dt.timedelta(weeks=8, days=1)
    series_n = 0
    for room_name, weekday, t0, t1, title, team in SERIES:
        first = (booked_at + dt.timedelta(days=1)).date()
        first += dt.timedelta(days=(weekday - first.weekday()) % 7)
        with democlock.at(booked_at):
            services.series_book(
                actor=worker,
                room_id=rooms[room_name].pk,
                title=title,
                first_date=first,
                last_date=first + dt.timedelta(weeks=15),
                starts=t0,
                ends=t1,
                booker_kind=BookerKind.TEAM,
                booker_name=team,
            )
        series_n += 1
    # One-off bookings by residents, a few days before each; past ones checked in or not.
    one_off = 0
    for n in range(20 if small else 60):
        day = (now + dt.timedelta(days=rnd.randint(-50, 20))).date()
        room = rooms[
            rnd.choice(["健身房", "红色放映厅", "甲骨文书屋", "康养中心", "图书室", "文体活动室"])
        ]
        start = dt.datetime.combine(
            day, dt.time(rnd.choice([9, 10, 14, 15, 16])), tzinfo=timezone.get_current_timezone()
        )
        resident = residents[n % len(residents)]
        try:
            with democlock.at(start - dt.timedelta(days=rnd.randint(1, 5))):
                b = services.book_room(
                    held=_held(resident),
                    room_id=room.pk,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=rnd.choice([1, 2])),
                    title=rnd.choice(ONE_OFF),
                    booker_name=resident.name,
                )
        except DomainError:
            continue  # taken or closed that day, as a resident would have been told
        one_off += 1
        if b.state == BookingState.REQUESTED and start < now:
            Booking.objects.filter(pk=b.pk).update(state=BookingState.CONFIRMED)
    past = Booking.objects.filter(
        org_code=community.code, starts_at__lt=now, state=BookingState.CONFIRMED
    )
    ids = list(past.values_list("pk", flat=True))
    no_show = set(rnd.sample(ids, len(ids) // 12)) if ids else set()
    Booking.objects.filter(pk__in=no_show).update(state=BookingState.NO_SHOW)
    Booking.objects.filter(pk__in=ids).exclude(pk__in=no_show).update(
        state=BookingState.CHECKED_IN, checked_in_at=F("starts_at")
    )
    # The tool hut.
    hut = Hut.objects.create(
        org_unit=community,
        org_code=community.code,
        name="共享小屋",
        address="党群服务中心一楼东侧",
        opens_at=dt.time(9),
        closes_at=dt.time(18),
    )
    hut.keepers.add(worker)
    cats = {}
    for name, days, renewals, at_once, approval, deposit, training, late in CATEGORIES:
        cats[name] = ToolCategory.objects.create(
            hut=hut,
            name=name,
            loan_days=days,
            renewals=renewals,
            max_at_once=at_once,
            needs_approval=approval,
            deposit_yuan=deposit,
            needs_training=training,
            late_points=late,
        )
    items = Item.objects.bulk_create(
        [
            Item(
                hut=hut,
                category=cats[c],
                org_code=hut.org_code,
                number=f"GX-{i:03d}",
                name=name,
                safety_notes=notes,
                serial=f"SN{2024000 + i}" if c == "电动工具" else "",
            )
            for i, (c, name, notes) in enumerate(ITEMS, start=1)
        ]
    )
    # A year of returned loans, in bulk; popular items more often.
    loans, year_ago = [], now - dt.timedelta(days=365)
    weights = [3 if it.category.name in ("电动工具", "手动工具") else 1 for it in items]
    for it in items:
        cursor = year_ago + dt.timedelta(days=rnd.randint(0, 20))
        while True:
            cursor += dt.timedelta(days=rnd.randint(3, 40 // weights[items.index(it)] + 3))
            out_at = cursor.replace(hour=rnd.randint(9, 17))
            due = out_at + dt.timedelta(days=it.category.loan_days)
            back = out_at + dt.timedelta(days=rnd.randint(1, it.category.loan_days + 3))
            if back > now - dt.timedelta(days=2):
                break
            who = rnd.choice(residents)
            loans.append(
                Loan(
                    item=it,
                    hut=hut,
                    org_code=hut.org_code,
                    resident=who,
                    phone_hash=who.phone_hash,
                    state=LoanState.RETURNED,
                    out_at=out_at,
                    due_at=due,
                    returned_at=back,
                    condition_out=Condition.GOOD,
                    condition_back=rnd.choice(
                        [Condition.GOOD] * 6 + [Condition.FAIR, Condition.WORN]
                    ),
                    checked_out_by=worker,
                    checked_in_by=worker,
                )
            )
            cursor = back
    Loan.objects.bulk_create(loans, batch_size=500)
    # Now: three out (one overdue, written in bulk), two holds, one item in repair.
    lent = 0
    for it, who in zip(items[6:8], residents[:2], strict=False):
        try:
            services.check_out(
                actor=worker, hut_id=hut.pk, item_number=it.number, card=services.card_token(who)
            )
            lent += 1
        except DomainError:
            pass
    late = residents[2 % len(residents)]
    Loan.objects.create(
        item=items[16],
        hut=hut,
        org_code=hut.org_code,
        resident=late,
        phone_hash=late.phone_hash,
        state=LoanState.OUT,
        out_at=now - dt.timedelta(days=20),
        due_at=now - dt.timedelta(days=6),
        condition_out=Condition.GOOD,
        checked_out_by=worker,
    )
    for it, who in zip(items[20:22], residents[3:5], strict=False):
        with contextlib.suppress(DomainError):
            services.hold_place(held=_held(who), item_id=it.pk)
    Item.objects.filter(pk=items[2].pk).update(in_repair=True, repair_note="砂轮片破损，待更换")
    log(
        f"共享：8间功能室、{series_n}个每周预约、{one_off}个单次预约；共享小屋{len(items)}件物品、"
        f"一年借用{len(loans)}次、借出中{lent + 1}件。"
    )
