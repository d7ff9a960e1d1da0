"""Demo data of the points bank (step 60 of `manage.py demo`): in the demo's first two
communities with residents, the earning rules, a catalogue, five merchants of the
暖心商户联盟 (staff users merchant1 … merchant5), a year of points earned by residents
(volunteer hours, closed reports, wishes, meetings, surveys, civic acts) and their
redemptions — every one through the services, at its moment of the past
(core.democlock.at), so caps, balances and the audit log hold as for people.

Idempotent: nothing is done when the first community's bank has transfers.
"""

import datetime as dt
import random

from django.utils import timezone

from gongzhi.accounts.demo import DEMO_PASSWORD
from gongzhi.accounts.models import Position, User
from gongzhi.core import democlock
from gongzhi.core.errors import DomainError
from gongzhi.core.roles import Level, Role
from gongzhi.orgs.models import OrgUnit
from gongzhi.points import selectors, services
from gongzhi.points.models import Bank, RuleKind, Transfer
from gongzhi.registry.models import Resident

RULES = [
    (RuleKind.VOLUNTEER_HOUR, 10, 40, 300, False),
    (RuleKind.REPORT_CLOSED, 5, 10, 50, False),
    (RuleKind.WISH_FULFILLED, 20, None, 100, False),
    (RuleKind.MEETING_ATTENDED, 5, 5, None, False),
    (RuleKind.SURVEY_COMPLETED, 3, 3, 10, False),
    (RuleKind.CIVILITY, 10, None, 100, True),
]
GIFTS = [
    ("洗衣液一瓶", 60, 40),
    ("大米5斤", 100, 30),
    ("毛巾两条", 40, 60),
    ("共享小屋工具借用券", 20, 200),
]
MERCHANTS = [
    ("暖心理发店", "理发一次", 80),
    ("邻里面包房", "面包券10元", 50),
    ("便民修鞋铺", "修鞋一次", 40),
    ("康乐药房", "血压测量及小药箱补充", 60),
    ("阳光洗衣店", "干洗一件", 70),
]
NOTES = {
    RuleKind.VOLUNTEER_HOUR: "志愿服务",
    RuleKind.REPORT_CLOSED: "随手拍问题已办结",
    RuleKind.WISH_FULFILLED: "认领并实现微心愿",
    RuleKind.MEETING_ATTENDED: "参加院坝议事会",
    RuleKind.SURVEY_COMPLETED: "完成满意度调查",
    RuleKind.CIVILITY: "垃圾分类示范户",
}


def _worker(community: OrgUnit) -> User:
    position = (
        Position.objects.filter(role=Role.COMMUNITY_WORKER, org_code=community.code, is_active=True)
        .select_related("user")
        .first()
    )
    if position is not None:
        return position.user
    return User.objects.filter(is_superuser=True).order_by("pk").first()


def run(log, small=False):
    communities = list(
        OrgUnit.objects.filter(level=Level.COMMUNITY, code__within="990101").order_by("code")
    )
    with_people = [
        c for c in communities if Resident.objects.filter(org_code__within=c.code).exists()
    ][:2]
    if not with_people:
        log("绿币：没有居民，跳过。")
        return
    first = Bank.objects.filter(org_code=with_people[0].code).first()
    if first is not None and Transfer.objects.filter(bank=first).exists():
        log("绿币数据已存在，跳过。")
        return
    rnd = random.Random(20)
    now = timezone.now()
    year_ago = now - dt.timedelta(days=365)
    awards = redemptions = 0
    for ci, community in enumerate(with_people):
        worker = _worker(community)
        for kind, points, daily, monthly, approval in RULES:
            services.rule_save(
                actor=worker, org_code=community.code, kind=kind, points=points,
                daily_cap=daily, monthly_cap=monthly, needs_approval=approval,
            )  # fmt: skip
        for title, price, stock in GIFTS:
            services.reward_save(
                actor=worker, org_code=community.code, title=title, price=price, stock=stock
            )
        offers = []
        if ci == 0:
            for mi, (name, offer, price) in enumerate(MERCHANTS, start=1):
                staff, created = User.objects.get_or_create(
                    username=f"merchant{mi}", defaults={"name": f"{name}店员"}
                )
                if created:
                    staff.set_password(DEMO_PASSWORD)
                    staff.save(update_fields=["password"])
                merchant = services.merchant_save(
                    actor=worker, org_code=community.code, name=name, address=f"社区商业街{mi}号",
                    agreement_from=(year_ago - dt.timedelta(days=30)).date(),
                    agreement_until=(now + dt.timedelta(days=365)).date(), staff=[staff],
                )  # fmt: skip
                reward = services.reward_save(
                    actor=worker, org_code=community.code, title=offer, price=price,
                    stock=500, merchant_id=merchant.pk,
                )  # fmt: skip
                offers.append((staff, reward))
        residents = list(
            Resident.objects.filter(org_code__within=community.code).order_by("pk")[
                : 20 if small else 80
            ]
        )
        gifts = list(selectors.rewards_of(services.bank_for(community.code)))
        gifts = [g for g in gifts if g.merchant_id is None]
        for resident in residents:
            moment = year_ago + dt.timedelta(days=rnd.randint(0, 20), hours=rnd.randint(8, 10))
            n = 0
            while moment < now - dt.timedelta(hours=1):
                kind = rnd.choice(
                    # A report's points come from the real reports (selfservice.demo).
                    [RuleKind.VOLUNTEER_HOUR] * 4 + [RuleKind.WISH_FULFILLED,
                     RuleKind.MEETING_ATTENDED, RuleKind.SURVEY_COMPLETED, RuleKind.CIVILITY]
                )  # fmt: skip
                with democlock.at(moment):
                    result = services.points_award(
                        source=f"demo.{kind}", key=f"{resident.pk}:{n}", kind=kind,
                        resident=resident, quantity=rnd.randint(1, 3), actor=worker,
                        note=NOTES[kind],
                    )  # fmt: skip
                    awards += result.paid
                n += 1
                moment += dt.timedelta(days=rnd.randint(7, 30), hours=rnd.randint(-2, 2))
                if rnd.random() < 0.12:
                    with democlock.at(moment):
                        account = services.account_for_resident(resident)
                        try:
                            if offers and rnd.random() < 0.5:
                                staff, offer = rnd.choice(offers)
                                token, _row = services.token_issue(
                                    account=account, reward_id=offer.pk
                                )
                                services.merchant_redeem(actor=staff, token=token)
                            else:
                                gift = rnd.choice(gifts)
                                r = services.redemption_reserve(
                                    account=account,
                                    reward_id=gift.pk,
                                    key=f"demo:{resident.pk}:{n}",
                                )
                                if moment < now - dt.timedelta(days=7):
                                    services.redemption_hand_over(actor=worker, redemption_id=r.pk)
                            redemptions += 1
                        except DomainError:
                            pass  # not enough points yet, or out of stock
        pending = selectors.pending_of(worker)
        for p in list(pending[:100]):
            if rnd.random() < 0.7:
                services.pending_decide(actor=worker, pending_id=p.pk, approve=True)
    log(f"绿币：{awards} 笔积分发放，{redemptions} 笔兑换，5 家暖心商户（merchant1–5）。")
