"""Publishing frames to JetStream from a background asyncio thread.

The caller's thread only appends events to a per-session buffer (and, every
``max_events`` events, encodes a frame); the network work — connecting,
``publish_async``, awaiting acks, resending — happens on the publisher's own
event loop, so recording never waits on the network. Unacknowledged frames
are resent byte-identical until they are acknowledged or the station gives up
at ``flush(timeout)`` with :class:`Unacknowledged` naming how many events.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import logging
import threading
import time
from collections.abc import Awaitable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import msgspec
import nats
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.js.client import JetStreamContext

from benchtrail.agents.errors import Unacknowledged
from benchtrail.agents.frames import Frame, FrameBuffer
from benchtrail.schemas import MSG_ID_HEADER, Event, hub_servers

log = logging.getLogger("benchtrail.agents.publisher")
T = TypeVar("T")


class PublisherSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How frames are cut and published.

    Attributes:
        max_frame_events: cut a frame at this many events.
        max_frame_bytes: cut a frame when its estimated size reaches this.
        linger: cut a non-empty frame after this many seconds (like Kafka's linger.ms).
        ack_timeout: resend a frame whose ack has not come after this many seconds.
        max_in_flight: frames published and not yet acknowledged, at most.
        retry_backoff: seconds to wait before resending after an error.
    """

    max_frame_events: int = 1000
    max_frame_bytes: int = 512 * 1024
    linger: float = 0.005
    ack_timeout: float = 5.0
    max_in_flight: int = 256
    retry_backoff: float = 0.25


class PublisherStats(msgspec.Struct, kw_only=True):
    """Counters of one publisher, for ``--profile`` output and tests."""

    events_submitted: int = 0
    events_acknowledged: int = 0
    frames_cut: int = 0
    frames_acknowledged: int = 0
    frames_resent: int = 0
    duplicates_dropped_by_hub: int = 0
    last_error: str = ""


