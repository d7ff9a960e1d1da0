"""An in-process job consumer for the embedded setup (`make demo`): huey's consumer on
threads inside the web process, so the demo needs no second command. Production runs
`manage.py run_huey` beside the web processes instead (with Redis).

Started from ImportsConfig.ready() when GONGZHI_INPROCESS_JOBS=1 and the process
serves requests: runserver's child (RUN_MAIN=true, or --noreload) or a gunicorn
worker (without --preload: threads do not survive the fork).
"""

import logging
import os
import sys
import threading
import time

from huey.consumer import Consumer

log = logging.getLogger(__name__)

_lock = threading.Lock()
_started = None


class InProcessConsumer(Consumer):
    """Huey's consumer without its signal handlers: the host process (runserver,
    gunicorn) owns SIGINT/SIGTERM/SIGHUP, and its threads are daemons that end with it."""

    def _set_signal_handlers(self):
        pass


def should_start(environ=None, argv=None) -> bool:
    environ = os.environ if environ is None else environ
    argv = sys.argv if argv is None else argv
    if environ.get("GONGZHI_INPROCESS_JOBS") != "1":
        return False
    program = os.path.basename(argv[0]) if argv else ""
    if "gunicorn" in program:
        return True
    if "runserver" in argv:
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    return False


def start(huey=None) -> InProcessConsumer | None:
    """Start the consumer once per process, on daemon threads; None when the queue
    runs tasks immediately (there is nothing to consume)."""
    global _started
    if huey is None:
        from huey.contrib.djhuey import HUEY as huey
    if huey.immediate:
        return None
    with _lock:
        if _started is not None:
            return _started
        consumer = InProcessConsumer(huey, workers=1, worker_type="thread", periodic=True)

        def run():
            from django.apps import apps

            while not apps.ready:  # ready() of later apps is still running
                time.sleep(0.05)
            try:
                consumer.run()  # start() plus the health-check loop; returns when stopped
            except Exception:
                log.exception("the in-process job consumer stopped")

        threading.Thread(target=run, name="gongzhi-jobs", daemon=True).start()
        _started = consumer
        log.info("in-process job consumer started")
        return consumer
