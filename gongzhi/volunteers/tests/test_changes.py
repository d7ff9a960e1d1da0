"""An activity changed or called off before it starts, and a volunteer who leaves: the
waiting list, the overlap rule, the texts to those signed up, audit rows; refusals change
nothing; through the services, the pages and the API."""

import datetime as dt
import json

import pytest
from django.utils import timezone, translation

from gongzhi.cases.tests.api_support import post_json
from gongzhi.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Activity, Participation, ParticipationState, VolunteerState
from gongzhi.volunteers.tests.conftest import held, make_activity

P = ParticipationState
API = "/api/v1/volunteers"


@pytest.fixture(autouse=True)
def _texts(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("SMS_BACKEND", "file")


def texts(tmp_path) -> list[dict]:
    log = tmp_path / "sms.log"
    return (
        [json.loads(line) for line in log.read_text("utf-8").splitlines()] if log.exists() else []
    )


def local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def change(people, activity, **kw):
    fields = {
        "title": activity.title,
        "place": activity.place,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "capacity": activity.capacity,
        **kw,
    }
    return services.activity_update(
        actor=people.community_worker, activity_id=activity.pk, **fields
    )


def signed(people, activity, volunteers):
    return [
        services.signup_for(
            actor=people.community_worker, activity_id=activity.pk, volunteer_id=v.pk
        )
        for v in volunteers
    ]


def test_more_places_confirm_the_waiting_list_in_order(
    vol, people, django_capture_on_commit_callbacks
):
    _a, _b, c, d = signed(people, vol.activity, vol.v[:4])
    assert [c.state, d.state] == [P.WAITING, P.WAITING]
    with django_capture_on_commit_callbacks(execute=True):
        activity = change(people, vol.activity, capacity=3, title="文明督导（扩招）")
    assert activity.capacity == 3 and activity.confirmed == 3
    states = dict(Participation.objects.values_list("pk", "state"))
    assert (states[c.pk], states[d.pk]) == (P.CONFIRMED, P.WAITING)
    row = AuditLog.objects.get(action="volunteers.activity_update")
    assert row.changes["capacity"] == ["2", "3"] and row.actor == people.community_worker


def test_fewer_places_than_confirmed_is_refused_and_changes_nothing(vol, people):
    signed(people, vol.activity, vol.v[:2])
    with pytest.raises(Invalid) as refused:
        change(people, vol.activity, capacity=1, title="改名")
    assert "capacity" in refused.value.details
    activity = Activity.objects.get(pk=vol.activity.pk)
    assert (activity.capacity, activity.title) == (2, vol.activity.title)
    assert not AuditLog.objects.filter(action="volunteers.activity_update").exists()


def test_a_new_time_moves_the_sign_ups_and_texts_them(
    vol, people, tmp_path, django_capture_on_commit_callbacks
):
    signed(people, vol.activity, vol.v[:3])
    start = vol.activity.starts_at + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        change(people, vol.activity, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    assert set(Participation.objects.values_list("starts_at", flat=True)) == {start}
    sent = texts(tmp_path)
    assert sorted(t["to"] for t in sent) == ["13900000000", "13900000001", "13900000002"]
    assert vol.activity.title in sent[0]["text"] and "桂园南门" in sent[0]["text"]


def test_a_new_time_that_clashes_for_a_confirmed_volunteer_is_refused(vol, people, tree):
    signed(people, vol.activity, vol.v[:1])
    later = make_activity(people.community_worker, tree.community, hours_from_now=48)
    signed(people, later, vol.v[:1])
    with pytest.raises(Conflict) as refused:
        change(people, vol.activity, starts_at=later.starts_at, ends_at=later.ends_at)
    assert refused.value.code == "overlap" and "志愿者0" in refused.value.message
    vol.activity.refresh_from_db()
    assert vol.activity.starts_at < later.starts_at
    part = Participation.objects.get(activity=vol.activity)
    assert part.starts_at == vol.activity.starts_at


def test_started_or_cancelled_activities_do_not_change(vol, people, tree):
    now = make_activity(people.community_worker, tree.community, hours_from_now=1)
    Activity.objects.filter(pk=now.pk).update(starts_at=timezone.now() - dt.timedelta(minutes=5))
    now.refresh_from_db()
    for call in (
        lambda: change(people, now, title="x"),
        lambda: services.activity_cancel(
            actor=people.community_worker, activity_id=now.pk, reason="雨"
        ),
    ):
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == "started"
    services.activity_cancel(
        actor=people.community_worker, activity_id=vol.activity.pk, reason="雨"
    )
    with pytest.raises(Conflict) as refused:
        change(people, Activity.objects.get(pk=vol.activity.pk), title="x")
    assert refused.value.code == "cancelled"
    past = vol.activity.starts_at - dt.timedelta(days=3)
    with pytest.raises(Invalid):
        change(people, make_activity(people.community_worker, tree.community, hours_from_now=50),
               starts_at=past, ends_at=past + dt.timedelta(hours=1))  # fmt: skip


def test_calling_off_cancels_every_sign_up_and_texts_them(
    vol, people, tmp_path, django_capture_on_commit_callbacks
):
    signed(people, vol.activity, vol.v[:3])
    with pytest.raises(Invalid):
        services.activity_cancel(
            actor=people.community_worker, activity_id=vol.activity.pk, reason=" "
        )
    assert Activity.objects.get(pk=vol.activity.pk).is_cancelled is False
    with django_capture_on_commit_callbacks(execute=True):
        activity = services.activity_cancel(
            actor=people.community_worker, activity_id=vol.activity.pk, reason="大风预警"
        )
    assert activity.is_cancelled and activity.confirmed == 0
    assert set(Participation.objects.values_list("state", flat=True)) == {P.CANCELLED}
    assert len(texts(tmp_path)) == 3 and "大风预警" in texts(tmp_path)[0]["text"]
    row = AuditLog.objects.get(action="volunteers.activity_cancel")
    assert row.changes == {"reason": "大风预警", "sign_ups": 3}
    with pytest.raises(Conflict):
        services.activity_cancel(
            actor=people.community_worker, activity_id=activity.pk, reason="再"
        )
    with pytest.raises(NotFound):
        services.signup_by_resident(held=held("13900000005"), activity_id=activity.pk)


def test_only_managers_of_the_area_change_or_call_off(vol, people, tree):
    for actor, error in ((people.handler, NotFound), (people.leader, PermissionDenied)):
        with pytest.raises(error):
            services.activity_update(actor=actor, activity_id=vol.activity.pk, title="x", place="y",
                                     starts_at=vol.activity.starts_at, ends_at=vol.activity.ends_at,
                                     capacity=5)  # fmt: skip
        with pytest.raises(error):
            services.activity_cancel(actor=actor, activity_id=vol.activity.pk, reason="x")
        with pytest.raises(error):
            services.volunteer_leave(actor=actor, volunteer_id=vol.v[0].pk)
    assert Activity.objects.get(pk=vol.activity.pk).capacity == 2
    assert not AuditLog.objects.filter(action__startswith="volunteers.activity_").exclude(
        action="volunteers.activity_create").exists()  # fmt: skip


def test_a_volunteer_who_leaves_frees_their_places_and_may_come_back(vol, people, tree):
    _a, _b, waiting = signed(people, vol.activity, [vol.v[0], vol.v[1], vol.v[2]])
    volunteer = services.volunteer_leave(
        actor=people.community_worker, volunteer_id=vol.v[0].pk, reason="搬家"
    )
    assert volunteer.state == VolunteerState.LEFT
    waiting.refresh_from_db()
    assert waiting.state == P.CONFIRMED
    assert Participation.objects.get(volunteer=vol.v[0]).state == P.CANCELLED
    with pytest.raises(Conflict) as refused:
        services.volunteer_leave(actor=people.community_worker, volunteer_id=vol.v[0].pk)
    assert refused.value.code == "left"
    with pytest.raises(PermissionDenied):  # /my/ knows only approved volunteers
        services.signup_by_resident(held=held("13900000000"), activity_id=vol.activity.pk)
    again = services.volunteer_register_by_resident(held=held("13900000000"))
    assert again.pk == vol.v[0].pk and again.state == VolunteerState.REGISTERED


def test_the_pages_change_call_off_and_mark_left(vol, people, login):
    cw = login(people.community_worker)
    signed(people, vol.activity, vol.v[:1])
    page = f"/volunteers/activities/{vol.activity.pk}/"
    assert "修改活动" in cw.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    form = {
        "action": "update",
        "title": "新标题",
        "place": "桂园北门",
        "capacity": "0",
        "starts_at": local(vol.activity.starts_at),
        "ends_at": local(vol.activity.ends_at),
    }
    with translation.override("zh-hans"):
        refused = cw.post(page, form, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = refused.content.decode()
    assert refused.status_code == 400 and "新标题" in body and "桂园北门" in body
    assert Activity.objects.get(pk=vol.activity.pk).title == vol.activity.title
    assert cw.post(page, {**form, "capacity": "4"}).status_code == 302
    assert Activity.objects.get(pk=vol.activity.pk).place == "桂园北门"
    assert cw.post(page, {"action": "call_off", "reason": "大风"}).status_code == 302
    shown = cw.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已取消" in shown and "修改活动" not in shown
    person = f"/volunteers/{vol.v[1].pk}/"
    assert cw.post(person, {"action": "leave", "reason": "搬家"}).status_code == 302
    assert "已退出" in cw.get(person, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_the_api_changes_calls_off_and_marks_left(vol, people, login):
    cw = login(people.community_worker)
    signed(people, vol.activity, vol.v[:2])
    url = f"{API}/activities/{vol.activity.pk}"
    body = {
        "title": "新标题",
        "place": "桂园北门",
        "capacity": 5,
        "starts_at": vol.activity.starts_at.isoformat(),
        "ends_at": vol.activity.ends_at.isoformat(),
    }
    done = cw.put(url, body, content_type="application/json")
    assert done.status_code == 200 and done.json()["capacity"] == 5
    bad = cw.put(url, {**body, "capacity": 0}, content_type="application/json")
    assert bad.status_code == 422  # the schema's bounds
    fewer = cw.put(url, {**body, "capacity": 1, "title": "少"}, content_type="application/json")
    assert fewer.status_code == 400 and "capacity" in fewer.json()["details"]
    outside = login(people.handler).put(url, body, content_type="application/json")
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    empty = post_json(cw, f"{url}/cancel", {"reason": ""})
    assert empty.status_code == 400 and empty.json()["code"] == "invalid"
    assert "reason" in empty.json()["details"]
    called = post_json(cw, f"{url}/cancel", {"reason": "大风"})
    assert called.status_code == 200 and called.json()["is_cancelled"] is True
    twice = post_json(cw, f"{url}/cancel", {"reason": "大风"})
    assert twice.status_code == 409 and twice.json()["code"] == "cancelled"
    left = post_json(cw, f"{API}/volunteers/{vol.v[0].pk}/leave", {"reason": ""})
    assert left.status_code == 200 and left.json()["state"] == "left"
