"""The in-process consumer for `make demo`: when it starts, and that it leaves the host
process's signal handlers alone."""

import signal
import time

import pytest
from huey import MemoryHuey

from gongzhi.imports import consumer


@pytest.mark.parametrize(
    ("environ", "argv", "expected"),
    [
        ({}, ["manage.py", "runserver"], False),
        ({"GONGZHI_INPROCESS_JOBS": "1"}, ["manage.py", "runserver"], False),  # the reloader
        ({"GONGZHI_INPROCESS_JOBS": "1", "RUN_MAIN": "true"}, ["manage.py", "runserver"], True),
        ({"GONGZHI_INPROCESS_JOBS": "1"}, ["manage.py", "runserver", "--noreload"], True),
        ({"GONGZHI_INPROCESS_JOBS": "1"}, ["/srv/.venv/bin/gunicorn", "gongzhi.wsgi"], True),
        ({"GONGZHI_INPROCESS_JOBS": "1"}, ["manage.py", "migrate"], False),
        ({"GONGZHI_INPROCESS_JOBS": "1"}, ["manage.py", "run_huey"], False),
        ({"GONGZHI_INPROCESS_JOBS": "0", "RUN_MAIN": "true"}, ["manage.py", "runserver"], False),
    ],
)
def test_should_start(environ, argv, expected):
    assert consumer.should_start(environ, argv) is expected


def test_in_process_consumer__runs_tasks_without_touching_signal_handlers():
    huey = MemoryHuey("test-inprocess", immediate=False)
    done = []

    @huey.task()
    def job(n):
        done.append(n)

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    c = consumer.InProcessConsumer(huey, workers=1, worker_type="thread", periodic=False)
    c.start()
    try:
        job(7)
        deadline = time.monotonic() + 5
        while not done and time.monotonic() < deadline:
            time.sleep(0.02)
        assert done == [7]
        assert {s: signal.getsignal(s) for s in handlers} == handlers
        assert all(t.daemon for _w, t in c.worker_threads) and c.scheduler.daemon
    finally:
        c.stop(graceful=True)


def test_start__nothing_to_consume_when_tasks_run_immediately():
    assert consumer.start(MemoryHuey("test-immediate", immediate=True)) is None
