"""A batch in the making: the messages taken since the last write and their rows."""

from __future__ import annotations

import time
from collections.abc import Iterable

import msgspec
from nats.aio.msg import Msg

from benchtrail.projector.config import ProjectorSettings
from benchtrail.projector.errors import FrameRejected
from benchtrail.projector.frames import CheckedFrame, check_frame
from benchtrail.projector.rows import RowBatch


class TakenFrame(msgspec.Struct, frozen=True):
    """A checked frame with the message it came in (to ack, nak or dead-letter it).

    Attributes:
        msg: the JetStream message.
        stream_seq: its ``BT_EVENTS`` sequence.
        frame: its checked events.
    """

    msg: Msg
    stream_seq: int
    frame: CheckedFrame


class PendingBatch:
    """Frames waiting to be written together, all or nothing.

    Args:
        frames: frames to start with (used when part of a failed batch is retried).
    """

    def __init__(self, frames: Iterable[TakenFrame] = ()) -> None:
        self.rows = RowBatch()
        self.frames: list[TakenFrame] = []
        self.events = 0
        self.measurement_rows = 0
        self.started_at = 0.0
        for taken in frames:
            self.add(taken)

    def __len__(self) -> int:
        return len(self.frames)

    def add(self, taken: TakenFrame) -> None:
        """Add a frame's rows, tagged with its stream sequence."""
        if not self.frames:
            self.started_at = time.monotonic()
        self.frames.append(taken)
        self.rows.add_frame(taken.frame.events, taken.stream_seq)
        self.events += len(taken.frame.events)
        self.measurement_rows += taken.frame.measurement_rows

    def full(self, settings: ProjectorSettings) -> bool:
        """Whether any cap of the batch (frames, events, measurement rows) is reached."""
        return (
            len(self.frames) >= settings.batch_max_frames
            or self.events >= settings.batch_max_events
            or self.measurement_rows >= settings.batch_max_rows
        )

    def time_left(self, settings: ProjectorSettings) -> float:
        """Seconds until the batch must be written (``inf`` while it is empty)."""
        if not self.frames:
            return float("inf")
        return self.started_at + settings.batch_max_wait - time.monotonic()

    def stream_seqs(self) -> list[int]:
        """The stream sequences of the batch's frames."""
        return [taken.stream_seq for taken in self.frames]


def gather(
    batch: PendingBatch, msgs: list[Msg], start: int, settings: ProjectorSettings
) -> tuple[int, list[tuple[Msg, FrameRejected | CheckedFrame]]]:
    """Check messages and add them to ``batch`` until it is full (run in a worker thread).

    Decoding and building rows is the projector's CPU work; doing it off the
    event loop keeps an application sharing the loop (the HTTP API) responsive.

    Returns:
        The index of the first message not looked at, and the messages with
        something to dead-letter: the whole message (:class:`FrameRejected`), or
        some of its events (a :class:`CheckedFrame` with ``rejected`` events,
        added to a batch only once those are stored in ``BT_DEAD``).
    """
    rejected: list[tuple[Msg, FrameRejected | CheckedFrame]] = []
    index = start
    while index < len(msgs) and not batch.full(settings):
        msg = msgs[index]
        index += 1
        try:
            frame = check_frame(
                msg.subject,
                msg.data,
                window=settings.time_window,
                max_days=settings.max_frame_days,
            )
        except FrameRejected as e:
            rejected.append((msg, e))
            continue
        if frame.rejected:
            rejected.append((msg, frame))
            continue
        batch.add(TakenFrame(msg, msg.metadata.sequence.stream, frame))
    return index, rejected
