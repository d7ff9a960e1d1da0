"""The volunteers' demo (step 52 of manage.py demo): in the first community with people,
the 龙瑞大叔文明督导团 (about 100 retired residents in red vests), 平安志愿者 and 周末儿女;
about 50 partners of every kind (valid unified social credit codes, 大党委 seats); a
year of activities — weekly 文明督导 and 夜间巡逻 (each with its patrol and checkpoints),
助老 every other week, monthly 法治宣传 (people reached counted) and 义诊 hosted by a
partner — and the coming weeks' activities on the board.

Volunteers, teams, partners and the coming activities (with sign-ups, a waiting list and
hours awaiting approval) go through the services. The year behind is history, inserted
in bulk like care's visits (a service call per check-in would take minutes): every
activity's confirmed count equals its confirmed sign-ups, every check-out follows its
check-in, and every approved hour record is capped at its activity's length.
Idempotent: nothing is done when a team exists.
"""

import datetime as dt
import random

from django.utils import timezone
from stdnum.cn import uscc

from gongzhi.accounts.models import Position, User
from gongzhi.core.roles import Level, Role
from gongzhi.orgs.models import OrgUnit
from gongzhi.patrols.models import Patrol, PatrolKind, PatrolPoint
from gongzhi.registry.models import Resident
from gongzhi.volunteers import services
from gongzhi.volunteers.models import (
    Activity,
    ActivityKind,
    Attendance,
    HourKind,
    HourRecord,
    HourState,
    Participation,
    ParticipationState,
    PartnerKind,
    SignupRule,
    Team,
)

PARTNERS = (
    (
        PartnerKind.INSTITUTION,
        [
            "区人民医院",
            "区司法局",
            "区消防救援大队",
            "区图书馆",
            "供电所",
            "区实验小学",
            "区税务局",
            "社区卫生服务中心",
            "区文化馆",
            "派出所",
        ],
    ),
    (
        PartnerKind.COBUILDING,
        [
            "明德中学",
            "城投集团",
            "区妇幼保健院",
            "邮政支局",
            "移动营业厅",
            "建设银行支行",
            "燃气公司",
            "自来水公司",
        ],
    ),
    (
        PartnerKind.MERCHANT,
        [
            "暖心理发店",
            "邻里面包房",
            "便民修鞋铺",
            "康乐药房",
            "阳光洗衣店",
            "福满家超市",
            "老街早餐铺",
            "诚信五金店",
        ],
    ),
    (
        PartnerKind.PARTY,
        [
            "区人民医院党委",
            "明德中学党支部",
            "城投集团党委",
            "供电所党支部",
            "区司法局机关党委",
            "邮政支局党支部",
        ],
    ),
    (
        PartnerKind.PROFESSIONAL,
        [
            "张律师",
            "李医生",
            "王会计",
            "赵心理咨询师",
            "刘工程师",
            "陈教师",
            "周营养师",
            "吴社工",
            "孙电工",
        ],
    ),
    (
        PartnerKind.COMMUNITY,
        [
            "桂花读书会",
            "老年合唱团",
            "广场舞队",
            "手工编织组",
            "象棋协会",
            "亲子绘本馆",
            "摄影小组",
            "太极拳队",
            "志愿车队",
        ],
    ),
)
OFFERS = ["场地", "专业技能", "物资", "志愿者", "免费摊位", "义诊", "法律咨询", "培训"]
ROUTE = ["桂园南门", "菜市场", "2号楼后巷", "停车场", "桂园北门"]
SERIES = (
    # kind, title, every n days, weekday offset, hour, length, capacity, team key
    (ActivityKind.CIVILITY, "龙瑞大叔文明督导", 7, 1, 9, 2, 12, "longrui"),
    (ActivityKind.PATROL, "夜间巡逻", 7, 4, 20, 2, 6, "safety"),
    (ActivityKind.ELDERLY, "周末儿女助老服务", 14, 5, 9, 3, 8, "weekend"),
    (ActivityKind.LAW, "法治宣传进社区", 30, 2, 15, 2, 6, None),
    (ActivityKind.CLINIC, "爱心义诊", 30, 6, 9, 3, 5, None),
    (ActivityKind.CULTURE, "邻里文化节", 60, 6, 14, 3, 10, None),
)


