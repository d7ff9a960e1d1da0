"""The database out of reach: 503 with Retry-After instead of a 500 and a traceback.

A request that cannot reach the database (the server restarting or refusing connections,
a connection lost, SQLite's write lock not had within its busy timeout) is answered 503
Service Unavailable with `Retry-After`; each way in gives its own body (the API's
{"code": "unavailable", …}, Open311's errors, the pages' Chinese page). Such a request
may or may not have been stored — a connection lost during COMMIT leaves the client
unable to tell — so clients retry with the same Idempotency-Key, which cannot store a
report twice.

Other database errors (a bad query, a constraint, a missing table — which SQLite also
reports as OperationalError) stay 500s: they are bugs, and retrying does not help.
"""

import logging

from django.db.utils import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
CODE = "unavailable"
MESSAGE = _(
    "The service is briefly unavailable. Please try again in a moment; resending a "
    "report with the same Idempotency-Key never stores it twice."
)

# PostgreSQL SQLSTATE classes that mean "no database to talk to now": connection
# exceptions (08), insufficient resources (53: out of connections, memory or disk) and
# the server shutting down, crashed or starting (57P01–57P03).
PG_UNAVAILABLE = ("08", "53", "57P01", "57P02", "57P03")
# SQLite: the lock not had within the busy timeout, or the file not usable.
SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR",
                      "SQLITE_FULL")  # fmt: skip


def database_unavailable(exc: BaseException | None) -> bool:
    """Is `exc` the database being out of reach (retry later), rather than a bug?"""
    if isinstance(exc, InterfaceError):
        return True  # the connection is closed or broken
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(PG_UNAVAILABLE)
    errorname = getattr(cause, "sqlite_errorname", None)
    if errorname:
        return errorname.startswith(SQLITE_UNAVAILABLE)
    if cause is not None and type(cause).__module__.startswith("psycopg"):
        # Raised by the driver itself, without a server's SQLSTATE: the connection
        # failed or was lost.
        return True
    return "database is locked" in str(exc)


def mark(response, exc: BaseException):
    """`response` (a 503) with Retry-After; the outage is logged once, without the
    traceback of a bug."""
    logger.warning("database unavailable: %s: %s", type(exc).__name__, exc)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
