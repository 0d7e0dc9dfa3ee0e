"""The instrument base: SCPI over a pyvisa resource, guarded, timed and recorded."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import ClassVar, Literal, Self, TypeVar

import msgspec
import pyvisa
from pyvisa.constants import StatusCode
from pyvisa.resources import MessageBasedResource

from benchtrail.agents.errors import InstrumentError, SafetyLimitExceeded, UnknownSafetyLimit

RecordLevel = Literal["off", "errors", "all"]
"""Which instrument calls are recorded: none, only failing ones, or every call."""


class InstrumentCallRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One call to an instrument, as recorded for an ``instrument.call`` event."""

    instrument: str
    """The instrument's alias on the station (``"psu"``)."""
    resource: str
    """The VISA resource name the instrument was opened with."""
    command: str
    """The SCPI command sent."""
    response: str | None
    """The reply to a query; ``None`` for a write or a failed call."""
    duration_ns: int
    """How long the call took (``perf_counter_ns``)."""
    error: str | None
    """What went wrong, or ``None`` when the call succeeded."""
    occurred_at: int
    """When the call started, ns since the epoch (UTC)."""


Recorder = Callable[[InstrumentCallRecord], None]
"""Receives call records; must only append to a buffer, never wait on the network."""

Guard = Callable[[], None]
"""Called before every instrument call; raises to stop it (e.g. a lost lock lease)."""

_MAX_QUEUED_ERRORS = 32
_MAX_STRAY_REPLIES = 16
_DRAIN_TIMEOUT_MS = 100
_ERROR_ANSWER = re.compile(r"\s*[+-]?\d+\s*(,.*)?", re.DOTALL)
"""What a ``SYST:ERR?`` answer looks like: a code, then a quoted message."""

T = TypeVar("T")


class OutOfStep(ValueError):
    """A reply that cannot be the answer to the query just sent (parsed or timed out)."""


def _as_float(answer: str) -> float:
    try:
        return float(answer)
    except ValueError as e:
        raise OutOfStep(f"expected a number, got {answer!r}") from e


def _as_bool(answer: str) -> bool:
    word = answer.strip().upper()
    if word in ("1", "ON"):
        return True
    if word in ("0", "OFF"):
        return False
    raise OutOfStep(f"expected 0 or 1, got {word!r}")


def _timed_out(error: pyvisa.errors.Error) -> bool:
    return getattr(error, "error_code", None) == StatusCode.error_timeout


def _instrument_error(answer: str) -> str | None:
    """Return the ``SYST:ERR?`` answer when it reports an error, else ``None``."""
    code, _, _ = answer.strip().partition(",")
    try:
        return None if int(code) == 0 else answer.strip()
    except ValueError:
        return answer.strip() or "empty answer"


