"""The demo step: a 智囊团, disputes in every state, screening reports with zero, late and
one missing — through the services, on the shared test tree."""

import pytest

from gongzhi.disputes import demo
from gongzhi.disputes.models import Dispute, Mediator, ScreeningReport

pytestmark = pytest.mark.django_db


def test_demo__every_state_and_the_reports(people, tree):
    lines = []
    demo.run(lines.append, small=True)
    assert Mediator.objects.filter(team=demo.TEAM).count() == 4
    outcomes = set(Dispute.objects.values_list("outcome", flat=True))
    assert {"settled", "failed", "referred", "withdrawn", ""} <= outcomes
    months = ScreeningReport.objects.values("month").distinct().count()
    assert months == 12 and ScreeningReport.objects.filter(is_zero=True).exists()
    # Grids A and B are staffed (grid C's community has no community worker): twelve
    # months each, but grid A's last month — the one missing report.
    assert ScreeningReport.objects.count() == 12 * 2 - 1
    last_a = ScreeningReport.objects.filter(org_unit=tree.grid_a).latest("month").month
    last_b = ScreeningReport.objects.filter(org_unit=tree.grid_b).latest("month").month
    assert last_a < last_b
    demo.run(lines.append, small=True)  # idempotent
    assert "已存在" in lines[-1] and Mediator.objects.filter(team=demo.TEAM).count() == 4
