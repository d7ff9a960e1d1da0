"""Patrols: a grid worker's own round and a volunteers' night patrol are one model; a
finding becomes a case of the loop; counts a month from the records; reads scoped."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from gongzhi.cases.models import Case, Category, Channel
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.patrols import selectors, services
from gongzhi.patrols.models import Patrol, PatrolKind


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_grid_round_with_a_finding_made_a_case(people, tree):
    patrol = services.patrol_start(
        actor=people.gw_a, unit_code=tree.grid_a.code, route="1号楼\n2号楼\n小区南门"
    )
    assert patrol.kind == PatrolKind.GRID and patrol.route == ["1号楼", "2号楼", "小区南门"]
    services.patrol_checkpoint(
        actor=people.gw_a, patrol_id=patrol.pk, name="1号楼", lng=116.4, lat=39.9, note="一切正常"
    )
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    point = services.patrol_checkpoint(
        actor=people.gw_a,
        patrol_id=patrol.pk,
        name="2号楼",
        note="楼道堆放杂物",
        category_id=category.pk,
    )
    case = Case.objects.get()
    assert point.case == case and case.channel == Channel.PATROL
    assert case.org_code.startswith(tree.grid_a.code)
    services.patrol_end(actor=people.gw_a, patrol_id=patrol.pk)
    with pytest.raises(Conflict):
        services.patrol_checkpoint(actor=people.gw_a, patrol_id=patrol.pk, name="小区南门")


def test_bad_input_and_scope(people, tree):
    with pytest.raises(NotFound):
        services.patrol_start(actor=people.gw_b, unit_code=tree.grid_a.code)
    with pytest.raises(PermissionDenied):
        services.patrol_start(actor=people.leader, unit_code=tree.community.code)
    patrol = services.patrol_start(actor=people.gw_a, unit_code=tree.grid_a.code)
    with pytest.raises(Invalid) as exc:
        services.patrol_checkpoint(actor=people.gw_a, patrol_id=patrol.pk, name="", lat=91)
    assert {"name", "lat"} <= set(exc.value.details)
    with pytest.raises(NotFound):
        services.patrol_checkpoint(actor=people.gw_b, patrol_id=patrol.pk, name="x")
    assert patrol.points.count() == 0
    assert selectors.visible(people.gw_b).count() == 0
    assert selectors.visible(people.leader).count() == 1


def test_one_patrol_per_source_and_counts_a_month(people, tree):
    a = services.patrol_start(
        actor=people.community_worker,
        unit_code=tree.community.code,
        kind=PatrolKind.NIGHT,
        source="volunteers.activity",
        source_key="7",
    )
    b = services.patrol_start(
        actor=people.community_worker,
        unit_code=tree.community.code,
        kind=PatrolKind.NIGHT,
        source="volunteers.activity",
        source_key="7",
    )
    assert a == b
    services.patrol_start(
        actor=people.gw_a,
        unit_code=tree.grid_a.code,
        started_at=timezone.now() - dt.timedelta(days=40),
    )
    lo = timezone.now() - dt.timedelta(days=90)
    hi = timezone.now() + dt.timedelta(days=1)
    rows = selectors.monthly_counts(people.admin, unit_code=tree.community.code, start=lo, end=hi)
    assert sum(r["patrols"] for r in rows) == Patrol.objects.count() == 2
    assert (
        selectors.count(
            people.admin, unit_code=tree.community.code, start=lo, end=hi, kind=PatrolKind.NIGHT
        )
        == 1
    )


def test_the_pages_run_a_patrol(login, people, tree):
    client = login(people.gw_a)
    response = client.post(
        "/patrols/", {"unit": tree.grid_a.code, "kind": "grid", "route": "1号楼", "people": "1"}
    )
    assert response.status_code == 302
    patrol = Patrol.objects.get()
    assert client.get(f"/patrols/{patrol.pk}/").status_code == 200
    response = client.post(
        f"/patrols/{patrol.pk}/",
        {"action": "point", "name": "1号楼", "lng": "116.4", "lat": "39.9"},
    )
    assert response.status_code == 302
    assert client.post(f"/patrols/{patrol.pk}/", {"action": "end"}).status_code == 302
    assert client.get("/patrols/").status_code == 200
    assert login(people.gw_b).get(f"/patrols/{patrol.pk}/").status_code == 404


def test_the_workbench_panel_counts_the_patrols_of_the_area(people, tree):
    services.patrol_start(actor=people.gw_a, unit_code=tree.grid_a.code, route="1号楼")
    ended = services.patrol_start(actor=people.gw_b, unit_code=tree.grid_b.code, route="南门")
    services.patrol_end(actor=people.gw_b, patrol_id=ended.pk)
    assert selectors.workbench(people.gw_a) == {"open": 1, "month": 1}
    assert selectors.workbench(people.community_worker) == {"open": 1, "month": 2}
    assert selectors.workbench(people.resident) is None