def _code(rnd: random.Random) -> str:
    body = (
        "91" + "110108" + "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    )
    return body + uscc.calc_check_digit(body)


def _worker(community: OrgUnit) -> User | None:
    position = (
        Position.objects.filter(role=Role.COMMUNITY_WORKER, org_code=community.code, is_active=True)
        .select_related("user")
        .first()
    )
    return position.user if position is not None else None


def run(log) -> None:
    if Team.objects.exists():
        log("志愿者数据已存在，跳过。")
        return
    community = next(
        (
            c
            for c in OrgUnit.objects.filter(level=Level.COMMUNITY).order_by("code")
            if Resident.objects.filter(org_code__startswith=c.code).exists()
        ),
        None,
    )
    worker = _worker(community) if community is not None else None
    if worker is None:
        log("volunteers: no community with residents and a worker; skipped")
        return
    rnd = random.Random(19)
    code = community.code
    partners = _partners(worker, code, rnd)
    teams, members = _volunteers(worker, code, partners, rnd)
    made = _history(worker, code, teams, members, partners, rnd)
    coming = _coming(worker, code, teams, members)
    total = sum(len(m) for m in members.values())
    log(
        f"志愿者 {total} 名（龙瑞大叔 {len(members['longrui'])} 名），"
        f"合伙人 {len(partners)} 个；一年活动 {made['activities']} 场、{made['turns']} 人次、"
        f"{made['hours']} 小时，巡逻 {made['patrols']} 次；即将开展 {coming} 场。"
    )


def _partners(worker, code, rnd) -> list:
    today = timezone.localdate()
    partners = []
    for kind, names in PARTNERS:
        for name in names:
            organisation = kind not in (PartnerKind.PROFESSIONAL, PartnerKind.COMMUNITY)
            partner = services.partner_save(
                actor=worker,
                unit_code=code,
                kind=kind,
                name=name,
                uscc=_code(rnd) if organisation else "",
                agreement="共驻共建协议" if kind == PartnerKind.COBUILDING else "",
                valid_from=today - dt.timedelta(days=rnd.randint(100, 700)),
                valid_until=today + dt.timedelta(days=rnd.randint(30, 700)),
                offers="、".join(rnd.sample(OFFERS, 2)),
                contact_name=f"{name[:1]}联系人",
                contact_phone=f"1390{rnd.randint(1000000, 9999999)}",
            )
            if kind == PartnerKind.PARTY:
                services.partner_role_add(
                    actor=worker,
                    partner_id=partner.pk,
                    role="社区大党委兼职委员",
                    starts_on=today - dt.timedelta(days=365),
                )
            partners.append(partner)
    return partners


def _volunteers(worker, code, partners, rnd):
    residents = list(
        Resident.objects.filter(org_code__startswith=code, is_active=True)
        .exclude(phone_hash="")
        .order_by("pk")[:140]
    )
    teams = {
        "longrui": services.team_save(actor=worker, unit_code=code, name="龙瑞大叔文明督导团"),
        "safety": services.team_save(actor=worker, unit_code=code, name="平安志愿者"),
        "weekend": services.team_save(actor=worker, unit_code=code, name="周末儿女"),
    }
    split = {"longrui": residents[:96], "safety": residents[96:120], "weekend": residents[120:138]}
    members = {key: [] for key in teams}
    for key, people in split.items():
        for r in people:
            members[key].append(
                services.volunteer_add(
                    actor=worker,
                    resident_id=r.pk,
                    team_id=teams[key].pk,
                    skills=rnd.choice(["文明劝导", "急救", "理发", "维修", "法律", "摄影", ""]),
                    availability=rnd.choice(["工作日上午", "周末", "晚上", "随时"]),
                )
            )
    sent = [p for p in partners if p.kind == PartnerKind.INSTITUTION][:4]
    for n, partner in enumerate(sent):
        services.volunteer_add(
            actor=worker,
            partner_id=partner.pk,
            name=f"{partner.name}志愿者{n + 1}",
            phone=f"1370{n:07d}",
        )
    for key in teams:
        if members[key]:
            Team.objects.filter(pk=teams[key].pk).update(leader=members[key][0])
    for r in residents[138:140]:  # registered themselves in /my/: awaiting approval
        services.volunteer_register_by_resident(held={"hash": r.phone_hash}, skills="摄影")
    return teams, members


def _history(worker, code, teams, members, partners, rnd) -> dict:
    """A year of past activities, their sign-ups, check-ins, hour records and patrols, in
    bulk (consistent with the services' rules)."""
    tz = timezone.get_current_timezone()
    start_day = timezone.localdate() - dt.timedelta(days=365)
    everyone = [v for vs in members.values() for v in vs]
    hosts = [p for p in partners if p.kind in (PartnerKind.INSTITUTION, PartnerKind.COBUILDING)]
    activities, plans = [], []
    serial = 0
    for kind, title, every, offset, hour, length, capacity, team_key in SERIES:
        day = start_day + dt.timedelta(days=offset)
        while day < timezone.localdate() - dt.timedelta(days=1):
            begin = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
            pool = members.get(team_key) or everyone
            if not pool:
                break
            chosen = rnd.sample(pool, min(len(pool), rnd.randint(capacity // 2 + 1, capacity)))
            serial += 1
            activities.append(
                Activity(
                    org_code=code,
                    title=title,
                    kind=kind,
                    starts_at=begin,
                    ends_at=begin + dt.timedelta(hours=length),
                    place=rnd.choice(ROUTE),
                    capacity=capacity,
                    confirmed=len(chosen),
                    rule=SignupRule.TEAM if team_key else SignupRule.OPEN,
                    team=teams.get(team_key),
                    partner=rnd.choice(hosts) if kind == ActivityKind.CLINIC else None,
                    checkpoints=ROUTE if kind == ActivityKind.PATROL else [],
                    code=f"demo{serial:06d}",
                    created_at=begin - dt.timedelta(days=7),
                    created_by=worker,
                )
            )
            plans.append(chosen)
            day += dt.timedelta(days=every)
    Activity.objects.bulk_create(activities, batch_size=500)
    parts, hours, attendance, patrols = [], [], [], []
    busy: dict[int, list] = {}
    for activity, chosen in zip(activities, plans, strict=True):
        for v in chosen:
            spans = busy.setdefault(v.pk, [])
            if any(a < activity.ends_at and b > activity.starts_at for a, b in spans):
                continue
            spans.append((activity.starts_at, activity.ends_at))
            came = rnd.random() < 0.93
            late = dt.timedelta(minutes=rnd.randint(-10, 15))
            early = dt.timedelta(minutes=rnd.randint(-20, 10))
            parts.append(
                Participation(
                    activity=activity,
                    volunteer=v,
                    org_code=code,
                    state=ParticipationState.CONFIRMED,
                    starts_at=activity.starts_at,
                    ends_at=activity.ends_at,
                    created_at=activity.starts_at - dt.timedelta(days=rnd.randint(1, 6)),
                    checked_in_at=activity.starts_at + late if came else None,
                    checked_out_at=activity.ends_at + early if came else None,
                )
            )
        if activity.kind in (ActivityKind.LAW, ActivityKind.CLINIC, ActivityKind.CULTURE):
            attendance.append(
                Attendance(
                    activity=activity,
                    org_code=code,
                    people=rnd.randint(20, 120),
                    note="群众参与",
                    recorded_by=worker,
                    recorded_at=activity.ends_at,
                )
            )
        if activity.kind == ActivityKind.PATROL:
            patrols.append(
                Patrol(
                    org_code=code,
                    kind=PatrolKind.NIGHT,
                    leader=worker,
                    patrollers="、".join(v.name for v in chosen[:4]),
                    people=len(chosen),
                    route=ROUTE,
                    source="volunteers.activity",
                    source_key=str(activity.pk),
                    started_at=activity.starts_at,
                    ended_at=activity.ends_at,
                )
            )
    Participation.objects.bulk_create(parts, batch_size=1000)
    # confirmed = the sign-ups kept (an overlapping pick was dropped above)
    kept: dict[int, int] = {}
    for p in parts:
        kept[p.activity_id] = kept.get(p.activity_id, 0) + 1
    for activity in activities:
        if activity.confirmed != kept.get(activity.pk, 0):
            Activity.objects.filter(pk=activity.pk).update(confirmed=kept.get(activity.pk, 0))
    minutes_total = 0
    for p in parts:
        if p.checked_in_at is None:
            continue
        raw = int((p.checked_out_at - p.checked_in_at).total_seconds() // 60)
        minutes = min(raw, int((p.ends_at - p.starts_at).total_seconds() // 60))
        minutes_total += minutes
        hours.append(
            HourRecord(
                volunteer=p.volunteer,
                activity_id=p.activity_id,
                participation=p,
                org_code=code,
                kind=HourKind.ATTENDED,
                state=HourState.APPROVED,
                minutes=minutes,
                raw_minutes=raw,
                served_on=timezone.localtime(p.starts_at).date(),
                created_at=p.checked_out_at,
                requested_by=worker,
                approved_by=worker,
                decided_at=p.checked_out_at,
            )
        )
    HourRecord.objects.bulk_create(hours, batch_size=1000)
    Attendance.objects.bulk_create(attendance)
    Patrol.objects.bulk_create(patrols)
    points = []
    for patrol in patrols:
        for n, name in enumerate(ROUTE):
            points.append(
                PatrolPoint(
                    patrol=patrol,
                    name=name,
                    at=patrol.started_at + dt.timedelta(minutes=20 * n),
                    note="正常" if rnd.random() < 0.9 else "路灯不亮",
                    recorded_by=worker,
                )
            )
    PatrolPoint.objects.bulk_create(points, batch_size=1000)
    turns = sum(1 for p in parts if p.checked_in_at is not None)
    return {
        "activities": len(activities),
        "turns": turns,
        "hours": minutes_total // 60,
        "patrols": len(patrols),
    }


def _coming(worker, code, teams, members) -> int:
    """The next weeks' activities through the services: sign-ups (one full, with a
    waiting list), and hours entered by hand awaiting approval."""
    now = timezone.now()
    tz = timezone.get_current_timezone()
    made = 0
    base = timezone.localdate() + dt.timedelta(days=2)
    plan = (
        ("龙瑞大叔文明督导（本周）", ActivityKind.CIVILITY, 0, 9, 12, "longrui", []),
        ("夜间巡逻（本周）", ActivityKind.PATROL, 1, 20, 4, "safety", ROUTE),
        ("法治宣传：防范电信诈骗", ActivityKind.LAW, 3, 15, 6, None, []),
        ("周末儿女陪老人包饺子", ActivityKind.ELDERLY, 5, 9, 3, "weekend", []),
    )
    for title, kind, days, hour, capacity, team_key, route in plan:
        begin = dt.datetime.combine(base + dt.timedelta(days=days), dt.time(hour), tzinfo=tz)
        activity = services.activity_create(
            actor=worker,
            unit_code=code,
            title=title,
            kind=kind,
            starts_at=begin,
            ends_at=begin + dt.timedelta(hours=2),
            place="桂园南门",
            capacity=capacity,
            rule=SignupRule.TEAM if team_key else SignupRule.OPEN,
            team_id=teams[team_key].pk if team_key else None,
            checkpoints=route,
            deadline=begin - dt.timedelta(hours=2),
        )
        pool = members.get(team_key) or members["longrui"]
        for v in pool[: capacity + 2]:
            services.signup_for(actor=worker, activity_id=activity.pk, volunteer_id=v.pk)
        made += 1
    for v in members["longrui"][:3]:
        services.hours_request(
            actor=worker,
            volunteer_id=v.pk,
            minutes=90,
            served_on=(now - dt.timedelta(days=3)).date(),
            note="补录：协助社区疫苗接种点引导",
        )
    return made
