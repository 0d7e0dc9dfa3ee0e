"""The newest rows of a page, read through widening time windows.

A page of the newest runs sorts every row that matches its filters; the
rows are partitioned by day of their start, so reading the last day first, then the
last 7 and 30 days, and at last everything, usually sorts one day's rows instead of a
month's. A window that holds at least a page of rows holds the newest page: every row
outside it started earlier than every row inside.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from benchtrail.api.queries._sql import Row, Where
from benchtrail.api.queries.cursors import Cursor

WINDOW_DAYS: tuple[int | None, ...] = (7, None)
"""The windows tried, in days before the cursor's time (or now); None: everything."""

DAY_NS = 86_400 * 1_000_000_000


def newest_rows(
    read: Callable[[Where], list[Row]],
    where: Where,
    time_column: str,
    cursor: Cursor | None,
    limit: int,
) -> list[Row]:
    """``read(where)`` in the smallest window that gives ``limit`` rows (or everything).

    ``read`` returns at most ``limit`` rows, newest first, of the rows ``where`` matches.
    """
    end = cursor.time_ns if cursor is not None else time.time_ns()
    for days in WINDOW_DAYS:
        if days is None:
            return read(where)
        windowed = Where()
        windowed.conditions = list(where.conditions)
        windowed.parameters = dict(where.parameters)
        windowed.add(
            f"{time_column} >= fromUnixTimestamp64Nano({{window_ns:Int64}}, 'UTC')",
            window_ns=end - days * DAY_NS,
        )
        rows = read(windowed)
        if len(rows) >= limit:
            return rows
    raise AssertionError("the last window is unbounded")  # pragma: no cover
