"""Cutting one session's events into frames: many events per JetStream message.

A frame is cut when it reaches ``max_events`` events, about ``max_bytes``
bytes, or has waited ``linger`` seconds, whichever comes first; and before an
event whose times would make the frame touch more than
:data:`~benchtrail.schemas.MAX_FRAME_DAYS` UTC days (the hub dead-letters such a
frame whole: each day is a warehouse part). Once cut, a
frame's bytes never change: a resend is byte-identical, with the same
``Nats-Msg-Id``, so JetStream's duplicate window drops it. The outbox stores
these bytes as they are and a resend after a crash reads them back unchanged.

Every publisher of events goes through this module: a :class:`SessionSequence`
stamps each event of a session with its envelope (id, gap-free ``seq``, time), a
:class:`FrameBuffer` cuts them into a :class:`Frame`, published with
:attr:`Frame.headers`. The station's background publisher does so, and so does
the hub for the observation windows it records.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TypeVar

import msgspec

from benchtrail.agents.publishing.series import POINT_BYTES, Point, SeriesColumns
from benchtrail.schemas import (
    DAY_NS,
    MAX_FRAME_DAYS,
    MSG_ID_HEADER,
    Event,
    MeasurementBatch,
    SessionEnded,
    encode_frame,
    event_subject,
    frame_msg_id,
    new_id,
    now_ns,
    utc_days,
)

E = TypeVar("E", bound=Event)


class SessionSequence:
    """Stamps one session's events with their envelope: id, ``seq`` gap-free, time.

    Not thread-safe: its owner serialises :meth:`stamp` (the station holds a lock,
    the hub one asyncio lock per window).

    Args:
        station_id: the station every event names (its subject's station).
        session_id: the session.
        next_seq: the ``seq`` of the next event (1 for a new session).
    """

    def __init__(self, station_id: str, session_id: str, next_seq: int = 1) -> None:
        self.station_id = station_id
        self.session_id = session_id
        self.next_seq = next_seq

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last event stamped (0 before the first)."""
        return self.next_seq - 1

    def take(self) -> int:
        """The next ``seq``, used by an event whose envelope its owner writes (a point)."""
        seq = self.next_seq
        self.next_seq = seq + 1
        return seq

    def stamp(
        self, event_type: type[E], fields: Mapping[str, object], occurred_at: int | None = None
    ) -> E:
        """The next event of the session: ``event_type(**fields)`` with its envelope.

        Args:
            event_type: the event class.
            fields: the event's own fields (each event type checks them).
            occurred_at: ns since the epoch; default now.
        """
        event = event_type(
            event_id=new_id(),
            session_id=self.session_id,
            station_id=self.station_id,
            seq=self.next_seq,
            occurred_at=now_ns() if occurred_at is None else occurred_at,
            **fields,  # type: ignore[arg-type]  # each event type checks its own fields
        )
        self.next_seq += 1
        return event


class Frame(msgspec.Struct, frozen=True):
    """One message's worth of a session's events, encoded and ready to publish.

    Attributes:
        ends_session: the frame holds the session's ``session.ended``.
    """

    subject: str
    msg_id: str
    session_id: str
    first_seq: int
    last_seq: int
    event_count: int
    payload: bytes
    ends_session: bool = False

    @property
    def headers(self) -> dict[str, str]:
        """The headers it is published with: ``Nats-Msg-Id`` (JetStream drops a resend)."""
        return {MSG_ID_HEADER: self.msg_id}


class FrameBuffer:
    """Events of one session waiting to be cut into a frame (not thread-safe).

    Consecutive ``run.measure()`` points (:meth:`add_point`) wait as an open
    :class:`~benchtrail.agents.publishing.series.SeriesColumns` and go into the frame
    as one ``measurement.series`` event.
    """

    def __init__(self, station_id: str, session_id: str) -> None:
        self.station_id = station_id
        self.subject = event_subject(station_id, session_id)
        self.session_id = session_id
        self.events: list[Event] = []
        self.series: SeriesColumns | None = None
        self.count = 0
        """Events buffered, each point of the open series counted."""
        self.size = 0
        self.opened_at = 0.0
        self.days: set[int] = set()

    def add(self, event: Event, size_hint: int) -> Frame | None:
        """Append an event with an estimate of its encoded size.

        Returns:
            The frame cut first, when the event's UTC days would take the buffered
            frame past :data:`~benchtrail.schemas.MAX_FRAME_DAYS`; else ``None``.
        """
        stamps = event.timestamps_ns if isinstance(event, MeasurementBatch) else ()
        days = utc_days(event.occurred_at, stamps)
        cut = None
        if self.count and not days <= self.days and len(self.days | days) > MAX_FRAME_DAYS:
            cut = self.cut()
        if not self.count:
            self.opened_at = time.monotonic()
        self._close_series()
        self.events.append(event)
        self.count += 1
        self.size += size_hint
        self.days |= days
        return cut

    def add_point(self, seq: int, at: int, point: Point) -> Frame | None:
        """Append one ``run.measure()`` point: event ``seq`` (following the last) at ``at`` ns.

        Returns:
            The frame cut first, when the point's UTC day would take the buffered
            frame past :data:`~benchtrail.schemas.MAX_FRAME_DAYS`; else ``None``.
        """
        day = at // DAY_NS
        cut = None
        if day not in self.days:
            if self.count and len(self.days) >= MAX_FRAME_DAYS:
                cut = self.cut()
            self.days.add(day)
        if not self.count:
            self.opened_at = time.monotonic()
        series = self.series
        if series is None:
            series = self.series = SeriesColumns(seq)
        series.times.append(at)
        series.points.append(point)
        self.count += 1
        self.size += POINT_BYTES + len(point[1]) + len(point[4])
        return cut

    def _close_series(self) -> None:
        if self.series is not None:
            self.events.append(self.series.event(self.station_id, self.session_id))
            self.series = None

    def cut(self) -> Frame:
        """Encode the buffered events as a frame and empty the buffer."""
        last_seq = self.series.last_seq if self.series is not None else self.events[-1].seq
        self._close_series()
        events, count = self.events, self.count
        self.events, self.count, self.size, self.days = [], 0, 0, set()
        return Frame(
            subject=self.subject,
            msg_id=frame_msg_id(self.session_id, events[0].seq),
            session_id=self.session_id,
            first_seq=events[0].seq,
            last_seq=last_seq,
            event_count=count,
            payload=encode_frame(events),
            ends_session=isinstance(events[-1], SessionEnded),
        )
