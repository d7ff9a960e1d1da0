"""The registered statistic: cases found on visits and their share of those received, in
the loop's KPI reports (from the rollups) and their raw reference."""

import datetime as dt

from gongzhi.care.tests.conftest import visit
from gongzhi.cases import kpis, kpis_raw
from gongzhi.cases.models import Category
from gongzhi.cases.services import case_report


def test_cases_found_on_visits_are_counted_with_their_share(care, people, tree):
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    visit(people.gw_a, care.li, "s1", finding="case", finding_text="楼道灯坏了",
          category_id=category.pk)  # fmt: skip
    case_report(actor=people.gw_a, category_id=category.pk, description="路面破损",
                grid_id=tree.grid_a.pk)  # fmt: skip
    day = dt.date(2026, 11, 25)
    report = kpis.case_kpis(people.op_sub, unit_code=tree.community.code, start=day, end=day)
    assert report.counts["care_found_on_visits"] == 1 and report.counts["received"] == 2
    share = report.rate("care_found_on_visits_share")
    assert (share.numerator, share.denominator, share.value) == (1, 2, 0.5)
    raw = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.community.code, start=day, end=day)
    assert raw.counts["care_found_on_visits"] == 1
