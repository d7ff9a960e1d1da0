"""The database out of reach: 503 with Retry-After and each way in's own error body (the
API's JSON, Open311's errors, the pages' Chinese page), never a 500 with a traceback; other
database errors stay 500s.

The outage is made at the database driver: every statement fails with the error the
driver raises when the server is gone (psycopg) or the write lock is not had within the
busy timeout (sqlite3), turned into Django's OperationalError by Django's own wrapper, as
in production. On PostgreSQL one more test points the connection at a closed port."""

import socket
import sqlite3
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client

from gongzhi.accounts.services import api_token_create
from gongzhi.cases.models import Case
from gongzhi.core.http.unavailable import RETRY_AFTER_SECONDS


def driver_error(vendor: str) -> Exception:
    if vendor == "postgresql":
        import psycopg

        return psycopg.OperationalError(
            "consuming input failed: server closed the connection unexpectedly"
        )
    return sqlite3.OperationalError("database is locked")


@contextmanager
def database_gone(error: Exception | None = None):
    """Every statement fails in the driver (the execute_wrapper is the boundary between
    Django and the driver), converted by Django's wrap_database_errors."""

    def fail(execute, sql, params, many, context):
        with context["connection"].wrap_database_errors:
            raise error or driver_error(context["connection"].vendor)

    with connection.execute_wrapper(fail):
        yield


@pytest.fixture
def category(db):
    from gongzhi.cases.models import Category

    return Category.objects.get(code="0101")


@pytest.fixture
def token(people):
    return api_token_create(actor=None, user=people.gw_a, name="t")[1]


def _unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_api__503_with_retry_after_and_the_error_body(token, tree, category):
    client = Client(headers={"Authorization": f"Bearer {token}"})
    with database_gone():
        read = client.get("/api/v1/cases")
        write = client.post(
            "/api/v1/cases",
            {"category_id": category.pk, "title": "井盖缺失", "grid_id": tree.grid_a.pk},
            content_type="application/json",
            headers={"Idempotency-Key": "k-1"},
        )
    for response in (read, write):
        _unavailable(response)
        body = response.json()
        assert (body["code"], body["details"]) == ("unavailable", None)
        assert "Idempotency-Key" in body["message"]
    assert not Case.objects.exists()
    assert client.get("/api/v1/cases").status_code == 200  # back when the database is


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311__503_with_retry_after_and_its_errors_body(tree, fmt):
    from gongzhi.open311.tests.conftest import error

    with database_gone():
        response = Client().get(f"/open311/v2/requests.{fmt}")
    _unavailable(response)
    code, description = error(response)
    assert code == "503" and description.startswith("unavailable: ")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
def test_pages__503_chinese_page_without_a_traceback(people, login, settings, debug):
    settings.DEBUG = debug
    client = login(people.op_sub)
    with database_gone():
        response = client.get("/cases/")
    _unavailable(response)
    page = response.content.decode()
    assert '<html lang="zh-CN">' in page and "503" in page
    assert "Idempotency-Key" in page


@pytest.mark.django_db
def test_a_database_error_that_is_a_bug_stays_a_500(token):
    """A missing table is an OperationalError on SQLite, a deadlock on PostgreSQL: retrying
    later does not help, so no 503 hides them."""
    if connection.vendor == "postgresql":
        import psycopg

        bug = psycopg.errors.DeadlockDetected("deadlock detected")
    else:
        bug = sqlite3.OperationalError("no such table: cases_case")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    with database_gone(bug), pytest.raises(OperationalError):
        client.get("/api/v1/cases")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once it is closed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server to be refused by")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_api__a_database_server_that_refuses_connections_is_503(token):
    client = Client(headers={"Authorization": f"Bearer {token}"})
    settings_dict = connection.settings_dict
    host, port = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        response = client.get("/api/v1/cases")
    finally:
        connection.close()
        settings_dict.update(HOST=host, PORT=port)
    _unavailable(response)
    assert response.json()["code"] == "unavailable"
    assert client.get("/api/v1/cases").status_code == 200
