"""Looking into station outboxes and delivering what dead processes left in them.

``benchtrail outbox status`` and ``benchtrail outbox flush``
(:mod:`benchtrail.agents.cli.outbox`) call these functions.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import filelock
import msgspec

from benchtrail.agents.config import DEFAULT_HUB, OutboxConfig, load_station_config
from benchtrail.agents.errors import (
    ConfigError,
    CredentialsRefused,
    PermissionDenied,
    Unacknowledged,
)
from benchtrail.agents.publishing.outbox import outbox_root
from benchtrail.agents.publishing.publisher import Publisher
from benchtrail.agents.publishing.sqlite_outbox import lock_path, outbox_files
from benchtrail.schemas import NatsAccess, now_ns

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called while flushing with the station, events delivered so far, events in all."""


class OutboxFileStatus(msgspec.Struct, kw_only=True):
    """One outbox file, as ``benchtrail outbox status`` shows it.

    Attributes:
        owner: ``"alive"`` while the process that writes it runs; ``"orphan"`` when
            it died (the next ``connect()`` or ``benchtrail outbox flush`` delivers it).
        oldest_pending_age_s: age of the oldest frame waiting for its ack (0: none).
        acked_kept_frames: acknowledged frames kept to resend after a hub crash.
    """

    path: str
    station_id: str
    hub: str
    owner: str
    pid: int
    hostname: str
    pending_frames: int
    pending_events: int
    pending_bytes: int
    oldest_pending_age_s: float
    acked_kept_frames: int
    last_error: str
    last_error_age_s: float


class FlushResult(msgspec.Struct, kw_only=True):
    """What ``benchtrail outbox flush`` delivered for one station."""

    station_id: str
    hub: str
    delivered_events: int
    remaining_events: int
    last_error: str


def outbox_status(
    directory: Path | None = None, station_id: str | None = None
) -> list[OutboxFileStatus]:
    """Every outbox file under ``directory`` (default: the outbox root), or one station's."""
    root = directory or outbox_root()
    stations = (
        [root / station_id] if station_id else sorted(p for p in root.glob("*") if p.is_dir())
    )
    return [_file_status(path) for station in stations for path in outbox_files(station)]


def _file_status(path: Path) -> OutboxFileStatus:
    now = now_ns()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        frames, events, size, oldest = db.execute(
            "SELECT count(*), coalesce(sum(event_count), 0), coalesce(sum(length(payload)), 0),"
            " min(stored_at_ns) FROM frames WHERE acked_at_ns IS NULL"
        ).fetchone()
        (kept,) = db.execute("SELECT count(*) FROM frames WHERE acked_at_ns IS NOT NULL").fetchone()
    finally:
        db.close()
    error_at = int(meta.get("last_error_at_ns", 0))
    return OutboxFileStatus(
        path=str(path),
        station_id=meta.get("station_id", path.parent.name),
        hub=meta.get("hub", ""),
        owner="alive" if _owner_alive(path) else "orphan",
        pid=int(meta.get("pid", 0)),
        hostname=meta.get("hostname", ""),
        pending_frames=frames,
        pending_events=events,
        pending_bytes=size,
        oldest_pending_age_s=(now - oldest) / 1e9 if oldest else 0.0,
        acked_kept_frames=kept,
        last_error=meta.get("last_error", ""),
        last_error_age_s=(now - error_at) / 1e9 if error_at else 0.0,
    )


def _owner_alive(path: Path) -> bool:
    """Whether a live process holds the file's lock."""
    lock = filelock.FileLock(lock_path(path))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return True
    lock.release()
    return False


def format_status(files: Sequence[OutboxFileStatus]) -> str:
    """A table of outbox files for a terminal."""
    if not files:
        return "no outbox files: nothing waiting for the hub"
    header = f"{'station':<16} {'owner':<7} {'frames':>7} {'events':>9} {'bytes':>12} {'oldest':>9}"
    lines = [header + "  file / last error"]
    for f in files:
        age = f"{f.oldest_pending_age_s:.0f} s" if f.pending_frames else "-"
        lines.append(
            f"{f.station_id:<16} {f.owner:<7} {f.pending_frames:>7,} {f.pending_events:>9,}"
            f" {f.pending_bytes:>12,} {age:>9}  {f.path}"
        )
        if f.last_error:
            lines.append(f"{'':<16} last error {f.last_error_age_s:.0f} s ago: {f.last_error}")
    return "\n".join(lines)


TAKE_OVER_TRIES = 5
"""How often a flush looks for a lock it can take among a station's orphans it has listed,
before it gives up (0.1 s, then twice as long each time): a process that has just exited,
or a ``status`` run beside it, may hold a file's lock for a moment."""


