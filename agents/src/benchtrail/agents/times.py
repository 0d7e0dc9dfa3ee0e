"""Explicit occurrence times: when the test tool says something happened.

Every recording call takes the time it happened, if known, as ``at=`` (a moment:
an event, a measurement, a log line) or ``started_at=`` / ``ended_at=`` (a run or
a step): ns since the epoch as an ``int``, or a ``datetime`` with a time zone.
Without one, the event is stamped when the call is made. ``seq`` keeps the order
things were recorded in whatever the times say.

An explicit time is checked like every event time: inside the station's
:class:`~benchtrail.schemas.TimeWindow`, or the call raises :class:`InvalidTime`
and records nothing.
"""

from __future__ import annotations

import datetime as dt

from benchtrail.agents.errors import InvalidTime
from benchtrail.schemas import TimeWindow, format_ns, now_ns

__all__ = ["When", "check_time", "to_ns"]

When = int | dt.datetime
"""An occurrence time: ns since the epoch (UTC), or a time-zone-aware ``datetime``."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EXPECTED = "ns since the epoch (int) or a datetime with a time zone"


def to_ns(what: str, when: When) -> int:
    """``when`` in ns since the epoch; a naive ``datetime`` (no time zone) is refused.

    Args:
        what: names the time in the error (``"run.measure(at=)"``).
        when: the time given.

    Raises:
        InvalidTime: not an ``int`` or an aware ``datetime``.
    """
    if isinstance(when, dt.datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise InvalidTime(
                what, when, f"expected {_EXPECTED}, got the naive datetime {when!r} (ambiguous)"
            )
        delta = when - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if isinstance(when, bool) or not isinstance(when, int):
        raise InvalidTime(what, when, f"expected {_EXPECTED}, got {when!r}")
    return when


def check_time(what: str, when: When | None, window: TimeWindow) -> int | None:
    """``when`` in ns, checked against ``window``; ``None`` (stamp at the call) stays ``None``.

    Raises:
        InvalidTime: not a time, or outside the window (the message shows both).
    """
    if when is None:
        return None
    ns = to_ns(what, when)
    now = now_ns()
    if window.first_outside([ns], now) is not None:
        raise InvalidTime(
            what,
            when,
            f"{ns} ns ({format_ns(ns)}) is outside the time window {window.describe(now)}",
        )
    return ns
