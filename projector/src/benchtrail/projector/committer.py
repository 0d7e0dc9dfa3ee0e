"""Committing a batch: write it to the warehouse, then ack its frames, all or nothing.

A batch whose write fails is bisected so that one frame the warehouse rejects
holds back no other; frames that still cannot be written are naked for a
delayed redelivery, and on their last delivery kept in ``BT_DEAD``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Protocol

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from benchtrail.projector.batch import PendingBatch
from benchtrail.projector.config import ProjectorSettings
from benchtrail.projector.deadletters import publish_dead_letter, publish_event_dead_letters
from benchtrail.projector.frames import CheckedFrame
from benchtrail.projector.progress import IngestProgress
from benchtrail.projector.rows import RowBatch

log = logging.getLogger(__name__)

HUB_ERRORS = (nats.errors.Error, TimeoutError)
"""What talking to the hub can raise: nats-py errors (JetStream API ones included), timeouts."""


class BatchWriter(Protocol):
    """What the projector writes to: :class:`~benchtrail.projector.warehouse.Warehouse`."""

    def write(self, batch: RowBatch, max_days: int) -> dict[str, int]:
        """Write every table of a batch; return rows written per table."""
        ...


class Committer:
    """Writes batches and settles their messages with the hub.

    Args:
        warehouse: where rows go (``write`` runs in a worker thread).
        js: JetStream context of the projector's connection.
        settings: retry delays and the delivery limit.
        progress: where writes, failures and dead letters are counted.
        max_payload: the hub's largest message, for dead letters.
    """

    def __init__(
        self,
        warehouse: BatchWriter,
        js: JetStreamContext,
        settings: ProjectorSettings,
        progress: IngestProgress,
        max_payload: int,
    ) -> None:
        self.warehouse = warehouse
        self.js = js
        self.settings = settings
        self.progress = progress
        self.max_payload = max_payload

    async def commit(self, batch: PendingBatch) -> None:
        """Write ``batch`` and ack it; on failure, isolate and give back what cannot be written."""
        error = await self._write(batch)
        if error is not None:
            await self._isolate(batch, error)

    async def _write(self, batch: PendingBatch) -> Exception | None:
        """Write a batch and ack its frames; return the error instead if the write failed."""
        try:
            written = await asyncio.to_thread(
                self.warehouse.write, batch.rows, self.settings.max_frame_days
            )
        except Exception as e:  # a fault barrier: no warehouse failure may stop the projector
            log.warning("writing a batch of %d frames failed: %r", len(batch), e)
            self.progress.record_write_failure(f"write: {e!r}")
            return e
        for taken in batch.frames:
            await settle(taken.msg.ack())
        await self.progress.record_batch(batch.stream_seqs(), batch.events, written)
        return None

    async def _isolate(self, batch: PendingBatch, error: Exception) -> None:
        """Bisect a failed batch, so that a frame the warehouse rejects holds back no other.

        Halves that write are acked; a lone failing half is bisected again. If
        both halves fail, the fault is not one frame's (the warehouse is down):
        every frame is given back for a delayed redelivery.
        """
        if len(batch) == 1:
            await self._give_back(batch, error)
            return
        middle = len(batch) // 2
        halves = [PendingBatch(batch.frames[:middle]), PendingBatch(batch.frames[middle:])]
        failed = [(half, e) for half in halves if (e := await self._write(half)) is not None]
        if len(failed) == 1:
            await self._isolate(*failed[0])
            return
        for half, e in failed:
            await self._give_back(half, e)

    async def _give_back(self, batch: PendingBatch, error: Exception) -> None:
        """Nak the frames for a delayed redelivery; dead-letter those on their last delivery."""
        for taken in batch.frames:
            delivered = taken.msg.metadata.num_delivered or 1
            if delivered >= self.settings.max_deliver:
                reason = f"write-failed: on its last delivery ({delivered}): {error!r}"
                await self.dead_letter(taken.msg, reason)
            else:
                delay = self.settings.redelivery_delay(delivered)
                await settle(taken.msg.nak(delay=delay))

    async def dead_letter(self, msg: Msg, reason: str) -> None:
        """Keep ``msg`` in ``BT_DEAD`` with ``reason``, then ack it; if that fails, nak it."""
        try:
            if self.settings.store_dead_letters:
                await publish_dead_letter(self.js, msg, reason, max_payload=self.max_payload)
        except HUB_ERRORS as e:
            log.warning("storing a dead letter failed: %s; the message will come again", e)
            self.progress.record_error(f"dead letter: {e}")
            delay = self.settings.redelivery_delay(msg.metadata.num_delivered or 1)
            await settle(msg.nak(delay=delay))
            return
        await settle(msg.ack())
        await self.progress.record_dead_letter(msg.metadata.sequence.stream)

    async def dead_letter_events(self, msg: Msg, frame: CheckedFrame) -> bool:
        """Keep a frame's bad events in ``BT_DEAD``, one letter each.

        Returns:
            Whether the frame's good events are to be written (then the batch acks
            the message); ``False`` when it had none (acked here) or when storing a
            letter failed (naked here, so the whole message comes again).
        """
        stream_seq = msg.metadata.sequence.stream
        first = frame.rejected[0]
        log.warning(
            "dead letter: %d of %d events of message %d on %r, e.g. event %d: %s",
            len(frame.rejected),
            len(frame.rejected) + len(frame.events),
            stream_seq,
            msg.subject,
            first.index,
            first.reason,
        )
        self.progress.record_error(f"message {stream_seq} event {first.index}: {first.reason}")
        try:
            if self.settings.store_dead_letters:
                await publish_event_dead_letters(
                    self.js, msg, frame.rejected, max_payload=self.max_payload
                )
        except HUB_ERRORS as e:
            log.warning("storing dead letters failed: %s; the message will come again", e)
            self.progress.record_error(f"dead letter: {e}")
            delay = self.settings.redelivery_delay(msg.metadata.num_delivered or 1)
            await settle(msg.nak(delay=delay))
            return False
        if frame.events:
            self.progress.record_dead_events(len(frame.rejected))
            return True
        await settle(msg.ack())
        await self.progress.record_dead_letter(stream_seq, len(frame.rejected))
        return False


async def settle(acknowledgement: Awaitable[None]) -> None:
    """Await an ack or nak; if the hub is gone the message simply comes again later."""
    try:
        await acknowledgement
    except HUB_ERRORS as e:
        log.warning("acknowledging a message failed: %s", e)
