"""Sharing fixtures: a room and a hut in 桂园社区 of the shared tree (gongzhi/conftest.py),
a registered resident with a verified phone, SMS to a file, and a clock (a Wednesday)."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from gongzhi.cases.tests.support import Clock, at
from gongzhi.core import calendar
from gongzhi.registry import pii
from gongzhi.registry.models import Resident
from gongzhi.sharing.models import Hut, Item, Room, ToolCategory

NOW = at(2026, 11, 25, 10)  # a Wednesday
PHONE = "13912345678"
OTHER_PHONE = "13700001111"


@pytest.fixture(autouse=True)
def _english_sms(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("SMS_BACKEND", "file")
    calendar.forget()
    with translation.override("en"):
        yield
    calendar.forget()


@pytest.fixture
def clock(monkeypatch):
    return Clock(NOW).install(monkeypatch)


def held_for(phone: str) -> dict:
    sealed = pii.seal_phone(phone)
    return {
        "hash": sealed["phone_hash"],
        "enc": sealed["phone_enc"],
        "masked": sealed["phone_masked"],
    }


def moment(day_offset: int, hour: int, minute: int = 0) -> dt.datetime:
    return (NOW + dt.timedelta(days=day_offset)).replace(hour=hour, minute=minute)


@pytest.fixture
def world(tree, people, clock):
    s = SimpleNamespace()
    s.room = Room.objects.create(
        org_unit=tree.community,
        org_code=tree.community.code,
        name="文体活动室",
        capacity=30,
        opens_at=dt.time(8, 30),
        closes_at=dt.time(21, 0),
        weekdays="0123456",
        max_days_ahead=14,
        min_minutes=30,
        max_minutes=180,
        buffer_minutes=15,
    )
    s.other_room = Room.objects.create(
        org_unit=tree.community2,
        org_code=tree.community2.code,
        name="调解室",
        capacity=8,
    )
    s.hut = Hut.objects.create(
        org_unit=tree.community, org_code=tree.community.code, name="共享小屋"
    )
    s.drills = ToolCategory.objects.create(
        hut=s.hut,
        name="电动工具",
        loan_days=7,
        renewals=1,
        max_at_once=1,
        deposit_yuan=100,
        late_points=5,
    )
    s.hand = ToolCategory.objects.create(hut=s.hut, name="手动工具", loan_days=14, max_at_once=3)
    s.drill = Item.objects.create(
        hut=s.hut,
        category=s.drills,
        org_code=s.hut.org_code,
        number="GJ-001",
        name="冲击钻",
        serial="BSH-77",
    )
    s.wrench = Item.objects.create(
        hut=s.hut, category=s.hand, org_code=s.hut.org_code, number="GJ-002", name="扳手"
    )
    s.tape = Item.objects.create(
        hut=s.hut, category=s.hand, org_code=s.hut.org_code, number="GJ-003", name="卷尺"
    )
    s.wang = Resident.objects.create(
        grid=tree.grid_a, org_code=tree.grid_a.code, name="王秀英", **pii.seal_phone(PHONE)
    )
    s.li = Resident.objects.create(
        grid=tree.grid_b, org_code=tree.grid_b.code, name="李建国", **pii.seal_phone(OTHER_PHONE)
    )
    s.held = held_for(PHONE)
    s.other_held = held_for(OTHER_PHONE)
    return s
