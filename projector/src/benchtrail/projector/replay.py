"""Rebuild a warehouse from the stream: replay ``BT_EVENTS`` into a fresh warehouse.

A :class:`~benchtrail.projector.consumer.Projector` with a durable consumer of its own
(``bt-replay-<random>``, deleted at the end, also on error or Ctrl-C) reads the stream
from its first sequence and writes into the target; rows of messages after ``through``
(the stream's last sequence when the replay began, unless given) are left out, so the
result is exactly the stream's messages up to ``through``. The live projector's
consumer is not touched, and messages the replay cannot use are counted but not stored
in ``BT_DEAD`` again (the live projector already keeps them there).

The result carries every table's row count and content checksum
(:mod:`benchtrail.projector.checksums`), to compare with the live warehouse's.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec
import nats
import pyarrow as pa
import pyarrow.compute as pc
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from benchtrail.projector.checksums import TableChecksum, warehouse_checksums
from benchtrail.projector.committer import HUB_ERRORS
from benchtrail.projector.config import ProjectorSettings
from benchtrail.projector.consumer import Projector
from benchtrail.projector.errors import HubUnavailable, ProjectorError
from benchtrail.projector.progress import ProjectorStats
from benchtrail.projector.rows import RowBatch
from benchtrail.projector.tables import DATABASE, DAY_COLUMNS, STREAM_SEQ
from benchtrail.projector.warehouse import Warehouse, open_warehouse, split_by_day
from benchtrail.schemas import EVENTS_STREAM, NatsAccess, hub_servers

log = logging.getLogger(__name__)

REPLAY_DURABLE_PREFIX = "bt-replay-"
"""Name prefix of a replay's own durable consumer."""
STALL_TIMEOUT = 120.0
INACTIVE_THRESHOLD = 300.0
"""Seconds after which the hub deletes a replay's consumer that nobody reads (kill -9)."""
"""Seconds a replay waits for the next stream sequence to be written before giving up."""
_CHDB_ENTRIES = frozenset({"metadata", "store", "data", "user_files", "preprocessed_configs"})


class ReplayTargetNotEmpty(ProjectorError, FileExistsError):
    """The replay's target already holds something; it is replayed into only with ``force``.

    Attributes:
        target: the directory or server URL.
        holds: what it holds, in words.
    """

    def __init__(self, target: str, holds: str) -> None:
        self.target = target
        self.holds = holds
        super().__init__(
            f"replay target {target!r} is not empty: it holds {holds}; replay into an empty"
            " directory (or database), or force it (--force) to drop its benchtrail"
            " database first"
        )


class ReplayProgress(msgspec.Struct, frozen=True, kw_only=True):
    """How far a replay is.

    Attributes:
        done: stream messages handled (written, or skipped as dead letters).
        total: stream messages to handle (``through - first_seq + 1``).
        frames: frames written.
        events: events written.
        elapsed_s: seconds since the replay began.
        events_per_s: events written per second so far.
    """

    done: int
    total: int
    frames: int
    events: int
    elapsed_s: float
    events_per_s: float


class ReplayResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a replay built.

    Attributes:
        target: the warehouse written (directory or server URL).
        database: its database.
        first_seq: the first stream sequence replayed.
        through: the last stream sequence replayed; later messages are left out.
        frames: frames written.
        events: events written.
        dead_letters: messages that could not be used (already in ``BT_DEAD``).
        elapsed_s: seconds the replay took (to the last write, checksums not included).
        checksum_s: seconds the checksums of the rebuilt tables took.
        tables: table name → rows and content checksum of the rebuilt table.
    """

    target: str
    database: str
    first_seq: int
    through: int
    frames: int
    events: int
    dead_letters: int
    elapsed_s: float
    checksum_s: float
    tables: dict[str, TableChecksum]


ProgressCallback = Callable[[ReplayProgress], None]
"""Called with the replay's progress after every batch written."""


