"""What one publisher has done so far: counters for ``--profile`` output and tests."""

from __future__ import annotations

import msgspec


class PublisherStats(msgspec.Struct, kw_only=True):
    """Counters of one publisher, for ``--profile`` output and tests.

    Attributes:
        frames_stored: frames committed to the outbox.
        store_seconds: time the writer thread spent committing to the outbox.
        frames_recovered: frames taken over from outboxes of processes that died.
        frames_replayed: acknowledged frames published again after a reconnect.
        attachments_stored: attachments written to the hub's object store (not those it had).
    """

    events_submitted: int = 0
    events_acknowledged: int = 0
    frames_cut: int = 0
    frames_stored: int = 0
    bytes_stored: int = 0
    store_seconds: float = 0.0
    frames_acknowledged: int = 0
    frames_resent: int = 0
    frames_recovered: int = 0
    frames_replayed: int = 0
    duplicates_dropped_by_hub: int = 0
    attachments_stored: int = 0
    last_error: str = ""
