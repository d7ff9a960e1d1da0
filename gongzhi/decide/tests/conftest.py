"""Decide fixtures: a building of two households in grid A of the shared tree
(gongzhi/conftest.py) with four adults and a child, phones registered, and helpers."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from gongzhi.registry import pii
from gongzhi.registry.models import Building, Household, Resident
from gongzhi.selfservice.tests.conftest import sms_log  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def adult(grid, household, name, phone="", years=40):
    born = timezone.localdate().replace(day=1) - dt.timedelta(days=365 * years + 10)
    return Resident.objects.create(
        grid=grid,
        org_code=grid.code,
        household=household,
        name=name,
        birth_date=born,
        **pii.seal_phone(phone),
    )


def held(phone):
    sealed = pii.seal_phone(phone)
    return {
        "hash": sealed["phone_hash"],
        "enc": sealed["phone_enc"],
        "masked": sealed["phone_masked"],
    }


@pytest.fixture
def estate(tree):
    s = SimpleNamespace()
    s.building = Building.objects.create(grid=tree.grid_a, org_code=tree.grid_a.code, name="3号楼")
    s.h1 = Household.objects.create(
        org_code=tree.grid_a.code, building=s.building, unit_name="1单元", room="101"
    )
    s.h2 = Household.objects.create(
        org_code=tree.grid_a.code, building=s.building, unit_name="1单元", room="102"
    )
    s.wang = adult(tree.grid_a, s.h1, "王秀英", "13800000001")
    s.wang_son = adult(tree.grid_a, s.h1, "王强", "13800000003", years=20)
    s.li = adult(tree.grid_a, s.h2, "李建国", "13800000002")
    s.child = adult(tree.grid_a, s.h2, "李小明", "13800000004", years=10)
    s.outsider = adult(tree.grid_c, None, "赵敏", "13800000009")  # the other community
    return s


def in_a_week():
    return timezone.now() + dt.timedelta(days=7)
