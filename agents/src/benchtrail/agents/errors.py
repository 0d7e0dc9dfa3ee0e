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


class InvalidTime(AgentError, ValueError):
    """An explicit occurrence time (``at=``, ``started_at=``, ``ended_at=``) was refused.

    Nothing was recorded for the call.
    """

    def __init__(self, what: str, value: object, problem: str) -> None:
        self.what = what
        self.value = value
        self.problem = problem
        super().__init__(f"{what}: {problem}")


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


class LockNotReleased(AgentError, RuntimeError):
    """A lock could not be given back: its key may stay held until the lease runs out.

    Attributes:
        key: the lock's key in the ``bt_locks`` bucket.
        station_id: the station that held it.
        reason: why the release failed (the hub's or the connection's error).
    """

    def __init__(self, key: str, station_id: str, reason: str) -> None:
        self.key = key
        self.station_id = station_id
        self.reason = reason
        super().__init__(
            f"lock {key!r} of station {station_id!r} was not released: {reason};"
            " it stays held until its lease runs out"
        )


class ConfigError(AgentError, ValueError):
    """A station configuration file (or environment variable) has a value that cannot be used.

    Attributes:
        file: where the value came from (``benchtrail.yaml``, ``env BENCHTRAIL_HUB``);
            empty when no file was involved.
        key_path: the dotted key (``instruments.dmm.resource``); empty for the whole file.
        problem: what was expected and what was found.
        line: the line in ``file`` (1-based), 0 when not known.
    """

    def __init__(self, file: str, key_path: str, problem: str, line: int = 0) -> None:
        self.file = file
        self.key_path = key_path
        self.problem = problem
        self.line = line
        where = f"{file}:{line}" if file and line else file
        super().__init__(": ".join(part for part in (where, key_path, problem) if part))


class InstrumentError(AgentError, IOError):
    """An instrument call failed: the I/O failed or the instrument reported an error.

    Attributes:
        instrument: the instrument's alias on the station (``"psu"``).
        command: the SCPI command that failed, or after which the error was reported.
        detail: what went wrong (the VISA error, or the ``SYST:ERR?`` answer).
    """

    def __init__(self, instrument: str, command: str, detail: str) -> None:
        self.instrument = instrument
        self.command = command
        self.detail = detail
        super().__init__(f"instrument {instrument!r}, command {command!r}: {detail}")


class SafetyLimitExceeded(AgentError, ValueError):
    """A setting was refused before it was sent: it is beyond the station's safety limit.

    Attributes:
        instrument: the instrument's alias on the station.
        setting: the setting refused (``"voltage"``).
        value: the value asked for.
        limit: the safety limit it exceeds.
    """

    def __init__(self, instrument: str, setting: str, value: float, limit: float) -> None:
        self.instrument = instrument
        self.setting = setting
        self.value = value
        self.limit = limit
        super().__init__(
            f"instrument {instrument!r}: {setting} {value:g} is beyond the safety limit "
            f"{limit:g}; nothing was sent"
        )


class UnknownSafetyLimit(AgentError, ValueError):
    """A safety limit was given that the instrument's driver does not know."""

    def __init__(self, instrument: str, name: str, known: tuple[str, ...]) -> None:
        self.instrument = instrument
        self.name = name
        self.known = known
        super().__init__(
            f"instrument {instrument!r}: unknown safety limit {name!r} (known: {', '.join(known)})"
        )


