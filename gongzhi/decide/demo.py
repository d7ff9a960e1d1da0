"""Demo data of residents' decisions (step 70 of `manage.py demo`), in the demo's first
community with residents: 31 topics of the past year resolved through meetings,
resolutions and progress entries; a building-head election for every building of one
grid (小区), closed and written into the buildings' positions; the yearly satisfaction
survey with about 1,000 anonymous responses; a call for suggestions with replies; a
red/black board. Each staff step runs through the services at its moment of the past
(core.democlock.at). The survey's responses and the ballots are bulk-inserted rows of
the same shape the services write (tokens issued by the service), to keep the step fast.

Idempotent: nothing is done when the community has topics."""

import datetime as dt
import random

from django.db.models import Count
from django.utils import timezone

from gongzhi.core import democlock
from gongzhi.core.roles import Level
from gongzhi.decide import services
from gongzhi.decide.models import Answer, Ballot, BallotChoice, Response, Topic
from gongzhi.orgs.models import OrgUnit
from gongzhi.points.demo import _worker  # the community's worker (or the superuser)
from gongzhi.registry.models import Building, Resident

TOPICS = [
    "楼道堆物清理",
    "小区停车难",
    "加装电梯意见征集",
    "垃圾分类投放点调整",
    "广场舞噪音",
    "健身器材维修",
    "楼顶漏水",
    "化粪池清掏",
    "单元门禁损坏",
    "绿化带改菜地",
    "电动车飞线充电",
    "路灯不亮",
    "宠物粪便",
    "外墙瓷砖脱落",
    "下水道堵塞",
]
SATISFACTION = ["满意", "基本满意", "不满意"]


def run(log, small=False):
    community = next(
        (
            c
            for c in OrgUnit.objects.filter(level=Level.COMMUNITY).order_by("code")
            if Resident.objects.filter(org_code__within=c.code).exists()
        ),
        None,
    )
    if community is None:
        log("居民议事：没有居民，跳过。")
        return
    if Topic.objects.filter(org_code__within=community.code).exists():
        log("居民议事数据已存在，跳过。")
        return
    rnd = random.Random(22)
    worker = _worker(community)
    now = timezone.now()
    grids = list(
        OrgUnit.objects.filter(code__within=community.code, level=Level.GRID).order_by("code")
    )
    for i in range(31):
        moment = now - dt.timedelta(days=360 - i * 11, hours=rnd.randint(0, 5))
        grid = grids[i % len(grids)] if grids else community
        with democlock.at(moment):
            topic = services.topic_raise(
                actor=worker,
                unit_id=grid.pk,
                title=TOPICS[i % len(TOPICS)],
                raiser_name=rnd.choice(["王阿姨", "李师傅", "楼栋长老张"]),
            )
            meeting = services.meeting_schedule(
                actor=worker,
                unit_id=grid.pk,
                kind=rnd.choice(["council", "courtyard", "hearing"]),
                title=f"院坝议事：{topic.title}",
                starts_at=moment + dt.timedelta(days=2),
                place="小区院坝",
                topic_ids=[topic.pk],
            )
        with democlock.at(moment + dt.timedelta(days=2)):
            services.meeting_record(
                actor=worker,
                meeting_id=meeting.pk,
                minutes=f"居民代表议定：{topic.title}由物业牵头，两周内解决。",
            )
            res = services.resolution_add(
                actor=worker,
                topic_id=topic.pk,
                meeting_id=meeting.pk,
                text=f"{topic.title}：物业牵头，网格员督办",
                owner="物业公司",
                deadline=(moment + dt.timedelta(days=16)).date(),
            )
        with democlock.at(moment + dt.timedelta(days=8)):
            services.resolution_progress(
                actor=worker, resolution_id=res.pk, percent=50, note="已完成一半"
            )
        with democlock.at(moment + dt.timedelta(days=14)):
            services.resolution_progress(
                actor=worker,
                resolution_id=res.pk,
                percent=100,
                note="已解决，居民代表验收",
                done=True,
            )
            services.resolution_follow_up(
                actor=worker,
                resolution_id=res.pk,
                person=topic.raiser_name,
                satisfied=True,
                note="回访满意",
            )
    elections = _elections(worker, community, now, rnd)
    responses = _survey(worker, community, now, rnd, 300 if small else 1000)
    with democlock.at(now - dt.timedelta(days=40)):
        call = services.call_open(
            actor=worker,
            unit_id=community.pk,
            title="对社区工作的意见建议",
            deadline=(now + dt.timedelta(days=20)).date(),
        )
        texts = [
            "增设充电桩",
            "延长活动室开放时间",
            "增加老年助餐点",
            "修缮小区道路",
            "多组织亲子活动",
        ]
        for j in range(25):
            s, _c = services.suggestion_submit(
                call_id=call.pk,
                text=texts[j % len(texts)],
                submission_id=f"demo-{j}",
                actor=worker,
                channel=rnd.choice(["hotline", "paper"]),
                name=rnd.choice(["王", "李", "张"]) + "女士",
            )
            if j % 3 == 0:
                services.suggestion_reply(
                    actor=worker, suggestion_id=s.pk, reply="已收到，纳入下月议事议题。"
                )
        red = services.board_propose(
            actor=worker,
            unit_id=community.pk,
            color="red",
            title="最美楼栋",
            text="1号楼楼道整洁、邻里和睦",
            basis="社区季度评比",
        )
        black = services.board_propose(
            actor=worker,
            unit_id=community.pk,
            color="black",
            title="高空抛物",
            text="3号楼东侧多次发现高空抛物",
            place="3号楼东侧",
            basis="巡查照片",
        )
        for entry in (red, black):
            services.board_approve(
                actor=worker,
                entry_id=entry.pk,
                publish_from=now.date(),
                publish_until=(now + dt.timedelta(days=30)).date(),
            )
    log(
        f"居民议事：31 件议题已解决，{elections} 个楼栋长选举，满意度调查 {responses} 份，"
        "意见征集 25 条，红黑榜 2 条。"
    )


