"""Campaign fixtures: the case fixtures, a settable clock, and a scenario of cases
reported through the real services over ten weeks (rollups kept by the services)."""

import datetime as dt
from types import SimpleNamespace

import pytest

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Category
from gongzhi.cases.tests.conftest import _media, category, dispatched, report  # noqa: F401
from gongzhi.cases.tests.support import Clock, at
from gongzhi.core.roles import Level
from gongzhi.factories import OrgUnitFactory
from gongzhi.registry.models import Building

# The day the hotspots are looked at: the window is 25–31 March, the history the eight
# weeks 28 January – 24 March.
TODAY = dt.date(2026, 3, 31)


@pytest.fixture
def clock(monkeypatch):
    return Clock(at(2026, 3, 31, 18)).install(monkeypatch)


def categories():
    return list(
        Category.objects.filter(parent__isnull=False, is_active=True).order_by("sort", "code")[:4]
    )


@pytest.fixture
def scene(tree, people, clock):
    """
    grid A, category x (rising): 1 case on 5 March, 5 cases 26–30 March.
    grid B, category y (steady): 1 case a week for 8 weeks, 3 cases 25–31 March.
    grid C, category z (one case): 1 case on 30 March.
    building 3号楼 in grid B, category w (new): 3 cases 27–29 March, nothing before.
    grid X of 和平里街道 (the other subdistrict), category x: 5 cases 26–30 March.
    Reported by the district operator (who may report anywhere) at 10:00 each day.
    """
    s = SimpleNamespace()
    s.x, s.y, s.z, s.w = categories()
    s.community3 = OrgUnitFactory(
        code="990101002001", name="和平社区", level=Level.COMMUNITY, parent=tree.sub2
    )
    s.grid_x = OrgUnitFactory(
        code="990101002001001", name="第1网格", level=Level.GRID, parent=s.community3
    )
    s.building = Building.objects.create(
        org_code=tree.grid_b.code, grid=tree.grid_b, name="3号楼", address="桂园小区3号楼"
    )
    reporter = people.op_district

    def _report(day: dt.date, grid, kind, building=None, title="楼道堆放杂物"):
        clock.set(day.year, day.month, day.day, 10)
        case, _ = case_services.case_report(
            actor=reporter,
            category_id=kind.pk,
            title=title,
            description=f"{title}（{day:%m-%d}）",
            grid_id=None if building else grid.pk,
            building_id=building.pk if building else None,
        )
        return case

    s.report = _report
    s.a_old = _report(dt.date(2026, 3, 5), tree.grid_a, s.x)
    s.a_new = [_report(dt.date(2026, 3, d), tree.grid_a, s.x) for d in (26, 27, 28, 29, 30)]
    s.b_cases = [
        _report(TODAY - dt.timedelta(weeks=w, days=3), tree.grid_b, s.y) for w in range(1, 9)
    ]
    s.b_cases += [_report(dt.date(2026, 3, d), tree.grid_b, s.y) for d in (25, 28, 31)]
    s.c_one = _report(dt.date(2026, 3, 30), tree.grid_c, s.z)
    s.w_cases = [_report(dt.date(2026, 3, d), None, s.w, building=s.building) for d in (27, 28, 29)]
    s.x_cases = [_report(dt.date(2026, 3, d), s.grid_x, s.x) for d in (26, 27, 28, 29, 30)]
    clock.set(2026, 3, 31, 18)
    return s
