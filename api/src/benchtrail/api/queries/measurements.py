"""Measured points, one row per point, in pages that follow the table's sort key.

``measurements`` is sorted by ``(station_id, name, ts, event_id, point_index)``;
pages follow that order, and a page's cursor is the sort key of its last point,
so the next page starts where the primary index points, never re-reading what
came before. Within one station and one name that is time order.
"""

from __future__ import annotations

from benchtrail.api.models.entities import MeasurementPage, MeasurementRow
from benchtrail.api.models.filters import MEASUREMENTS, FilterValues
from benchtrail.api.queries._sql import (
    Column,
    Nesting,
    Row,
    TablePage,
    Where,
    filter_where,
    select_list,
    with_times,
)
from benchtrail.api.queries.cursors import PointCursor, encode_point_cursor
from benchtrail.projector import Warehouse

CURSOR_KIND = "m"
"""Cursor kind of ``/api/measurements``."""

MEASUREMENT_COLUMNS: tuple[Column, ...] = (
    Column("station_id", "station_id"),
    Column("session_id", "session_id"),
    Column("run_id", "run_id"),
    Column("name", "name"),
    Column("ts", "ts"),
    Column("ts_ns", "toUnixTimestamp64Nano(ts)"),
    Column("value", "if(isNaN(value), NULL, value)"),
    Column("value_str", "value_str"),
    Column("value_kind", "value_kind"),
    Column("unit", "unit"),
    Column("low", "low"),
    Column("high", "high"),
    Column("outcome", "outcome"),
    Column("step", "step"),
    Column("event_id", "event_id"),
    Column("point_index", "toInt64(point_index)"),
)
"""The columns of a measured point, in the order of :class:`MeasurementRow`'s fields."""

FINAL_SETTINGS = (
    "SETTINGS do_not_merge_across_partitions_select_final = 1,"
    " optimize_move_to_prewhere_if_final = 1"
)
"""Copies of a point share its ``ts`` and so its day partition: FINAL merges within each.
Conditions on sorting-key columns (station, name, time) filter rows before FINAL merges
them (ClickHouse moves only those into ``PREWHERE`` under ``FINAL``, so every copy of a
row is kept or dropped alike): a month of one name's capability in unmerged parts took
41 ms instead of 48 (``benchmarks/measurement_settings.py``)."""


def measurement_where(warehouse: Warehouse, filters: FilterValues) -> Where:
    """The conditions on ``measurements`` that ``filters`` (of :data:`MEASUREMENTS`) asks for."""
    return filter_where(MEASUREMENTS, filters, warehouse.database)


def list_measurements(
    warehouse: Warehouse,
    filters: FilterValues,
    *,
    limit: int,
    cursor: PointCursor | None = None,
) -> MeasurementPage:
    """Points matching ``filters`` in sort key order, one page after ``cursor``."""
    sql, parameters = _page_sql(warehouse, filters, limit, cursor, "native")
    rows = warehouse.rows(sql, parameters)
    next_cursor = _next_cursor(rows[limit - 1]) if len(rows) > limit else None
    # The columns are MeasurementRow's fields, typed by the query: built, not converted
    # (a 100k-point page: ~80 ms instead of ~400 ms of the interpreter the projector shares).
    items = [MeasurementRow(**with_times(row, "ts")) for row in rows[:limit]]
    return MeasurementPage(items=items, next_cursor=next_cursor)


def measurements_table(
    warehouse: Warehouse,
    filters: FilterValues,
    *,
    limit: int,
    cursor: PointCursor | None = None,
    nesting: Nesting = "lists",
) -> TablePage:
    """The same page as :func:`list_measurements`, as an Arrow table built by ClickHouse."""
    table = warehouse.arrow(*_page_sql(warehouse, filters, limit, cursor, nesting))
    next_cursor = None
    if table.num_rows > limit:
        next_cursor = _next_cursor(table.slice(limit - 1, 1).to_pylist()[0])
        table = table.slice(0, limit)
    return TablePage(table, next_cursor)


def _page_sql(
    warehouse: Warehouse,
    filters: FilterValues,
    limit: int,
    cursor: PointCursor | None,
    nesting: Nesting,
) -> tuple[str, dict[str, object]]:
    where = measurement_where(warehouse, filters)
    if cursor is not None:
        _after(where, cursor)
    sql = f"""
        SELECT {select_list(MEASUREMENT_COLUMNS, nesting)}
        FROM {warehouse.database}.measurements FINAL {where.sql()}
        ORDER BY station_id, name, ts, event_id, point_index
        LIMIT {{limit:UInt32}}
        {FINAL_SETTINGS}
    """
    return sql, {**where.parameters, "limit": limit + 1}


def _after(where: Where, cursor: PointCursor) -> None:
    """Keyset condition on the sort key, spelled out so the primary index can use it."""
    where.add(
        """(station_id > {c_station:String} OR (station_id = {c_station:String} AND (
              name > {c_name:String} OR (name = {c_name:String} AND (
              ts > fromUnixTimestamp64Nano({c_ts:Int64}, 'UTC')
              OR (ts = fromUnixTimestamp64Nano({c_ts:Int64}, 'UTC') AND (
              event_id > {c_event:String}
              OR (event_id = {c_event:String} AND point_index > {c_point:UInt32}))))))))""",
        c_station=cursor.station_id,
        c_name=cursor.name,
        c_ts=cursor.ts_ns,
        c_event=cursor.event_id,
        c_point=cursor.point_index,
    )


def _next_cursor(last: Row) -> str:
    return encode_point_cursor(
        PointCursor(
            CURSOR_KIND,
            last["station_id"],
            last["name"],
            last["ts_ns"],
            last["event_id"],
            last["point_index"],
        )
    )
