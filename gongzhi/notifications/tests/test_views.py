"""The inbox page and the unread badge in the navigation."""

import re

from django.test import Client

from gongzhi.notifications import services
from gongzhi.notifications.models import Notification


def _make(user, n=1, link="/account/"):
    for i in range(n):
        services.notify(recipients=[user], kind="test", title=f"标题{i}", body="正文", link=link)
    return list(Notification.objects.filter(recipient=user).order_by("-id"))


def test_inbox__lists_own_notifications_newest_first_unread_marked(people, login):
    rows = _make(people.gw_a, 3)
    _make(people.gw_b, 1)
    Notification.objects.filter(pk=rows[2].pk).update(title="已读的")
    services.notification_mark_read(user=people.gw_a, notification=rows[2])
    body = login(people.gw_a).get("/inbox/").content.decode()
    assert re.findall(r'href="/inbox/(\d+)/"', body) == [str(n.pk) for n in rows]
    assert body.count("card-link unread") == 2
    assert f'href="/inbox/{Notification.objects.get(recipient=people.gw_b).pk}/"' not in body


def test_inbox__anonymous_is_sent_to_login(db):
    response = Client().get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_open__marks_read_and_follows_the_link(people, login):
    n = _make(people.gw_a, link="/area/")[0]
    response = login(people.gw_a).get(f"/inbox/{n.pk}/")
    assert response.status_code == 302 and response["Location"] == "/area/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_open__without_link_returns_to_the_inbox(people, login):
    n = _make(people.gw_a, link="")[0]
    response = login(people.gw_a).get(f"/inbox/{n.pk}/")
    assert response["Location"] == "/inbox/"


def test_open__another_users_notification_is_the_404_of_a_missing_one(people, login):
    other = _make(people.gw_b)[0]
    client = login(people.gw_a)
    assert client.get(f"/inbox/{other.pk}/").status_code == 404
    assert client.get("/inbox/999999/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_read_all__marks_everything_read(people, login):
    _make(people.gw_a, 2)
    _make(people.gw_b, 1)
    client = login(people.gw_a)
    assert client.get("/inbox/read-all/").status_code == 405
    response = client.post("/inbox/read-all/")
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert not Notification.objects.filter(recipient=people.gw_a, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people.gw_b, read_at__isnull=True).count() == 1


def test_nav_badge__shows_the_unread_count_next_to_me(people, login):
    client = login(people.gw_a)
    assert "nav-unread" not in client.get("/").content.decode()
    rows = _make(people.gw_a, 3)
    _make(people.gw_b, 5)
    services.notification_mark_read(user=people.gw_a, notification=rows[0])
    body = client.get("/").content.decode()
    assert re.findall(r'<span class="badge nav-unread"[^>]*>(\d+)</span>', body) == ["2", "2"]


def test_inbox_queries_are_pinned(people, login, django_assert_num_queries):
    _make(people.gw_a, 40)
    client = login(people.gw_a)
    client.get("/inbox/")
    # session, user, one page of rows, the menu's two position reads, the unread badge
    with django_assert_num_queries(5):
        response = client.get("/inbox/")
    assert response.status_code == 200 and response.content.decode().count("card-link") == 30
