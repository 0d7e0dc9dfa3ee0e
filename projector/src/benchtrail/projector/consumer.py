"""The projector: a durable pull consumer on ``BT_EVENTS`` writing batches to the warehouse.

It fetches frames, checks them, gathers them into a batch and writes the
batch when it is full or ``batch_max_wait`` old, in a worker thread (chDB has
no async API), while the next batch is gathered. Only after a write succeeds
are the batch's messages acked: a batch is all or nothing, and rows are keyed
by ``event_id`` so a redelivered frame collapses into the rows it wrote. A
message that cannot be used goes to ``BT_DEAD``; the projector never stops on
bad input.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from benchtrail.projector.batch import PendingBatch, TakenFrame, gather
from benchtrail.projector.committer import HUB_ERRORS, BatchWriter, Committer
from benchtrail.projector.config import ProjectorSettings
from benchtrail.projector.errors import FrameRejected, HubUnavailable, ProjectorStateError
from benchtrail.projector.frames import CheckedFrame
from benchtrail.projector.progress import IngestProgress, ProjectorStats
from benchtrail.projector.streams import ensure_consumer, ensure_streams
from benchtrail.schemas import EVENTS_STREAM, NatsAccess, hub_servers

log = logging.getLogger(__name__)

_RETRY_PAUSE = 1.0


class Projector:
    """Projects ``BT_EVENTS`` into the warehouse.

    Run it with ``await projector.run(stop)`` until ``stop`` is set, or embed
    it in an asyncio application with ``await projector.start()`` and
    ``await projector.stop()`` (or ``async with projector:``). Signal handling
    belongs to whoever runs it.

    Args:
        warehouse: where batches are written (its ``write`` runs in a worker thread).
        hub_url: NATS URL of the hub, e.g. ``"nats://127.0.0.1:4222"``.
        settings: batching, retry and stream settings; the defaults if ``None``.
        access: the hub identity's credentials and TLS trust; default: anonymous.
    """

    def __init__(
        self,
        warehouse: BatchWriter,
        hub_url: str,
        *,
        settings: ProjectorSettings | None = None,
        access: NatsAccess | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.hub_url = hub_url
        self.access = access or NatsAccess()
        self.settings = settings or ProjectorSettings()
        self._progress = IngestProgress()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._writing: asyncio.Task[None] | None = None
        self._writing_size = 0
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._info_due = 0.0
        self._message_size = 256 * 1024.0  # cautious until real sizes are seen

    @property
    def stats(self) -> ProjectorStats:
        """A snapshot of what the projector has done (counts, watermark, last error)."""
        return self._progress.stats

    @property
    def running(self) -> bool:
        """Whether a task started by :meth:`start` is running."""
        return self._task is not None and not self._task.done()

    async def wait_until_ingested(
        self,
        stream_seq: int,
        timeout: float = 10.0,  # noqa: ASYNC109 -- the error then says how far ingestion got
    ) -> ProjectorStats:
        """Return when every ``BT_EVENTS`` message up to ``stream_seq`` is queryable.

        "Queryable" means written to the warehouse, or kept in ``BT_DEAD``.
        Use the ``seq`` of the ``PubAck`` a publish returned.

        Returns:
            The stats at that moment.

        Raises:
            IngestTimeout: not within ``timeout`` seconds.
        """
        return await self._progress.wait_for(
            lambda stats: stats.ingested_through >= stream_seq,
            timeout,
            f"stream sequence {stream_seq} ingested",
        )

    async def wait_for(
        self,
        predicate: Callable[[ProjectorStats], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 -- the error then says how far ingestion got
    ) -> ProjectorStats:
        """Return the stats once ``predicate(stats)`` holds (checked after every change).

        Raises:
            IngestTimeout: not within ``timeout`` seconds.
        """
        return await self._progress.wait_for(predicate, timeout)

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, then project until ``stop`` is set; then write and ack what is in hand.

        Raises:
            HubUnavailable: the hub cannot be reached within ``connect_timeout``,
                or its streams and consumer cannot be set up.
        """
        await self._open()
        await self._serve(stop)

    async def start(self) -> None:
        """Connect and set up (errors raise here), then project in a background task.

        Raises:
            HubUnavailable: as :meth:`run`.
            ProjectorStateError: it is already running.
        """
        if self.running:
            raise ProjectorStateError("running", "start")
        await self._open()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._serve(self._stop), name="benchtrail-projector")
        self._task.add_done_callback(self._on_task_done)

    async def stop(self) -> None:
        """Stop the task :meth:`start` began: write and ack the batch in hand, disconnect."""
        task, self._task = self._task, None
        if task is None or self._stop is None:
            return
        self._stop.set()
        await task

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        """Make a projector that died of a bug loud: log it and keep it in ``last_error``."""
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        log.error("the projector stopped: %r", error, exc_info=error)
        self._progress.record_error(f"projector stopped: {error!r}")

    async def __aenter__(self) -> Projector:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- connection ---------------------------------------------------------------------

    async def _open(self) -> None:
        self._nc = await self._connect()
        self._js = self._nc.jetstream()
        try:
            await ensure_streams(
                self._js, self.settings.streams, update=self.settings.update_streams
            )
            await self._bind()
        except HUB_ERRORS as e:
            await self._nc.close()
            raise HubUnavailable(self.hub_url, f"cannot set up streams and consumer: {e}") from e

    async def _connect(self) -> Client:
        nc = Client()
        connecting = nc.connect(
            servers=hub_servers(self.hub_url),
            name="benchtrail-projector",
            max_reconnect_attempts=-1,
            reconnect_time_wait=self.settings.reconnect_time_wait,  # type: ignore[arg-type]
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
            closed_cb=self._on_closed,
            **self.access.connect_options(),  # type: ignore[arg-type]
        )
        try:
            await asyncio.wait_for(connecting, self.settings.connect_timeout)
        except (*HUB_ERRORS, OSError) as e:
            await nc.close()
            raise HubUnavailable(self.hub_url, str(e) or type(e).__name__) from e
        log.info("projector connected to %s", self.hub_url)
        return nc

    async def _bind(self) -> None:
        js = self._js
        assert js is not None
        consumer = await ensure_consumer(js, self.settings)
        stream = await js.stream_info(EVENTS_STREAM)
        floor = consumer.ack_floor.stream_seq if consumer.ack_floor else 0
        first = stream.state.first_seq if stream.state else 1
        await self._progress.bound(stream.created, max(floor, first - 1))
        if self._sub is not None:
            with contextlib.suppress(*HUB_ERRORS):
                await self._sub.unsubscribe()
        self._sub = await js.pull_subscribe_bind(
            durable=self.settings.durable, stream=EVENTS_STREAM
        )

    async def _close(self, *, graceful: bool) -> None:
        """Disconnect; when graceful, first make sure the hub has every ack sent."""
        if self._writing is not None and not self._writing.done():
            self._writing.cancel()
        nc, sub, self._nc, self._sub = self._nc, self._sub, None, None
        if nc is None:
            return
        if graceful:
            try:
                if sub is not None:
                    await sub.unsubscribe()
                await nc.flush(timeout=2)
            except HUB_ERRORS as e:
                log.warning("flushing acks before disconnecting failed: %s", e)
        await nc.close()

    async def _on_error(self, error: Exception) -> None:
        log.warning("hub connection error: %s", error)
        self._progress.record_error(f"hub: {error}")

    async def _on_disconnected(self) -> None:
        log.info("disconnected from the hub %s", self.hub_url)

    async def _on_reconnected(self) -> None:
        log.info("reconnected to the hub %s", self.hub_url)

    async def _on_closed(self) -> None:
        log.info("hub connection closed")

    # -- the loop -----------------------------------------------------------------------

    async def _serve(self, stop: asyncio.Event) -> None:
        graceful = False
        try:
            await self._consume(stop)
            graceful = True
        finally:
            await self._close(graceful=graceful)

    async def _consume(self, stop: asyncio.Event) -> None:
        batch = PendingBatch()
        while not stop.is_set():
            if batch.frames and batch.time_left(self.settings) <= 0.001:
                batch = await self._hand_over(batch)
            batch = await self._take(batch, await self._fetch(batch, stop))
            await self._progress.record_buffered(len(batch) + self._writing_frames())
            await self._refresh_consumer_info()
        batch = await self._take_delivered(batch)
        if batch.frames:
            await self._hand_over(batch)
        if self._writing is not None:
            await self._writing
        await self._progress.record_buffered(0)

    async def _take(self, batch: PendingBatch, msgs: list[Msg]) -> PendingBatch:
        """Check ``msgs`` into ``batch``, handing full batches over; return the batch in hand."""
        taken = 0
        while taken < len(msgs):
            taken, rejected = await asyncio.to_thread(gather, batch, msgs, taken, self.settings)
            # Dead letters are stored concurrently: one round trip for many bad messages.
            await asyncio.gather(*(self._reject(msg, bad, batch) for msg, bad in rejected))
            if batch.full(self.settings):
                batch = await self._hand_over(batch)
        return batch

    async def _take_delivered(self, batch: PendingBatch) -> PendingBatch:
        """On stopping, take in messages delivered but not read yet, so they are written and acked.

        A pull request can be answered just as its fetch times out; those messages
        wait in the subscription. Left there, they would wait ``ack_wait`` before
        the hub redelivered them to the next projector.
        """
        if self._nc is not None:
            with contextlib.suppress(*HUB_ERRORS):
                await self._nc.flush(timeout=1)  # whatever the hub sent before now is in hand
        for _ in range(3):
            sub = self._sub
            if sub is None or sub.pending_msgs == 0:
                break
            try:
                msgs = await sub.fetch(sub.pending_msgs, timeout=0.05)
            except (TimeoutError, nats.errors.Error):
                break
            batch = await self._take(batch, msgs)
        return batch

    async def _fetch(self, batch: PendingBatch, stop: asyncio.Event) -> list[Msg]:
        sub = self._sub
        assert sub is not None
        timeout = min(self.settings.fetch_timeout, batch.time_left(self.settings))
        try:
            msgs = await sub.fetch(self._fetch_count(), timeout=max(timeout, 0.001))
        except TimeoutError:
            return []
        except nats.errors.Error as e:
            log.warning("fetching from %s failed: %s; binding again", EVENTS_STREAM, e)
            self._progress.record_error(f"fetch: {e}")
            await _pause(stop, _RETRY_PAUSE)
            await self._rebind()
            return []

        if msgs:
            size = sum(len(m.data or b"") for m in msgs) / len(msgs)
            self._message_size = max(size, 0.8 * self._message_size + 0.2 * size)
        return msgs

    def _fetch_count(self) -> int:
        """Messages to ask for: ``fetch_batch``, fewer when messages are large."""
        by_bytes = int(self.settings.fetch_max_bytes // max(self._message_size, 1.0))
        return max(1, min(self.settings.fetch_batch, by_bytes))

    async def _rebind(self) -> None:
        assert self._js is not None
        try:
            await ensure_streams(
                self._js, self.settings.streams, update=self.settings.update_streams
            )
            await self._bind()
        except HUB_ERRORS as e:
            log.warning("binding the consumer again failed: %s", e)
            self._progress.record_error(f"bind: {e}")

    async def _refresh_consumer_info(self) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._info_due or self._js is None:
            return
        self._info_due = now + self.settings.consumer_info_interval
        try:
            info = await self._js.consumer_info(EVENTS_STREAM, self.settings.durable, timeout=1.0)
        except HUB_ERRORS as e:
            log.debug("consumer info unavailable: %s", e)
            return
        floor = info.ack_floor.stream_seq if info.ack_floor else 0
        await self._progress.record_consumer(
            info.num_pending or 0, info.num_ack_pending or 0, floor
        )

    async def _reject(
        self, msg: Msg, problem: FrameRejected | CheckedFrame, batch: PendingBatch
    ) -> None:
        """Dead-letter a whole message, or a frame's bad events (its good ones join ``batch``)."""
        if isinstance(problem, FrameRejected):
            log.warning("dead letter: %s", problem)
            self._progress.record_error(str(problem))
            await self._committer().dead_letter(msg, problem.reason)
        elif await self._committer().dead_letter_events(msg, problem):
            batch.add(TakenFrame(msg, msg.metadata.sequence.stream, problem))

    def _committer(self) -> Committer:
        assert self._js is not None and self._nc is not None
        return Committer(
            self.warehouse, self._js, self.settings, self._progress, self._nc.max_payload
        )

    # -- writing ------------------------------------------------------------------------

    def _writing_frames(self) -> int:
        return self._writing_size if self._writing is not None and not self._writing.done() else 0

    async def _hand_over(self, batch: PendingBatch) -> PendingBatch:
        """Start writing ``batch`` once the previous write is done; return a new empty batch.

        One write runs at a time, while the next batch is gathered.
        """
        if self._writing is not None:
            await self._writing
        self._writing_size = len(batch)
        commit = self._committer().commit(batch)
        self._writing = asyncio.create_task(commit, name="benchtrail-projector-write")
        return PendingBatch()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
