"""The SQLite backend (gongzhi/core/db/sqlite3): transactions begin IMMEDIATE, and the
threads of one process queue for the write lock instead of polling SQLite's busy
handler, so a writer that waits longer than the busy timeout is served, not refused.

On a database file of its own (the suite's in-memory databases are left alone)."""

import threading
import time

import pytest
from django.db import connections, transaction
from django.db.utils import OperationalError

ALIAS = "sqlite_file"


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """`connections[ALIAS]`: a SQLite file with one table, busy timeout 0.2 s."""

    def use(engine: str):
        connections.settings[ALIAS] = connections.configure_settings(
            {
                "default": dict(connections.settings["default"]),
                ALIAS: {
                    "ENGINE": engine,
                    "NAME": str(tmp_path / f"{engine.rsplit('.', 2)[-2]}.sqlite3"),
                    "OPTIONS": {
                        "init_command": "PRAGMA journal_mode=WAL;",
                        "transaction_mode": "IMMEDIATE",
                        "timeout": 0.2,
                    },
                },
            }
        )[ALIAS]
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS t (n integer)")
        connections[ALIAS].close()

    with django_db_blocker.unblock():
        yield use
        connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


def _writers(hold: float = 0.45) -> list:
    """Thread A writes and keeps its transaction `hold` seconds (longer than the busy
    timeout, shorter than the queue's limit, three times it); thread B then writes.
    Returns each thread's outcome."""
    started = threading.Event()
    outcomes: list = [None, None]

    def first():
        try:
            with transaction.atomic(using=ALIAS):
                connections[ALIAS].cursor().execute("INSERT INTO t VALUES (1)")
                started.set()
                time.sleep(hold)
            outcomes[0] = "ok"
        finally:
            started.set()
            connections[ALIAS].close()

    def second():
        started.wait(5)
        try:
            with transaction.atomic(using=ALIAS):
                connections[ALIAS].cursor().execute("INSERT INTO t VALUES (2)")
            outcomes[1] = "ok"
        except OperationalError as exc:
            outcomes[1] = str(exc)
        finally:
            connections[ALIAS].close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return outcomes


def test_a_writer_waiting_past_the_busy_timeout_is_served(file_database):
    file_database("gongzhi.core.db.sqlite3")
    assert _writers() == ["ok", "ok"]
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert cursor.fetchall() == [(1,), (2,)]


def test_django_s_own_backend_refuses_it(file_database):
    """What the queue replaces: the second writer polls SQLite's lock and gives up."""
    file_database("django.db.backends.sqlite3")
    assert _writers() == ["ok", "database is locked"]


def test_transactions_begin_immediate(file_database):
    """A transaction holds the write lock from its first statement, a read, so it cannot
    fail later on a snapshot another writer made stale."""
    import sqlite3

    file_database("gongzhi.core.db.sqlite3")
    name = connections[ALIAS].settings_dict["NAME"]
    with transaction.atomic(using=ALIAS):
        connections[ALIAS].cursor().execute("SELECT count(*) FROM t")
        other = sqlite3.connect(name, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
