"""The request facts a service records in its audit row (client IP), set per request.

Services run outside requests too (commands, jobs); then the IP is empty.
"""

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
