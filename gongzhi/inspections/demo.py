"""The inspections demo: 明德路街道's 安全集中整治月 over its premises of every category with
a checklist, in two rounds — the first done, the second under way — inspected by the
grid workers of each premises (a community worker where the grid has none) through the
real services, failed items becoming hazard cases with their photos.

Idempotent: nothing is done when the campaign exists. The results of the first round
carry the moments they were planned at (the phone's time and the receipt); the hazard
cases they made are reported at the moment the demo runs.
"""

import datetime as dt
import io
import random

from django.utils import timezone
from faker import Faker
from PIL import Image, ImageDraw

from gongzhi.accounts.models import Position
from gongzhi.cases import services as case_services
from gongzhi.core import democlock
from gongzhi.core.roles import CODE_LENGTH, Level, Role
from gongzhi.inspections import notices, services
from gongzhi.inspections.models import (
    ChecklistTemplate,
    InspectionCampaign,
    InspectionResult,
    InspectionTask,
    NoticeState,
    Outcome,
    RectificationNotice,
)
from gongzhi.inspections.seed import ensure_checklists
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import pii
from gongzhi.registry.demo import _point
from gongzhi.registry.models import Premises, PremisesCategory

NAME = "安全集中整治月"
PHASES = ["动员部署", "全面排查", "集中整治", "回头看"]
# Premises of the categories the registry demo does not make: (category, names).
EXTRA = {
    "居民小区": ["{e}小区", "{e}家属院"],
    "地下停车场": ["{e}地下停车场"],
    "商务楼宇": ["{e}大厦"],
}
ESTATES = ["桂园", "翠竹", "兴华", "金鼎", "锦绣", "阳光", "龙门", "银杏"]
NOTES = {
    "extinguisher": "灭火器压力不足，已过有效期",
    "exits": "后门安全出口堆放纸箱",
    "wiring": "店内私拉电线给电瓶充电",
    "ebike": "电动车停放在店内充电",
    "gas_alarm": "液化气未安装报警装置",
    "gas_hose": "燃气胶管老化开裂",
    "stair_flammables": "楼道堆放纸箱、旧家具",
    "stair_charging": "三楼有“飞线”充电",
    "ebike_upstairs": "电动车推上楼停放",
    "hydrant": "消防栓无水",
    "flood_barrier": "挡水板缺失",
    "pump": "排水泵无法启动",
}


def _jpeg(rnd) -> bytes:
    img = Image.new("RGB", (640, 480), (rnd.randint(90, 160), 120, 110))
    ImageDraw.Draw(img).rectangle((160, 140, 480, 340), fill=(60, 50, 45))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def _inspector(code: str):
    """The grid worker of the premises' grid, else a community worker of its community."""
    grid, community = code[: CODE_LENGTH[Level.GRID]], code[: CODE_LENGTH[Level.COMMUNITY]]
    for role, unit_code in ((Role.GRID_WORKER, grid), (Role.COMMUNITY_WORKER, community)):
        p = Position.objects.filter(role=role, org_unit__code=unit_code).select_related("user")
        if p.first():
            return p.first().user
    return None


def _answers(rnd, items, fail_rate):
    answers, photos = {}, {}
    for item in items:
        fails = rnd.random() < fail_rate and item["severity"] != "low"
        if item["answer"] == "number":
            answers[item["key"]] = {"value": rnd.choice([12, 20]) if fails else 0}
        else:
            answers[item["key"]] = {
                "value": "fail" if fails else rnd.choice(["pass"] * 9 + ["na"]),
                "note": NOTES.get(item["key"], "") if fails else "",
            }
        if fails and item["photo_on_fail"]:
            photos[item["key"]] = io.BytesIO(_jpeg(rnd))
    return answers, photos


def _reading(item, passes: bool) -> dict:
    """A re-inspection's answer to a failed item: a reading for a number, else pass/fail."""
    if item["answer"] == "number":
        return {"value": 0 if passes else 12, "note": "" if passes else "仍有积水"}
    return {"value": "pass" if passes else "fail", "note": "" if passes else "仍未整改"}


