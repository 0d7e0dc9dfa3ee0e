"""What the projector has done so far, and waiting until a stream sequence is written.

``ingested_through`` is the highest ``BT_EVENTS`` sequence such that every
message up to it has been written to the warehouse (or kept as a dead
letter). It advances as this projector's batches are acked, and jumps to the
consumer's ack floor on the hub (which also counts the work of other
projector processes sharing the durable). When ``BT_EVENTS`` is deleted and
recreated (its creation time changes), its sequence starts at 1 again, and so
does the watermark: it is set to where the new stream's consumer stands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import msgspec

from benchtrail.projector.errors import IngestTimeout

log = logging.getLogger(__name__)


class ProjectorStats(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of a projector's work since it was created.

    Attributes:
        frames: frames (messages) written to the warehouse.
        events: events written.
        rows: rows written per table (a redelivered frame counts again).
        batches: batches written.
        dead_letters: events quarantined in ``BT_DEAD``: each bad event of a frame counts
            one, and so does a whole message kept as one dead letter (undecodable
            bytes, an empty frame, a frame the warehouse refused).
        write_failures: batch writes that failed (their frames were redelivered).
        last_ingest_at_ns: wall-clock time of the last write, ns since the epoch (0: none yet).
        last_stream_seq: highest ``BT_EVENTS`` sequence written or dead-lettered.
        ingested_through: every sequence up to this one is written or dead-lettered.
        pending: messages of ``BT_EVENTS`` not yet delivered to the consumer
            (``num_pending``, refreshed at most once a second).
        ack_pending: messages delivered but not yet acknowledged (same refresh).
        buffered_frames: frames taken from the hub and not yet written.
        last_error: the last problem met (hub, warehouse or input), ``""`` if none.
    """

    frames: int = 0
    events: int = 0
    rows: dict[str, int] = msgspec.field(default_factory=dict)
    batches: int = 0
    dead_letters: int = 0
    write_failures: int = 0
    last_ingest_at_ns: int = 0
    last_stream_seq: int = 0
    ingested_through: int = 0
    pending: int = 0
    ack_pending: int = 0
    buffered_frames: int = 0
    last_error: str = ""


class IngestProgress:
    """Counters and the ingested-through watermark, with waiters woken on each advance."""

    def __init__(self) -> None:
        self._stats = ProjectorStats()
        self._done: set[int] = set()
        self._changed = asyncio.Condition()
        self._stream_created: datetime | None = None

    @property
    def stats(self) -> ProjectorStats:
        """The current snapshot."""
        return self._stats

    @property
    def ingested_through(self) -> int:
        """Every stream sequence up to this one is written or dead-lettered."""
        return self._stats.ingested_through

    def _update(self, **changes: object) -> None:
        self._stats = msgspec.structs.replace(self._stats, **changes)

    async def record_batch(
        self, stream_seqs: Iterable[int], events: int, rows: Mapping[str, int]
    ) -> None:
        """Count a written (and acked) batch and advance the watermark."""
        seqs = list(stream_seqs)
        total = dict(self._stats.rows)
        for table, count in rows.items():
            total[table] = total.get(table, 0) + count
        self._update(
            frames=self._stats.frames + len(seqs),
            events=self._stats.events + events,
            rows=total,
            batches=self._stats.batches + 1,
            last_ingest_at_ns=time.time_ns(),
        )
        await self._mark_done(seqs)

    async def record_dead_letter(self, stream_seq: int, events: int = 1) -> None:
        """Count what a message left in ``BT_DEAD`` (the message is acked: it is done)."""
        self._update(dead_letters=self._stats.dead_letters + events)
        await self._mark_done([stream_seq])

    def record_dead_events(self, events: int) -> None:
        """Count bad events of a frame whose good events are still to be written."""
        self._update(dead_letters=self._stats.dead_letters + events)

    async def record_buffered(self, frames: int) -> None:
        """Note how many frames are taken and not yet written."""
        if frames != self._stats.buffered_frames:
            self._update(buffered_frames=frames)
            await self._notify()

    def record_write_failure(self, error: str) -> None:
        """Count a failed batch write."""
        self._update(write_failures=self._stats.write_failures + 1, last_error=error)

    def record_error(self, error: str) -> None:
        """Remember the last problem met."""
        self._update(last_error=error)

    async def record_consumer(self, pending: int, ack_pending: int, ack_floor: int) -> None:
        """Take in the consumer's counts and ack floor from the hub."""
        self._update(pending=pending, ack_pending=ack_pending)
        await self.advance_to(ack_floor)

    async def bound(self, stream_created: datetime | None, handled_through: int) -> None:
        """The consumer is bound to the stream created at ``stream_created``.

        Everything up to ``handled_through`` (its ack floor) is handled. A stream created
        at another time than the one bound before is a new stream: the watermark and the
        last sequence start again from ``handled_through``.
        """
        before, self._stream_created = self._stream_created, stream_created
        if before is None or stream_created is None or stream_created == before:
            await self.advance_to(handled_through)
            return
        log.warning(
            "the events stream was recreated (at %s): ingested through %d becomes %d",
            stream_created.isoformat(),
            self._stats.ingested_through,
            handled_through,
        )
        self._done.clear()
        self._update(ingested_through=handled_through, last_stream_seq=handled_through)
        await self._notify()

    async def advance_to(self, stream_seq: int) -> None:
        """Everything up to ``stream_seq`` is known to be handled (e.g. the hub's ack floor)."""
        if stream_seq <= self._stats.ingested_through:
            return
        self._done = {seq for seq in self._done if seq > stream_seq}
        self._update(ingested_through=stream_seq)
        await self._mark_done([])

    async def _mark_done(self, stream_seqs: list[int]) -> None:
        through = self._stats.ingested_through
        self._done.update(seq for seq in stream_seqs if seq > through)
        while through + 1 in self._done:
            through += 1
            self._done.discard(through)
        last = max([self._stats.last_stream_seq, *stream_seqs])
        self._update(ingested_through=through, last_stream_seq=last)
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self,
        predicate: Callable[[ProjectorStats], bool],
        timeout: float,  # noqa: ASYNC109 -- the error then says how far ingestion got
        condition: str = "stats condition",
    ) -> ProjectorStats:
        """Return the stats once ``predicate(stats)`` holds; checked after every change.

        Raises:
            IngestTimeout: not within ``timeout`` seconds.
        """
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: predicate(self._stats))
        except TimeoutError as e:
            raise IngestTimeout(condition, self.ingested_through, timeout) from e
        return self._stats
