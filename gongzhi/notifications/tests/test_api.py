"""The notification API: the caller's own only, newest first, cursor pages."""

import pytest

from gongzhi.notifications import services
from gongzhi.notifications.models import Notification


def _make(user, n=1, **kwargs):
    for i in range(n):
        services.notify(recipients=[user], kind="test", title=f"通知{i}", link="/", **kwargs)
    return list(Notification.objects.filter(recipient=user).order_by("-id"))


def test_list__only_the_callers_own_newest_first(people, login):
    mine = _make(people.gw_a, 3)
    _make(people.gw_b, 2)
    _make(people.gw_a, 1, channels=("sms",), sms_phones={people.gw_a.pk: "13812345678"})
    body = login(people.gw_a).get("/api/v1/notifications").json()
    assert [n["id"] for n in body["items"]] == [n.pk for n in mine]
    assert body["next_cursor"] is None
    assert set(body["items"][0]) == {
        "id",
        "kind",
        "title",
        "body",
        "link",
        "created_at",
        "read_at",
        "is_read",
    }


def test_list__cursor_pages_cover_everything_once(people, login):
    mine = _make(people.gw_a, 7)
    client = login(people.gw_a)
    seen, cursor = [], None
    while True:
        url = "/api/v1/notifications?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [n["id"] for n in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [n.pk for n in mine]


def test_list__anonymous_is_refused(db, client):
    assert client.get("/api/v1/notifications").status_code == 401


def test_read__marks_one_read(people, login):
    n = _make(people.gw_a)[0]
    response = login(people.gw_a).post(f"/api/v1/notifications/{n.pk}/read")
    assert response.status_code == 200 and response.json()["is_read"] is True
    n.refresh_from_db()
    assert n.read_at is not None


def test_read__another_users_notification_is_the_404_of_a_missing_one(people, login):
    other = _make(people.gw_b)[0]
    client = login(people.gw_a)
    theirs = client.post(f"/api/v1/notifications/{other.pk}/read")
    missing = client.post("/api/v1/notifications/999999/read")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() and theirs.json()["code"] == "not_found"
    other.refresh_from_db()
    assert other.read_at is None


def test_read_all__marks_only_the_callers_unread(people, login):
    _make(people.gw_a, 2)
    _make(people.gw_b, 1)
    response = login(people.gw_a).post("/api/v1/notifications/read-all")
    assert response.json() == {"updated": 2}
    assert not Notification.objects.filter(recipient=people.gw_a, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people.gw_b, read_at__isnull=True).count() == 1


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "cursor=%%%"])
def test_list__bad_paging_gets_the_error_shape(people, login, query):
    response = login(people.gw_a).get(f"/api/v1/notifications?{query}")
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "details"}


def test_list_queries_are_pinned(people, login, django_assert_num_queries):
    _make(people.gw_a, 60)
    client = login(people.gw_a)
    client.get("/api/v1/notifications")  # warm the session
    # session, user, positions for the auth check are the same as every API call; one page read
    with django_assert_num_queries(3):
        body = client.get("/api/v1/notifications?limit=50").json()
    assert len(body["items"]) == 50 and body["next_cursor"]
