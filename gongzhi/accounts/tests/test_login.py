"""Password login with lockout, through the service and the login page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.accounts.models import User
from gongzhi.accounts.services import AccountLocked, LoginFailed, login_authenticate
from gongzhi.core.models import AuditLog
from gongzhi.factories import PASSWORD, UserFactory


@pytest.fixture
def worker(db):
    return UserFactory(username="wangge", name="李网格")


def test_login__right_password_opens_and_is_audited(worker):
    assert login_authenticate(username="wangge", password=PASSWORD) == worker
    assert AuditLog.objects.filter(action="accounts.login", actor=worker).count() == 1


def test_login__wrong_password_counts_a_failure_and_says_how_many_are_left(worker, settings):
    with pytest.raises(LoginFailed) as exc:
        login_authenticate(username="wangge", password="wrong")
    assert exc.value.code == "invalid_credentials"
    assert str(settings.LOGIN_MAX_FAILURES - 1) in exc.value.message
    worker.refresh_from_db()
    assert worker.failed_logins == 1 and worker.locked_until is None


def test_login__unknown_user_gets_the_same_message_and_writes_nothing(worker):
    with pytest.raises(LoginFailed) as exc:
        login_authenticate(username="nobody-here", password="whatever")
    assert exc.value.code == "invalid_credentials"
    assert not AuditLog.objects.exists()
    assert User.objects.count() == 1


def test_login__repeated_failures_lock_even_the_right_password(worker, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            login_authenticate(username="wangge", password="wrong")
    with pytest.raises(AccountLocked) as exc:
        login_authenticate(username="wangge", password="wrong")
    assert exc.value.code == "account_locked"
    assert "锁定" in exc.value.message or "locked" in exc.value.message
    with pytest.raises(AccountLocked):
        login_authenticate(username="wangge", password=PASSWORD)
    worker.refresh_from_db()
    assert worker.is_locked()
    assert AuditLog.objects.filter(action="accounts.locked", object_id=str(worker.pk)).count() == 1


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


def test_login_page__locked_account_message(worker):
    worker.locked_until = timezone.now() + timedelta(minutes=15)
    worker.save()
    response = Client().post("/login/", {"username": "wangge", "password": PASSWORD})
    assert response.status_code == 200
    assert "已被锁定" in response.content.decode()


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
    assert response.status_code == 200 and "已被锁定" in response.content.decode()
