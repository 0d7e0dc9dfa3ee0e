"""Cutting one session's events into frames: many events per JetStream message.

A frame is cut when it reaches ``max_events`` events, about ``max_bytes``
bytes, or has waited ``linger`` seconds, whichever comes first. Once cut, a
frame's bytes never change: a resend is byte-identical, with the same
``Nats-Msg-Id``, so JetStream's duplicate window drops it. The outbox stores
these bytes as they are and a resend after a crash reads them back unchanged.
"""

from __future__ import annotations

import time

import msgspec

from benchtrail.schemas import Event, SessionEnded, encode_frame, event_subject, frame_msg_id


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


class FrameBuffer:
    """Events of one session waiting to be cut into a frame (not thread-safe)."""

    def __init__(self, station_id: str, session_id: str) -> None:
        self.subject = event_subject(station_id, session_id)
        self.session_id = session_id
        self.events: list[Event] = []
        self.size = 0
        self.opened_at = 0.0

    def add(self, event: Event, size_hint: int) -> None:
        """Append an event with an estimate of its encoded size."""
        if not self.events:
            self.opened_at = time.monotonic()
        self.events.append(event)
        self.size += size_hint

    def cut(self) -> Frame:
        """Encode the buffered events as a frame and empty the buffer."""
        events, self.events, self.size = self.events, [], 0
        return Frame(
            subject=self.subject,
            msg_id=frame_msg_id(self.session_id, events[0].seq),
            session_id=self.session_id,
            first_seq=events[0].seq,
            last_seq=events[-1].seq,
            event_count=len(events),
            payload=encode_frame(events),
            ends_session=isinstance(events[-1], SessionEnded),
        )
