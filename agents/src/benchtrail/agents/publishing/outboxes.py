"""The outboxes of one publisher: its own file and the orphans it took over.

Used from the publisher's writer thread only (a SQLite connection belongs to the
thread that writes it). :meth:`OutboxSet.open` creates this publisher's file, takes
over the files of dead processes of the same station and closes their sessions;
:meth:`OutboxSet.write` commits what was cut and what was acknowledged.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from benchtrail.agents.config import OutboxConfig
from benchtrail.agents.publishing.frames import Frame, FrameBuffer
from benchtrail.agents.publishing.outbox import (
    MemoryOutbox,
    OpenSession,
    Outbox,
    StoredFrame,
    WriteBatch,
    station_outbox_dir,
)
from benchtrail.agents.publishing.sqlite_outbox import SqliteOutbox, outbox_files
from benchtrail.schemas import SessionEnded, new_id, now_ns

log = logging.getLogger(__name__)

RECOVERED_REASON = "station process ended without closing the session (recovered from the outbox)"
"""``reason`` of the ``session.ended`` a taken-over outbox adds to a session left open."""


def recovered_session_end(station_id: str, session: OpenSession) -> Frame:
    """The frame closing a session whose process died: ``session.ended`` at ``last_seq + 1``."""
    seq = session.last_seq + 1
    event = SessionEnded(
        event_id=new_id(),
        session_id=session.session_id,
        station_id=station_id,
        seq=seq,
        occurred_at=now_ns(),
        run_count=0,
        event_count=seq,
        reason=RECOVERED_REASON,
    )
    buffer = FrameBuffer(station_id, session.session_id)
    buffer.add(event, 256)
    return buffer.cut()


def take_over_orphans(
    directory: Path, station_id: str, config: OutboxConfig, first_rank: int = 0
) -> list[SqliteOutbox]:
    """Lock every outbox file of the station whose owner died, and close its open sessions."""
    taken: list[SqliteOutbox] = []
    for path in outbox_files(directory):
        outbox = SqliteOutbox.take_over(
            path, station_id, rank=first_rank + len(taken), sync=config.sync
        )
        if outbox is None:
            continue
        ends = [recovered_session_end(station_id, s) for s in outbox.open_sessions()]
        if ends:
            outbox.write(WriteBatch(frames=ends), now_ns())
        if outbox.unacked_count == 0:
            outbox.close(delete=True)
            continue
        log.info("taking over outbox %s: %d frame(s) to deliver", path, outbox.unacked_count)
        taken.append(outbox)
    return taken


class OutboxSet:
    """This publisher's outbox and the orphans it delivers first.

    Args:
        config: the station's ``outbox`` settings.
        station_id: the station.
        hub: the hub URL (recorded in the file, shown by ``benchtrail outbox status``).
    """

    def __init__(self, config: OutboxConfig, station_id: str, hub: str) -> None:
        self.config = config
        self.station_id = station_id
        self.hub = hub
        self.orphans: list[Outbox] = []
        self.own: Outbox = MemoryOutbox(station_id)
        self.directory = station_outbox_dir(station_id, config.dir)

    def open(self) -> list[StoredFrame]:
        """Create this publisher's outbox; take over orphans; return their frames in order.

        Raises:
            OutboxUnavailable: the outbox file cannot be created.
        """
        if not self.config.enabled:
            return []
        self.orphans = list(take_over_orphans(self.directory, self.station_id, self.config))
        self.own = SqliteOutbox.create(
            self.directory,
            self.station_id,
            self.hub,
            rank=len(self.orphans),
            sync=self.config.sync,
        )
        return [frame for orphan in self.orphans for frame in orphan.unacked()]

    @property
    def path(self) -> Path | None:
        """This publisher's file (``None`` with the outbox disabled)."""
        return self.own.path

    def write(self, frames: list[Frame], acked: list[StoredFrame], error: str) -> list[int]:
        """Commit new frames to the own outbox and acks to theirs; returns the new rowids."""
        now = now_ns()
        by_outbox: dict[Outbox, list[int]] = defaultdict(list)
        for stored in acked:
            by_outbox[stored.outbox].append(stored.rowid)
        keep_ns = int(self.config.keep_acked * 1e9)
        batch = WriteBatch(
            frames=frames,
            acked=by_outbox.pop(self.own, []),
            evict_before_ns=now - keep_ns,
            error=error,
        )
        rowids = self.own.write(batch, now)
        for orphan, rowids_acked in by_outbox.items():
            orphan.write(WriteBatch(acked=rowids_acked, evict_before_ns=now + 1), now)
        self._close_delivered_orphans()
        if self.own.stored_bytes > self.config.max_bytes:
            self.own.evict_acked()
        return rowids

    def _close_delivered_orphans(self) -> None:
        for orphan in [o for o in self.orphans if o.unacked_count == 0]:
            log.info("outbox %s delivered; deleting it", orphan.path)
            orphan.close(delete=True)
            self.orphans.remove(orphan)

    def close(self) -> list[tuple[Path, int]]:
        """Close every outbox; delete those with nothing left to deliver.

        Returns:
            The files kept, with how many frames each still has to deliver.
        """
        kept: list[tuple[Path, int]] = []
        for outbox in [*self.orphans, self.own]:
            pending = outbox.unacked_count
            if pending and outbox.path is not None:
                kept.append((outbox.path, pending))
            outbox.close(delete=pending == 0)
        self.orphans = []
        return kept
