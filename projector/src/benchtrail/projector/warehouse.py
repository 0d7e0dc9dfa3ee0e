"""The warehouse: one clickhouse-connect client, embedded chDB or a ClickHouse server.

``open_warehouse("./data/warehouse")`` opens chDB in-process on that directory;
``open_warehouse("http://host:8123")`` talks to a ClickHouse server. The DDL
and every query are the same text for both. chDB has no async client and a
data directory opens in one process only, so one :class:`Warehouse` is shared
by the projector and the API of a process, and its calls take turns
(:class:`WritersFirst`): a write alone, reads up to one per client the warehouse
holds (:data:`READ_CLIENTS`), and a waiting write goes before waiting reads, so
readers can delay an insert by the reads under way, never by a queue.
:meth:`Warehouse.together` runs a request's independent reads at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, cast
from urllib.parse import urlparse

import clickhouse_connect
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from benchtrail.projector import session_seqs
from benchtrail.projector.errors import WarehouseUnavailable
from benchtrail.projector.migrations import fill_point_tallies, settle_table_settings
from benchtrail.projector.rows import RowBatch
from benchtrail.projector.tables import DATABASE, DAY_COLUMNS, TABLES, create_statements
from benchtrail.schemas import DAY_NS, MAX_FRAME_DAYS

Parameters = Mapping[str, object]
MAX_PARTITIONS_PER_INSERT: Final = 100
"""ClickHouse's own default ``max_partitions_per_insert_block``, set explicitly: an insert
touching more day partitions is refused. :meth:`Warehouse.write` never sends one (it
splits a batch by day), so a refusal means a bug, not data that piles up parts."""
_INSERT_SETTINGS = {
    "optimize_on_insert": 0,
    "max_partitions_per_insert_block": MAX_PARTITIONS_PER_INSERT,
    "throw_on_max_partitions_per_insert_block": 1,
}

CLIENT_SETTINGS: Final = {"use_statistics": 0}
"""Settings of every query, where the server knows them (older ones do not: left out).

