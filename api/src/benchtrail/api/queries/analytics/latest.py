"""The newest points of a measurement, read through widening time windows.

The most recent day (before ``until``, or now) is read first, then the last 7 and
the last 30 days, and at last everything: a measurement recorded every day needs one
small read of its newest partitions rather than a read of its whole history.
"""

from __future__ import annotations

import time

import pyarrow as pa

from benchtrail.api.queries._sql import Where
from benchtrail.api.queries.analytics.filters import AnalyticsFilters
from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.projector import Warehouse

WINDOW_DAYS: tuple[int | None, ...] = (1, 7, 30, None)
"""The time windows tried, in days before ``until`` (or now); None: everything."""

DAY_NS = 86_400 * 1_000_000_000


def newest_points(
    warehouse: Warehouse,
    where: Where,
    filters: AnalyticsFilters,
    *,
    columns: str,
    count: int,
) -> pa.Table:
    """The ``count`` newest points matching ``where`` (``FINAL``), newest first.

    Args:
        warehouse: where to read.
        where: the conditions on ``measurements`` (including the filters' own).
        filters: the filters, whose ``since``/``until`` bound the windows.
        columns: the SELECT list.
        count: how many points at most.
    """
    end = filters.until_ns if filters.until_ns is not None else time.time_ns()
    for days in WINDOW_DAYS:
        start = end - days * DAY_NS if days is not None else None
        bounded = start is not None and (filters.since_ns is None or start > filters.since_ns)
        table = _read(warehouse, _within(where, start if bounded else None), columns, count)
        if table.num_rows >= count or not bounded:
            return table
    raise AssertionError("the last window is unbounded")  # pragma: no cover


def _within(where: Where, start_ns: int | None) -> Where:
    windowed = Where()
    windowed.conditions = list(where.conditions)
    windowed.parameters = dict(where.parameters)
    if start_ns is not None:
        windowed.add("ts >= fromUnixTimestamp64Nano({window_ns:Int64}, 'UTC')", window_ns=start_ns)
    return windowed


def _read(warehouse: Warehouse, where: Where, columns: str, count: int) -> pa.Table:
    sql = f"""
        SELECT {columns} FROM {warehouse.database}.measurements FINAL {where.sql()}
        ORDER BY ts DESC, event_id DESC, point_index DESC LIMIT {{count:UInt32}}
        {FINAL_SETTINGS}
    """
    return warehouse.arrow(sql, {**where.parameters, "count": count})
