"""Settings of the projector and of the JetStream streams it relies on."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from benchtrail.schemas import MAX_FRAME_DAYS, PROJECTOR_DURABLE, TimeWindow

DAY = 86_400.0
MIB = 1_048_576

Seconds = Annotated[float, msgspec.Meta(gt=0)]
Count = Annotated[int, msgspec.Meta(ge=1)]


class StreamSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Configuration of the ``BT_EVENTS`` and ``BT_DEAD`` streams.

    Attributes:
        max_age: seconds an event frame is kept in ``BT_EVENTS`` (the retention policy).
        dead_max_age: seconds a dead letter is kept in ``BT_DEAD``.
        duplicate_window: seconds within which a repeated ``Nats-Msg-Id`` is dropped.
        max_msg_size: largest frame ``BT_EVENTS`` accepts, in bytes. nats-server's
            default ``max_payload`` is 1 MiB, and no message can exceed that anyway.
        storage: ``"file"`` (durable) or ``"memory"``.
        num_replicas: copies of each stream in a cluster (1 on one machine, 3 in a cluster).
    """

    max_age: Seconds = 30 * DAY
    dead_max_age: Seconds = 365 * DAY
    duplicate_window: Seconds = 600.0
    max_msg_size: Count = MIB
    storage: Literal["file", "memory"] = "file"
    num_replicas: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1


class ProjectorSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How the projector consumes, batches and retries.

    A batch is written when any of its caps is reached, or ``batch_max_wait``
    after its first frame arrived, whichever comes first.

    Attributes:
        durable: name of the durable pull consumer (shared by every projector process).
        batch_max_events: events per batch.
        batch_max_rows: measurement rows per batch (a ``measurement.batch`` event
            counts one row per point).
        batch_max_frames: messages per batch.
        batch_max_wait: seconds from a batch's first frame to its write.
        fetch_batch: messages asked for per pull request, at most.
        fetch_max_bytes: bytes asked for per pull request, about (the count is cut
            by the average message size seen, so large frames never pile up past
            the server's per-client buffer and get the connection cut as slow).
        fetch_timeout: seconds one pull request waits for messages.
        ack_wait: seconds the hub waits for an ack before redelivering a message
            (to this or another projector), e.g. after a crash.
        max_deliver: deliveries of a message before it is given up; a frame whose
            last delivery still cannot be written goes to ``BT_DEAD``.
        max_ack_pending: unacknowledged messages the hub lets the consumer hold.
        backoff: seconds before a frame whose batch failed to write is redelivered,
            indexed by its delivery count (the last value repeats).
        consumer_info_interval: seconds between refreshes of the consumer's pending count.
        connect_timeout: seconds ``start()`` waits for the hub before raising
            :class:`~benchtrail.projector.errors.HubUnavailable`; ``None`` waits forever.
            Once connected, the projector reconnects forever.
        reconnect_time_wait: seconds between reconnection attempts.
        streams: configuration of the streams ensured at start.
        update_streams: whether to update existing streams to ``streams`` at start (the
            hub's projector owns their configuration); a second projector (a replay)
            leaves them as they are and only creates what is missing.
        store_dead_letters: keep unusable messages in ``BT_DEAD``; a replay only
            counts them (the live projector has already kept them).
        inactive_threshold: seconds after which the hub deletes the consumer once no
            projector is bound to it; ``None`` keeps it (the live consumer). A replay
            killed with kill -9 leaves nothing behind this way.
        time_window: the times an event may carry (``occurred_at`` and every batch
            point); an event with a time outside is dead-lettered (``bad-time``).
        max_frame_days: most distinct UTC days one frame's times may touch; a frame
            touching more is dead-lettered whole (``too-many-days``), and inserts
            are split so that none touches more than this many days of a table.
    """

    durable: str = PROJECTOR_DURABLE
    batch_max_events: Count = 50_000
    batch_max_rows: Count = 500_000
    batch_max_frames: Count = 5_000
    batch_max_wait: Seconds = 0.2
    fetch_batch: Count = 256
    fetch_max_bytes: Count = 8 * MIB
    fetch_timeout: Seconds = 0.1
    ack_wait: Seconds = 30.0
    max_deliver: Annotated[int, msgspec.Meta(ge=2)] = 10
    max_ack_pending: Count = 20_000
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)
    consumer_info_interval: Seconds = 1.0
    connect_timeout: Seconds | None = 30.0
    reconnect_time_wait: Seconds = 1.0
    streams: StreamSettings = msgspec.field(default_factory=StreamSettings)
    update_streams: bool = True
    store_dead_letters: bool = True
    inactive_threshold: Seconds | None = None
    time_window: TimeWindow = msgspec.field(default_factory=TimeWindow)
    max_frame_days: Annotated[int, msgspec.Meta(ge=1, le=100)] = MAX_FRAME_DAYS

    def redelivery_delay(self, num_delivered: int) -> float:
        """Seconds before redelivering a frame that has been delivered ``num_delivered`` times."""
        if not self.backoff:
            return 0.0
        return self.backoff[min(max(num_delivered, 1), len(self.backoff)) - 1]
