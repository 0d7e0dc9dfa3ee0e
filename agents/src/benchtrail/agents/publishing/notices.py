"""The publisher's warnings: an outbox that is full, events kept for the next start."""

from __future__ import annotations

import logging
from pathlib import Path

from benchtrail.agents.config import OutboxConfig
from benchtrail.agents.errors import Unacknowledged

log = logging.getLogger("benchtrail.agents.publishing.publisher")


def warn_kept(
    e: Unacknowledged, hub: str, outbox_path: Path | None, station_id: str, *, stored: bool
) -> None:
    """Say which events stay in the outbox at stop, and how they will be delivered."""
    log.warning(
        "%d event(s) not acknowledged by the hub at %r after %g s are kept in the outbox "
        "%s%s; the next connect() of station %r or 'benchtrail outbox flush' delivers them"
        "%s",
        e.count,
        hub,
        e.timeout,
        outbox_path,
        "" if stored else " (NOT all committed: the disk did not keep up)",
        station_id,
        f" (last error: {e.last_error})" if e.last_error else "",
    )


def warn_full(events: int, size: int, last_error: str, hub: str, outbox: OutboxConfig) -> None:
    """Say that recording waits because the outbox is full."""
    log.warning(
        "outbox full: %d event(s), %d bytes not acknowledged by the hub at %r "
        "(outbox.max_bytes %d, last error: %s); recording waits for the hub",
        events,
        size,
        hub,
        outbox.max_bytes,
        last_error or "none",
    )
