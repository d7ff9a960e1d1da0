"""Domain errors: a stable machine code plus a message a person can read.

Services raise these; the API turns them into {"code", "message", "details"} and
pages show the message. Messages are in Simplified Chinese through gettext.
"""

from typing import Any


class DomainError(Exception):
    """A refused operation. Nothing was changed when it is raised from a service."""

    code = "invalid"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, details: Any = None, status: int = 0
    ):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details


class NotFound(DomainError):
    """Missing, or not the caller's to see: the same answer for both."""

    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Invalid(DomainError):
    """Field errors: `details` maps each field to its messages."""

    code = "invalid"


def raise_if(errors: dict[str, list[str]]) -> None:
    """Raise Invalid with every field's messages (the first one as the message), if any."""
    if errors:
        first = next(iter(errors.values()))[0]
        raise Invalid(first, details=errors)