def flush_outboxes(
    station_id: str | None = None,
    *,
    hub: str | None = None,
    directory: Path | None = None,
    timeout: float = 60.0,
    progress: Progress | None = None,
) -> list[FlushResult]:
    """Take over the orphan outbox files of each station (or one) and deliver them.

    Args:
        station_id: only this station's files.
        hub: publish to this hub (default: the hub recorded in the files).
        directory: the outbox root (default: as for ``connect()``).
        timeout: seconds to wait for the hub's acknowledgements, per station.
        progress: called about twice a second while delivering.
    """
    root = directory or outbox_root()
    orphans = [f for f in outbox_status(root, station_id) if f.owner == "orphan"]
    stations = sorted({f.station_id for f in orphans})
    results = []
    for station in stations:
        recorded_hub = next((f.hub for f in orphans if f.station_id == station and f.hub), "")
        target = hub or recorded_hub or DEFAULT_HUB
        listed = [f for f in orphans if f.station_id == station]
        results.append(
            _flush_station(station, target, root, timeout=timeout, progress=progress, listed=listed)
        )
    return results


def _flush_station(
    station_id: str,
    hub: str,
    root: Path,
    *,
    timeout: float,
    progress: Progress | None,
    listed: Sequence[OutboxFileStatus],
) -> FlushResult:
    """Deliver the orphans of ``station_id``, the files ``listed`` as such."""
    publisher = _taking_over(station_id, hub, root, listed)
    if publisher is None:
        return FlushResult(
            station_id=station_id,
            hub=hub,
            delivered_events=0,
            remaining_events=sum(f.pending_events for f in listed),
            last_error="its orphan outbox files could not be taken over: another process"
            " holds them (a station that started meanwhile delivers them) or they are gone",
        )
    total = publisher.unacknowledged
    deadline = time.monotonic() + timeout
    refused = ""
    try:
        while time.monotonic() < deadline and not refused:
            try:
                publisher.flush(min(0.5, max(0.0, deadline - time.monotonic())))
            except Unacknowledged:
                pass
            except (PermissionDenied, CredentialsRefused) as e:
                refused = str(e)
            left = publisher.unacknowledged
            if progress is not None:
                progress(station_id, total - left, total)
            if left == 0:
                break
        remaining = publisher.unacknowledged
        error = refused or publisher.stats.last_error
    finally:
        publisher.close(0.0)
    return FlushResult(
        station_id=station_id,
        hub=hub,
        delivered_events=total - remaining,
        remaining_events=remaining,
        last_error=error,
    )


def _taking_over(
    station_id: str, hub: str, root: Path, listed: Sequence[OutboxFileStatus]
) -> Publisher | None:
    """A started publisher holding the station's orphans; ``None`` if none of the
    ``listed`` files could be locked in :data:`TAKE_OVER_TRIES` looks, or the publisher
    took none of their events over."""
    paths = [Path(f.path) for f in listed]
    for attempt in range(TAKE_OVER_TRIES):
        if any(path.exists() and not _owner_alive(path) for path in paths):
            break
        log.info("no orphan of %s can be locked (look %d); trying again", station_id, attempt + 1)
        time.sleep(0.1 * 2**attempt)
    else:
        return None
    config = OutboxConfig(dir=str(root), max_bytes=1 << 62)
    publisher = Publisher(
        hub, station_id=station_id, outbox=config, access=_station_access(station_id)
    )
    publisher.start()
    if publisher.unacknowledged or not any(f.pending_events for f in listed):
        return publisher
    publisher.close(0.0)
    return None


def _station_access(station_id: str) -> NatsAccess:
    """The station's credentials and CA, from its configuration (and ``BENCHTRAIL_*``)."""
    try:
        station = load_station_config(station_id).station
    except ConfigError:  # not configured here: deliver anonymously, as to a hub without auth
        return NatsAccess()
    return NatsAccess.of(station_id, station.credentials, station.tls_ca)


def format_flush(results: Sequence[FlushResult]) -> str:
    """What a flush delivered, one line per station."""
    if not results:
        return "no orphan outbox files: nothing to deliver"
    lines = []
    for r in results:
        line = f"{r.station_id}: {r.delivered_events:,} event(s) delivered to {r.hub}"
        if r.remaining_events:
            cause = f" (last error: {r.last_error})" if r.last_error else ""
            line += f"; {r.remaining_events:,} NOT acknowledged, kept in the outbox{cause}"
        lines.append(line)
    return "\n".join(lines)
