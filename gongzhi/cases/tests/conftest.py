"""Case fixtures: a category, and a helper that takes a case through the loop."""

import pytest

from gongzhi.cases import services
from gongzhi.cases.models import Category


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Photos of a test go to its own folder, not to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def category(db):
    return Category.objects.filter(parent__isnull=False, is_active=True).order_by("sort", "code")[0]


@pytest.fixture
def report(people, tree, category):
    """report(actor=gw_a, **overrides) → a new case in grid A."""

    def _report(actor=None, **kw):
        kw.setdefault("category_id", category.pk)
        kw.setdefault("title", "楼道堆放杂物")
        kw.setdefault("description", "3号楼2单元楼道堆满纸箱，堵住消防通道")
        kw.setdefault("grid_id", tree.grid_a.pk)
        case, _ = services.case_report(actor=actor or people.gw_a, **kw)
        return case

    return _report


@pytest.fixture
def dispatched(people, tree, report):
    """A case registered and dispatched to the city-management department."""

    def _dispatched(**kw):
        case = report(**kw)
        return services.case_dispatch(
            actor=people.op_sub, case_id=case.pk, department_id=tree.department.pk
        )

    return _dispatched


@pytest.fixture
def scenario(tree, people, category):
    """The hand-counted KPI scenario (kpi_scenario.py)."""
    from gongzhi.cases.tests.kpi_scenario import build_scenario

    return build_scenario(tree, people, category)
