"""The newest points of a measurement, read through widening time windows.

The most recent day (before ``until``, or now) is read first, then the last 7 and
the last 30 days, and at last everything: a measurement recorded every day needs one
small read of its newest partitions rather than a read of its whole history. A window
that found some points but too few is followed by one sized to them (1.5 times the days
its rate of points needs, when that is shorter than the next of those windows): 10,000
points of a name recorded ~4,000 times a day read 1 day, then 4 days, not 7.

A read of more than :data:`PROBE_ABOVE` points first counts the newest day's points
(a count, without ``FINAL``, costs about half the read of them) and sizes its first
window from that: 10,000 points of a name recorded ~2,000 times a day are read once,
through the last 7 days (on 10M points: a 6 ms count instead of a 13 ms read of the day).
Copies of a replayed point that are not merged yet are counted twice: the window may
then hold fewer points than counted, and the next window is read as before.
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

PROBE_ABOVE = 1_000
"""Reads of more points than this count the first window's points before reading any."""

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
    if count > PROBE_ABOVE and days is not None and _bounded(end, days, filters):
        counted = _count(warehouse, _within(where, end - days * DAY_NS))
        if counted < count:
            days = wider(days, counted, count)
    while True:
        bounded = days is not None and _bounded(end, days, filters)
        start = end - days * DAY_NS if days is not None and bounded else None
        table = _read(warehouse, _within(where, start), columns, count)
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


def _bounded(end_ns: int, days: int, filters: AnalyticsFilters) -> bool:
    """Whether a window of ``days`` before ``end_ns`` starts after the filters' ``since``."""
    return filters.since_ns is None or end_ns - days * DAY_NS > filters.since_ns


def _within(where: Where, start_ns: int | None) -> Where:
    windowed = Where()
    windowed.conditions = list(where.conditions)
    windowed.parameters = dict(where.parameters)
    if start_ns is not None:
        windowed.add("ts >= fromUnixTimestamp64Nano({window_ns:Int64}, 'UTC')", window_ns=start_ns)
    return windowed


def _count(warehouse: Warehouse, where: Where) -> int:
    """How many rows match ``where`` (copies not merged yet counted each)."""
    sql = f"SELECT count() FROM {warehouse.database}.measurements {where.sql()}"
    return int(warehouse.scalar(sql, where.parameters))


def _read(warehouse: Warehouse, where: Where, columns: str, count: int) -> pa.Table:
    sql = f"""
        SELECT {columns} FROM {warehouse.database}.measurements FINAL {where.sql()}
        ORDER BY ts DESC, event_id DESC, point_index DESC LIMIT {{count:UInt32}}
        {FINAL_SETTINGS}
    """
    return warehouse.arrow(sql, {**where.parameters, "count": count})