def replay(
    hub: str,
    target: str | Path | Warehouse,
    *,
    database: str = DATABASE,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    through: int | None = None,
    stall_timeout: float = STALL_TIMEOUT,
    access: NatsAccess | None = None,
) -> ReplayResult:
    """Replay ``BT_EVENTS`` from its first sequence into a fresh warehouse at ``target``.

    Args:
        hub: NATS URL of the hub (or comma-separated cluster seeds).
        target: a chDB data directory, a ``http(s)://`` ClickHouse URL, or an open
            :class:`Warehouse` (its ``database`` is used; it stays open).
        database: the database to create at a directory or URL target.
        force: replay into a target that holds data: its benchtrail database is dropped.
        on_progress: called after every batch written, and once at the start.
        through: the last stream sequence to replay; default: the last one now.
        stall_timeout: seconds to wait for progress before giving up.
        access: credentials (the hub's service identity) and TLS trust; default: anonymous.

    Returns:
        Counts and the rebuilt tables' checksums.

    Raises:
        ReplayTargetNotEmpty: ``target`` holds data and ``force`` is false.
        HubUnavailable: the hub cannot be reached.
        WarehouseUnavailable: the target cannot be opened.
        IngestTimeout: no progress for ``stall_timeout`` seconds.
    """
    warehouse, owned = open_target(target, database, force=force)
    try:
        return asyncio.run(
            replay_into(
                hub,
                warehouse,
                on_progress=on_progress,
                through=through,
                timeout=stall_timeout,
                access=access,
            )
        )
    finally:
        if owned:
            warehouse.close()


def open_target(
    target: str | Path | Warehouse, database: str = DATABASE, *, force: bool = False
) -> tuple[Warehouse, bool]:
    """Open (create) an empty warehouse at ``target``; return it and whether it is ours to close.

    Raises:
        ReplayTargetNotEmpty: ``target`` holds data and ``force`` is false.
    """
    if isinstance(target, Warehouse):
        target.ensure_schema()
        _empty(target, force=force)
        return target, False
    text = str(target)
    if not text.startswith(("http://", "https://")):
        holds = directory_contents(Path(text))
        if holds and not force:
            raise ReplayTargetNotEmpty(text, holds)
    warehouse = open_warehouse(text, database)
    try:
        _empty(warehouse, force=force)
    except ReplayTargetNotEmpty:
        warehouse.close()
        raise
    return warehouse, True


def directory_contents(path: Path) -> str:
    """What a non-empty directory holds, in words (``""`` if it is empty or absent)."""
    if not path.exists():
        return ""
    if not path.is_dir():
        return "a file, not a directory"
    names = sorted(entry.name for entry in path.iterdir())
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    kind = "a chDB data directory" if _CHDB_ENTRIES & set(names) else "files"
    return f"{kind} ({len(names)} entries: {shown})"


def _empty(warehouse: Warehouse, *, force: bool) -> None:
    """Make sure ``warehouse``'s tables are empty: refuse, or (``force``) drop and recreate."""
    counts = {table: rows for table, rows in warehouse.table_counts().items() if rows}
    if not counts:
        return
    if not force:
        tables = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
        raise ReplayTargetNotEmpty(
            warehouse.target,
            f"database {warehouse.database!r} with {sum(counts.values()):,} rows ({tables})",
        )
    log.warning(
        "dropping database %r of %s before the replay", warehouse.database, warehouse.target
    )
    warehouse.command(f"DROP DATABASE IF EXISTS {warehouse.database}")
    warehouse.ensure_schema()


