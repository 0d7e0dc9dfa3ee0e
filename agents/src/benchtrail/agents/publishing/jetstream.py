"""The publisher's event-loop side: publish stored frames in order, await acks, resend.

Frames are published in :attr:`StoredFrame.order` (taken-over outboxes first, then
rowid, which follows ``seq`` within a session), at most ``max_in_flight`` awaiting
their ack. Nothing is published while the connection is down; when it is
re-established, the frames in flight and those acknowledged in the last
``keep_acked`` seconds are published again, byte-identical (JetStream's duplicate
window drops those it still has; those a crashed hub lost are restored).
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable

import msgspec
import nats
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.js.client import JetStreamContext

from benchtrail.agents.publishing.attachments import AttachmentSpool, store_spooled
from benchtrail.agents.publishing.denials import Denials
from benchtrail.agents.publishing.frames import Frame
from benchtrail.agents.publishing.outbox import StoredFrame
from benchtrail.agents.publishing.stats import PublisherStats
from benchtrail.schemas import NatsAccess, hub_servers

log = logging.getLogger(__name__)


class SenderSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the sender needs of the publisher's and the outbox's settings."""

    hub: str
    ack_timeout: float
    max_in_flight: int
    retry_backoff: float
    max_memory_bytes: int
    keep_acked: float
    access: NatsAccess = NatsAccess()


