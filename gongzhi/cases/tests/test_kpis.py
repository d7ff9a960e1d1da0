"""KPIs against a hand-computed scenario (definitions in gongzhi.cases.kpis).

The scenario, period March 2026 (local dates), report taken 2026-04-10 12:00 (`NOW`):

    grid A (community 桂园, subdistrict 明德路):  A1 … A10 reported in March
    grid C (community 翠竹, subdistrict 明德路):  C1 … C3 reported in March
    rejected R (grid A) and merged M (grid C), reported in March: not received
    O1 (grid A) reported in February, O2 (grid A) reported 1 April 00:00: outside the period
    X (a grid of 和平里街道, the other subdistrict): outside 明德路

Cases and timeline rows are written directly with chosen timestamps, so every expected
number below is counted by hand from this table.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from gongzhi.accounts.models import User
from gongzhi.cases import kpis, kpis_raw
from gongzhi.cases.models import State
from gongzhi.cases.tests.kpi_scenario import MARCH, NOW, at, event, loop_counts, make_case, rates
from gongzhi.core import manifest
from gongzhi.core.errors import DomainError, NotFound

# -- the subdistrict, by hand ---------------------------------------------------------


def test_case_kpis__subdistrict_matches_the_hand_count(scenario, people, tree):
    report = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=NOW, **MARCH)

    assert report.unit_code == "990101001" and report.unit_name == "明德路街道"
    assert loop_counts(report) == {
        # A1 … A10 + C1 … C3; R and M reported in March but not received; O1, O2, X outside.
        "received": 10 + 3,
        "rejected": 1,
        "merged": 1,
        # handled_at set: A1 A2 A3 A5 (sent back, still handled) A9 C1 C3
        "handled": 7,
        # closed_at ≤ NOW: A1 A2 A9 (2 April) C1 C3
        "closed": 5,
        # A2 closed late
        "closed_on_time": 4,
        # open and past the deadline: A3, A5, A7 (suspended after its deadline), C2;
        # not A4 (due 20 April), not A6 (suspended before its deadline), not A8/A10
        "overdue": 4,
        "due": 5 + 4,
        # respond_by set, and contacted or past the limit: all but A8 (none) and A10
        # (within its hour): A1 A2 A3 A4 A5 A6 A7 A9 C1 C2 C3
        "response_due": 11,
        # not A2 (late), A4, A5 (never)
        "responded_on_time": 11 - 3,
        # A5 A8 C3 (M is a repeat but merged)
        "repeats": 3,
        # callbacks in March in 明德路: A1, A2, C1 twice, C3, O1 (not A9: 3 April; not X)
        "callbacks": 6,
        # A1 A2 C1(2nd) O1
        "solved": 4,
        # satisfied or basically: A1 A2 C1(2nd) C3 O1
        "satisfied": 5,
        # verifications in March: A1, A2 twice (fail, pass), A5 (fail), C1 twice, C3,
        # O1 twice (fail, pass); not A9 (2 April), not X
        "verified": 9,
        # verify_fail in March: A2 A5 O1
        "reworked": 3,
    }
    assert rates(report) == {
        "handling": (7, 13),
        "closure": (5, 9),
        "on_time_closure": (4, 9),
        "response": (8, 11),
        "resolution": (4, 6),
        "satisfaction": (5, 6),
        "rework": (3, 9),
        "repeat": (3, 13),
    }
    assert report.rate("closure").value == 5 / 9
    assert report.rate("satisfaction").percent == 83.3
    # The loop's eight first, in DESIGN.md's order; then those of registered kinds.
    assert [r.key for r in report.rates][:8] == [
        "handling",
        "closure",
        "on_time_closure",
        "response",
        "resolution",
        "satisfaction",
        "rework",
        "repeat",
    ]
    with translation.override("en"):
        assert [str(r.label) for r in report.rates][:2] == ["Handling rate", "Closure rate"]


def test_case_kpis__one_grid(scenario, people, tree):
    report = kpis_raw.raw_case_kpis(people.gw_a, unit_code=tree.grid_a.code, now=NOW, **MARCH)
    assert rates(report) == {
        "handling": (5, 10),  # A1 A2 A3 A5 A9 / A1 … A10
        "closure": (3, 6),  # A1 A2 A9 / + overdue A3 A5 A7
        "on_time_closure": (2, 6),  # A1 A9
        "response": (5, 8),  # A1 A3 A6 A7 A9 / A1 … A7 A9
        "resolution": (3, 3),  # A1 A2 O1
        "satisfaction": (3, 3),
        "rework": (3, 6),  # A2 A5 O1 / A1, A2 twice, A5, O1 twice
        "repeat": (2, 10),  # A5 A8
    }
    assert report.counts["rejected"] == 1 and report.counts["merged"] == 0


def test_case_kpis__the_district_adds_the_other_subdistrict(scenario, people, tree):
    report = kpis_raw.raw_case_kpis(
        people.op_district, unit_code=tree.district.code, now=NOW, **MARCH
    )
    # X: received, handled, closed on time, contacted on time, called back solved but
    # unsatisfied, handled in March.
    assert rates(report) == {
        "handling": (8, 14),
        "closure": (6, 10),
        "on_time_closure": (5, 10),
        "response": (9, 12),
        "resolution": (5, 7),
        "satisfaction": (5, 7),
        "rework": (3, 10),
        "repeat": (3, 14),
    }


def test_case_kpis__satisfied_ratings_follow_the_setting(scenario, people, tree, settings):
    settings.GONGZHI_SATISFIED_RATINGS = ("satisfied",)
    report = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=NOW, **MARCH)
    # only 满意: A1, C1 (2nd), O1 — not A2 or C3 (基本满意)
    assert rates(report)["satisfaction"] == (3, 6)
    assert rates(report)["resolution"] == (4, 6)


def test_case_kpis__now_decides_what_has_happened(scenario, people, tree):
    """Taken on 1 April 12:00: A9 (closed 2 April) is not closed yet but not overdue
    either (due 6 April); A4 is still not due; A10 was not registered yet."""
    report = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=at(4, 1), **MARCH)
    assert rates(report)["closure"] == (4, 8)  # A1 A2 C1 C3 / + A3 A5 A7 C2
    assert rates(report)["on_time_closure"] == (3, 8)


# -- period boundaries ------------------------------------------------------------------


def test_case_kpis__period_boundaries_are_local_days(people, tree, category):
    inside = [at(3, 1, 0, 0), at(3, 31, 23, 59), at(3, 31, 23, 59, 59)]
    outside = [at(2, 28, 23, 59, 59), at(4, 1, 0, 0)]
    for when in inside + outside:
        make_case(category, tree.grid_a, when)
    # 1 April 00:00 in Shanghai is 31 March 16:00 UTC: a UTC day would take it in.
    assert at(4, 1, 0, 0).astimezone(dt.UTC).date() == dt.date(2026, 3, 31)

    report = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=NOW, **MARCH)
    assert report.counts["received"] == 3
    one_day = kpis_raw.raw_case_kpis(
        people.op_sub,
        unit_code=tree.sub.code,
        start=dt.date(2026, 4, 1),
        end=dt.date(2026, 4, 1),
        now=NOW,
    )
    assert one_day.counts["received"] == 1


def test_case_kpis__events_on_the_boundaries(people, tree, category):
    case = make_case(category, tree.grid_a, at(2, 1), State.CLOSED)
    event(case, "callback", at(3, 31, 23, 59, 59), solved=True, rating="satisfied")
    event(case, "callback", at(4, 1, 0, 0), solved=False, rating="unsatisfied")
    report = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=NOW, **MARCH)
    assert rates(report)["resolution"] == (1, 1) and rates(report)["satisfaction"] == (1, 1)


def test_case_kpis__rework_counts_the_checks_made_in_the_period(people, tree, category):
    """Handled in February, sent back in March and still being reworked: March counts
    one check, failed; February none."""
    case = make_case(category, tree.grid_a, at(2, 20), handled_at=at(2, 27))
    event(case, "handle", at(2, 27))
    event(case, "verify_fail", at(3, 2))
    report = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=NOW, **MARCH)
    assert rates(report)["rework"] == (1, 1)
    feb = kpis_raw.raw_case_kpis(
        people.op_sub,
        unit_code=tree.sub.code,
        start=dt.date(2026, 2, 1),
        end=dt.date(2026, 2, 28),
        now=NOW,
    )
    assert rates(feb)["rework"] == (0, 0) and feb.rate("rework").value is None


def test_case_kpis__events_after_now_do_not_count(people, tree, category):
    case = make_case(category, tree.grid_a, at(3, 2), State.CLOSED)
    event(case, "callback", at(3, 20), solved=True, rating="satisfied")
    report = kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=at(3, 10), **MARCH)
    assert rates(report)["satisfaction"] == (0, 0)


def test_case_kpis__empty_unit_has_no_rates(scenario, people, tree):
    report = kpis_raw.raw_case_kpis(people.gw_b, unit_code=tree.grid_b.code, now=NOW, **MARCH)
    assert set(report.counts.values()) == {0}
    assert all(r.value is None and r.percent is None for r in report.rates)
    assert len(report.rates) == len(manifest.rates())  # the loop's eight and the kinds'


# -- scope and input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("op_sub", "sub"),
        ("leader", "community"),
        ("community_worker", "grid_b"),
        ("gw_a", "micro_a1"),
        ("admin", "sub2"),
        ("op_district", "district"),
    ],
)
def test_case_kpis__units_in_scope(scenario, people, tree, who, unit):
    report = kpis_raw.raw_case_kpis(
        getattr(people, who), unit_code=getattr(tree, unit).code, now=NOW, **MARCH
    )
    assert report.unit_code == getattr(tree, unit).code


@pytest.mark.parametrize(
    ("who", "unit_code"),
    [
        ("gw_b", "990101001001001"),  # grid A, another grid worker's
        ("op_sub", "990101"),  # the district above the subdistrict
        ("op_sub", "990101002"),  # the other subdistrict
        ("handler", "990101001"),  # a department sees its cases, not an area
        ("building_head", "990101001001001001"),  # may report, not see
        ("resident", "990101001001"),
        ("nobody", "990101001"),
        ("op_sub", "990101001999"),  # inside the scope, but no such unit
        ("op_sub", ""),
    ],
)
def test_case_kpis__outside_scope_or_missing_is_404(scenario, people, who, unit_code):
    with pytest.raises(NotFound):
        kpis_raw.raw_case_kpis(getattr(people, who), unit_code=unit_code, now=NOW, **MARCH)
    with pytest.raises(NotFound):
        kpis_raw.raw_case_kpis_by_child(getattr(people, who), unit_code=unit_code, now=NOW, **MARCH)


def test_case_kpis__anonymous_is_404(scenario, tree):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotFound):
        kpis_raw.raw_case_kpis(AnonymousUser(), unit_code=tree.sub.code, **MARCH)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2026, 3, 31), dt.date(2026, 3, 1)),  # backwards
        (dt.date(2023, 1, 1), dt.date(2026, 1, 1)),  # three years and a day
        (dt.date(2024, 2, 29), dt.date(2027, 2, 28)),
        ("2026-03-01", dt.date(2026, 3, 31)),  # not a date
        (at(3, 1), dt.date(2026, 3, 31)),  # a datetime is not a day
    ],
)
def test_case_kpis__bad_period_is_refused(people, tree, start, end):
    with pytest.raises(DomainError) as exc:
        kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, start=start, end=end)
    assert exc.value.code == "invalid_period" and exc.value.status == 400


def test_case_kpis__three_years_is_allowed(people, tree):
    report = kpis_raw.raw_case_kpis(
        people.op_sub, unit_code=tree.sub.code, start=dt.date(2023, 1, 1), end=dt.date(2025, 12, 31)
    )
    assert report.counts["received"] == 0


# -- by child ------------------------------------------------------------------------------


def test_case_kpis_by_child__communities_of_the_subdistrict(scenario, people, tree):
    whole = kpis_raw.raw_case_kpis(people.op_district, unit_code=tree.sub.code, now=NOW, **MARCH)
    rows = kpis_raw.raw_case_kpis_by_child(
        people.op_district, unit_code=tree.sub.code, now=NOW, **MARCH
    )

    assert [(r.unit_code, r.unit_name) for r in rows] == [
        ("990101001001", "桂园社区"),
        ("990101001002", "翠竹社区"),
    ]
    guiyuan, cuizhu = rows
    assert rates(guiyuan) == rates(
        kpis_raw.raw_case_kpis(people.op_district, unit_code=tree.community.code, now=NOW, **MARCH)
    )
    # 翠竹 by hand: C1 C2 C3 (M merged)
    assert rates(cuizhu) == {
        "handling": (2, 3),  # C1 C3
        "closure": (2, 3),  # C1 C3 / + C2 overdue
        "on_time_closure": (2, 3),
        "response": (3, 3),
        "resolution": (1, 3),  # C1 twice (unsolved, solved), C3 unsolved
        "satisfaction": (2, 3),  # C1 (2nd) satisfied, C3 basically
        "rework": (0, 3),  # C1 twice and C3 verified, none sent back
        "repeat": (1, 3),  # C3
    }
    for key in whole.counts:
        assert guiyuan.counts[key] + cuizhu.counts[key] == whole.counts[key], key


def test_case_kpis_by_child__subdistricts_of_the_district_sum_up(scenario, people, tree):
    whole = kpis_raw.raw_case_kpis(
        people.op_district, unit_code=tree.district.code, now=NOW, **MARCH
    )
    rows = kpis_raw.raw_case_kpis_by_child(
        people.op_district, unit_code=tree.district.code, now=NOW, **MARCH
    )
    assert [r.unit_code for r in rows] == ["990101001", "990101002"]
    assert rates(rows[1])["satisfaction"] == (0, 1)  # X: unsatisfied
    for key in whole.counts:
        assert sum(r.counts[key] for r in rows) == whole.counts[key], key


def test_case_kpis_by_child__a_child_with_nothing_has_a_row_without_rates(scenario, people, tree):
    rows = kpis_raw.raw_case_kpis_by_child(
        people.community_worker, unit_code=tree.community.code, now=NOW, **MARCH
    )
    assert [r.unit_code for r in rows] == ["990101001001001", "990101001001002"]
    assert rows[0].counts["received"] == 10
    assert set(rows[1].counts.values()) == {0}
    assert all(r.value is None for r in rows[1].rates)


def test_case_kpis_by_child__cases_on_the_grid_itself_get_their_own_row(
    scenario, people, tree, category
):
    make_case(category, tree.micro_a1, at(3, 3))
    rows = kpis_raw.raw_case_kpis_by_child(
        people.gw_a, unit_code=tree.grid_a.code, now=NOW, **MARCH
    )
    assert [(r.unit_code, r.counts["received"]) for r in rows] == [
        ("990101001001001", 10),  # on grid A itself
        ("990101001001001001", 1),  # micro-grid A1
    ]
    assert kpis_raw.raw_case_kpis_by_child(people.gw_a, unit_code=tree.micro_a1.code, **MARCH) == []


def test_case_kpis_by_child__an_inactive_child_only_with_data(scenario, people, tree):
    tree.grid_b.is_active = False
    tree.grid_b.save()
    rows = kpis_raw.raw_case_kpis_by_child(
        people.community_worker, unit_code=tree.community.code, now=NOW, **MARCH
    )
    assert [r.unit_code for r in rows] == ["990101001001001"]


# -- speed ---------------------------------------------------------------------------------


def test_case_kpis__three_queries_of_its_own_whatever_the_size(
    scenario, people, tree, django_assert_num_queries
):
    """With the user's positions loaded (as on any request past the permission check):
    the unit, one aggregate over cases, one over events. By child: the unit with its
    children, one GROUP BY over cases, one over events."""
    user = people.op_district
    kpis.scope_for(user, "cases.view")  # loads and caches the positions
    with django_assert_num_queries(3):
        kpis_raw.raw_case_kpis(user, unit_code=tree.sub.code, now=NOW, **MARCH)
    with django_assert_num_queries(3):
        rows = kpis_raw.raw_case_kpis_by_child(user, unit_code=tree.district.code, now=NOW, **MARCH)
    assert len(rows) == 2


def test_case_kpis__four_queries_for_a_fresh_user(
    scenario, people, tree, django_assert_max_num_queries
):
    """The user's positions (one query), the unit, one aggregate over cases, one over events."""
    user = User.objects.get(pk=people.op_sub.pk)  # positions not cached yet
    with django_assert_max_num_queries(4):
        kpis_raw.raw_case_kpis(user, unit_code=tree.sub.code, now=NOW, **MARCH)