def _inspect(rnd, task, at, *, fail_rate, seq):
    user = _inspector(task.org_code)
    if user is None:
        return None
    roll = rnd.random()
    outcome = (
        Outcome.CLOSED if roll < 0.03 else Outcome.REFUSED if roll < 0.05 else Outcome.INSPECTED
    )
    items = services.items_for(task, services.version_for(task))
    answers, photos = _answers(rnd, items, fail_rate) if outcome == Outcome.INSPECTED else ({}, {})
    p = task.premises
    result, _ = services.task_submit(
        actor=user,
        task_id=task.pk,
        client_id=f"demo-{task.pk}-{seq}",
        outcome=outcome,
        answers=answers,
        photos=photos,
        note="店主拒绝配合检查，已告知社区" if outcome == Outcome.REFUSED else "",
        device_at=at,
        lng=p.lng + rnd.uniform(-0.0002, 0.0002) if p.lng else None,
        lat=p.lat + rnd.uniform(-0.0002, 0.0002) if p.lat else None,
        accuracy_m=rnd.choice([8, 12, 15, 30]),
    )
    return result


def run(log, small=False):
    ensure_checklists()
    if InspectionCampaign.objects.filter(name=NAME).exists():
        log("隐患排查：演示数据已存在，跳过。")
        return
    rnd = random.Random(16)
    fake = Faker("zh_CN")
    Faker.seed(16)
    sub = OrgUnit.objects.filter(level=Level.SUBDISTRICT).order_by("code").first()
    operator = Position.objects.filter(role=Role.OPERATOR, org_unit=sub).first()
    if sub is None or operator is None:
        log("隐患排查：没有街道或值班员，跳过。")
        return
    grids = list(OrgUnit.objects.filter(level=Level.GRID, code__within=sub.code).order_by("code"))
    for grid in grids[: 3 if small else None]:  # the small demo's grids with buildings
        for category_name, names in EXTRA.items():
            category = PremisesCategory.objects.get(name=category_name)
            if rnd.random() < 0.5:
                continue
            # In the grid or one of its micro-grids, the point inside it (as the
            # registry's demo places premises): the locator finds the same unit.
            place = rnd.choice(list(grid.children.order_by("code")) or [grid])
            lng, lat = _point(rnd, place)
            name = rnd.choice(names).format(e=rnd.choice(ESTATES))
            Premises.objects.get_or_create(
                grid=place,
                name=name,
                address=f"{fake.street_name()}{rnd.randint(1, 300)}号",
                defaults={
                    "org_code": place.code,
                    "category": category,
                    "responsible_name": fake.name(),
                    "lng": lng,
                    "lat": lat,
                    **pii.seal_phone(fake.phone_number()),
                },
            )
    today = timezone.localdate()
    start = today - dt.timedelta(days=40)
    actor = operator.user
    categories = PremisesCategory.objects.filter(checklist_templates__is_active=True).distinct()
    phase_days = [(0, 4), (5, 22), (23, 34), (35, 55)]
    launched = timezone.make_aware(dt.datetime.combine(start, dt.time(9)))
    with democlock.at(launched):
        campaign = services.campaign_create(
            actor=actor,
            unit_code=sub.code,
            name=NAME,
            starts_on=start,
            ends_on=start + dt.timedelta(days=55),
            category_ids=[c.pk for c in categories],
            phases=[
                {
                    "name": n,
                    "start": start + dt.timedelta(days=a),
                    "end": start + dt.timedelta(days=b),
                }
                for n, (a, b) in zip(PHASES, phase_days, strict=True)
            ],
        )
    with democlock.at(launched + dt.timedelta(days=4)):
        round1 = services.round_add(
            actor=actor,
            campaign_id=campaign.pk,
            starts_on=start + dt.timedelta(days=5),
            due_on=start + dt.timedelta(days=22),
        )
    hazards = 0
    for seq, task in enumerate(round1.tasks.select_related("premises").order_by("pk")):
        at = timezone.make_aware(
            dt.datetime.combine(
                round1.starts_on + dt.timedelta(days=rnd.randint(0, 16)),
                dt.time(rnd.randint(9, 17), rnd.randint(0, 59)),
            )
        )
        # Sent from the phone when the signal came back, up to an hour and a half later.
        with democlock.at(at + dt.timedelta(minutes=rnd.randint(0, 90))):
            result = _inspect(rnd, task, at, fail_rate=0.04, seq=seq)
        if result is not None:
            hazards += bool(result.hazard_id)
    with democlock.at(launched + dt.timedelta(days=33)):
        round2 = services.round_add(
            actor=actor,
            campaign_id=campaign.pk,
            starts_on=today - dt.timedelta(days=6),
            due_on=today + dt.timedelta(days=8),
        )
    done = 0
    for seq, task in enumerate(round2.tasks.select_related("premises").order_by("pk")):
        # wangge01's grid (the first) keeps most of its round open: the demo's tasks to do.
        if rnd.random() < (0.75 if task.org_code.startswith(grids[0].code) else 0.4):
            continue
        at = timezone.now() - dt.timedelta(days=rnd.randint(0, 5), hours=rnd.randint(0, 6))
        with democlock.at(at):
            result = _inspect(rnd, task, at, fail_rate=0.03, seq=seq)
        if result is not None:
            done += 1
            hazards += bool(result.hazard_id)
    rectified, failed = _notices(rnd, actor, round1)
    points, alert = _risk_points(rnd, actor, sub)
    log(
        f"隐患排查：{NAME}，第1轮 {round1.tasks.count()} 家已查完，"
        f"第2轮已查 {done}/{round2.tasks.count()} 家，发现隐患 {hazards} 处；"
        f"整改通知书复查合格 {rectified} 份，复查不合格再次下达 {failed} 份；"
        f"风险点位 {points} 处" + (f"，{alert}。" if alert else "。")
    )