``use_statistics = 0``: merges store column statistics with each part they write
(``auto_statistics_types``), and with it on, every read of a table loaded them for its
merged parts while planning: a run's points took 9-12 ms instead of 4-5 in a process
that had merged a part (``benchmarks/queries.py``, merged state). Benchtrail's reads
are narrowed by sort keys and partitions, not by statistics."""


READ_CLIENTS: Final = 2
"""Clients a warehouse reads through, so reads at once: one per core of the 2-core machines
benchtrail is measured on (more would not find a free core there, and an insert waits for
the reads under way)."""

_together = threading.local()
"""``inside`` is set in the threads of :meth:`Warehouse.together`."""


def _mark_inside() -> None:
    _together.inside = True


class WritersFirst:
    """A write alone, up to ``readers`` reads at once; a waiting write goes before every
    waiting read.

    chDB shares a process's cores among its queries (measured: a 1,000-row insert took
    4.6 ms p50 alone and 211 ms beside four concurrent 100k-row reads, with no lock of
    ours), and a ClickHouse server session takes one query at a time: each read runs on a
    client of its own, a write alone. A plain lock lets a queue of readers
    hold the projector's insert back for the whole queue; here an insert waits for the
    reads under way only.
    """

    def __init__(self, readers: int = 1) -> None:
        if readers < 1:
            raise ValueError(f"readers must be at least 1, got {readers}")
        self._turn = threading.Condition()
        self._readers = readers
        self._reading = 0
        self._writing = False
        self._writers_waiting = 0
        self._readers_waiting = 0

    def waiting(self) -> tuple[int, int]:
        """Calls waiting for their turn now: ``(reads, writes)``."""
        with self._turn:
            return self._readers_waiting, self._writers_waiting

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the warehouse for a write (or a statement): next after the calls under way."""
        with self._turn:
            self._writers_waiting += 1
            try:
                self._turn.wait_for(lambda: not self._writing and self._reading == 0)
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._turn:
                self._writing = False
                self._turn.notify_all()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold a read turn: once no write runs or waits and fewer than ``readers`` read."""
        with self._turn:
            self._readers_waiting += 1
            try:
                self._turn.wait_for(
                    lambda: (
                        not self._writing
                        and not self._writers_waiting
                        and self._reading < self._readers
                    )
                )
            finally:
                self._readers_waiting -= 1
            self._reading += 1
        try:
            yield
        finally:
            with self._turn:
                self._reading -= 1
                self._turn.notify_all()


class Warehouse:
    """Thread-safe access to the benchtrail tables through clickhouse-connect."""

    def __init__(
        self,
        client: Client,
        target: str,
        database: str = DATABASE,
        *,
        readers: Sequence[Client] = (),
    ) -> None:
        self._client = client
        self._clients = [client, *readers]
        self._free: queue.SimpleQueue[Client] = queue.SimpleQueue()
        for each in self._clients:
            self._free.put(each)
        self._together: ThreadPoolExecutor | None = None
        self._together_lock = threading.Lock()
        self.turns = WritersFirst(readers=len(self._clients))
        """Who holds the warehouse: a write alone, a read per client at once, writes first."""
        self.target = target
        self.database = database

    def ensure_schema(self) -> None:
        """Create the database and every table if they do not exist (``run_points`` made from
        the points of a warehouse written before it, ``session_seqs`` from its events, then
        the views that keep it), add the columns added since, and move tables created with
        other MergeTree settings onto the declared ones."""
        with self.turns.writing():
            fill_point_tallies(self._client, self.database)
            for statement in create_statements(self.database):
                self._client.command(statement)
            session_seqs.fill(self._client, self.database)
            for statement in session_seqs.view_statements(self.database):
                self._client.command(statement)
            settle_table_settings(self._client, self.database)

    def write(self, batch: RowBatch, max_days: int = MAX_FRAME_DAYS) -> dict[str, int]:
        """Insert every table of a batch; return row counts.

        One Arrow insert per table, or, for a table whose rows fall on more than
        ``max_days`` UTC days (a replay, a backfill), one insert per group of at
        most ``max_days`` days: no insert touches more day partitions than that.
        """
        counts: dict[str, int] = {}
        for table, arrow in batch.tables().items():
            sent = plain_when_unique(arrow, "event_id")
            for part in split_by_day(sent, DAY_COLUMNS.get(table), max_days):
                self.insert_arrow(table, part)
            counts[table] = arrow.num_rows
        return counts

    def insert_arrow(self, table: str, arrow: pa.Table) -> None:
        """Insert an Arrow table into ``<database>.<table>``.

        ``optimize_on_insert=0``: the block is not deduplicated while it is
        inserted (that halves the cost of a ReplacingMergeTree insert, measured
        here); duplicates collapse in merges, and readers use ``FINAL``.
        An insert touching more than :data:`MAX_PARTITIONS_PER_INSERT` day
        partitions is refused (:meth:`write` splits by day so it never does).
        """
        with self.turns.writing():
            self._client.insert_arrow(f"{self.database}.{table}", arrow, settings=_INSERT_SETTINGS)

    def rows(self, sql: str, parameters: Parameters | None = None) -> list[dict[str, Any]]:
        """Run a query with bound parameters; return rows as dicts."""
        with self._reader() as client:
            result = client.query(sql, parameters=dict(parameters or {}))
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def arrow(self, sql: str, parameters: Parameters | None = None) -> pa.Table:
        """Run a query with bound parameters; return an Arrow table."""
        with self._reader() as client:
            return client.query_arrow(sql, parameters=dict(parameters or {}))

    def together(self, *calls: Callable[[], Any]) -> list[Any]:
        """Run ``calls`` (each a few reads of this warehouse) at once; their results in order.

        Each read takes a turn and a client of its own, so up to one per client run at
        the same time (chDB runs them on the process's cores side by side: three reads of
        a session's detail took 24 ms at once against 35 one after the other, here). A
        call made from within a call runs its calls one after the other (no thread waits
        for a busy pool it is part of). An exception of a call is raised here.
        """
        if len(calls) < 2 or len(self._clients) < 2 or getattr(_together, "inside", False):
            return [call() for call in calls]
        with self._together_lock:
            if self._together is None:
                self._together = ThreadPoolExecutor(
                    len(self._clients), "warehouse-read", initializer=_mark_inside
                )
            pool = self._together
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]

    @contextmanager
    def _reader(self) -> Iterator[Client]:
        """A read turn and a client no other read is using (there is one per turn)."""
        with self.turns.reading():
            client = self._free.get_nowait()
            try:
                yield client
            finally:
                self._free.put(client)

    def scalar(self, sql: str, parameters: Parameters | None = None) -> Any:
        """Run a query returning one value."""
        rows = self.rows(sql, parameters)
        return next(iter(rows[0].values())) if rows else None

    def command(self, sql: str, parameters: Parameters | None = None) -> None:
        """Run a statement that returns nothing useful."""
        with self.turns.writing():
            self._client.command(sql, parameters=dict(parameters or {}))

    def table_counts(self, tables: Sequence[str] | None = None) -> dict[str, int]:
        """Row counts (after deduplication, ``FINAL``) of the given tables."""
        names = list(tables) if tables is not None else list(TABLES)
        return {
            name: int(self.scalar(f"SELECT count() FROM {self.database}.{name} FINAL"))
            for name in names
        }

    def close(self) -> None:
        """Close the clients (and the threads of :meth:`together`)."""
        with self._together_lock:
            if self._together is not None:
                self._together.shutdown(wait=True)
                self._together = None
        with self.turns.writing():
            for client in self._clients:
                client.close()


def plain_when_unique(table: pa.Table, column: str) -> pa.Table:
    """``column`` as plain text when most of its values differ (single measurements).

    A dictionary pays off for a batch's points (one event id for thousands of rows);
    for rows that each have their own id, chDB converts the dictionary at about twice
    the cost of plain text (600k series points: 661 vs 297 ms per insert, measured here).
    """
    index = table.schema.get_field_index(column)
    if index < 0 or not pa.types.is_dictionary(table.schema.field(index).type):
        return table
    values = table.column(index)
    distinct = sum(
        len(cast("pa.DictionaryArray[Any, Any]", chunk).dictionary) for chunk in values.chunks
    )
    if distinct * 2 <= table.num_rows:
        return table
    return table.set_column(index, column, values.cast(pa.string()))


def split_by_day(arrow: pa.Table, day_column: str | None, max_days: int) -> list[pa.Table]:
    """``arrow`` cut into tables whose ``day_column`` values fall on at most ``max_days`` UTC days.

    A table without a day column, or within the bound already, comes back whole.
    ``max_days`` is taken as at most :data:`MAX_PARTITIONS_PER_INSERT`.
    """
    max_days = min(max_days, MAX_PARTITIONS_PER_INSERT)
    if day_column is None or arrow.num_rows == 0:
        return [arrow]
    times = arrow.column(day_column).cast(pa.int64()).fill_null(pa.scalar(0, pa.int64()))
    bounds = pc.min_max(times)
    first, last = bounds["min"].as_py() // DAY_NS, bounds["max"].as_py() // DAY_NS
    if last - first < max_days:  # the common case, without sorting every row's day
        return [arrow]
    days = times.to_numpy() // DAY_NS
    distinct = np.unique(days)
    if len(distinct) <= max_days:
        return [arrow]
    return [
        arrow.filter(pa.array(np.isin(days, distinct[start : start + max_days])))
        for start in range(0, len(distinct), max_days)
    ]


def open_warehouse(
    target: str | Path, database: str = DATABASE, *, read_clients: int = READ_CLIENTS
) -> Warehouse:
    """Open the warehouse at a chDB data directory or a ``http(s)://`` ClickHouse URL.

    Creates ``database`` and its tables if they do not exist. One process can
    have one chDB data directory open at a time (close it to open another); it
    reads through ``read_clients`` clients (handles of the same chDB, or sessions of
    the same server), one of which also writes.
    """
    text = str(target)
    if read_clients < 1:
        raise ValueError(f"read_clients must be at least 1, got {read_clients}")
    clients: list[Client] = []
    try:
        if not text.startswith(("http://", "https://")):
            Path(text).mkdir(parents=True, exist_ok=True)
        for _ in range(read_clients):
            clients.append(_client(text))
            _apply_client_settings(clients[-1])
    except (ClickHouseError, OSError, RuntimeError) as e:
        for client in clients:
            client.close()
        raise WarehouseUnavailable(text, str(e)) from e
    warehouse = Warehouse(clients[0], text, database, readers=clients[1:])
    warehouse.ensure_schema()
    return warehouse


def _client(target: str) -> Client:
    if target.startswith(("http://", "https://")):
        url = urlparse(target)
        return clickhouse_connect.get_client(
            host=url.hostname or "localhost",
            port=url.port or 8123,
            username=url.username or "default",
            password=url.password or "",
            secure=url.scheme == "https",
        )
    return clickhouse_connect.get_client(interface="chdb", path=target)


def _apply_client_settings(client: Client) -> None:
    """Set :data:`CLIENT_SETTINGS` on ``client``, those its server knows."""
    known = client.query(
        "SELECT name FROM system.settings WHERE name IN {names:Array(String)}",
        parameters={"names": list(CLIENT_SETTINGS)},
    ).result_rows
    for (name,) in known:
        client.set_client_setting(name, CLIENT_SETTINGS[name])
