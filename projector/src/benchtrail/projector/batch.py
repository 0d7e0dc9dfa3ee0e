"""A batch in the making: the messages taken since the last write and their rows."""

from __future__ import annotations

import time
from collections.abc import Iterable

import msgspec
from nats.aio.msg import Msg

from benchtrail.projector.config import ProjectorSettings
from benchtrail.projector.frames import CheckedFrame
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
