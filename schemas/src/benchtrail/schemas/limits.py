"""Limits an event must keep: checked by the agent at the call, and by the projector again.

The agent refuses a bad value when it is recorded (``benchtrail.agents.validation``);
the projector refuses the same things in an event a station built by hand
(``benchtrail.projector.validation``) and dead-letters it. Both read the numbers
and the small checks here, so the two sides cannot drift apart.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Final

import msgspec

MAX_NAME: Final = 256
"""Longest name of a measurement, step or run (characters)."""
MAX_ATTACHMENT_NAME: Final = 255
"""Characters of an attachment's name, at most (a file name on most file systems)."""
DEFAULT_MAX_ATTACHMENT_BYTES: Final = 64 * 1024 * 1024
"""Bytes of one attachment, at most, unless the station's ``outbox`` says otherwise."""
MAX_TEXT_VALUE: Final = 64 * 1024
"""Longest text value of a measurement (characters)."""
MAX_DESCRIPTION: Final = 4096
"""Longest description of a measurement (characters): OpenHTF docstrings and the like."""
MAX_LOG_MESSAGE: Final = 64 * 1024
"""Longest message of a ``log`` event (characters); longer ones are clipped by the agent."""
MAX_STRUCTURED_METADATA: Final = 256 * 1024
"""Longest ``structured_metadata`` of a run (characters of its JSON text)."""
MAX_METADATA_DEPTH: Final = 32
"""Deepest nesting of a run's ``structured_metadata`` (the HTTP API's JSON bound too)."""
EARLIEST_NS: Final = 946_684_800_000_000_000
"""2000-01-01T00:00:00Z: no event is older."""
FUTURE_SLACK_NS: Final = 86_400_000_000_000
"""One day: how far ahead of the hub's clock an event's ``occurred_at`` may be."""
DAY_NS: Final = 86_400_000_000_000
"""Nanoseconds in a UTC day (the warehouse partitions every table by UTC day)."""
MAX_FRAME_DAYS: Final = 32
"""Most distinct UTC days one frame's times may touch: each day is a warehouse part."""
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class TimeWindow(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The times an event may carry: ``[earliest, now + future_slack]`` (UTC).

    Every event time is checked against it: the envelope's ``occurred_at`` and
    each point of a ``measurement.batch``. The station refuses a bad time at the
    call; the projector dead-letters an event carrying one.

    Attributes:
        earliest: the first UTC day an event may be from (default 2000-01-01).
        future_slack: seconds an event may lie ahead of the clock that checks it
            (default one day: clocks drift, time zones get confused).
    """

    earliest: dt.date = dt.date(2000, 1, 1)
    future_slack: Annotated[float, msgspec.Meta(ge=0)] = FUTURE_SLACK_NS / 1e9

    @property
    def earliest_ns(self) -> int:
        """The window's start, ns since the epoch."""
        return calendar.timegm(self.earliest.timetuple()) * 1_000_000_000

    def latest_ns(self, now_ns: int) -> int:
        """The window's end for a clock reading ``now_ns``."""
        return now_ns + round(self.future_slack * 1e9)

    def describe(self, now_ns: int) -> str:
        """The window in words: ``[2000-01-01T00:00:00Z, 2026-12-08T01:22:03Z (now + 1 day)]``."""
        slack, days = self.future_slack, self.future_slack / 86_400
        if slack and slack % 86_400 == 0:
            ahead = f"{days:g} day" + ("" if days == 1 else "s")
        else:
            ahead = f"{slack:g} s"
        return (
            f"[{format_ns(self.earliest_ns)}, {format_ns(self.latest_ns(now_ns))} (now + {ahead})]"
        )

    def first_outside(self, stamps: Sequence[int], now_ns: int) -> tuple[int, int] | None:
        """The index and value of the first time outside the window, or ``None``."""
        if not stamps:
            return None
        lo, hi = self.earliest_ns, self.latest_ns(now_ns)
        if lo <= min(stamps) and max(stamps) <= hi:
            return None
        for index, stamp in enumerate(stamps):
            if not lo <= stamp <= hi:
                return index, stamp
        return None  # pragma: no cover  # min/max said one is outside


DEFAULT_TIME_WINDOW: Final = TimeWindow()
"""The window used unless a station's or projector's settings give another."""


def format_ns(ns: int) -> str:
    """A time in ns since the epoch as ISO 8601 UTC to the second (the ns if out of range)."""
    try:
        moment = _EPOCH + dt.timedelta(microseconds=ns // 1000)
    except OverflowError:
        return f"{ns} ns"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_days(occurred_at: int, stamps: Sequence[int] = ()) -> set[int]:
    """The distinct UTC days (days since the epoch) an event's times fall on.

    Args:
        occurred_at: the event's ``occurred_at`` (ns since the epoch).
        stamps: its points' timestamps, for a ``measurement.batch``.
    """
    days = {occurred_at // DAY_NS}
    if stamps:
        first, last = min(stamps) // DAY_NS, max(stamps) // DAY_NS
        if first == last:
            days.add(first)
        else:
            days.update(stamp // DAY_NS for stamp in stamps)
    return days


def is_blank(name: str) -> bool:
    """Whether a name is empty or only whitespace (no name at all)."""
    return not name or name.isspace()


def is_text_too_long(text: str) -> bool:
    """Whether a measurement's text value is longer than :data:`MAX_TEXT_VALUE`."""
    return len(text) > MAX_TEXT_VALUE


def are_limits_inverted(low: float | None, high: float | None) -> bool:
    """Whether both limits are given and the low one is above the high one."""
    return low is not None and high is not None and low > high