def _risk_points(rnd, operator, sub):
    """防汛隐患点 at the underground car parks (汛期 6–9 月) and 危墙 (大风冰冻, 11–3 月), each
    with the subdistrict's leader in charge and its community's worker; then an alert for
    the season the demo runs in, which most points have answered."""
    from gongzhi.core.errors import Invalid
    from gongzhi.inspections import risk

    leader = Position.objects.filter(role=Role.LEADER, org_unit=sub).first()
    if leader is None:
        return 0, ""
    made = 0
    car_parks = Premises.objects.filter(
        org_code__within=sub.code, category__name="地下停车场"
    ).order_by("pk")
    walls = [("桂园小区北侧老围墙", "old_wall"), ("兴华街3号危房", "old_wall")]
    # A car park's duty under an alert is the flood checklist of its category (挡水板, 排水泵 …).
    flood = ChecklistTemplate.objects.filter(is_active=True, categories__name="地下停车场").first()
    for spot in [(p.name, "car_park", p) for p in car_parks] + [(n, k, None) for n, k in walls]:
        name, kind, premises = spot
        grid = (
            premises.grid
            if premises
            else OrgUnit.objects.filter(level=Level.GRID, code__within=sub.code).order_by("code")[
                made % 5
            ]
        )
        community = Position.objects.filter(
            role=Role.COMMUNITY_WORKER, org_unit__code=grid.code[: CODE_LENGTH[Level.COMMUNITY]]
        ).first()
        if community is None:
            continue
        season = (6, 9) if kind == "car_park" else (11, 3)
        risk.point_save(
            actor=operator, grid_id=grid.pk, name=name, kind=kind, leader_id=leader.user_id,
            community_person_id=community.user_id, address=premises.address if premises else "",
            lng=premises.lng if premises else None, lat=premises.lat if premises else None,
            season_start=season[0], season_end=season[1],
            duty_id=flood.pk if flood and kind == "car_park" else None,
        )  # fmt: skip
        made += 1
    summer = 6 <= timezone.localdate().month <= 9
    title = "暴雨橙色预警" if summer else "大风蓝色预警"
    try:
        alert = risk.alert_declare(
            actor=operator, unit_code=sub.code, title=title, level="橙色" if summer else "蓝色",
            message="请各点位责任人立即到岗巡查并报告情况。", report_minutes=60,
        )  # fmt: skip
    except Invalid:
        return made, ""
    for point in list(alert.points.order_by("pk"))[:-1]:  # the last has not reported yet
        risk.alert_report(
            actor=point.community_person, alert_id=alert.pk, point_id=point.pk,
            status="checked", note="已到岗巡查，情况正常",
            answers=_all_well(risk.duty_items(point)),
        )  # fmt: skip
    return made, f"{title}已发布，{alert.points.count()} 处点位中 1 处尚未报告"


