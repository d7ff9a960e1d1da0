"""A patrol from a phone that was offline: each item (the start, a checkpoint, a part of
the track, the end) stored once by its client id, whatever the retries; the phone's times
kept apart from the server's; the track measured; through the services and the API."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from gongzhi.cases.models import Case, Category
from gongzhi.cases.tests.api_support import post_json
from gongzhi.cases.tests.test_concurrency import postgres_only, threaded, together
from gongzhi.core.errors import Invalid, NotFound
from gongzhi.core.models import AuditLog
from gongzhi.patrols import services, track
from gongzhi.patrols.models import Patrol, PatrolPoint, PatrolTrack

API = "/api/v1/patrols"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def walk(start: dt.datetime, n: int, *, step_m=20.0, every_s=15):
    """n fixes walking east from 116.40, 39.90 (20 m apart, 15 s apart)."""
    per_degree = track.M_PER_DEGREE_LNG_EQUATOR * 0.7660  # cos(39.9°)
    return [
        [start.timestamp() + i * every_s, 116.40 + i * step_m / per_degree, 39.90] for i in range(n)
    ]


def test_the_same_items_sent_twice_are_stored_once(people, tree):
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    start = dict(
        actor=people.gw_a, unit_code=tree.grid_a.code, client_id="p-1", started_at=hour_ago
    )
    patrol = services.patrol_start(**start)
    again = services.patrol_start(**start)
    assert again.pk == patrol.pk and again.replayed and not hasattr(patrol, "replayed")
    assert patrol.started_at == hour_ago and patrol.received_at > hour_ago
    seen = hour_ago + dt.timedelta(minutes=10)
    point = dict(actor=people.gw_a, patrol_id=patrol.pk, name="地下车库", client_id="c-1", at=seen)
    first = services.patrol_checkpoint(**point, note="积水", category_id=_category().pk)
    second = services.patrol_checkpoint(**point, note="积水", category_id=_category().pk)
    assert first.pk == second.pk and second.replayed and first.at == seen
    assert PatrolPoint.objects.count() == 1 and Case.objects.count() == 1
    case = Case.objects.get()
    assert case.reported_at >= first.received_at - dt.timedelta(seconds=1)  # from receipt
    part = dict(actor=people.gw_a, patrol_id=patrol.pk, client_id="t-1", points=walk(hour_ago, 100))
    services.patrol_track(**part)
    assert services.patrol_track(**part).replayed and PatrolTrack.objects.count() == 1
    track_row = AuditLog.objects.get(action="patrols.track")
    assert track_row.changes == {"part": "t-1", "points": 100}
    ended = hour_ago + dt.timedelta(minutes=40)
    done = services.patrol_end(actor=people.gw_a, patrol_id=patrol.pk, ended_at=ended)
    assert done.ended_at == ended
    assert services.patrol_end(actor=people.gw_a, patrol_id=patrol.pk, ended_at=ended).replayed
    assert AuditLog.objects.filter(action="patrols.end").count() == 1
    assert AuditLog.objects.filter(action="patrols.start").count() == 1


def _category():
    return Category.objects.filter(parent__isnull=False, is_active=True).first()


def test_the_track_is_measured_and_a_late_part_measures_it_again(people, tree):
    began = timezone.now() - dt.timedelta(hours=2)
    patrol = services.patrol_start(
        actor=people.gw_a, unit_code=tree.grid_a.code, client_id="p-2", started_at=began
    )
    points = walk(began, 101)  # 100 steps of 20 m
    services.patrol_track(actor=people.gw_a, patrol_id=patrol.pk, client_id="a", points=points[:51])
    patrol = services.patrol_end(
        actor=people.gw_a, patrol_id=patrol.pk, ended_at=began + dt.timedelta(minutes=30)
    )
    assert patrol.track_points == 51 and patrol.length_m == pytest.approx(1000, rel=0.01)
    # 1,000 m widened by 30 m each side, round ends: 1000 * 60 + π * 30²
    assert patrol.area_m2 == pytest.approx(1000 * 60 + 3.1416 * 900, rel=0.02)
    services.patrol_track(actor=people.gw_a, patrol_id=patrol.pk, client_id="b", points=points[50:])
    patrol.refresh_from_db()
    assert patrol.track_points == 102 and patrol.length_m == pytest.approx(2000, rel=0.01)
    assert [p[0] for p in services.track_of(patrol)] == sorted(
        p[0] for p in services.track_of(patrol)
    )


def test_bad_times_and_points_are_refused_and_change_nothing(people, tree):
    now = timezone.now()
    for started_at in (now + dt.timedelta(hours=1), now - dt.timedelta(days=8), "下午三点"):
        with pytest.raises(Invalid) as refused:
            services.patrol_start(
                actor=people.gw_a, unit_code=tree.grid_a.code, client_id="x", started_at=started_at
            )
        assert "started_at" in refused.value.details
    with pytest.raises(Invalid):
        services.patrol_start(actor=people.gw_a, unit_code=tree.grid_a.code, client_id="中文id")
    assert Patrol.objects.count() == 0
    patrol = services.patrol_start(
        actor=people.gw_a, unit_code=tree.grid_a.code, client_id="p", started_at=now
    )
    before_start = now - dt.timedelta(hours=1)
    for points in ([], [[1, 2]], [["a", 116, 39]], [[now.timestamp(), 190, 39]],
                   walk(before_start, 2), walk(now, 2001)):  # fmt: skip
        with pytest.raises(Invalid) as refused:
            services.patrol_track(
                actor=people.gw_a, patrol_id=patrol.pk, client_id="t", points=points
            )
        assert "points" in refused.value.details
    with pytest.raises(Invalid):
        services.patrol_checkpoint(actor=people.gw_a, patrol_id=patrol.pk, name="1号楼",
                                   client_id="c", at=before_start)  # fmt: skip
    assert not PatrolTrack.objects.exists() and not PatrolPoint.objects.exists()
    with pytest.raises(NotFound):  # another grid's worker
        services.patrol_track(actor=people.gw_b, patrol_id=patrol.pk, client_id="t",
                              points=walk(now, 2))  # fmt: skip


def test_over_the_api_a_replay_answers_200_with_the_first_row(people, tree, login):
    phone = login(people.gw_a)
    began = (timezone.now() - dt.timedelta(minutes=30)).isoformat()
    body = {"unit": tree.grid_a.code, "client_id": "p-api", "started_at": began}
    first, again = post_json(phone, f"{API}/", body), post_json(phone, f"{API}/", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["client_id"] == "p-api"
    pid = first.json()["id"]
    part = {"client_id": "t-api", "points": walk(timezone.now() - dt.timedelta(minutes=20), 10)}
    assert post_json(phone, f"{API}/{pid}/track", part).status_code == 201
    assert post_json(phone, f"{API}/{pid}/track", part).status_code == 200
    bad = post_json(phone, f"{API}/{pid}/track", {"client_id": "t2", "points": [[1, 2, 3]]})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert len(phone.get(f"{API}/{pid}/track").json()) == 10
    ended = post_json(phone, f"{API}/{pid}/end", {"ended_at": timezone.now().isoformat()})
    assert ended.status_code == 200 and ended.json()["length_m"] > 150
    outsider = login(people.gw_b).get(f"{API}/{pid}/track")
    assert outsider.status_code == 404


@postgres_only
@threaded
def test_the_same_start_arriving_twice_at_once_is_one_patrol(people, tree):
    began = timezone.now() - dt.timedelta(minutes=5)
    outcomes = together(*[
        (lambda: services.patrol_start(actor=people.gw_a, unit_code=tree.grid_a.code,
                                       client_id="same", started_at=began))
        for _ in range(8)
    ])  # fmt: skip
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert len({patrol.pk for _, patrol in outcomes}) == 1
    assert Patrol.objects.count() == 1


def test_the_patrol_page_shows_its_track_on_a_map_and_its_figures(people, tree, login):
    began = timezone.now() - dt.timedelta(hours=1)
    patrol = services.patrol_start(
        actor=people.gw_a, unit_code=tree.grid_a.code, client_id="p-page", started_at=began
    )
    services.patrol_track(actor=people.gw_a, patrol_id=patrol.pk, client_id="a",
                          points=walk(began, 51))  # fmt: skip
    services.patrol_end(
        actor=people.gw_a, patrol_id=patrol.pk, ended_at=began + dt.timedelta(minutes=45)
    )
    page = login(people.gw_a).get(f"/patrols/{patrol.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = page.content.decode()
    assert page.status_code == 200 and 'id="pat-map"' in body and "pat-map-data" in body
    assert "45" in body and "1000" in body  # minutes, metres walked
    other = login(people.gw_b).get(f"/patrols/{patrol.pk}/")
    assert other.status_code == 404
