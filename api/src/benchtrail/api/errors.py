"""Errors raised by :mod:`benchtrail.api`."""

from __future__ import annotations

from benchtrail.schemas import BenchtrailError


class ApiError(BenchtrailError):
    """Base class of API, client and CLI errors."""


class HubStartError(ApiError, RuntimeError):
    """The embedded nats-server did not start."""

    def __init__(self, reason: str, log_tail: str = "") -> None:
        self.reason = reason
        self.log_tail = log_tail
        detail = f"\n--- nats-server said ---\n{log_tail}" if log_tail else ""
        super().__init__(f"nats-server did not start: {reason}{detail}")


class NotFound(ApiError, LookupError):
    """A session, run or other entity does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class BadParameter(ApiError, ValueError):
    """A query parameter has a value the API cannot use."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"parameter {name!r}: expected {expected}, got {value!r}")
