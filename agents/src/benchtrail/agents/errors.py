"""Errors raised by :mod:`benchtrail.agents`."""

from __future__ import annotations

from benchtrail.schemas import BenchtrailError


class AgentError(BenchtrailError):
    """Base class of station agent errors."""


class InvalidMeasurement(AgentError, ValueError):
    """A measurement was refused at the call; nothing was recorded for it."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"measurement {name!r}: {problem}")


class InvalidMetadata(AgentError, ValueError):
    """Session or run metadata has a value that cannot be recorded."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: expected {expected}, got {value!r}")


class SessionNotActive(AgentError, RuntimeError):
    """The station session was not started, or has already stopped."""

    def __init__(self, station_id: str, state: str) -> None:
        self.station_id = station_id
        self.state = state
        super().__init__(
            f"station {station_id!r} session is {state}: call start() or use 'with connect(...)'"
        )


class RunNotActive(AgentError, RuntimeError):
    """A measurement was recorded on a run that has already ended."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"run {run_id!r} has ended; start a new run to record more")


class Unacknowledged(AgentError, TimeoutError):
    """Events were not acknowledged by the hub within the time allowed.

    Attributes:
        count: events recorded but not (yet) acknowledged by JetStream.
        hub: the hub URL.
        last_error: the last publishing error seen, if any.
    """

    def __init__(self, count: int, hub: str, timeout: float, last_error: str) -> None:
        self.count = count
        self.hub = hub
        self.timeout = timeout
        self.last_error = last_error
        cause = f" (last error: {last_error})" if last_error else ""
        super().__init__(
            f"{count} event(s) not acknowledged by the hub at {hub!r} after {timeout:g} s{cause}"
        )
