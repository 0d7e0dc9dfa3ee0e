"""How a station cuts its events into frames and publishes them."""

from __future__ import annotations

import msgspec


class PublisherSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How frames are cut and published.

    Attributes:
        max_frame_events: cut a frame at this many events.
        max_frame_bytes: cut a frame when its estimated size reaches this.
        linger: cut a non-empty frame after this many seconds (like Kafka's linger.ms).
        ack_timeout: resend a frame whose ack has not come after this many seconds.
        max_in_flight: frames published and not yet acknowledged, at most.
        retry_backoff: seconds to wait before resending after an error.
        max_memory_bytes: bytes of frames waiting to be sent kept in memory; beyond it
            they are read back from the outbox file when their turn comes.
    """

    max_frame_events: int = 1000
    max_frame_bytes: int = 512 * 1024
    linger: float = 0.005
    ack_timeout: float = 5.0
    max_in_flight: int = 256
    retry_backoff: float = 0.25
    max_memory_bytes: int = 64 * 1024 * 1024