class InvalidParameter(AgentError, ValueError):
    """A sweep parameter cannot be used: bad name, no values, or a value that cannot be recorded."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"parameter {name!r}: {problem}")


class AcquireSignatureError(AgentError, TypeError):
    """An acquire function or task asks for an argument the session cannot give.

    Raised by ``run()`` before the first point, so nothing has been measured.
    """

    def __init__(self, function: str, argument: str, known: list[str]) -> None:
        self.function = function
        self.argument = argument
        self.known = known
        offered = ", ".join(known) or "none"
        super().__init__(
            f"{function}() asks for argument {argument!r}, which is neither an instrument"
            f" nor a parameter of this session (available: {offered})"
        )


class AcquireResultError(AgentError, TypeError):
    """An acquire function returned something other than a mapping of result names to values."""

    def __init__(self, function: str, problem: str) -> None:
        self.function = function
        self.problem = problem
        super().__init__(f"{function}(): {problem}; nothing of this point was recorded")


class TaskFailed(AgentError, RuntimeError):
    """A background task of a measurement session raised; the run was stopped.

    Attributes:
        task: the task function's name.
        cause: the exception the task raised (also ``__cause__``).
    """

    def __init__(self, task: str, cause: BaseException) -> None:
        self.task = task
        self.cause = cause
        super().__init__(f"task {task!r} failed: {cause!r}; the run was stopped")


class OutboxFull(AgentError, RuntimeError):
    """The station's outbox holds ``limit`` bytes the hub has not acknowledged yet.

    With ``outbox.on_full: refuse`` a new session is refused; nothing recorded is dropped.

    Attributes:
        path: the station's outbox directory.
        pending_bytes: bytes waiting for the hub's acknowledgement.
        limit: ``outbox.max_bytes``.
        hub: the hub URL.
        last_error: the last publishing error seen, if any.
    """

    def __init__(
        self, path: str, pending_bytes: int, limit: int, hub: str, last_error: str
    ) -> None:
        self.path = path
        self.pending_bytes = pending_bytes
        self.limit = limit
        self.hub = hub
        self.last_error = last_error
        cause = f"; last error: {last_error}" if last_error else ""
        super().__init__(
            f"outbox {path!r} holds {pending_bytes:,} bytes not yet acknowledged by the hub at "
            f"{hub!r} (limit {limit:,}){cause}; bring the hub back and run "
            "'benchtrail outbox flush', or raise outbox.max_bytes"
        )


class OutboxUnavailable(AgentError, OSError):
    """The station's outbox file cannot be opened or written.

    Attributes:
        path: the outbox file or directory.
        problem: what failed.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"outbox {path!r}: {problem}")


class PermissionDenied(AgentError, PermissionError):
    """The hub refused what this station's credentials do not allow (nothing was lost).

    Attributes:
        station_id: the station.
        operation: ``"publish"`` or ``"subscribe"``.
        subject: the NATS subject refused.
        credentials: the station's credentials file (``""``: none given).
    """

    def __init__(self, station_id: str, operation: str, subject: str, credentials: str) -> None:
        self.station_id = station_id
        self.operation = operation
        self.subject = subject
        self.credentials = credentials
        super().__init__(
            f"station {station_id!r} may not {operation} to {subject!r}: the hub refused it "
            f"(credentials {credentials or 'none'!r}); events not acknowledged stay in the "
            "outbox. Check the station id matches the credentials "
            f"('benchtrail station add {station_id}' on the hub)"
        )


class CredentialsRefused(AgentError, PermissionError):
    """The hub did not accept the station's credentials (missing, wrong or revoked).

    Attributes:
        station_id: the station.
        credentials: the credentials file (``""``: none given).
        hub: the hub URL.
    """

    def __init__(self, station_id: str, credentials: str, hub: str) -> None:
        self.station_id = station_id
        self.credentials = credentials
        self.hub = hub
        given = f"the credentials {credentials!r}" if credentials else "no credentials"
        super().__init__(
            f"the hub at {hub!r} refused station {station_id!r} with {given}: "
            "ask the hub's admin for a credentials file ('benchtrail station add "
            f"{station_id}') and set 'credentials:' or BENCHTRAIL_CREDENTIALS; recorded events "
            "stay in the outbox"
        )


class InvalidAttachment(AgentError, ValueError):
    """An attachment was refused at the call (its name, source or type); nothing was recorded."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"attachment {name[:80]!r}: {problem}")


class AttachmentTooLarge(AgentError, ValueError):
    """An attachment is larger than the station allows (``outbox.max_attachment_bytes``)."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        self.name = name
        self.size = size
        self.limit = limit
        super().__init__(
            f"attachment {name[:80]!r} is {size} bytes; at most {limit} bytes are allowed"
            " (outbox.max_attachment_bytes)"
        )


class SpoolAltered(AgentError, ValueError):
    """A spooled attachment's bytes no longer have the sha256 its file is named by."""

    def __init__(self, digest: str, actual: str) -> None:
        self.digest = digest
        self.actual = actual
        super().__init__(f"the spooled bytes of attachment {digest!r} have sha256 {actual!r}")
