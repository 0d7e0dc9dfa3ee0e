"""Publishing frames to JetStream through the station outbox.

The caller's thread only appends events to a per-session buffer (and, every ``max_events``
events, encodes a frame): recording never waits on the network or the disk. A writer thread
commits every frame cut since its last commit to the outbox in one transaction (group
commit); only then does the publisher's event loop publish it. A frame leaves the outbox
after JetStream acknowledged it; resends are the stored bytes with the same ``Nats-Msg-Id``,
so JetStream's duplicate window drops them. Attachments wait in :attr:`Publisher.attachments`
and are stored in the hub's object store before any frame is published. See docs/outbox.md.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Coroutine, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from nats.js.client import JetStreamContext

from benchtrail.agents.config import OutboxConfig
from benchtrail.agents.errors import Unacknowledged
from benchtrail.agents.publishing.attachments import AttachmentSpool
from benchtrail.agents.publishing.denials import Denials
from benchtrail.agents.publishing.frames import Frame, FrameBuffer, SessionSequence
from benchtrail.agents.publishing.jetstream import Sender, SenderSettings
from benchtrail.agents.publishing.notices import warn_full, warn_kept
from benchtrail.agents.publishing.outbox import StoredFrame
from benchtrail.agents.publishing.outboxes import OutboxSet
from benchtrail.agents.publishing.series import Point
from benchtrail.agents.publishing.settings import PublisherSettings
from benchtrail.agents.publishing.stats import PublisherStats
from benchtrail.agents.publishing.writer import OutboxWriter, Work
from benchtrail.agents.sigterm import SIGTERM_EXIT
from benchtrail.schemas import Event, NatsAccess

__all__ = ["Publisher", "PublisherSettings"]

log = logging.getLogger(__name__)
T = TypeVar("T")
E = TypeVar("E", bound=Event)


class Publisher:
    """Background JetStream publisher of one station session, with its outbox.

    Args:
        hub: the NATS URL (or comma-separated URLs of a cluster).
        settings: how frames are cut and published.
        station_id: the station (names the outbox directory); empty: no outbox.
        outbox: the ``outbox`` settings; default: enabled, in the data directory.
        access: the station's credentials and TLS trust; default: anonymous.
    """

    def __init__(
        self,
        hub: str,
        settings: PublisherSettings | None = None,
        *,
        station_id: str = "",
        outbox: OutboxConfig | None = None,
        access: NatsAccess | None = None,
    ) -> None:
        self.hub = hub
        self.access = access or NatsAccess()
        self.settings = settings or PublisherSettings()
        self.stats = PublisherStats()
        if outbox is None:
            outbox = OutboxConfig(enabled=bool(station_id))
        self.outbox_config = outbox
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # the writer waits on it
        self._progress = threading.Condition(self._lock)  # acks, commits, space, refusals
        self._denials = Denials(station_id, self.access.credentials, hub, self._progress)
        self._buffers: dict[str, FrameBuffer] = {}
        self._cut: list[Frame] = []
        self._acks: list[StoredFrame] = []
        self._cut_total = 0
        self._stored_total = 0
        self._durable: dict[str, int] = {}
        self._unacked_events = 0
        self._unacked_bytes = 0
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run_loop, name="bt-publisher", daemon=True)
        self._writer = OutboxWriter(
            OutboxSet(outbox, station_id, hub),
            self._work,
            linger=self.settings.linger,
            retry_backoff=self.settings.retry_backoff,
            stats=self.stats,
            pending=lambda: bool(self._cut),
            take=self._take_work,
            committed=self._committed,
        )
        self.attachments = AttachmentSpool.of_outbox(self._writer.outboxes)
        """Attachments waiting for the hub's object store (stored before any frame)."""
        self._sender: Sender | None = None
        self._started = False
        self._closed = False

    @property
    def _loop(self) -> asyncio.AbstractEventLoop:
        assert self._event_loop is not None, "publisher not started"
        return self._event_loop

    # -- caller side -------------------------------------------------------

    def start(self) -> None:
        """Open the outbox (taking over orphans), start the loop and begin connecting.

        Raises:
            OutboxFull: ``outbox.on_full`` is ``refuse`` and taken-over files fill the outbox.
            OutboxUnavailable: the outbox file cannot be created.
        """
        if self._started:
            return
        self._event_loop = asyncio.new_event_loop()
        try:
            recovered = self._writer.start()
        except BaseException:
            self._loop.close()
            raise
        with self._lock:
            self._unacked_events += sum(frame.event_count for frame in recovered)
            self._unacked_bytes += sum(frame.size for frame in recovered)
        self._started = True
        self._thread.start()
        self._call(self._boot(recovered)).result()
        atexit.register(self._at_exit)

    def submit(
        self,
        sequence: SessionSequence,
        event_type: type[E],
        fields: Mapping[str, object],
        size_hint: int = 256,
        at: int | None = None,
    ) -> E:
        """Stamp ``event_type(**fields)`` as the session's next event and queue it (under one
        lock: ``seq`` order is queue order). Never waits on the network, only while the
        outbox is full (``outbox.max_bytes`` unacknowledged)."""
        with self._lock:
            event = sequence.stamp(event_type, fields, at)
            buffer = self._buffer(sequence.station_id, sequence.session_id)
            self._added(buffer, buffer.add(event, size_hint))
        return event

    def submit_point(self, sequence: SessionSequence, at: int | None, point: Point) -> None:
        """Queue one ``run.measure()`` point as the session's next event (at ``at`` ns, or
        now), like :meth:`submit`, after raising what the hub refused since the last call."""
        if self._denials.pending:
            self._denials.raise_pending()
        with self._lock:
            seq = sequence.take()
            buffer = self._buffers.get(sequence.session_id) or self._buffer(
                sequence.station_id, sequence.session_id
            )
            self._added(buffer, buffer.add_point(seq, time.time_ns() if at is None else at, point))

    def _buffer(self, station_id: str, session_id: str) -> FrameBuffer:
        buffer = self._buffers.get(session_id)
        if buffer is None:
            buffer = self._buffers[session_id] = FrameBuffer(station_id, session_id)
        return buffer

    def _added(self, buffer: FrameBuffer, cut_first: Frame | None) -> None:
        """An event went into ``buffer``: cut what is due (called with the lock held)."""
        if cut_first is not None:  # the event would take the frame past its days
            self._queue(cut_first)
            self._work.notify()
        self._unacked_events += 1
        self.stats.events_submitted += 1
        if (
            buffer.count >= self.settings.max_frame_events
            or buffer.size >= self.settings.max_frame_bytes
        ):
            self._queue(buffer.cut())
            self._work.notify()
            if self._unacked_bytes >= self.outbox_config.max_bytes:
                self._wait_for_space()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run a coroutine on the publisher's loop (a lock request); raise what the hub refused."""
        return self._call(self._denials.guard(coro)).result(timeout)

    def check(self) -> None:
        """Raise what the hub refused since the last call (:class:`PermissionDenied`, …)."""
        self._denials.raise_pending()

    async def jetstream(self) -> JetStreamContext:
        """The JetStream context, once connected (on the publisher's loop)."""
        assert self._sender is not None, "publisher not started"
        return await self._sender.jetstream()

    def wait_connected(self, timeout: float) -> bool:
        """Whether the hub answered (a connection is or was established) within ``timeout``."""
        if not self._started or self._closed:
            return False
        return self._call(self._await_connected(max(timeout, 0.0))).result()

    @property
    def unacknowledged(self) -> int:
        """Events submitted and not yet acknowledged by JetStream (taken-over ones included)."""
        with self._lock:
            return self._unacked_events

    @property
    def outbox_path(self) -> Path | None:
        """This publisher's outbox file (``None`` with the outbox disabled)."""
        return self._writer.outboxes.path

    @property
    def outbox_dir(self) -> Path:
        """The directory of this station's outbox files."""
        return self._writer.outboxes.directory

    def durable_count(self, session_id: str) -> int:
        """The highest ``seq`` of the session committed to the outbox file.

        ``seq`` is gap-free from 1, so this is how many of the session's events
        survive a kill -9 of this process. 0 with the outbox disabled.
        """
        with self._lock:
            return self._durable.get(session_id, 0) if self.outbox_config.enabled else 0

    def wait_stored(self, timeout: float = 30.0) -> bool:
        """Cut every buffered event into a frame and wait until all are committed.

        Returns:
            Whether everything recorded so far was committed within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._cut_aged(0.0)
            self._work.notify()
            target = self._cut_total
            while self._stored_total < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._progress.wait(left)
        return True

    def flush(self, timeout: float = 30.0) -> None:
        """Publish everything buffered and wait until JetStream acknowledged it all.

        Raises:
            Unacknowledged: some events were not acknowledged within ``timeout``.
        """
        if not self._started:
            return
        deadline = time.monotonic() + timeout
        with self._lock:
            self._cut_aged(0.0)
            self._work.notify()
            while self._unacked_events > 0:
                if self._denials.pending:
                    self._denials.raise_pending()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Unacknowledged(
                        self._unacked_events, self.hub, timeout, self.stats.last_error
                    )
                self._progress.wait(left)

    def close(self, timeout: float = 30.0) -> None:
        """Flush, then disconnect and stop (even if the flush fails).

        With the outbox on, events still unacknowledged after ``timeout`` stay in the
        outbox file (a warning names them) and the next ``connect()`` of the station
        delivers them; with it off, :class:`Unacknowledged` is raised.
        """
        if not self._started or self._closed:
            return
        try:
            self.flush(timeout)
        except Unacknowledged as e:
            if not self.outbox_config.enabled:
                raise
            self._keep_unacknowledged(e)
        finally:
            self._closed = True
            atexit.unregister(self._at_exit)
            self._stop_sender()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            self._writer.stop()

    def _stop_sender(self) -> None:
        try:
            self._call(self._shutdown()).result(10)
        except TimeoutError:  # what is unacknowledged is in the outbox: nothing is lost
            log.warning("the connection to the hub at %r did not close within 10 s", self.hub)

    def _keep_unacknowledged(self, e: Unacknowledged) -> None:
        stored = self.wait_stored(max(10.0, e.timeout))
        warn_kept(e, self.hub, self.outbox_path, self._writer.outboxes.station_id, stored=stored)

    def _at_exit(self) -> None:
        """At interpreter exit without ``stop()``: commit everything cut to the outbox."""
        if self._started and not self._closed:
            self.wait_stored(10.0)
            self._writer.stop()

    def _call(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # -- cutting (any thread, with the lock held) --------------------------

    def _queue(self, frame: Frame) -> None:
        self._cut.append(frame)  # in cut order: per session, in seq order
        self._cut_total += 1
        self._unacked_bytes += len(frame.payload)
        self.stats.frames_cut += 1

    def _cut_aged(self, min_age: float) -> None:
        now = time.monotonic()
        for buffer in self._buffers.values():
            if buffer.count and now - buffer.opened_at >= min_age:
                self._queue(buffer.cut())

    def _wait_for_space(self) -> None:
        """Block the recording call while the outbox is full, warning every few seconds."""
        if threading.current_thread() in (self._thread, self._writer.thread):
            return  # never block the threads that free space
        warned = 0.0
        while self._unacked_bytes >= self.outbox_config.max_bytes and not self._closed:
            if time.monotonic() - warned >= 5.0:
                warned = time.monotonic()
                stats = (self._unacked_events, self._unacked_bytes, self.stats.last_error)
                warn_full(*stats, self.hub, self.outbox_config)
            self._progress.wait(1.0)

    # -- writer thread ---------------------------------------------------

    def _take_work(self) -> Work:
        """What the writer commits next (called by it with the lock held)."""
        self._cut_aged(self.settings.linger)
        frames, self._cut = self._cut, []
        acked, self._acks = self._acks, []
        return Work(frames, acked, self.stats.last_error)

    def _committed(self, frames: list[Frame], stored: list[StoredFrame]) -> None:
        """Frames are in the outbox: count them durable and hand them to the sender."""
        with self._lock:
            self._stored_total += len(frames)
            for frame in frames:
                self._durable[frame.session_id] = frame.last_seq
            self.stats.frames_stored += len(frames)
            self.stats.bytes_stored += sum(s.size for s in stored)
            self._progress.notify_all()
        if stored and self._sender is not None and not self._closed:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._sender.stored, stored)

    # -- loop side ---------------------------------------------------------

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _boot(self, recovered: list[StoredFrame]) -> None:
        settings = SenderSettings(
            hub=self.hub,
            ack_timeout=self.settings.ack_timeout,
            max_in_flight=self.settings.max_in_flight,
            retry_backoff=self.settings.retry_backoff,
            max_memory_bytes=self.settings.max_memory_bytes,
            keep_acked=self.outbox_config.keep_acked if self.outbox_config.enabled else 0.0,
            access=self.access,
        )
        spool, acknowledged = self.attachments, self._acknowledged
        self._sender = Sender(settings, self.stats, acknowledged, self._denials, spool)
        self._sender.start()
        self._sender.stored(recovered)

    def _acknowledged(self, stored: StoredFrame) -> None:
        """JetStream acknowledged a frame for the first time (on the loop)."""
        with self._lock:
            self._unacked_events -= stored.event_count
            self._unacked_bytes -= stored.size
            self._acks.append(stored)
            self.stats.events_acknowledged += stored.event_count
            self.stats.frames_acknowledged += 1
            self._progress.notify_all()

    async def _await_connected(self, seconds: float) -> bool:
        assert self._sender is not None, "publisher not started"
        if self._sender.answered:
            return True
        try:
            async with asyncio.timeout(seconds):
                await self._sender.jetstream()
        except TimeoutError:
            return False
        return True

    async def _shutdown(self) -> None:
        if self._sender is not None:
            await self._sender.stop()


SIGTERM_EXIT.guard(Publisher.submit, Publisher.submit_point)  # a seq taken is always queued
