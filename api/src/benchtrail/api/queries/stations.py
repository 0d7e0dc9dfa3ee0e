"""Questions about stations: which exist, and what each is running now."""

from __future__ import annotations

import msgspec
from clickhouse_connect.driver.exceptions import ClickHouseError

from benchtrail.api.models import StationSummary, WarehouseHealth
from benchtrail.api.queries._sql import with_times
from benchtrail.projector import Warehouse


def list_stations(warehouse: Warehouse) -> list[StationSummary]:
    """Every station that opened a session, by id, described by its latest session.

    ``last_seen`` is the time of the station's latest event; running sessions
    are those without a ``session.ended`` yet.
    """
    db = warehouse.database
    sql = f"""
        SELECT s.station_id AS station_id,
               argMax(s.station_name, s.started_at) AS station_name,
               argMax(s.station_type, s.started_at) AS station_type,
               argMax(s.station_location, s.started_at) AS station_location,
               argMax(s.hostname, s.started_at) AS hostname,
               count() AS session_count,
               countIf(e.session_id IS NULL) AS running_session_count,
               groupArrayIf(s.session_id, e.session_id IS NULL) AS running_session_ids,
               toUnixTimestamp64Nano(min(s.started_at)) AS first_seen_ns,
               toUnixTimestamp64Nano(
                   greatest(max(s.started_at), ifNull(any(l.last_event), max(s.started_at)))
               ) AS last_seen_ns
        FROM {db}.sessions AS s FINAL
        LEFT JOIN (SELECT DISTINCT session_id FROM {db}.session_ends) AS e
            ON e.session_id = s.session_id
        LEFT JOIN (SELECT station_id, max(occurred_at) AS last_event FROM {db}.events
                   GROUP BY station_id) AS l
            ON l.station_id = s.station_id
        GROUP BY s.station_id ORDER BY s.station_id
        SETTINGS join_use_nulls = 1
    """
    rows = warehouse.rows(sql)
    return [
        msgspec.convert(with_times(row, "first_seen", "last_seen"), StationSummary) for row in rows
    ]


def warehouse_health(warehouse: Warehouse) -> WarehouseHealth:
    """Whether a trivial query on the warehouse succeeds, and the error if not."""
    try:
        warehouse.scalar("SELECT 1")
    except (ClickHouseError, OSError, RuntimeError) as e:
        return WarehouseHealth(reachable=False, error=str(e))
    return WarehouseHealth(reachable=True)