async def replay_into(
    hub: str,
    warehouse: Warehouse,
    *,
    on_progress: ProgressCallback | None = None,
    through: int | None = None,
    timeout: float = STALL_TIMEOUT,  # noqa: ASYNC109 -- a stall limit, not the whole replay's
    access: NatsAccess | None = None,
) -> ReplayResult:
    """:func:`replay` into an open, empty warehouse, on the running event loop."""
    started = time.monotonic()
    access = access or NatsAccess()
    nc = await _connect(hub, access)
    durable = f"{REPLAY_DURABLE_PREFIX}{uuid.uuid4().hex[:12]}"
    try:
        js = nc.jetstream()
        events = await js.stream_info(EVENTS_STREAM)
        first = int(events.state.first_seq)
        last = (
            int(events.state.last_seq) if through is None else min(through, events.state.last_seq)
        )
        settings = ProjectorSettings(
            durable=durable,
            update_streams=False,
            store_dead_letters=False,
            inactive_threshold=INACTIVE_THRESHOLD,
        )
        stats = ProjectorStats()
        if last >= first:
            writer = _BoundedWriter(warehouse, last)
            projector = Projector(writer, hub, settings=settings, access=access)
            watch = _Watch(first, last, started, on_progress)
            stats = await _run(projector, watch, timeout)
    finally:
        await _delete_consumer(nc, durable)
        await nc.close()
    elapsed = time.monotonic() - started
    tables = await asyncio.to_thread(warehouse_checksums, warehouse)
    return ReplayResult(
        target=warehouse.target,
        database=warehouse.database,
        first_seq=first,
        through=last,
        frames=stats.frames,
        events=stats.events,
        dead_letters=stats.dead_letters,
        elapsed_s=round(elapsed, 3),
        checksum_s=round(time.monotonic() - started - elapsed, 3),
        tables=tables,
    )


async def _connect(hub: str, access: NatsAccess) -> Client:
    refused: list[str] = []

    async def on_error(e: Exception) -> None:
        if "authorization" in str(e).lower():
            refused.append(str(e))

    try:
        return await nats.connect(
            servers=hub_servers(hub),
            name="benchtrail-replay",
            max_reconnect_attempts=5,
            reconnect_time_wait=0.5,
            error_cb=on_error,
            **access.connect_options(),
        )
    except (*HUB_ERRORS, OSError) as e:
        if refused:
            given = f"the credentials {access.credentials!r}" if access.credentials else "none"
            reason = f"Authorization Violation with {given}: a hub with auth needs its hub.nk"
            raise HubUnavailable(hub, reason) from e
        raise HubUnavailable(hub, str(e) or type(e).__name__) from e


class _Watch:
    """Turns the projector's stats into :class:`ReplayProgress` for the callback."""

    def __init__(
        self, first: int, last: int, started: float, callback: ProgressCallback | None
    ) -> None:
        self.first = first
        self.last = last
        self.started = started
        self.callback = callback

    def report(self, stats: ProjectorStats) -> None:
        if self.callback is None:
            return
        elapsed = time.monotonic() - self.started
        done = min(max(stats.ingested_through - self.first + 1, 0), self.last - self.first + 1)
        self.callback(
            ReplayProgress(
                done=done,
                total=self.last - self.first + 1,
                frames=stats.frames,
                events=stats.events,
                elapsed_s=elapsed,
                events_per_s=stats.events / elapsed if elapsed > 0 else 0.0,
            )
        )


async def _run(projector: Projector, watch: _Watch, timeout: float) -> ProjectorStats:  # noqa: ASYNC109
    """Project until every sequence up to ``watch.last`` is handled; report on the way."""
    await projector.start()
    try:
        stats = projector.stats
        watch.report(stats)
        while stats.ingested_through < watch.last:
            stats = await projector.wait_until_ingested(stats.ingested_through + 1, timeout)
            watch.report(stats)
    finally:
        await projector.stop()
    return projector.stats


async def _delete_consumer(nc: Client, durable: str) -> None:
    """Delete the replay's consumer; a consumer that was never made is fine."""
    try:
        await nc.jetstream().delete_consumer(EVENTS_STREAM, durable)
    except NotFoundError:
        pass
    except HUB_ERRORS as e:
        log.warning("could not delete the replay consumer %r: %s; delete it by hand", durable, e)


class _BoundedWriter:
    """Writes a batch's rows of stream sequences up to ``through`` only."""

    def __init__(self, warehouse: Warehouse, through: int) -> None:
        self.warehouse = warehouse
        self.through = through
        self._bound = pa.scalar(through, pa.uint64())

    def write(self, batch: RowBatch, max_days: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table, arrow in batch.tables().items():
            kept = arrow.filter(pc.less_equal(arrow.column(STREAM_SEQ), self._bound))
            if kept.num_rows:
                for part in split_by_day(kept, DAY_COLUMNS.get(table), max_days):
                    self.warehouse.insert_arrow(table, part)
            counts[table] = kept.num_rows
        return counts
