"""Password login with lockout, through the service and the login page."""

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.accounts.models import User
from gongzhi.accounts.services import LoginFailed, login_authenticate
from gongzhi.core.models import AuditLog
from gongzhi.factories import PASSWORD, UserFactory


@pytest.fixture
def worker(db):
    return UserFactory(username="wangge", name="李网格")


def test_login__right_password_opens_and_is_audited(worker):
    assert login_authenticate(username="wangge", password=PASSWORD) == worker
    assert AuditLog.objects.filter(action="accounts.login", actor=worker).count() == 1


def _refusal(username, password):
    with pytest.raises(LoginFailed) as exc:
        login_authenticate(username=username, password=password)
    return exc.value.status, exc.value.code, exc.value.message, exc.value.details


def test_login__wrong_password_counts_a_failure(worker, settings):
    status, code, message, _details = _refusal("wangge", "wrong")
    assert (status, code) == (401, "invalid_credentials")
    assert "用户名或密码错误" in message
    worker.refresh_from_db()
    assert worker.failed_logins == 1 and worker.locked_until is None


def test_login__unknown_user_gets_the_same_answer_and_writes_nothing(worker):
    unknown = _refusal("nobody-here", "whatever")
    assert not AuditLog.objects.exists()
    assert unknown == _refusal("wangge", "wrong")
    assert User.objects.count() == 1


def test_login__repeated_failures_lock_even_the_right_password(worker, settings):
    answers = {_refusal("wangge", "wrong") for _ in range(settings.LOGIN_MAX_FAILURES)}
    worker.refresh_from_db()
    assert worker.is_locked()
    assert AuditLog.objects.filter(action="accounts.locked", object_id=str(worker.pk)).count() == 1
    # Locked: the right password is refused, and no answer says so or differs from an
    # unknown username's.
    answers |= {_refusal("wangge", PASSWORD), _refusal("wangge", "wrong")}
    answers.add(_refusal("nobody-here", "wrong"))
    assert len(answers) == 1
    (status, code, message, _details) = answers.pop()
    assert (status, code) == (401, "invalid_credentials")
    assert str(settings.LOGIN_MAX_FAILURES) in message
    assert str(settings.LOGIN_LOCKOUT_MINUTES) in message


def test_login__lock_runs_out_and_the_count_starts_again(worker):
    worker.failed_logins, worker.locked_until = 5, timezone.now() - timedelta(seconds=1)
    worker.save()
    with pytest.raises(LoginFailed):
        login_authenticate(username="wangge", password="wrong")
    worker.refresh_from_db()
    assert worker.failed_logins == 1 and worker.locked_until is None
    assert login_authenticate(username="wangge", password=PASSWORD) == worker
    worker.refresh_from_db()
    assert worker.failed_logins == 0


def test_login__disabled_account_is_refused(worker):
    worker.is_active = False
    worker.save()
    with pytest.raises(LoginFailed) as exc:
        login_authenticate(username="wangge", password=PASSWORD)
    assert exc.value.code == "account_disabled"


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(db):
    user = UserFactory.build(username="a2")
    user.set_password(PASSWORD)
    assert user.password.startswith("argon2$")


def test_login_page__signs_in_and_out(worker):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200 and "登录" in page.content.decode()
    response = client.post("/login/", {"username": "wangge", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_login_page__wrong_password_shows_a_chinese_error_and_no_session(worker):
    client = Client()
    response = client.post("/login/", {"username": "wangge", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "用户名或密码错误" in body
    assert "_auth_user_id" not in client.session


def _login_page_error(client, path, username, password):
    response = client.post(path, {"username": username, "password": password})
    body = response.content.decode()
    errors = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', body, re.S) or re.findall(
        r'<p class="errornote">(.*?)</p>|<ul class="errorlist nonfield">(.*?)</ul>', body, re.S
    )
    return response.status_code, errors


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_login_pages__locked_and_unknown_read_the_same(worker, path):
    worker.is_staff = True
    worker.locked_until = timezone.now() + timedelta(minutes=15)
    worker.save()
    client = Client()

    locked = _login_page_error(client, path, "wangge", PASSWORD)
    unknown = _login_page_error(client, path, "nobody-here", PASSWORD)

    assert locked == unknown and locked[0] == 200 and locked[1]
    assert "用户名或密码错误" in str(locked[1]) and "锁定" in str(locked[1])
    assert "_auth_user_id" not in client.session


@pytest.mark.argon2
def test_login__unknown_locked_and_wrong_take_comparable_time(worker):
    """Each refusal costs one argon2 hash (~0.05–0.1 s): without it, a locked or unknown
    account would answer in about a millisecond and tell itself apart."""
    worker.set_password(PASSWORD)
    worker.save()
    locked = UserFactory(username="locked-one")
    locked.set_password(PASSWORD)
    locked.locked_until = timezone.now() + timedelta(minutes=15)
    locked.save()
    login_authenticate(username="wangge", password=PASSWORD)  # warm the dummy hash

    def fastest(username):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            with pytest.raises(LoginFailed):
                login_authenticate(username=username, password="wrong")
            times.append(time.perf_counter() - start)
        return min(times)

    unknown, locked_time, wrong = fastest("nobody-here"), fastest("locked-one"), fastest("wangge")
    assert max(unknown, locked_time, wrong) < 2 * min(unknown, locked_time, wrong), (
        unknown,
        locked_time,
        wrong,
    )


def test_login_page__empty_form_changes_nothing(worker):
    response = Client().post("/login/", {"username": "", "password": ""})
    assert response.status_code == 200
    worker.refresh_from_db()
    assert worker.failed_logins == 0
    assert not AuditLog.objects.exists()


def test_admin_login__uses_the_same_lockout(worker, settings):
    worker.is_staff = True
    worker.save()
    client = Client()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post("/admin/login/", {"username": "wangge", "password": "wrong"})
    worker.refresh_from_db()
    assert worker.is_locked()
    response = client.post("/admin/login/", {"username": "wangge", "password": PASSWORD})
    assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    assert "_auth_user_id" not in client.session
