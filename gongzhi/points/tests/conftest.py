"""Points fixtures: residents in grids A and B of the shared tree (gongzhi/conftest.py),
the community's bank with its rules, a merchant with an offer and a gift in stock."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from gongzhi.factories import UserFactory
from gongzhi.points import services
from gongzhi.points.models import AccountKind, RuleKind
from gongzhi.registry import pii
from gongzhi.registry.models import Resident


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_resident(grid, name, phone=""):
    return Resident.objects.create(
        grid=grid, org_code=grid.code, name=name, **pii.seal_phone(phone)
    )


@pytest.fixture
def bank(people, tree):
    s = SimpleNamespace()
    s.bank = services.bank_for(tree.community.code)
    s.issuer = services.bank_account(s.bank, AccountKind.ISSUER)
    s.stock = services.bank_account(s.bank, AccountKind.STOCK)
    s.wang = make_resident(tree.grid_a, "王秀英", "13800000001")
    s.li = make_resident(tree.grid_b, "李建国", "13800000002")
    s.zhao = make_resident(tree.grid_c, "赵敏", "13800000003")  # the other community
    s.volunteer_rule = services.rule_save(
        actor=people.community_worker, org_code=tree.community.code,
        kind=RuleKind.VOLUNTEER_HOUR, points=10, daily_cap=40, monthly_cap=100,
    )  # fmt: skip
    s.civility_rule = services.rule_save(
        actor=people.community_worker, org_code=tree.community.code,
        kind=RuleKind.CIVILITY, points=5,
    )  # fmt: skip
    today = timezone.localdate()
    s.barber_staff = UserFactory(username="barber")
    s.baker_staff = UserFactory(username="baker")
    s.barber = services.merchant_save(
        actor=people.community_worker, org_code=tree.community.code, name="暖心理发店",
        agreement_from=today - dt.timedelta(days=30), agreement_until=today + dt.timedelta(days=335),  # noqa: E501
        staff=[s.barber_staff],
    )  # fmt: skip
    s.baker = services.merchant_save(
        actor=people.community_worker, org_code=tree.community.code, name="邻里面包房",
        agreement_from=today - dt.timedelta(days=30), agreement_until=today + dt.timedelta(days=335),  # noqa: E501
        staff=[s.baker_staff],
    )  # fmt: skip
    s.haircut = services.reward_save(
        actor=people.community_worker, org_code=tree.community.code, title="理发一次",
        price=30, stock=50, merchant_id=s.barber.pk,
    )  # fmt: skip
    s.rice = services.reward_save(
        actor=people.community_worker, org_code=tree.community.code, title="大米5斤",
        price=50, stock=3,
    )  # fmt: skip
    return s


def give(s, resident, points, key=None):
    """Points for `resident` through the civility rule (an amount of the worker's)."""
    return services.points_award(
        source="test", key=key or services.new_key(), kind=RuleKind.CIVILITY,
        resident=resident, amount=points,
    )  # fmt: skip
