"""What a run and a station's instruments need of their session: :class:`EventSink`.

:class:`~benchtrail.agents.run.Run` and the rack record into a station session
through this interface, so neither imports :mod:`benchtrail.agents.station`; the
station imports them. :class:`~benchtrail.agents.Station` is the implementation.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, TypeVar

from benchtrail.agents.publishing import Publisher
from benchtrail.agents.publishing.series import Point
from benchtrail.schemas import Event, TimeWindow

E = TypeVar("E", bound=Event)


class EventSink(Protocol):
    """A running station session: stamps events with its envelope and publishes them."""

    @property
    def station_id(self) -> str:
        """The station's stable id (e.g. ``"cell-7"``)."""
        ...

    @property
    def session_id(self) -> str:
        """The session's UUIDv7."""
        ...

    @property
    def flush_timeout(self) -> float:
        """Seconds to wait for the hub (acknowledgements, the lock bucket)."""
        ...

    @property
    def time_window(self) -> TimeWindow:
        """The times a recorded point may carry."""
        ...

    @property
    def publisher(self) -> Publisher:
        """The session's publisher (its event loop also runs lock requests)."""
        ...

    def emit(
        self,
        event_type: type[E],
        size_hint: int = 320,
        *,
        at: int | dt.datetime | None = None,
        **fields: object,
    ) -> E:
        """Stamp an event with the envelope (id, session, seq, time ``at`` or now), queue it."""
        ...

    def record_point(self, point: Point, at: int | None) -> None:
        """Queue a checked ``run.measure()`` point (at ``at`` ns, default now) as a measurement."""
        ...

    def run_ended(self, run_id: str) -> None:
        """A run of this session has ended (called by :meth:`Run.end`)."""
        ...
