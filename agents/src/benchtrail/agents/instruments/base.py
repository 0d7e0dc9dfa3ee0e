"""The instrument base: SCPI over a pyvisa resource, guarded, timed and recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import ClassVar, Literal, Self

import msgspec
import pyvisa
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

    Args:
        alias: the instrument's name on the station (``"dmm"``).
        resource: an open pyvisa message-based resource (real or ``@sim``).
        recorder: receives an :class:`InstrumentCallRecord` per recorded call.
        level: which calls are recorded: ``"off"``, ``"errors"`` or ``"all"``.
        guard: called before every call; its exception stops the call.
        safety: safety limits by name (see the driver's ``safety_limits``).
        check_errors_after_write: query ``SYST:ERR?`` after each setting command.
    """

    kind: ClassVar[str] = "instrument"
    """The driver kind (``"dmm"``, ``"psu"``, …)."""
    safety_limits: ClassVar[tuple[str, ...]] = ()
    """The safety limits this driver enforces."""

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
    ) -> None:
        self.alias = alias
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
        answer = self.query(command)
        try:
            return float(answer)
        except ValueError as e:
            raise InstrumentError(self.alias, command, f"expected a number, got {answer!r}") from e

    def query_bool(self, command: str) -> bool:
        """Send a query whose reply is a SCPI boolean (``1``/``0``/``ON``/``OFF``)."""
        answer = self.query(command).strip().upper()
        if answer in ("1", "ON"):
            return True
        if answer in ("0", "OFF"):
            return False
        raise InstrumentError(self.alias, command, f"expected 0 or 1, got {answer!r}")

    def identify(self) -> str:
        """Return the instrument's ``*IDN?`` answer."""
        return self.query("*IDN?")

    def send_setting(self, command: str) -> None:
        """Send a setting command, then check the error queue when configured to."""
        self.write(command)
        if self.check_errors_after_write:
            self.check_errors()

    def check_errors(self) -> None:
        """Drain ``SYST:ERR?``; raise :class:`InstrumentError` if it reported anything.

        Raises:
            InstrumentError: naming the instrument and the last command sent before,
                with every error the instrument reported.
        """
        failed_after = self._last_command
        errors: list[str] = []
        for _ in range(_MAX_QUEUED_ERRORS):
            answer = self._call("SYST:ERR?", reply=True, failed_after=failed_after)
            error = _instrument_error(answer or "")
            if error is None:
                break
            errors.append(error)
        if errors:
            raise InstrumentError(self.alias, failed_after, "; ".join(errors))

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

    def _call(self, command: str, *, reply: bool, failed_after: str | None = None) -> str | None:
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
