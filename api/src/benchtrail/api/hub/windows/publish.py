"""Publishing the events of observation windows and files from the API, one writer at a time.

Each window (and each registered file) is a session of events of its own: subject
``bt.evt.api.<id>``, ``seq`` gap-free from 1, one frame per request with
``Nats-Msg-Id`` ``<id>:<first seq>``. The events are stamped and framed by the
station's own code (:class:`~benchtrail.agents.publishing.frames.SessionSequence`,
:class:`~benchtrail.agents.publishing.frames.FrameBuffer`). The hub is one process,
so the next ``seq`` of each session is kept here, behind an asyncio lock per session;
a session not seen since the hub started gets it from the warehouse, once everything
in the stream is ingested. A writer holds the lock until the projector has ingested
its frame, so the state read afterwards (and by the next writer) includes it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import nats.errors

from benchtrail.agents.publishing.frames import Frame, FrameBuffer, SessionSequence
from benchtrail.api.errors import ApiError, BadParameter, HubUnavailable
from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.queries import windows as window_queries
from benchtrail.projector import IngestTimeout, Warehouse
from benchtrail.schemas import EVENTS_STREAM, Event, now_ns

WINDOW_STATION = "api"
"""The ``station_id`` of the events the API records for windows and files."""

_HUB_ERRORS = (nats.errors.Error, TimeoutError)
T = TypeVar("T")
E = TypeVar("E", bound=Event)


class WindowUnavailable(HubUnavailable):
    """The hub did not take, or did not yet ingest, a change to a window or file (HTTP 503)."""

    def __init__(self, session_id: str, reason: str) -> None:
        self.what = "observation windows"
        self.session_id = session_id
        self.reason = reason
        ApiError.__init__(self, f"window or file {session_id!r}: {reason}")


class SessionWriter:
    """Appends events to one session while holding its lock (see :meth:`Journal.writer`)."""

    def __init__(self, journal: Journal, session_id: str, next_seq: int) -> None:
        self._journal = journal
        self.session_id = session_id
        self.next_seq = next_seq
        self._sequence = SessionSequence(WINDOW_STATION, session_id, next_seq)
        self._occurred_at = 0

    def stamp(self, event_type: type[E], **fields: object) -> E:
        """The next event to append (events are appended in the order stamped).

        The events of one frame (one request) share one ``occurred_at``.
        """
        if self._sequence.next_seq == self.next_seq:
            self._occurred_at = now_ns()
        return self._sequence.stamp(event_type, fields, self._occurred_at)

    async def read(self, question: Callable[[Warehouse], T]) -> T:
        """Ask the warehouse ``question`` from a worker thread (its client blocks)."""
        return await asyncio.to_thread(question, self._journal.warehouse)

    async def append(self, events: Sequence[Event], parameter: str) -> int:
        """Publish ``events`` as one frame and wait until the projector ingested it.

        Args:
            events: made with :meth:`stamp`, in that order.
            parameter: the request part that made the frame, named if it is too large.

        Returns:
            The frame's ``BT_EVENTS`` sequence.

        Raises:
            BadParameter: the frame is larger than the hub takes in one message.
            WindowUnavailable: the hub did not take it, or did not ingest it in time.
        """
        buffer = FrameBuffer(WINDOW_STATION, self.session_id)
        for event in events:
            buffer.add(event, 0)
        frame = buffer.cut()
        link = self._journal.link
        if len(frame.payload) > link.nc.max_payload:
            expected = f"a request of at most {link.nc.max_payload} bytes of events"
            size = f"{len(events)} events, {len(frame.payload)} bytes"
            raise BadParameter(parameter, size, expected)
        stream_seq = await self._publish(frame)
        self.next_seq = frame.last_seq + 1
        self._sequence.next_seq = self.next_seq
        self._journal.advance(self.session_id, self.next_seq)
        try:
            await link.wait_ingested(stream_seq)
        except IngestTimeout as e:
            reason = f"recorded (stream sequence {stream_seq}) but not queryable yet: {e}"
            raise WindowUnavailable(self.session_id, reason) from e
        return stream_seq

    async def _publish(self, frame: Frame) -> int:
        try:
            ack = await self._journal.link.js.publish(
                frame.subject, frame.payload, headers=frame.headers
            )
        except _HUB_ERRORS as e:
            raise WindowUnavailable(
                self.session_id, f"the hub did not take the change: {e!r}"
            ) from e
        if ack.duplicate:
            self._journal.forget(self.session_id)
            reason = f"the hub already holds events from seq {frame.first_seq} on; try again"
            raise WindowUnavailable(self.session_id, reason)
        return int(ack.seq)


class Journal:
    """The next ``seq`` and the lock of every window and file session the API writes."""

    def __init__(self, link: HubLink, warehouse: Warehouse) -> None:
        self.link = link
        self.warehouse = warehouse
        self._next_seq: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def writer(self, session_id: str, *, new: bool = False) -> AsyncIterator[SessionWriter]:
        """Hold the session's lock; yield a writer that knows its next ``seq``.

        Args:
            session_id: the window or file id.
            new: the session is being created here (its first event has ``seq`` 1).
        """
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        try:
            async with lock:
                next_seq = 1 if new else await self._next(session_id)
                yield SessionWriter(self, session_id, next_seq)
        finally:
            if session_id not in self._next_seq and not lock.locked():
                self._locks.pop(session_id, None)  # nothing recorded: keep no lock for it

    async def _next(self, session_id: str) -> int:
        known = self._next_seq.get(session_id)
        if known is not None:
            return known
        await self._ingest_everything()
        last = await asyncio.to_thread(window_queries.last_seq, self.warehouse, session_id)
        if last:  # an id without events is no window or file: nothing to remember
            self._next_seq[session_id] = last + 1
        return last + 1

    async def _ingest_everything(self) -> None:
        try:
            info = await self.link.js.stream_info(EVENTS_STREAM)
            await self.link.wait_ingested(int(info.state.last_seq))
        except (*_HUB_ERRORS, IngestTimeout) as e:
            raise WindowUnavailable("*", f"the hub's events are not all ingested: {e!r}") from e

    def advance(self, session_id: str, next_seq: int) -> None:
        """Remember the next ``seq`` of a session after a frame was taken."""
        self._next_seq[session_id] = next_seq

    def forget(self, session_id: str) -> None:
        """Read the next ``seq`` from the warehouse again next time."""
        self._next_seq.pop(session_id, None)


_journals: weakref.WeakKeyDictionary[HubLink, Journal] = weakref.WeakKeyDictionary()


def journal_for(link: HubLink, warehouse: Warehouse) -> Journal:
    """The journal of a hub link (one per API process and hub)."""
    journal = _journals.get(link)
    if journal is None:
        journal = _journals[link] = Journal(link, warehouse)
    return journal
