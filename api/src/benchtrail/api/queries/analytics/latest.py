"""The newest points of a measurement, read through widening time windows.

The most recent day (before ``until``, or now) is read first, then the last 7 and
the last 30 days, and at last everything: a measurement recorded every day needs one
small read of its newest partitions rather than a read of its whole history. A window
that found some points but too few is followed by one sized to them (1.5 times the days
its rate of points needs, when that is shorter than the next of those windows): 10,000
points of a name recorded ~4,000 times a day read 1 day, then 4 days, not 7.
"""

from __future__ import annotations

import math
import time

import pyarrow as pa

from benchtrail.api.queries._sql import Where
from benchtrail.api.queries.analytics.filters import AnalyticsFilters
from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.projector import Warehouse

WINDOW_DAYS: tuple[int | None, ...] = (1, 7, 30, None)
"""The time windows tried, in days before ``until`` (or now); None: everything."""

MARGIN = 1.5
"""How much wider than the rate of points found says a sized window is."""

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
    days: int | None = WINDOW_DAYS[0]
    while True:
        start = end - days * DAY_NS if days is not None else None
        bounded = start is not None and (filters.since_ns is None or start > filters.since_ns)
        table = _read(warehouse, _within(where, start if bounded else None), columns, count)
        if table.num_rows >= count or not bounded or days is None:
            return table
        days = wider(days, table.num_rows, count)


def wider(days: int, found: int, count: int) -> int | None:
    """The window after one of ``days`` that held ``found`` of the ``count`` points wanted.

    The next of :data:`WINDOW_DAYS`, or, when shorter than that next bounded window, one
    of the days the rate found needs (times :data:`MARGIN`); always more than ``days``,
    and everything (None) after the last bounded window.
    """
    following = next((d for d in WINDOW_DAYS if d is None or d > days), None)
    if found == 0:
        return following
    sized = math.ceil(days * count / found * MARGIN)
    return sized if following is not None and sized < following else following


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
