"""What a demo station is doing, and how long it waits after an error."""

from __future__ import annotations

from typing import Literal

import msgspec

DemoState = Literal["starting", "recording", "backing off", "stopped"]


class DemoStatus(msgspec.Struct, kw_only=True):
    """One demo station's state, updated by its thread (read by the hub's health).

    Attributes:
        station_id: the station.
        state: ``starting``, ``recording``, ``backing off`` (after an error) or ``stopped``.
        runs: DUT runs it finished (passed or failed).
        errors: errors it met and recovered from (or stopped on).
        last_error: the latest error, ``"<type>: <message>"``.
        last_error_ns: when it happened, ns since the epoch (0: never).
        retry_in: while backing off, the seconds it waits before the next session.
        stopped_reason: why it stopped, once it has.
    """

    station_id: str
    state: DemoState = "starting"
    runs: int = 0
    errors: int = 0
    last_error: str = ""
    last_error_ns: int = 0
    retry_in: float = 0.0
    stopped_reason: str = ""


class Backoff:
    """Bounded exponential back-off: ``first``, doubling, at most ``longest`` seconds."""

    def __init__(self, first: float = 0.5, longest: float = 30.0) -> None:
        self.first = first
        self.longest = longest
        self._next = first

    def next(self) -> float:
        """The delay to wait now; the following one is twice as long (bounded)."""
        delay = self._next
        self._next = min(self._next * 2, self.longest)
        return delay

    def reset(self) -> None:
        """Start again from ``first`` (after a success)."""
        self._next = self.first