class Sender:
    """Publishes stored frames; calls ``on_ack`` once per frame JetStream acknowledged.

    Lives on the publisher's event loop; every method runs there.
    """

    def __init__(
        self,
        settings: SenderSettings,
        stats: PublisherStats,
        on_ack: Callable[[StoredFrame], None],
        denials: Denials,
        attachments: AttachmentSpool,
    ) -> None:
        self.settings = settings
        self.attachments = attachments
        self.denials = denials
        self.stats = stats
        self._on_ack = on_ack
        self._ready: list[tuple[tuple[int, int], StoredFrame]] = []  # a heap by order
        self._inflight: dict[tuple[int, int], StoredFrame] = {}
        self._recent: collections.deque[tuple[float, StoredFrame]] = collections.deque()
        self._held_bytes = 0
        self._online = False
        self._wakeup = asyncio.Event()
        self._connected = asyncio.Event()
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._ack_tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Start connecting and sending."""
        self._tasks = [
            asyncio.create_task(self._connect(), name="bt-connect"),
            asyncio.create_task(self._send(), name="bt-send"),
        ]

    @property
    def answered(self) -> bool:
        """Whether the hub ever answered: a connection was established since :meth:`start`."""
        return self._js is not None

    async def jetstream(self) -> JetStreamContext:
        """The JetStream context, once connected."""
        while self._js is None:
            await self._connected.wait()
        return self._js

    def stored(self, frames: list[StoredFrame]) -> None:
        """Frames committed to an outbox: queue them (keeping their bytes while memory allows)."""
        for stored in frames:
            if stored.frame is not None and stored.outbox.persistent:
                if self._held_bytes + stored.size > self.settings.max_memory_bytes:
                    stored.frame = None  # read back from the file when its turn comes
                else:
                    self._held_bytes += stored.size
            self._queue(stored)
        self._wake()

    async def stop(self) -> None:
        """Stop sending and close the connection.

        A cancellation can be lost inside a connection attempt (``asyncio.wait_for``
        finishing at the same moment), so the tasks also see ``_stopping`` and are
        cancelled again until they end.
        """
        self._stopping = True
        pending = {task for task in self._tasks if not task.done()}
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        if self._nc is not None and not self._nc.is_closed:
            try:
                await self._nc.close()
            except OSError as e:  # the hub dropped the connection first (a revocation)
                log.debug("closing the connection to the hub: %s", e)

    # -- connection --------------------------------------------------------

    async def _connect(self) -> None:
        while self._nc is None and not self._stopping:
            try:
                nc = await nats.connect(
                    hub_servers(self.settings.hub),
                    name="benchtrail-agent",
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                    **self.settings.access.connect_options(),
                )
            except (TimeoutError, NatsError, OSError) as e:
                self.denials.note(e)
                self._note_error(f"cannot connect: {e!r}")
                await asyncio.sleep(self.settings.retry_backoff)
                continue
            self._nc = nc
            self._js = nc.jetstream(publish_async_max_pending=self.settings.max_in_flight)
            self._online = True
            self._connected.set()
            self._wake()

    async def _on_error(self, e: Exception) -> None:
        self.denials.note(e)
        self._note_error(repr(e))

    async def _on_disconnected(self) -> None:
        self._online = False
        self._note_error("disconnected from the hub")

    async def _on_reconnected(self) -> None:
        """Publish again what is in flight and what was acknowledged in the last keep_acked s."""
        self._expire_recent()
        for _, stored in self._recent:
            stored.replay = True
            self._queue(stored)
        self.stats.frames_replayed += len(self._recent)
        for stored in self._inflight.values():
            stored.attempt += 1  # the ack awaited for the old attempt no longer counts
            self._queue(stored)
        self._inflight.clear()
        self._online = True
        self._wake()

    def _note_error(self, text: str) -> None:
        self.stats.last_error = text
        log.debug("publisher: %s", text)

    # -- sending -----------------------------------------------------------

    def _wake(self) -> None:
        self._wakeup.set()

    def _queue(self, stored: StoredFrame) -> None:
        if not stored.queued:
            stored.queued = True
            heapq.heappush(self._ready, (stored.order, stored))

    async def _send(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._ready and self._js is not None and self._online:
                if self.attachments.pending and not await self._store_attachments(self._js):
                    break
                _, stored = heapq.heappop(self._ready)
                stored.queued = False
                if stored.acked and not stored.replay:
                    self._release(stored)
                    continue
                frame = self._frame_of(stored)
                if frame is not None:
                    await self._publish(self._js, stored, frame)

    async def _store_attachments(self, js: JetStreamContext) -> bool:
        """Store the spooled attachments before any frame: no event precedes its bytes."""
        try:
            sent = await store_spooled(js, self.attachments, self.settings.ack_timeout)
        except (NatsError, OSError, TimeoutError) as e:
            self.denials.note(e)
            self._note_error(f"storing attachments failed: {e!r}")
            await asyncio.sleep(self.settings.retry_backoff)
            self._wake()
            return False
        self.stats.attachments_stored += sent
        return True

    async def _publish(self, js: JetStreamContext, stored: StoredFrame, frame: Frame) -> None:
        stored.replay = False
        stored.attempt += 1
        try:
            ack = await js.publish_async(frame.subject, frame.payload, headers=frame.headers)
        except (NatsError, OSError) as e:
            self._note_error(f"publish failed: {e!r}")
            self._queue(stored)
            await asyncio.sleep(self.settings.retry_backoff)
            return
        if not stored.acked:
            self._inflight[stored.order] = stored
        task = asyncio.create_task(self._await_ack(stored, stored.attempt, ack))
        self._ack_tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._ack_tasks.discard)

    def _frame_of(self, stored: StoredFrame) -> Frame | None:
        """The frame's bytes: in memory, or read back from its outbox file."""
        if stored.frame is not None:
            return stored.frame
        try:
            frame = stored.outbox.load(stored.rowid)
        except sqlite3.Error as e:
            self._note_error(f"cannot read the outbox {stored.outbox.path}: {e!r}")
            frame = None
        if frame is None:
            if not stored.acked:  # cannot happen unless the file was tampered with
                log.error("frame %d vanished from the outbox %s", stored.rowid, stored.outbox.path)
                stored.acked = True
                self._on_ack(stored)
            return None
        stored.frame = frame
        self._held_bytes += stored.size
        return frame

    def _release(self, stored: StoredFrame) -> None:
        """Forget a frame's bytes once acknowledged (the file keeps them for a while)."""
        if stored.frame is not None and stored.outbox.persistent:
            stored.frame = None
            self._held_bytes -= stored.size

    async def _await_ack(self, stored: StoredFrame, attempt: int, ack: Awaitable[object]) -> None:
        try:
            result = await asyncio.wait_for(ack, self.settings.ack_timeout)
        except (TimeoutError, NatsError, OSError) as e:
            await self._no_ack(stored, attempt, e)
            return
        if getattr(result, "duplicate", False):
            self.stats.duplicates_dropped_by_hub += 1
        if stored.acked:
            self._release(stored)
            return
        stored.acked = True
        stored.acked_at = time.monotonic()
        self._inflight.pop(stored.order, None)
        if not stored.queued:
            self._release(stored)
        self._remember(stored)
        self._on_ack(stored)

    async def _no_ack(self, stored: StoredFrame, attempt: int, e: BaseException) -> None:
        if stored.attempt != attempt:
            return  # published again meanwhile (after a reconnect)
        if stored.acked and not self._keeping(stored):
            self._release(stored)
            return  # acknowledged before; no longer replayed
        frame = stored.frame
        self._note_error(f"no ack for {frame.msg_id if frame else stored.rowid}: {e!r}")
        self.stats.frames_resent += 1
        self._inflight.pop(stored.order, None)
        await asyncio.sleep(self.settings.retry_backoff)
        if stored.attempt == attempt:
            stored.replay = stored.acked  # a replay that failed is tried again
            self._queue(stored)
            self._wake()

    def _keeping(self, stored: StoredFrame) -> bool:
        """Whether an acknowledged frame is still within ``keep_acked``."""
        return time.monotonic() - stored.acked_at < self.settings.keep_acked

    def _remember(self, stored: StoredFrame) -> None:
        """Keep an acknowledged frame's place for ``keep_acked`` s (resent after a reconnect)."""
        if self.settings.keep_acked > 0:
            self._recent.append((stored.acked_at, stored))
            self._expire_recent()

    def _expire_recent(self) -> None:
        cutoff = time.monotonic() - self.settings.keep_acked
        while self._recent and self._recent[0][0] < cutoff:
            self._recent.popleft()
