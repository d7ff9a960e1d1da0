"""Volunteers fixtures: residents in grids A and B of the shared tree (gongzhi/conftest.py)
made volunteers of the 桂园 community, a team, and activities around now."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from gongzhi.care.tests.test_wishes import held  # noqa: F401  (the verified phone)
from gongzhi.core.roles import Role
from gongzhi.factories import PositionFactory, UserFactory
from gongzhi.registry import pii
from gongzhi.registry.models import Resident
from gongzhi.volunteers import services
from gongzhi.volunteers.models import ActivityKind, SignupRule


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_resident(grid, name, phone="", birth=dt.date(1955, 3, 1)):
    return Resident.objects.create(
        grid=grid, org_code=grid.code, name=name, birth_date=birth, **pii.seal_phone(phone)
    )


def make_activity(actor, unit, *, hours_from_now=24, length=2, capacity=2, **kw):
    start = timezone.now() + dt.timedelta(hours=hours_from_now)
    fields = {
        "title": "文明督导",
        "kind": ActivityKind.CIVILITY,
        "place": "桂园南门",
        "rule": SignupRule.OPEN,
        **kw,
    }
    return services.activity_create(
        actor=actor,
        unit_code=unit.code,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=length),
        capacity=capacity,
        **fields,
    )


@pytest.fixture
def vol(people, tree):
    s = SimpleNamespace()
    cw = people.community_worker
    s.cw2 = UserFactory(username="cw2")
    PositionFactory(user=s.cw2, role=Role.COMMUNITY_WORKER, org_unit=tree.community)
    s.team = services.team_save(actor=cw, unit_code=tree.community.code, name="龙瑞大叔文明督导团")
    s.residents = [
        make_resident(tree.grid_a if n % 2 else tree.grid_b, f"志愿者{n}", f"1390000{n:04d}")
        for n in range(6)
    ]
    s.v = [
        services.volunteer_add(actor=cw, resident_id=r.pk, team_id=s.team.pk, skills="急救")
        for r in s.residents
    ]
    s.activity = make_activity(cw, tree.community)
    return s