class Publisher:
    """Background JetStream publisher shared by the sessions of one station process."""

    def __init__(self, hub: str, settings: PublisherSettings | None = None) -> None:
        self.hub = hub
        self.settings = settings or PublisherSettings()
        self.stats = PublisherStats()
        self._lock = threading.Lock()
        self._acked = threading.Condition(self._lock)
        self._buffers: dict[str, FrameBuffer] = {}
        self._unacked_events = 0
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run_loop, name="bt-publisher", daemon=True)
        self._outgoing: collections.deque[Frame] = collections.deque()
        self._resend: list[Frame] = []  # kept in (session, seq) order, sent first
        self._wakeup: asyncio.Event | None = None
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ack_tasks: set[asyncio.Task[None]] = set()
        self._started = False
        self._closed = False

    @property
    def _loop(self) -> asyncio.AbstractEventLoop:
        assert self._event_loop is not None, "publisher not started"
        return self._event_loop

    # -- caller side -------------------------------------------------------

    def start(self) -> None:
        """Start the background loop and begin connecting to the hub."""
        if self._started:
            return
        self._started = True
        self._event_loop = asyncio.new_event_loop()
        self._thread.start()
        self._call(self._boot()).result()

    def submit(self, station_id: str, event: Event, size_hint: int = 256) -> None:
        """Queue one event for publishing; never blocks on the network."""
        with self._lock:
            buffer = self._buffers.get(event.session_id)
            if buffer is None:
                buffer = self._buffers[event.session_id] = FrameBuffer(station_id, event.session_id)
            buffer.add(event, size_hint)
            self._unacked_events += 1
            self.stats.events_submitted += 1
            full = (
                len(buffer.events) >= self.settings.max_frame_events
                or buffer.size >= self.settings.max_frame_bytes
            )
            frame = buffer.cut() if full else None
        if frame is not None:
            self._loop.call_soon_threadsafe(self._enqueue, frame)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run a coroutine on the publisher's loop (e.g. a lock request); wait for it."""
        return self._call(coro).result(timeout)

    async def jetstream(self) -> JetStreamContext:
        """The JetStream context, once connected (on the publisher's loop)."""
        while self._js is None:
            await self._connected.wait()
        return self._js

    @property
    def unacknowledged(self) -> int:
        """Events submitted and not yet acknowledged by JetStream."""
        with self._lock:
            return self._unacked_events

    def flush(self, timeout: float = 30.0) -> None:
        """Publish everything buffered and wait until JetStream acknowledged it all.

        Raises:
            Unacknowledged: some events were not acknowledged within ``timeout``.
        """
        if not self._started:
            return
        self._loop.call_soon_threadsafe(self._cut_all, 0.0)
        deadline = time.monotonic() + timeout
        with self._acked:
            while self._unacked_events > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Unacknowledged(
                        self._unacked_events, self.hub, timeout, self.stats.last_error
                    )
                self._acked.wait(left)

    def close(self, timeout: float = 30.0) -> None:
        """Flush, then disconnect and stop the background loop (even if the flush fails)."""
        if not self._started or self._closed:
            return
        try:
            self.flush(timeout)
        finally:
            self._closed = True
            self._call(self._shutdown()).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # -- loop side ---------------------------------------------------------

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _boot(self) -> None:
        self._wakeup = asyncio.Event()
        self._connected = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._connect(), name="bt-connect"),
            asyncio.create_task(self._linger(), name="bt-linger"),
            asyncio.create_task(self._send(), name="bt-send"),
        ]

    async def _connect(self) -> None:
        while self._nc is None:
            try:
                nc = await nats.connect(
                    hub_servers(self.hub),
                    name="benchtrail-agent",
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    error_cb=self._on_error,
                )
            except (TimeoutError, NatsError, OSError) as e:
                self._note_error(f"cannot connect: {e!r}")
                await asyncio.sleep(self.settings.retry_backoff)
                continue
            self._nc = nc
            self._js = nc.jetstream(publish_async_max_pending=self.settings.max_in_flight)
            self._connected.set()
            self._wake()

    async def _on_error(self, e: Exception) -> None:
        self._note_error(repr(e))

    def _note_error(self, text: str) -> None:
        self.stats.last_error = text
        log.debug("publisher: %s", text)

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _enqueue(self, frame: Frame) -> None:
        self.stats.frames_cut += 1
        self._outgoing.append(frame)
        self._wake()

    def _cut_all(self, min_age: float) -> None:
        now = time.monotonic()
        with self._lock:
            frames = [
                buffer.cut()
                for buffer in self._buffers.values()
                if buffer.events and now - buffer.opened_at >= min_age
            ]
        for frame in frames:
            self._enqueue(frame)

    async def _linger(self) -> None:
        while True:
            await asyncio.sleep(self.settings.linger)
            self._cut_all(self.settings.linger)

    async def _send(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while (self._resend or self._outgoing) and self._js is not None:
                frame = self._resend.pop(0) if self._resend else self._outgoing.popleft()
                try:
                    ack = await self._js.publish_async(
                        frame.subject, frame.payload, headers={MSG_ID_HEADER: frame.msg_id}
                    )
                except (NatsError, OSError) as e:
                    self._note_error(f"publish failed: {e!r}")
                    self._queue_resend(frame)
                    await asyncio.sleep(self.settings.retry_backoff)
                    continue
                task = asyncio.create_task(self._await_ack(frame, ack))
                self._ack_tasks.add(task)  # keep a reference until it is done
                task.add_done_callback(self._ack_tasks.discard)

    def _queue_resend(self, frame: Frame) -> None:
        """Queue a frame again, byte-identical, ahead of new frames and in seq order."""
        bisect.insort(self._resend, frame, key=_frame_order)

    async def _await_ack(self, frame: Frame, ack: Awaitable[object]) -> None:
        try:
            result = await asyncio.wait_for(ack, self.settings.ack_timeout)
        except (TimeoutError, NatsError, OSError) as e:
            self._note_error(f"no ack for {frame.msg_id}: {e!r}")
            self.stats.frames_resent += 1
            await asyncio.sleep(self.settings.retry_backoff)
            self._queue_resend(frame)
            self._wake()
            return
        if getattr(result, "duplicate", False):
            self.stats.duplicates_dropped_by_hub += 1
        with self._acked:
            self._unacked_events -= frame.event_count
            self.stats.events_acknowledged += frame.event_count
            self.stats.frames_acknowledged += 1
            self._acked.notify_all()

    async def _shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()


def _frame_order(frame: Frame) -> tuple[str, int]:
    return frame.session_id, frame.first_seq
