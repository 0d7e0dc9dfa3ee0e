"""The raw events of a session, as the station sent them, in ``seq`` order."""

from __future__ import annotations

import msgspec
import pyarrow as pa

from benchtrail.api.errors import NotFound
from benchtrail.api.models.filters import EVENTS, FilterValues
from benchtrail.api.queries._sql import Column, Where, filter_where, select_list
from benchtrail.api.queries.measurement_events import event_log, event_seqs, rebuild_payloads
from benchtrail.projector import Warehouse

EVENT_COLUMNS: tuple[Column, ...] = (
    Column("seq", "toInt64(seq)"),
    Column("type", "type"),
    Column("event_id", "event_id"),
    Column("session_id", "session_id"),
    Column("station_id", "station_id"),
    Column("run_id", "run_id"),
    Column("occurred_at", "occurred_at"),
    Column("occurred_at_ns", "toUnixTimestamp64Nano(occurred_at)"),
    Column("payload", "payload"),
)
"""The columns of an event in the tabular formats: the envelope, and the event as JSON text."""


class EventSlice(msgspec.Struct, frozen=True, kw_only=True):
    """Some events of a session: each one's JSON text, and where the next slice starts."""

    payloads: list[str]
    next_after_seq: int | None

    def json_array(self) -> bytes:
        """The events as one JSON array, spliced from the stored JSON without re-encoding."""
        return ("[" + ",".join(self.payloads) + "]").encode()


class EventTable(msgspec.Struct, frozen=True, kw_only=True):
    """Some events of a session as an Arrow table, and where the next slice starts."""

    table: pa.Table
    next_after_seq: int | None


def session_events(
    warehouse: Warehouse,
    session_id: str,
    filters: FilterValues | None = None,
    *,
    after_seq: int = 0,
    limit: int,
) -> EventSlice:
    """Events of a session with ``seq > after_seq`` matching ``filters``, up to ``limit``.

    Raises:
        NotFound: the warehouse holds no event of that session.
    """
    where = _where(warehouse.database, session_id, filters or {}, after_seq)
    sql = f"""
        SELECT seq, event_id, payload, rebuild
        FROM {event_log(warehouse.database, payload=True, after_seq=True)} {where.sql()}
        ORDER BY seq, rebuild LIMIT 1 BY seq LIMIT {{limit:UInt32}}
    """
    rows = warehouse.rows(sql, {**where.parameters, "limit": limit + 1})
    if not rows and not _session_exists(warehouse, session_id):
        raise NotFound("session", session_id)
    next_after_seq = int(rows[limit - 1]["seq"]) if len(rows) > limit else None
    rows = rows[:limit]
    measured = [(row["event_id"], int(row["seq"])) for row in rows if row["rebuild"]]
    rebuilt = rebuild_payloads(warehouse, session_id, measured)
    payloads = [
        rebuilt.get(row["event_id"], "") if row["rebuild"] else row["payload"] for row in rows
    ]
    return EventSlice(payloads=[p for p in payloads if p], next_after_seq=next_after_seq)


def session_events_table(
    warehouse: Warehouse,
    session_id: str,
    filters: FilterValues,
    *,
    after_seq: int = 0,
    limit: int,
) -> EventTable:
    """The same slice as :func:`session_events`, as an Arrow table built by ClickHouse.

    Raises:
        NotFound: the warehouse holds no event of that session.
    """
    where = _where(warehouse.database, session_id, filters, after_seq)
    sql = f"""
        SELECT {select_list(EVENT_COLUMNS, "lists")}, rebuild
        FROM {event_log(warehouse.database, payload=True, after_seq=True)} {where.sql()}
        ORDER BY seq, rebuild LIMIT 1 BY seq LIMIT {{limit:UInt32}}
    """
    table = warehouse.arrow(sql, {**where.parameters, "limit": limit + 1})
    if not table.num_rows and not _session_exists(warehouse, session_id):
        raise NotFound("session", session_id)
    next_after_seq = None
    if table.num_rows > limit:
        next_after_seq = int(table.column("seq")[limit - 1].as_py())
        table = table.slice(0, limit)
    return EventTable(
        table=_with_rebuilt(warehouse, session_id, table), next_after_seq=next_after_seq
    )


def _with_rebuilt(warehouse: Warehouse, session_id: str, table: pa.Table) -> pa.Table:
    """``table`` with the payloads of its measurement events rebuilt, without ``rebuild``."""
    flags = table.column("rebuild").to_pylist()
    table = table.drop_columns(["rebuild"])
    if not any(flags):
        return table
    ids = [str(i) for i in table.column("event_id").to_pylist()]
    seqs = [int(seq) for seq in table.column("seq").to_numpy()]
    rebuilt = rebuild_payloads(
        warehouse, session_id, [(i, q) for i, q, f in zip(ids, seqs, flags, strict=True) if f]
    )
    payloads = [
        rebuilt.get(i, "") if f else p
        for i, f, p in zip(ids, flags, table.column("payload").to_pylist(), strict=True)
    ]
    index = table.schema.get_field_index("payload")
    table = table.set_column(index, table.schema.field(index), pa.array(payloads, pa.string()))
    keep = [bool(p) for p in payloads]
    return table if all(keep) else table.filter(pa.array(keep))


def _where(database: str, session_id: str, filters: FilterValues, after_seq: int) -> Where:
    where = Where()
    where.equals("session_id", session_id)
    where.add("seq > {after_seq:UInt64}", after_seq=after_seq)
    return filter_where(EVENTS, filters, database, where)


def _session_exists(warehouse: Warehouse, session_id: str) -> bool:
    seqs = event_seqs(warehouse.database, "session_id = {session_id:String}")
    sql = f"""
        SELECT count() FROM (SELECT 1 FROM {seqs} LIMIT 1)
    """
    return bool(warehouse.scalar(sql, {"session_id": session_id}))
