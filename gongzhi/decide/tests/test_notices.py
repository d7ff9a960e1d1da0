"""Notices to an area (read once a phone, SMS to the area's mobiles) and outreach records
counted into "N 场次，覆盖 M 人次"."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.care.tests.test_views import verified_client
from gongzhi.core.errors import Invalid, NotFound
from gongzhi.decide import selectors, services
from gongzhi.decide.models import NoticeRead, Outreach
from gongzhi.decide.tests.conftest import held

pytestmark = pytest.mark.django_db


def test_a_notice_to_a_building_read_once_a_phone_and_sent_by_sms(
    people,
    estate,
    tree,
    django_capture_on_commit_callbacks,
    sms_log,
    settings,
    tmp_path,
    monkeypatch,
):
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("SMS_BACKEND", "file")
    with pytest.raises(NotFound):
        services.notice_publish(actor=people.gw_a, unit_id=tree.community.pk, title="x", body="y")
    with pytest.raises(Invalid):
        services.notice_publish(
            actor=people.community_worker, unit_id=tree.community.pk, title="", body="y"
        )
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notice_publish(
            actor=people.community_worker,
            building_id=estate.building.pk,
            title="停水通知",
            body="明天9点至12点停水",
            sms=True,
        )
    sent = [(m["to"], m["text"]) for m in sms_log()]
    assert notice.sms_sent == 4 and len(sent) == 4 and "停水" in sent[0][1]
    services.notice_read(held=held("13800000001"), notice_id=notice.pk)
    services.notice_read(held=held("13800000001"), notice_id=notice.pk)
    assert NoticeRead.objects.filter(notice=notice).count() == 1
    with pytest.raises(NotFound):  # not the other community's
        services.notice_read(held=held("13800000009"), notice_id=notice.pk)
    page = verified_client("13800000002").get("/my/decide/")
    assert "停水通知" in page.content.decode()
    assert verified_client("13800000002").get(f"/my/decide/notices/{notice.pk}/").status_code == 200
    assert NoticeRead.objects.filter(notice=notice).count() == 2


def test_outreach_is_counted_from_records(people, tree):
    today = timezone.localdate()
    for n in (30, 45):
        services.outreach_record(
            actor=people.gw_a,
            unit_id=tree.grid_a.pk,
            kind="legal",
            topic="法治宣传进小区",
            held_on=today,
            attendance=n,
        )
    services.outreach_record(
        actor=people.gw_a,
        unit_id=tree.grid_a.pk,
        kind="door",
        topic="医保政策入户讲解",
        held_on=today.isoformat(),
        attendance=3,
    )
    with pytest.raises(Invalid):
        services.outreach_record(
            actor=people.gw_a,
            unit_id=tree.grid_a.pk,
            kind="legal",
            topic="x",
            held_on=today + dt.timedelta(days=2),
            attendance=1,
        )
    with pytest.raises(Invalid):
        services.outreach_record(
            actor=people.gw_a,
            unit_id=tree.grid_a.pk,
            kind="legal",
            topic="x",
            held_on=today,
            attendance=-5,
        )
    assert Outreach.objects.count() == 3
    counts = selectors.outreach_counts(tree.community.code, today, today)
    assert counts["legal"] == {"sessions": 2, "people": 75}
    assert counts["door"] == {"sessions": 1, "people": 3}


def test_the_api_records_outreach_and_refuses_bad_input(people, tree, login):
    client = login(people.gw_a)
    ok = client.post(
        "/api/v1/decide/outreach",
        {
            "unit_id": tree.grid_a.pk,
            "kind": "legal",
            "topic": "法治宣传",
            "held_on": str(timezone.localdate()),
            "attendance": 40,
        },
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["attendance"] == 40
    bad = client.post(
        "/api/v1/decide/outreach",
        {
            "unit_id": tree.grid_a.pk,
            "kind": "nope",
            "topic": "x",
            "held_on": str(timezone.localdate()),
            "attendance": 1,
        },
        content_type="application/json",
    )
    assert (
        bad.status_code == 400
        and bad.json()["code"] == "invalid"
        and "kind" in bad.json()["details"]
    )
    refused = client.post(
        "/api/v1/decide/notices",
        {"unit_id": tree.grid_a.pk, "title": "x", "body": "y"},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert Outreach.objects.count() == 1