def _elections(worker, community, now, rnd) -> int:
    """A 楼栋长 election for every building of one grid (小区): the first grid with a
    building of two residents or more in its households."""
    lived = (
        Building.objects.filter(org_code__within=community.code)
        .annotate(n=Count("households__residents"))
        .filter(n__gte=2)
        .order_by("org_code", "pk")
        .first()
    )
    if lived is None:
        return 0
    n = 0
    for building in Building.objects.filter(grid_id=lived.grid_id).order_by("pk"):
        candidates = list(
            Resident.objects.filter(household__building=building, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:2]
        )
        if len(candidates) < 2:
            continue
        with democlock.at(now - dt.timedelta(days=60)):
            poll = services.poll_create(
                actor=worker, title=f"{building.name}楼栋长选举", kind="election",
                electorate="households", building_id=building.pk, role="head",
                candidate_ids=candidates, closes_at=now - dt.timedelta(days=53),
            )  # fmt: skip
            poll = services.poll_open(actor=worker, poll_id=poll.pk)
            options = list(poll.options.all())
            ballots = Ballot.objects.bulk_create(
                Ballot(poll=poll, voter=v, channel=rnd.choice(["web", "paper", "hands"]))
                for v in poll.voters.all()
                if rnd.random() < 0.8
            )
            BallotChoice.objects.bulk_create(
                BallotChoice(ballot=b, poll=poll, option=options[0 if rnd.random() < 0.7 else 1])
                for b in ballots
            )
        with democlock.at(now - dt.timedelta(days=52)):
            services.poll_close(actor=worker, poll_id=poll.pk)
        n += 1
    return n


def _survey(worker, community, now, rnd, count) -> int:
    with democlock.at(now - dt.timedelta(days=30)):
        survey = services.survey_create(
            actor=worker,
            unit_id=community.pk,
            title=f"{now.year}年度群众满意度调查",
            mode="anonymous",
            public_results=True,
            questions=[
                {
                    "kind": "single",
                    "text": "您对社区工作总体是否满意",
                    "options": SATISFACTION,
                    "satisfied": [0, 1],
                    "satisfaction": True,
                },
                {"kind": "rating", "text": "小区环境卫生"},
                {
                    "kind": "matrix",
                    "text": "各项服务评价",
                    "options": ["好", "一般", "差"],
                    "rows": ["网格员服务", "物业服务", "治安巡逻"],
                    "required": False,
                },
                {"kind": "text", "text": "您的意见建议", "required": False},
            ],
        )
        tokens = services.survey_tokens(actor=worker, survey_id=survey.pk, n=count)
    q_sat, q_rate, q_matrix, _text = survey.questions.all()
    sat = list(q_sat.options.all())
    cols = list(q_matrix.options.all())
    responses = Response.objects.bulk_create(
        Response(survey=survey, respondent=f"t:{services.token_hash(t)}", submission_id=f"demo-{i}")
        for i, t in enumerate(tokens)
    )
    answers = []
    for r in responses:
        roll = rnd.random()
        answers.append(
            Answer(
                response=r,
                question=q_sat,
                option=sat[0 if roll < 0.9 else 1 if roll < 0.998 else 2],
            )
        )
        answers.append(Answer(response=r, question=q_rate, value=rnd.choice([4, 5, 5, 5])))
        for row in range(3):
            answers.append(
                Answer(response=r, question=q_matrix, row=row, option=rnd.choice(cols[:2]))
            )
    Answer.objects.bulk_create(answers, batch_size=2000)
    return len(responses)
