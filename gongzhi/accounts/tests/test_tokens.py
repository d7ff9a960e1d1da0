"""API tokens: stored hashed, shown once, revocable."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import ApiToken
from gongzhi.accounts.services import api_token_create, api_token_revoke
from gongzhi.core.models import AuditLog


def _get(path, token):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_create_api_token_command__prints_the_token_once_and_stores_its_hash(people):
    out = StringIO()
    call_command("create_api_token", "gw_a", "--name", "巡查终端", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=people.gw_a)
    assert raw.startswith("gz_") and len(raw) > 40
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values_list(flat=True))
    assert token.name == "巡查终端" and token.prefix == raw[:10]
    assert _get("/api/v1/me", raw).json()["username"] == "gw_a"


def test_create_api_token_command__unknown_user_fails_and_creates_nothing(db):
    with pytest.raises(CommandError, match="不存在"):
        call_command("create_api_token", "ghost", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_revoked_token__is_refused_with_401(people):
    token, raw = api_token_create(actor=people.admin, user=people.gw_a, name="t")
    assert _get("/api/v1/me", raw).status_code == 200
    api_token_revoke(actor=people.admin, token=token)
    response = _get("/api/v1/me", raw)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert AuditLog.objects.filter(
        action="accounts.token_revoked", object_id=str(token.pk)
    ).exists()


@pytest.mark.parametrize("raw", ["", "gz_not-a-token", "x" * 500, "Basic abc"])
def test_bad_tokens__are_refused(people, raw):
    assert _get("/api/v1/me", raw).status_code == 401


def test_token_of_a_disabled_user__is_refused(people):
    _, raw = api_token_create(actor=people.admin, user=people.gw_a, name="t")
    people.gw_a.is_active = False
    people.gw_a.save()
    assert _get("/api/v1/me", raw).status_code == 401


def test_api_token_create__needs_staff_management(people):
    from gongzhi.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_create(actor=people.gw_a, user=people.gw_a, name="mine")
    assert not ApiToken.objects.exists()


def _token_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "accounts_apitoken"')]


def test_last_used_at__is_written_at_most_once_a_minute(people):
    token, raw = api_token_create(actor=people.admin, user=people.gw_a, name="t")
    with CaptureQueriesContext(connection) as first:
        assert _get("/api/v1/me", raw).status_code == 200
    token.refresh_from_db()
    used = token.last_used_at
    assert used is not None and len(_token_writes(first)) == 1

    # Reads within the minute write nothing.
    with CaptureQueriesContext(connection) as reads:
        for _ in range(3):
            assert _get("/api/v1/me", raw).status_code == 200
    assert _token_writes(reads) == []
    token.refresh_from_db()
    assert token.last_used_at == used

    # A minute later the next request marks it again, once.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=used - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as later:
        for _ in range(2):
            assert _get("/api/v1/me", raw).status_code == 200
    assert len(_token_writes(later)) == 1
    token.refresh_from_db()
    assert token.last_used_at > used
