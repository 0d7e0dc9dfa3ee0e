"""Python log records of a test → ``log`` events of its run.

Adapters and the pytest plugin record the test's log records at or above a level
(default ``WARNING``) as ``log`` events, stamped with the record's own time and
tagged with the run, so they can be read per run (``GET /api/runs/{id}/logs``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from benchtrail.agents.errors import AgentError, InvalidMetadata
from benchtrail.agents.sink import EventSink
from benchtrail.schemas import MAX_LOG_MESSAGE, MAX_NAME, Log, LogLevel

__all__ = [
    "DEFAULT_LOG_LEVEL",
    "RunLogHandler",
    "capture_logs",
    "clip_message",
    "level_name",
    "log_level",
]

DEFAULT_LOG_LEVEL = logging.WARNING
"""Log records below this level are not recorded unless asked for."""

_CLIP = "… [clipped]"
_NOT_RECORDED = ("benchtrail", "nats")
"""Loggers whose records are never recorded: the station's own and its NATS client's
(recording them could feed back into the publisher that logged them)."""


def log_level(level: int | str) -> int:
    """A level as a number: ``logging.INFO``, ``20``, ``"info"`` or ``"INFO"``.

    Raises:
        InvalidMetadata: not a level ``logging`` knows.
    """
    if isinstance(level, bool):
        raise InvalidMetadata("log level", level, "a logging level such as 'WARNING' or 30")
    if isinstance(level, int):
        return level
    number = logging.getLevelName(str(level).upper())
    if not isinstance(number, int):
        raise InvalidMetadata(
            "log level", level, "DEBUG, INFO, WARNING, ERROR, CRITICAL or a number"
        )
    return number


def level_name(levelno: int) -> LogLevel:
    """The ``Log`` level of a ``logging`` level number (custom levels round down)."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def clip_message(message: str) -> str:
    """A message of at most :data:`MAX_LOG_MESSAGE` characters (a longer one says it is clipped)."""
    if len(message) <= MAX_LOG_MESSAGE:
        return message
    return message[: MAX_LOG_MESSAGE - len(_CLIP)] + _CLIP


def record_ns(created: float) -> int | None:
    """A log record's time (seconds since the epoch) in ns, ``None`` when it has none."""
    if not math.isfinite(created) or created <= 0:
        return None
    return round(created * 1_000_000_000)


class RunLogHandler(logging.Handler):
    """A ``logging`` handler recording each record as a ``log`` event of one run.

    Records of benchtrail's own loggers and of the NATS client are left out
    (recording them could loop).

    Args:
        station: the running station session.
        run_id: the run the records belong to.
        level: the lowest level recorded (default ``WARNING``).
    """

    def __init__(self, station: EventSink, run_id: str, level: int = DEFAULT_LOG_LEVEL) -> None:
        super().__init__(level)
        self.station = station
        self.run_id = run_id

    def emit(self, record: logging.LogRecord) -> None:
        """Record one log record (never raises: a log line must not fail the test)."""
        if record.name.startswith(_NOT_RECORDED):
            return
        try:
            self.station.emit(
                Log,
                at=record_ns(record.created),
                level=level_name(record.levelno),
                message=clip_message(record.getMessage()),
                logger=record.name[:MAX_NAME],
                run_id=self.run_id,
                source=f"{record.filename}:{record.lineno}"[:MAX_NAME],
            )
        except AgentError:  # the session ended, a bad time: logging reports, never raises
            self.handleError(record)


@contextmanager
def capture_logs(
    station: EventSink,
    run_id: str,
    level: int = DEFAULT_LOG_LEVEL,
    loggers: Sequence[str] = ("",),
) -> Iterator[RunLogHandler]:
    """Record the log records of ``loggers`` (default: all) at ``level`` and above in a run.

    The loggers' own levels are lowered to ``level`` for the block when needed
    (and put back after), so that a ``WARNING`` root logger still hands over an
    ``INFO`` record when ``INFO`` is asked for.
    """
    handler = RunLogHandler(station, run_id, level)
    attached = [logging.getLogger(name) for name in loggers]
    levels = [logger.level for logger in attached]
    for logger in attached:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > level:
            logger.setLevel(level)
    try:
        yield handler
    finally:
        for logger, previous in zip(attached, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(previous)
