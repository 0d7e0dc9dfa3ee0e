"""A session's events on their way out: stamped in call order and handed to the publisher."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TypeVar

from benchtrail.agents.publishing import Publisher
from benchtrail.agents.publishing.frames import SessionSequence
from benchtrail.agents.publishing.series import Point
from benchtrail.agents.sigterm import SIGTERM_EXIT
from benchtrail.schemas import Event

E = TypeVar("E", bound=Event)


class SessionEvents:
    """Stamps a session's events (gap-free ``seq``) and submits them, one caller at a time.

    A ``seq`` once taken is always submitted: SIGTERM is held back in between.

    Args:
        station_id: the station.
        session_id: the session.
        publisher: the session's publisher.
    """

    def __init__(self, station_id: str, session_id: str, publisher: Publisher) -> None:
        self._lock = threading.Lock()
        self._sequence = SessionSequence(station_id, session_id)
        self._publisher = publisher

    @property
    def next_seq(self) -> int:
        """The ``seq`` the next event gets."""
        return self._sequence.next_seq

    def record(
        self, event_type: type[E], fields: Mapping[str, object], size_hint: int, at: int | None
    ) -> E:
        """Stamp ``event_type(**fields)`` (at ``at``, default now) and submit it."""
        sequence = self._sequence
        with SIGTERM_EXIT, self._lock:
            event = sequence.stamp(event_type, fields, at)
            self._publisher.submit(sequence.station_id, event, size_hint)
        return event

    def record_point(self, point: Point, at: int | None) -> None:
        """Submit one ``run.measure()`` point (at ``at`` ns, default now) as the next event."""
        sequence = self._sequence
        with SIGTERM_EXIT, self._lock:
            seq = sequence.take()
            stamp = time.time_ns() if at is None else at
            self._publisher.submit_point(
                sequence.station_id, sequence.session_id, seq, stamp, point
            )
