"""A measurement over time for charts: min/max/avg/count per time bucket, in ClickHouse.

The points never leave the warehouse: ClickHouse groups them by bucket. With a
``station_id`` the read is bounded by the ``measurements`` sort key
``(station_id, name, ts)``, so only the granules of that station, name and
time range are read.
"""

from __future__ import annotations

import msgspec
import pyarrow as pa

from benchtrail.api.errors import BadParameter
from benchtrail.api.models.entities import Series, SeriesBucket
from benchtrail.api.queries._sql import Column, Where, select_list, with_times
from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.api.queries.runs import run_where
from benchtrail.projector import Warehouse

MAX_BUCKETS = 5000
"""Most buckets a series may ask for."""

SERIES_COLUMNS: tuple[Column, ...] = (
    Column("start", "fromUnixTimestamp64Nano(bucket_start_ns, 'UTC')"),
    Column("start_ns", "bucket_start_ns"),
    Column("end_ns", "bucket_start_ns + {bucket_ns:Int64}"),
    Column("count", "toInt64(point_count)"),
    Column("min", "value_min"),
    Column("max", "value_max"),
    Column("avg", "value_avg"),
)
"""The columns of a bucket, in the order of :class:`SeriesBucket`'s fields."""

_STEPS = (1, 2, 5)


class SeriesFilters(msgspec.Struct, frozen=True, kw_only=True):
    """Which points a series aggregates: one name, optionally one station, run or DUT."""

    name: str
    station_id: str | None = None
    run_id: str | None = None
    dut_serial: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None


class SeriesTable(msgspec.Struct, frozen=True, kw_only=True):
    """A series' buckets as an Arrow table, with the range and bucket width used."""

    table: pa.Table
    since_ns: int | None
    until_ns: int | None
    bucket_ns: int | None


def bucket_width(since_ns: int, until_ns: int, buckets: int) -> int:
    """The bucket width for ``[since, until)`` in at most ``buckets`` aligned buckets.

    The width is 1, 2 or 5 times a power of ten nanoseconds, at least
    ``(until - since) / buckets``, and grown until the buckets that
    ``[since, until)`` touches, aligned on multiples of it, are at most ``buckets``.
    """
    span = max(until_ns - since_ns, 1)
    minimum = -(-span // buckets)
    power = 1
    while True:
        for step in _STEPS:
            width = step * power
            if width >= minimum and _touched(since_ns, until_ns, width) <= buckets:
                return width
        power *= 10


def series(warehouse: Warehouse, filters: SeriesFilters, *, buckets: int) -> Series:
    """Per-bucket statistics of the numeric points matching ``filters``, as a :class:`Series`.

    Raises:
        BadParameter: ``until`` is not after ``since``.
    """
    result = series_table(warehouse, filters, buckets=buckets)
    rows = result.table.to_pylist() if result.bucket_ns is not None else []
    items = [
        msgspec.convert(with_times({**row, "start": None}, "start"), SeriesBucket) for row in rows
    ]
    return Series(
        name=filters.name,
        since_ns=result.since_ns,
        until_ns=result.until_ns,
        bucket_ns=result.bucket_ns,
        items=items,
    )


def series_table(warehouse: Warehouse, filters: SeriesFilters, *, buckets: int) -> SeriesTable:
    """The buckets of :func:`series` as an Arrow table built by ClickHouse.

    A bound not given is taken from the points (the first, or just after the
    last); with no bound and no point, the table is empty.

    Raises:
        BadParameter: ``until`` is not after ``since``.
    """
    since_ns, until_ns = _bounds(warehouse, filters)
    if since_ns is None or until_ns is None:
        empty = warehouse.arrow(*series_sql(warehouse, filters, 0, 1, 1, nothing=True))
        return SeriesTable(table=empty, since_ns=since_ns, until_ns=until_ns, bucket_ns=None)
    if until_ns <= since_ns:
        raise BadParameter("until", until_ns, f"a time after since ({since_ns} ns)")
    width = bucket_width(since_ns, until_ns, buckets)
    table = warehouse.arrow(*series_sql(warehouse, filters, since_ns, until_ns, width))
    return SeriesTable(table=table, since_ns=since_ns, until_ns=until_ns, bucket_ns=width)


def _touched(since_ns: int, until_ns: int, width: int) -> int:
    return (until_ns - 1) // width - since_ns // width + 1


def _where(warehouse: Warehouse, filters: SeriesFilters) -> Where:
    where = Where()
    where.equals("station_id", filters.station_id, parameter="s_station_id")
    where.equals("name", filters.name, parameter="s_name")
    where.equals("run_id", filters.run_id, parameter="s_run_id")
    where.add("NOT isNaN(value)")
    by_run = run_where(
        warehouse, {} if filters.dut_serial is None else {"dut_serial": filters.dut_serial}
    )
    where.within("run_id", f"SELECT run_id FROM {warehouse.database}.runs FINAL", by_run)
    return where


def _bounds(warehouse: Warehouse, filters: SeriesFilters) -> tuple[int | None, int | None]:
    if filters.since_ns is not None and filters.until_ns is not None:
        return filters.since_ns, filters.until_ns
    where = _where(warehouse, filters)
    _time_range(where, filters.since_ns, filters.until_ns)
    sql = f"""
        SELECT count() AS n, toUnixTimestamp64Nano(min(ts)) AS first_ns,
               toUnixTimestamp64Nano(max(ts)) AS last_ns
        FROM {warehouse.database}.measurements {where.sql()}
    """
    (row,) = warehouse.rows(sql, where.parameters)
    if not row["n"]:
        return filters.since_ns, filters.until_ns
    since_ns = filters.since_ns if filters.since_ns is not None else row["first_ns"]
    until_ns = filters.until_ns if filters.until_ns is not None else row["last_ns"] + 1
    return since_ns, until_ns


def _time_range(where: Where, since_ns: int | None, until_ns: int | None) -> None:
    if since_ns is not None:
        where.add("ts >= fromUnixTimestamp64Nano({s_since:Int64}, 'UTC')", s_since=since_ns)
    if until_ns is not None:
        where.add("ts < fromUnixTimestamp64Nano({s_until:Int64}, 'UTC')", s_until=until_ns)


def series_sql(
    warehouse: Warehouse,
    filters: SeriesFilters,
    since_ns: int,
    until_ns: int,
    width: int,
    *,
    nothing: bool = False,
) -> tuple[str, dict[str, object]]:
    """SQL and parameters of the buckets of ``width`` ns over ``[since, until)``.

    The conditions are plain comparisons on the sort key columns, so ClickHouse
    reads only the granules of that station, name and time range. ``nothing``
    matches no point (for the columns of an empty answer).
    """
    where = _where(warehouse, filters)
    _time_range(where, since_ns, until_ns)
    if nothing:
        where.add("0")
    sql = f"""
        SELECT {select_list(SERIES_COLUMNS, "lists")} FROM (
            SELECT intDiv(toUnixTimestamp64Nano(ts), {{bucket_ns:Int64}}) * {{bucket_ns:Int64}}
                       AS bucket_start_ns,
                   count() AS point_count, min(value) AS value_min, max(value) AS value_max,
                   avg(value) AS value_avg
            FROM {warehouse.database}.measurements FINAL {where.sql()}
            GROUP BY bucket_start_ns
        )
        ORDER BY start_ns
        {FINAL_SETTINGS}
    """
    return sql, {**where.parameters, "bucket_ns": width}