class Instrument:
    """A message-based instrument spoken to in SCPI through pyvisa.

    Every call first runs the guard, is timed, has pyvisa errors turned into
    :class:`InstrumentError` and is passed to the recorder according to ``level``.

    I/O is serialised by ``io_lock`` (one per device: instruments opened on the same
    resource share it), so a command and its reply, and a setting and its error-queue
    check, are never split by another thread. A reply out of step (a query timed out,
    or a typed query read an answer of the wrong form, such as a ``SYST:ERR?`` answer
    left in the buffer) is recovered: the device is cleared, stray replies and the
    error queue are read dry, the recovery is recorded as a failed call, and the call
    is tried once more before :class:`InstrumentError` is raised.

    Args:
        alias: the instrument's name on the station (``"dmm"``).
        resource: an open pyvisa message-based resource (real or ``@sim``).
        recorder: receives an :class:`InstrumentCallRecord` per recorded call.
        level: which calls are recorded: ``"off"``, ``"errors"`` or ``"all"``.
        guard: called before every call; its exception stops the call.
        safety: safety limits by name (see the driver's ``safety_limits``).
        check_errors_after_write: query ``SYST:ERR?`` after each setting command.
        io_lock: the lock serialising I/O to the device (by default one of its own).
    """

    kind: ClassVar[str] = "instrument"
    """The driver kind (``"dmm"``, ``"psu"``, …)."""
    safety_limits: ClassVar[tuple[str, ...]] = ()
    """The safety limits this driver enforces."""
    setting_ranges: ClassVar[Mapping[str, tuple[float, float]]] = {}
    """The range of each numeric setting the driver is made for, by name (lowest, highest).

    Not enforced (the instrument refuses what it cannot do); the shipped simulation
    accepts every value in it, at the precision the driver sends.
    """

    def __init__(
        self,
        alias: str,
        resource: MessageBasedResource,
        *,
        recorder: Recorder | None = None,
        level: RecordLevel = "errors",
        guard: Guard | None = None,
        safety: Mapping[str, float] | None = None,
        check_errors_after_write: bool = True,
        io_lock: threading.RLock | None = None,
    ) -> None:
        self.alias = alias
        self.io_lock = io_lock or threading.RLock()
        self.recoveries = 0
        """How many times a reply out of step was recovered from."""
        self.resource = resource
        self.recorder = recorder
        self.level: RecordLevel = level
        self.guard = guard
        self.check_errors_after_write = check_errors_after_write
        self.safety = dict(safety or {})
        for name in self.safety:
            if name not in self.safety_limits:
                raise UnknownSafetyLimit(alias, name, self.safety_limits)
        self._last_command = ""

    @property
    def resource_name(self) -> str:
        """The VISA resource name the instrument was opened with."""
        return str(self.resource.resource_name)

    def write(self, command: str) -> None:
        """Send a command that has no reply."""
        self._call(command, reply=False)

    def query(self, command: str) -> str:
        """Send a query and return its reply (without the termination)."""
        return self._call(command, reply=True) or ""

    def query_float(self, command: str) -> float:
        """Send a query whose reply is one number."""
        return self._query_as(command, _as_float)

    def query_bool(self, command: str) -> bool:
        """Send a query whose reply is a SCPI boolean (``1``/``0``/``ON``/``OFF``)."""
        return self._query_as(command, _as_bool)

    def identify(self) -> str:
        """Return the instrument's ``*IDN?`` answer."""
        return self.query("*IDN?")

    def send_setting(self, command: str) -> None:
        """Send a setting command, then check the error queue when configured to."""
        with self.io_lock:
            self.write(command)
            if self.check_errors_after_write:
                self.check_errors()

    def check_errors(self) -> None:
        """Drain ``SYST:ERR?``; raise :class:`InstrumentError` if it reported anything.

        Raises:
            InstrumentError: naming the instrument and the last command sent before,
                with every error the instrument reported.
        """
        with self.io_lock:
            failed_after = self._last_command
            try:
                errors = self._drain_errors(failed_after)
            except OutOfStep as e:
                self._recover("SYST:ERR?", str(e))
                errors = self._drain_errors(failed_after)
        if errors:
            raise InstrumentError(self.alias, failed_after, "; ".join(errors))

    def _drain_errors(self, failed_after: str) -> list[str]:
        errors: list[str] = []
        for _ in range(_MAX_QUEUED_ERRORS):
            answer = self._call("SYST:ERR?", reply=True, failed_after=failed_after) or ""
            if not _ERROR_ANSWER.fullmatch(answer):
                raise OutOfStep(f"expected an error-queue answer, got {answer!r}")
            error = _instrument_error(answer)
            if error is None:
                break
            errors.append(error)
        return errors

    def enforce_limit(self, setting: str, value: float, limit_name: str) -> None:
        """Refuse ``value`` for ``setting`` if it is beyond the safety limit ``limit_name``.

        Raises:
            SafetyLimitExceeded: the value is above the limit (or not a number).
        """
        limit = self.safety.get(limit_name)
        if limit is not None and not value <= limit:
            raise SafetyLimitExceeded(self.alias, setting, value, limit)

    def safe_state(self) -> None:
        """Put the instrument in a safe state (outputs off); nothing for a passive one."""

    def close(self) -> None:
        """Close the VISA session."""
        self.resource.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.alias!r}, {self.resource_name!r})"

    def _query_as(self, command: str, parse: Callable[[str], T]) -> T:
        """Query and parse the reply; a reply of the wrong form is recovered from once."""
        with self.io_lock:
            try:
                return parse(self.query(command))
            except OutOfStep as e:
                self._recover(command, str(e))
            try:
                return parse(self.query(command))
            except OutOfStep as e:
                raise InstrumentError(self.alias, command, str(e)) from e

    def _call(self, command: str, *, reply: bool, failed_after: str | None = None) -> str | None:
        """One guarded, recorded call; a timeout is recovered from and the call tried once more."""
        with self.io_lock:
            try:
                return self._call_once(command, reply, failed_after)
            except InstrumentError as e:
                if not isinstance(e.__cause__, pyvisa.errors.Error) or not _timed_out(e.__cause__):
                    raise
                self._recover(command, e.detail)
            try:
                return self._call_once(command, reply, failed_after)
            except InstrumentError as e:
                if isinstance(e.__cause__, pyvisa.errors.Error) and _timed_out(e.__cause__):
                    self._recover(command, e.detail, retrying=False)  # leave it in step
                raise

    def _call_once(self, command: str, reply: bool, failed_after: str | None) -> str | None:
        if self.guard is not None:
            self.guard()
        occurred_at = time.time_ns()
        start = time.perf_counter_ns()
        try:
            response = self._transfer(command, reply)
        except pyvisa.errors.Error as e:
            self._record(command, None, time.perf_counter_ns() - start, str(e), occurred_at)
            raise InstrumentError(self.alias, command, str(e)) from e
        duration = time.perf_counter_ns() - start
        error = None
        if failed_after is None:
            self._last_command = command
        else:
            reported = _instrument_error(response or "")
            error = f"after {failed_after!r}: {reported}" if reported else None
        self._record(command, response, duration, error, occurred_at)
        return response

    def _recover(self, command: str, problem: str, *, retrying: bool = True) -> None:
        """Bring replies back in step: clear the device, read stray replies and errors dry.

        Recorded as a failed call of ``command`` whose error says what was found.
        """
        occurred_at = time.time_ns()
        start = time.perf_counter_ns()
        self.recoveries += 1
        cleared = self._clear()
        stray = self._read_stray_replies()
        queued = self._read_error_queue_dry()
        note = (
            f"reply out of step ({problem}); recovered: "
            f"{'device cleared, ' if cleared else ''}stray replies discarded {stray!r}, "
            f"error queue read dry {queued!r}; {'retrying once' if retrying else 'not retried'}"
        )
        self._record(command, None, time.perf_counter_ns() - start, note, occurred_at)

    def _clear(self) -> bool:
        try:
            self.resource.clear()
        except (NotImplementedError, pyvisa.errors.Error):  # pyvisa-sim has no device clear
            return False
        return True

    def _read_stray_replies(self) -> list[str]:
        stray: list[str] = []
        timeout = self.resource.timeout
        self.resource.timeout = _DRAIN_TIMEOUT_MS
        try:
            for _ in range(_MAX_STRAY_REPLIES):
                stray.append(str(self.resource.read()))
        except pyvisa.errors.Error:  # nothing more to read
            pass
        finally:
            self.resource.timeout = timeout
        return stray

    def _read_error_queue_dry(self) -> list[str]:
        queued: list[str] = []
        for _ in range(_MAX_QUEUED_ERRORS):
            try:
                answer = str(self.resource.query("SYST:ERR?"))
            except pyvisa.errors.Error:
                break
            if _ERROR_ANSWER.fullmatch(answer) and _instrument_error(answer) is None:
                break
            queued.append(answer)
        return queued

    def _transfer(self, command: str, reply: bool) -> str | None:
        if reply:
            return str(self.resource.query(command))
        self.resource.write(command)
        return None

    def _record(
        self, command: str, response: str | None, duration_ns: int, error: str | None, at: int
    ) -> None:
        if self.recorder is None or self.level == "off":
            return
        if self.level == "errors" and error is None:
            return
        self.recorder(
            InstrumentCallRecord(
                instrument=self.alias,
                resource=self.resource_name,
                command=command,
                response=response,
                duration_ns=duration_ns,
                error=error,
                occurred_at=at,
            )
        )
