"""Django's SQLite backend, with the writers of one process queued before SQLite's lock.

SQLite admits one write transaction at a time; settings open every transaction with
BEGIN IMMEDIATE, so a transaction takes the write lock before it reads and never fails
half way on a stale snapshot. A transaction that finds the lock taken waits in SQLite's
busy handler, which polls (1 ms, 2 ms … then every 100 ms): under dozens of threads of
one server process writing at once, newcomers keep winning the lock from those that have
waited longest, and some give up with "database is locked" after the busy timeout.

Here the threads of one process queue for a lock of the process before they BEGIN, so at
most one transaction a process asks SQLite for the write lock; the busy handler then
only arbitrates between processes (gunicorn's workers, a job consumer), one waiter each.
The queue is ordered by Python's lock, which blocks instead of polling. Writes in
autocommit (one statement outside any atomic block) do not queue: each holds SQLite's
lock for its one statement only.

In-memory databases (the tests') are left alone: they are private to the process.
"""

import threading

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

# How long a transaction waits in the process's queue before it is refused as SQLite
# refuses one after its busy timeout; the queue moves one short transaction at a time,
# so this is reached only when a transaction is stuck.
QUEUE_TIMEOUT_FACTOR = 3

_locks: dict[str, "threading.Lock"] = {}
_locks_guard = threading.Lock()


def writer_lock(name: str) -> "threading.Lock":
    """The one lock of this process for the database file `name`."""
    with _locks_guard:
        return _locks.setdefault(str(name), threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

    def _writer_lock(self) -> "threading.Lock | None":
        if self.is_in_memory_db():
            return None
        return writer_lock(self.settings_dict["NAME"])

    def _start_transaction_under_autocommit(self):
        lock = self._writer_lock()
        if lock is not None and not self._holds_writer_lock:
            timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
            if not lock.acquire(timeout=timeout * QUEUE_TIMEOUT_FACTOR):
                raise OperationalError("database is locked")
            self._holds_writer_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            self._writer_lock().release()

    def _set_autocommit(self, autocommit):
        # The end of every outermost atomic block, after its COMMIT or ROLLBACK.
        try:
            super()._set_autocommit(autocommit)
        finally:
            if autocommit:
                self._release_writer_lock()

    def _close(self):
        try:
            super()._close()
        finally:
            self._release_writer_lock()
