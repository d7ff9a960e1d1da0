"""Care on the command center: the dashboard's section and the monthly report's (page,
API, workbook), from the same figures as the care pages; only for those who view care."""

import io

from python_calamine import CalamineWorkbook

from gongzhi.care.tests.conftest import NOW, visit
from gongzhi.command.sections import app_sections


def test_the_section_counts_the_period_with_its_denominators(care, people, tree, login):
    visit(people.gw_a, care.li)
    day = NOW.date()
    sections = {s.name: s for s in app_sections(people.op_sub, tree.sub, day.replace(day=1), day)}
    f = sections["care"].s["f"]
    assert f.visits == 1 and f.not_visited == 3  # 王秀英, 赵大爷 … not yet visited
    rows = {key: value for key, _label, value in sections["care"].rows}
    assert rows["visits"] == 1 and rows["due"] == f.due
    # A unit with nothing of care in it shows no section; nor one outside the reader's.
    assert "care" not in {s.name for s in app_sections(people.op_district, tree.sub2, day, day)}
    assert "care" not in {s.name for s in app_sections(people.op_sub, tree.sub2, day, day)}


def test_the_dashboard_and_the_monthly_report_show_it(care, people, tree, login):
    visit(people.gw_a, care.li)
    client = login(people.op_sub)
    day = NOW.date()
    page = client.get(
        "/command/", {"unit": tree.sub.code, "period": "custom", "start": day, "end": day}
    )
    assert 'id="section-care"' in page.content.decode()
    month = {"unit": tree.sub.code, "month": day.strftime("%Y-%m")}
    api = client.get("/api/v1/command/monthly", month).json()
    care_rows = next(s for s in api["sections"] if s["name"] == "care")["rows"]
    assert {r["key"]: r["value"] for r in care_rows}["visits"] == 1
    book = client.get("/command/monthly.xlsx", month)
    names = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).sheet_names
    assert len(names) >= 5  # the loop's sheets and the apps' sections
