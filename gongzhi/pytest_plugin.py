"""The test processes' own var/ (pyproject.toml's addopts load this with -p).

Everything settings.py keeps under GONGZHI_VAR_DIR is per process: the SQLite job queue
(huey opens it when Django starts), media uploads, the file SMS log, collected static
files. `make test` runs the suite in several pytest-xdist processes, so each gets a folder
of its own, var/test/gw0, gw1, … (var/test/main when run without workers), emptied when it
starts; the tests never write into the var/ of a developer's demo. The test databases are
per worker already: pytest-django appends _gw0, _gw1, … to their names.
"""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE = "GONGZHI_TEST_VAR_BASE"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Before pytest-django's own hook, which imports the settings. xdist names the worker in
    # the environment before the worker's pytest starts; the workers inherit the
    # environment of the process that started them, hence the base is kept apart.
    base = Path(os.environ.setdefault(BASE, os.environ.get("GONGZHI_VAR_DIR", str(ROOT / "var"))))
    folder = base / "test" / os.environ.get("PYTEST_XDIST_WORKER", "main")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["GONGZHI_VAR_DIR"] = str(folder)


def pytest_collection_modifyitems(config, items):
    """Every transactional test puts the database back as it found it (serialized rollback).

    After one that does not, Django's flush re-creates the content types and permissions
    under new ids, and the next serialized-rollback test on that process fails to load its
    copy of them (a duplicate key on django_content_type). Refused at collection instead."""
    careless = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        names = set(getattr(item, "fixturenames", ()))
        transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & names
        )
        serialized = bool(marker and marker.kwargs.get("serialized_rollback")) or (
            "django_db_serialized_rollback" in names
        )
        if transactional and not serialized:
            careless.append(item.nodeid)
    if careless:
        raise pytest.UsageError(
            "transactional tests without serialized rollback (add serialized_rollback=True "
            "or the django_db_serialized_rollback fixture): " + ", ".join(careless)
        )


# The small demo district, built once per test process and then copied in.
#
# Building it takes half a minute on a loaded machine, and about sixty tests need it (the
# browser tests, the demo's own). The first test in a process builds it with the real
# command; the rows of every table are then kept in memory and each later test gets a copy
# of them (PostgreSQL: TRUNCATE and COPY; SQLite: DELETE and INSERT), inside its own
# transaction as any test's rows are. Building the demo is tested by that first build and by
# the tests that run the command themselves (running it again, the full demo).


class _Snapshot:
    def __init__(self, connection, output):
        from django.apps import apps

        self.output = output
        self.vendor = connection.vendor
        self.models = apps.get_models(include_auto_created=True)
        names = connection.introspection.table_names(include_views=False)
        self.tables = [t for t in names if t != "django_migrations" and not t.startswith("sqlite_")]
        self.rows = {}
        raw = connection.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cur:
                for table in self.tables:
                    data = bytearray()
                    with cur.copy(f'COPY "{table}" TO STDOUT') as copy:
                        for chunk in copy:
                            data += chunk
                    if data:
                        self.rows[table] = bytes(data)
        else:
            # The values as stored: unary + keeps a value and drops the column's declared
            # type, so sqlite3's converters (date, time, bool …) leave it alone.
            cur = raw.cursor()
            for table in self.tables:
                columns = [row[1] for row in cur.execute(f'PRAGMA table_info("{table}")')]
                listed = ", ".join(f'+"{c}"' for c in columns)
                rows = cur.execute(f'SELECT {listed} FROM "{table}"').fetchall()
                if rows:
                    self.rows[table] = (columns, rows)
            cur.close()

    def restore(self, connection):
        from django.core.management.color import no_style
        from django.db import transaction

        quoted = ", ".join(f'"{t}"' for t in self.tables)
        with transaction.atomic(), connection.cursor() as cursor:
            cur = cursor.cursor
            if self.vendor == "postgresql":
                cur.execute(f"TRUNCATE {quoted}")
                for table, data in self.rows.items():
                    with cur.copy(f'COPY "{table}" FROM STDIN') as copy:
                        copy.write(data)
                for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                    cur.execute(sql)
            else:
                for table in self.tables:
                    cur.execute(f'DELETE FROM "{table}"')
                for table, (columns, rows) in self.rows.items():
                    names = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join("?" * len(columns))
                    cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


_small_demo = {}


@pytest.fixture
def small_demo(db, settings):
    """The small demo district (`manage.py demo --small`) in this test's database; its
    printed output is `small_demo.output`. With `transactional_db` too (`db` is then
    transactional, and a live server sees the demo). Passwords are hashed with a fast
    hasher, as the browser tests always did: the demo hashes ~55 of them, ~8 s with
    Argon2."""
    import io

    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    from gongzhi.core import calendar
    from gongzhi.orgs import locator

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    calendar.forget()
    snapshot = _small_demo.get(connection.vendor)
    if snapshot is None:
        out = io.StringIO()
        call_command("demo", "--small", stdout=out)
        snapshot = _small_demo[connection.vendor] = _Snapshot(connection, out.getvalue())
    else:
        snapshot.restore(connection)
    # What the process keeps of the rows (as the demo command's own steps reset them):
    # content types, the working-day calendar, the boundaries' locator index.
    ContentType.objects.clear_cache()
    calendar.forget()
    locator.invalidate()
    yield snapshot
    calendar.forget()
    locator.invalidate()
