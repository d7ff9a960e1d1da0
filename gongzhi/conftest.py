"""Shared fixtures: a small org tree with one user of every role.

990101                 青禾区 (district)
990101001              明德路街道 (subdistrict)       990101002 和平里街道
990101001001           桂园社区 (community)           990101001002 翠竹社区
990101001001001 grid A   990101001001002 grid B       990101001002001 grid C
990101001001001001 micro-grid A1
"""

from types import SimpleNamespace

import pytest
from django.test import Client

from gongzhi.core.roles import Level, Role
from gongzhi.factories import (
    PASSWORD,
    DepartmentFactory,
    OrgUnitFactory,
    PositionFactory,
    UserFactory,
)


@pytest.fixture
def tree(db):
    # After a transactional test the database is flushed, migration-seeded rows included.
    from gongzhi.cases.policies import ensure_reference_data

    ensure_reference_data()
    u = SimpleNamespace()
    u.district = OrgUnitFactory(code="990101", name="青禾区", level=Level.DISTRICT)
    u.sub = OrgUnitFactory(
        code="990101001", name="明德路街道", level=Level.SUBDISTRICT, parent=u.district
    )
    u.sub2 = OrgUnitFactory(
        code="990101002", name="和平里街道", level=Level.SUBDISTRICT, parent=u.district
    )
    u.community = OrgUnitFactory(
        code="990101001001", name="桂园社区", level=Level.COMMUNITY, parent=u.sub
    )
    u.community2 = OrgUnitFactory(
        code="990101001002", name="翠竹社区", level=Level.COMMUNITY, parent=u.sub
    )
    u.grid_a = OrgUnitFactory(
        code="990101001001001", name="第1网格", level=Level.GRID, parent=u.community
    )
    u.grid_b = OrgUnitFactory(
        code="990101001001002", name="第2网格", level=Level.GRID, parent=u.community
    )
    u.grid_c = OrgUnitFactory(
        code="990101001002001", name="第1网格", level=Level.GRID, parent=u.community2
    )
    u.micro_a1 = OrgUnitFactory(
        code="990101001001001001", name="第1网格1号微网格", level=Level.MICROGRID, parent=u.grid_a
    )
    u.department = DepartmentFactory(code="990101-CG", name="区城市管理局", district=u.district)
    u.department2 = DepartmentFactory(
        code="990101-SJ", name="区市场监督管理局", district=u.district
    )
    return u


def _holder(username, role, *, unit=None, department=None, **user_kwargs):
    user = UserFactory(username=username, **user_kwargs)
    PositionFactory(user=user, role=role, org_unit=unit, department=department)
    return user


@pytest.fixture
def people(tree):
    p = SimpleNamespace()
    p.admin = _holder("admin", Role.ADMIN, unit=tree.district, is_staff=True)
    p.op_district = _holder("op_district", Role.OPERATOR, unit=tree.district)
    p.op_sub = _holder("op_sub", Role.OPERATOR, unit=tree.sub)
    p.leader = _holder("leader", Role.LEADER, unit=tree.sub)
    p.community_worker = _holder("cw", Role.COMMUNITY_WORKER, unit=tree.community)
    p.gw_a = _holder("gw_a", Role.GRID_WORKER, unit=tree.grid_a)
    p.gw_b = _holder("gw_b", Role.GRID_WORKER, unit=tree.grid_b)
    p.building_head = _holder("bh", Role.BUILDING_HEAD, unit=tree.micro_a1)
    p.handler = _holder("handler", Role.DEPARTMENT_HANDLER, department=tree.department)
    p.resident = _holder("resident", Role.RESIDENT, unit=tree.micro_a1)
    p.nobody = UserFactory(username="nobody")
    return p


@pytest.fixture
def login():
    """A test client with a session for `user` (the login form itself is tested separately)."""

    def _login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def form_login():
    """A test client signed in through the real login form."""

    def _login(user, password=PASSWORD) -> Client:
        client = Client()
        response = client.post("/login/", {"username": user.username, "password": password})
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 costs ~0.1 s a hash by design; tests that are about hashing opt back in."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bounded(tree):
    """The tree with boundaries stored (orgs/tests/conftest.py BOXES), and the point
    locator rebuilt from them."""
    from gongzhi.orgs import locator
    from gongzhi.orgs.tests.conftest import BOXES, store

    for name, geometry in BOXES.items():
        store(getattr(tree, name), geometry)
    locator.invalidate()
    yield tree
    locator.invalidate()
