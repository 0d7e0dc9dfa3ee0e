"""Pareto of failures: which measurements or steps fail most, with cumulative shares.

Counted without ``FINAL``, per (name, run) first: ``uniqExact`` over a point's (or a
step's) identity counts a replayed row once. The failure condition is the
``PREWHERE``, read before any other column; the run's attributes (part number...)
are checked after that aggregation, on a few thousand (name, run) pairs rather than
on every point. Ranks and cumulative shares are
window functions.
"""

from __future__ import annotations

import msgspec

from benchtrail.api.models.analytics import ParetoBy, ParetoKind, ParetoRow
from benchtrail.api.queries.analytics.filters import (
    AnalyticsFilters,
    matching_runs,
    point_where,
)
from benchtrail.projector import Warehouse

_PER_RUN: dict[ParetoKind, str] = {
    "measurements": """
        SELECT name, toString(run_id) AS run, uniqExact(ts, point_index) AS failures
        FROM {database}.measurements PREWHERE outcome = 'failed' {where}
        GROUP BY name, run
    """,
    "steps": """
        SELECT name, toString(run_id) AS run, uniqExact(step_id) AS failures
        FROM {database}.steps PREWHERE phase = 'ended' AND outcome IN ('failed', 'error')
        {where} GROUP BY name, run
    """,
}
_TIME_COLUMN: dict[ParetoKind, str] = {"measurements": "ts", "steps": "at"}
_COUNT: dict[ParetoBy, str] = {"runs": "failed_runs", "failures": "failures"}


def pareto(
    warehouse: Warehouse,
    filters: AnalyticsFilters,
    *,
    kind: ParetoKind,
    by: ParetoBy = "runs",
    limit: int = 20,
) -> list[ParetoRow]:
    """The ``limit`` names with the most failures, most first (ties by name).

    Args:
        warehouse: where to read.
        filters: which runs and which time range (the point's or the step's end time).
        kind: ``measurements`` (failed points by name) or ``steps`` (failing steps by name).
        by: rank by ``runs`` (runs with at least one failure) or ``failures``.
        limit: how many names to return; shares are of the total over all names.
    """
    where = point_where(warehouse, filters, _TIME_COLUMN[kind], with_runs=False)
    runs = matching_runs(warehouse, filters)
    chosen = ""
    if runs is not None:  # on the (name, run) pairs: the alias keeps it after the GROUP BY
        chosen = f"WHERE run IN ({runs.sql})"
        where.parameters.update(runs.parameters)
    per_run = _PER_RUN[kind].format(database=warehouse.database, where=where.sql())
    count = _COUNT[by]
    sql = f"""
        SELECT name, {count} AS count, failures, failed_runs,
               100 * count / sum(count) OVER () AS percent,
               100 * sum(count) OVER (ORDER BY count DESC, name ROWS UNBOUNDED PRECEDING)
                   / sum(count) OVER () AS cumulative_percent
        FROM (
            SELECT name, sum(failures) AS failures, count() AS failed_runs
            FROM ({per_run}) {chosen} GROUP BY name
        )
        ORDER BY count DESC, name LIMIT {{limit:UInt32}}
    """
    rows = warehouse.rows(sql, {**where.parameters, "limit": limit})
    return [msgspec.convert(row, ParetoRow) for row in rows]