def _plan(sql: str) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + sql)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cur.fetchall())


def test_case_kpis__aggregates_read_through_indexes(scenario, people, tree):
    """The case aggregate reads an org-code range (case_scope_reported) or the period
    (reported_at); the event aggregate reads an index too — never a scan of either table.
    (Sequential scans are switched off on PostgreSQL: the tables are tiny here, so this
    proves an index *can* answer, as in test_indexes.)"""
    with CaptureQueriesContext(connection) as ctx:
        kpis_raw.raw_case_kpis(people.op_sub, unit_code=tree.sub.code, now=NOW, **MARCH)
    case_sql = next(q["sql"] for q in ctx.captured_queries if 'FROM "cases_case"' in q["sql"])
    event_sql = next(q["sql"] for q in ctx.captured_queries if "cases_caseevent" in q["sql"])
    case_plan, event_plan = _plan(case_sql), _plan(event_sql)
    for plan, table in ((case_plan, "cases_case"), (event_plan, "cases_caseevent")):
        assert f"SCAN {table}\n" not in plan + "\n" and f"Seq Scan on {table}" not in plan, plan
    assert "case_scope_reported" in case_plan or "cases_case_reported_at" in case_plan, case_plan
    # Events: by action and time (case_event_action_at), or by case (case_event_timeline,
    # the case FK index) joined from the case range — the planner picks with its statistics.
    assert any(
        name in event_plan
        for name in ("case_event_action_at", "case_event_timeline", "cases_caseevent_case_id")
    ), event_plan
