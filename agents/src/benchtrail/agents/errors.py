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


class ResourceBusy(AgentError, TimeoutError):
    """An instrument's lock is held by someone else.

    Attributes:
        key: the lock's key in the ``bt_locks`` bucket.
        holder: who holds it (station, session, host, pid, since), as it was read.
    """

    def __init__(self, key: str, holder: str, waited: float) -> None:
        self.key = key
        self.holder = holder
        self.waited = waited
        after = f" after waiting {waited:g} s" if waited else ""
        super().__init__(f"resource {key!r} is held by {holder}{after}")


class LeaseLost(AgentError, RuntimeError):
    """This process no longer holds a lock it took: its lease ran out or was broken."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"lock {key!r} is no longer held: {reason}")
