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


class FrameRejected(ProjectorError, ValueError):
    """A message on ``BT_EVENTS`` cannot be projected; it belongs in ``BT_DEAD``.

    Attributes:
        subject: the subject the message was published on.
        kind: a short, stable name of the problem (e.g. ``"undecodable"``).
        detail: what exactly was wrong.
        reason: ``"<kind>: <detail>"``, the text kept in the dead letter's reason header.
    """

    def __init__(self, subject: str, kind: str, detail: str) -> None:
        self.subject = subject
        self.kind = kind
        self.detail = detail
        self.reason = f"{kind}: {detail}"
        super().__init__(f"message on {subject!r} rejected: {self.reason}")


class IngestTimeout(ProjectorError, TimeoutError):
    """The projector did not get as far as waited for within the time given.

    Attributes:
        condition: what was waited for, e.g. ``"stream sequence 12 ingested"``.
        ingested_through: every stream sequence up to this one was written when time ran out.
        timeout: seconds waited.
    """

    def __init__(self, condition: str, ingested_through: int, timeout: float) -> None:
        self.condition = condition
        self.ingested_through = ingested_through
        self.timeout = timeout
        super().__init__(
            f"{condition}: not within {timeout} s (ingested through stream sequence "
            f"{ingested_through})"
        )


class ProjectorStateError(ProjectorError, RuntimeError):
    """A projector was asked to do something its state does not allow (start it twice)."""

    def __init__(self, state: str, action: str) -> None:
        self.state = state
        self.action = action
        super().__init__(f"cannot {action} a projector that is {state}")
