"""Errors raised by :mod:`benchtrail.projector`."""

from __future__ import annotations

from benchtrail.schemas import BenchtrailError


class ProjectorError(BenchtrailError):
    """Base class of projector errors."""


class WarehouseUnavailable(ProjectorError, ConnectionError):
    """The warehouse (chDB data directory or ClickHouse server) cannot be opened."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"cannot open the warehouse at {target!r}: {reason}")


class HubUnavailable(ProjectorError, ConnectionError):
    """The NATS hub cannot be reached."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach the hub at {url!r}: {reason}")
