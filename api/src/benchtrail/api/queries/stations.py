"""Questions about stations: which exist, and what each is running now."""

from __future__ import annotations

import msgspec
import pyarrow as pa
from clickhouse_connect.driver.exceptions import ClickHouseError

from benchtrail.api.models.entities import StationSummary, WarehouseHealth
from benchtrail.api.models.filters import STATIONS, FilterValues
from benchtrail.api.queries._sql import Column, Nesting, filter_where, select_list, with_times
from benchtrail.projector import Warehouse, session_seqs

STATION_COLUMNS: tuple[Column, ...] = (
    Column("station_id", "station_id"),
    Column("station_name", "station_name"),
    Column("station_type", "station_type"),
    Column("station_location", "station_location"),
    Column("hostname", "hostname"),
    Column("session_count", "toInt64(session_count)"),
    Column("running_session_count", "toInt64(running_session_count)"),
    Column("running_session_ids", "running_session_ids", "list"),
    Column("first_seen", "first_seen"),
    Column("first_seen_ns", "toUnixTimestamp64Nano(first_seen)"),
    Column("last_seen", "last_seen"),
    Column("last_seen_ns", "toUnixTimestamp64Nano(last_seen)"),
    Column("last_end_reason", "last_end_reason"),
)
"""The columns of a station, in the order of :class:`StationSummary`'s fields."""


def list_stations(
    warehouse: Warehouse, filters: FilterValues | None = None
) -> list[StationSummary]:
    """Every station that opened a session (matching ``filters``), by id.

    Each is described by its latest session; ``last_seen`` is the time of the
    station's latest event; running sessions are those without a ``session.ended`` yet;
    ``last_end_reason`` is the reason its latest ended session gave (empty: a normal end).
    """
    rows = warehouse.rows(*_sql(warehouse, filters or {}, "native"))
    return [
        msgspec.convert(with_times(row, "first_seen", "last_seen"), StationSummary) for row in rows
    ]


def stations_table(warehouse: Warehouse, filters: FilterValues, nesting: Nesting) -> pa.Table:
    """The same stations as :func:`list_stations`, as an Arrow table built by ClickHouse."""
    return warehouse.arrow(*_sql(warehouse, filters, nesting))


def _sql(
    warehouse: Warehouse, filters: FilterValues, nesting: Nesting
) -> tuple[str, dict[str, object]]:
    db = warehouse.database
    where = filter_where(STATIONS, filters, db)
    sql = f"""
        SELECT {select_list(STATION_COLUMNS, nesting)} FROM (
            SELECT s.station_id AS station_id,
                   argMax(s.station_name, s.started_at) AS station_name,
                   argMax(s.station_type, s.started_at) AS station_type,
                   argMax(s.station_location, s.started_at) AS station_location,
                   argMax(s.hostname, s.started_at) AS hostname,
                   count() AS session_count,
                   countIf(e.session_id IS NULL) AS running_session_count,
                   groupArrayIf(s.session_id, e.session_id IS NULL) AS running_session_ids,
                   min(s.started_at) AS first_seen,
                   greatest(max(s.started_at), ifNull(any(l.last_event), max(s.started_at)))
                       AS last_seen,
                   ifNull(any(r.last_end_reason), '') AS last_end_reason
            FROM {db}.sessions AS s FINAL
            LEFT JOIN (SELECT DISTINCT session_id FROM {db}.session_ends) AS e
                ON e.session_id = s.session_id
            LEFT JOIN (SELECT station_id, argMax(reason, ended_at) AS last_end_reason
                       FROM {db}.session_ends GROUP BY station_id) AS r
                ON r.station_id = s.station_id
            LEFT JOIN ({session_seqs.last_events_sql(db)}) AS l
                ON l.station_id = s.station_id
            GROUP BY s.station_id
        ) {where.sql()}
        ORDER BY station_id
        SETTINGS join_use_nulls = 1
    """
    return sql, where.parameters


def warehouse_health(warehouse: Warehouse) -> WarehouseHealth:
    """Whether a trivial query on the warehouse succeeds, and the error if not."""
    try:
        warehouse.scalar("SELECT 1")
    except (ClickHouseError, OSError, RuntimeError) as e:
        return WarehouseHealth(reachable=False, error=str(e))
    return WarehouseHealth(reachable=True)