def _all_well(items: list[dict]) -> dict:
    """Answers of a duty checklist where nothing is wrong (a number at its lower bound)."""
    answers = {}
    for item in items:
        if item["answer"] == "number":
            answers[item["key"]] = item.get("min", 0)
        elif item["answer"] == "text":
            answers[item["key"]] = "正常"
        else:
            answers[item["key"]] = "pass"
    return answers


def _notices(rnd, operator, round1):
    """Round 1's hazards: taken into the loop (dispatched to the grid, accepted), a notice
    issued and served on the day of the inspection, and re-inspected after its deadline —
    most pass (the case then verified and closed), a few fail (the next notice issued)."""
    rectified = failed = 0
    results = InspectionResult.objects.filter(task__round=round1, hazard__isnull=False)
    for result in results.select_related("hazard", "inspector").order_by("received_at", "pk"):
        case, worker = result.hazard, result.inspector
        grid = OrgUnit.objects.get(code=case.org_code[: CODE_LENGTH[Level.GRID]])
        # The same afternoon: dispatched to the grid, accepted, the notice issued and served.
        with democlock.at(result.received_at + dt.timedelta(minutes=30)):
            case_services.case_dispatch(actor=operator, case_id=case.pk, unit_id=grid.pk)
        with democlock.at(result.received_at + dt.timedelta(minutes=50)):
            case_services.case_accept(actor=worker, case_id=case.pk)
        with democlock.at(result.received_at + dt.timedelta(minutes=70)):
            notices.notice_issue(actor=worker, case_id=case.pk, days=rnd.choice([3, 5, 5, 7]))
            if rnd.random() < 0.85:
                notices.notice_serve(
                    actor=worker,
                    case_id=case.pk,
                    service="signed",
                    photos=[io.BytesIO(_jpeg(rnd))],
                )
            else:
                notices.notice_serve(
                    actor=worker,
                    case_id=case.pk,
                    service="refused",
                    note="经营者拒签，由楼栋长见证留置",
                )
    # The reminder job, run each morning (as huey does hourly): the day before a deadline
    # it makes the notice's re-inspection task.
    deadlines = RectificationNotice.objects.filter(
        hazard__in=results.values("hazard"), state=NoticeState.OPEN
    ).values_list("deadline", flat=True)
    for day in sorted(set(deadlines)):
        morning = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(7))
        with democlock.at(timezone.make_aware(morning)):
            notices.reinspections_due()
    tasks = InspectionTask.objects.filter(
        notice__hazard__in=results.values("hazard"), result__isnull=True
    ).select_related("notice", "premises", "template")
    for seq, task in enumerate(tasks.order_by("notice__deadline", "pk")):
        passes = rnd.random() < 0.8
        user = _inspector(task.org_code)
        items = services.items_for(task, services.version_for(task))
        # 回头看 on the deadline's day or the few before (most shops fix it in time).
        at = timezone.make_aware(
            dt.datetime.combine(task.notice.deadline, dt.time(rnd.randint(9, 16)))
        ) - dt.timedelta(days=rnd.choice([0, 0, 1, 1, 2]))
        if at > timezone.now():
            continue  # its deadline has not come yet: still being rectified
        with democlock.at(at):
            services.task_submit(
                actor=user,
                task_id=task.pk,
                client_id=f"demo-re-{task.pk}",
                answers={i["key"]: _reading(i, passes) for i in items},
                photos={} if passes else {i["key"]: io.BytesIO(_jpeg(rnd)) for i in items},
                device_at=at,
            )  # fmt: skip
        if passes:
            rectified += 1
            community = Position.objects.filter(
                role=Role.COMMUNITY_WORKER,
                org_unit__code=task.org_code[: CODE_LENGTH[Level.COMMUNITY]],
            ).first()
            if community and seq % 4:
                with democlock.at(at + dt.timedelta(hours=20)):
                    case_services.case_verify(
                        actor=community.user, case_id=task.notice.hazard_id, passed=True,
                        note="复查合格，予以结案",
                    )  # fmt: skip
        else:
            failed += 1
    return rectified, failed
