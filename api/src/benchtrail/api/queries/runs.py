"""Questions about runs: which DUT was tested where, with what verdict and which points.

A page of runs is read in two steps: the ids of the page (one scan of ``runs``
with the filters), then the summaries of those runs: their own columns, ends, point
and step counts, each a plain read put together by :mod:`.run_summaries` (rows for
JSON, an Arrow table for the tabular formats, with the same fields).

Run-scoped reads go without ``FINAL``, which would merge every part of a station's
points (or of every run) before filtering; each keeps a replayed row from counting
twice in its own way: ``LIMIT 1 BY`` the run (or point) it answers, ``min``/``argMin``
over ends and steps (a copy changes neither), ``uniqExact`` over a point's sort key
(:data:`POINT_KEY`) where points are counted.
"""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.models.entities import (
    MeasurementPoint,
    RunDetail,
    RunPage,
    RunSummary,
    StepSummary,
)
from benchtrail.api.models.filters import RUNS, FilterValues
from benchtrail.api.queries._sql import (
    Nesting,
    Row,
    TablePage,
    Where,
    filter_where,
    finite,
    with_times,
)
from benchtrail.api.queries.cursors import Cursor, encode_cursor
from benchtrail.api.queries.newest import newest_rows
from benchtrail.api.queries.point_counts import POINT_KEY, PointCounts, point_totals
from benchtrail.api.queries.run_summaries import (
    RunEnd,
    RunFacts,
    RunIds,
    complete_rows,
    complete_table,
    read_rows,
    read_table,
    run_ends,
)
from benchtrail.api.timestamps import ns_to_datetime
from benchtrail.projector import Warehouse

CURSOR_KIND = "r"
"""Cursor kind of ``/api/runs`` (a cursor of another endpoint is refused)."""


def run_where(warehouse: Warehouse, filters: FilterValues) -> Where:
    """The conditions on the ``runs`` table that ``filters`` (of :data:`RUNS`) asks for."""
    return filter_where(RUNS, filters, warehouse.database)


def list_runs(
    warehouse: Warehouse, filters: FilterValues, *, limit: int, cursor: Cursor | None = None
) -> RunPage:
    """Runs matching ``filters``, newest first (ties by id), one page after ``cursor``."""
    page, next_cursor = _page(warehouse, filters, limit, cursor)
    return RunPage(items=run_summaries(warehouse, page), next_cursor=next_cursor)


def runs_table(
    warehouse: Warehouse,
    filters: FilterValues,
    *,
    limit: int,
    cursor: Cursor | None = None,
    nesting: Nesting = "lists",
) -> TablePage:
    """The same page as :func:`list_runs`, as an Arrow table: the runs' own columns built
    by ClickHouse, their ends and counts added as columns."""
    page, next_cursor = _page(warehouse, filters, limit, cursor)
    own, facts = read_table(warehouse, page, nesting)
    return TablePage(complete_table(own, facts), next_cursor)


def get_run(warehouse: Warehouse, run_id: str, *, measurement_limit: int) -> RunDetail:
    """One run with its steps and its first ``measurement_limit`` points in time order.

    Raises:
        NotFound: no ``run.started`` of that id is in the warehouse.
    """
    # Two lanes at once: the run's own row, then its first points (one more than asked:
    # whether there are more; their read needs the run's station); and its ends and steps.
    # Points and steps give the counts when the run has no more points than asked, and the
    # summary need not read its measurements a second time.
    page = RunIds(ids=[run_id], stations=[])

    def own_and_points() -> tuple[list[Row], list[MeasurementPoint]]:
        rows, _ = read_rows(warehouse, page, ends={}, counted=False)
        if not rows:
            return rows, []
        return rows, _measurements(warehouse, rows[0]["station_id"], run_id, measurement_limit + 1)

    def ends_and_steps() -> tuple[dict[str, RunEnd], list[StepSummary]]:
        ends = run_ends(warehouse, "run_id = {run_id:String}", {"run_id": run_id})
        return ends, _steps(warehouse, run_id)

    (rows, points), (ends, steps) = warehouse.together(own_and_points, ends_and_steps)
    summaries = complete_rows(rows, RunFacts(ends=ends))
    if not summaries:
        raise NotFound("run", run_id)
    (summary,) = summaries
    truncated = len(points) > measurement_limit
    total, failed = (
        point_totals(warehouse, summary.station_id, run_id)
        if truncated
        else (len(points), sum(point.outcome == "failed" for point in points))
    )
    summary = msgspec.structs.replace(
        summary, measurement_count=total, failed_measurement_count=failed, step_count=len(steps)
    )
    return RunDetail(
        **msgspec.structs.asdict(summary),
        steps=steps,
        measurements=points[:measurement_limit],
        measurements_truncated=truncated,
    )


def run_summaries(
    warehouse: Warehouse, page: RunIds, *, point_counts: PointCounts | None = None
) -> list[RunSummary]:
    """The summaries of the runs of ``page``, in page order; their point counts from
    ``point_counts`` when the caller has read them (``page.stations`` is then not needed)."""
    if not page.ids:
        return []
    return complete_rows(*read_rows(warehouse, page, points=point_counts))


def _page(
    warehouse: Warehouse, filters: FilterValues, limit: int, cursor: Cursor | None
) -> tuple[RunIds, str | None]:
    where = run_where(warehouse, filters)
    where.before("started_at", "run_id", cursor)
    if filters.get("session_id") is not None:
        # A session's runs are few: sorting them all is cheaper than a window's condition.
        rows = _page_rows(warehouse, where, limit + 1)
    else:
        rows = newest_rows(
            lambda windowed: _page_rows(warehouse, windowed, limit + 1),
            where,
            "started_at",
            cursor,
            limit + 1,
        )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(CURSOR_KIND, last["started_at_ns"], last["run_id"])
    return _ids(rows[:limit]), next_cursor


def _page_rows(warehouse: Warehouse, where: Where, limit: int) -> list[Row]:
    sql = f"""
        SELECT run_id, station_id, toUnixTimestamp64Nano(started_at) AS started_at_ns
        FROM {warehouse.database}.runs {where.sql()}
        ORDER BY started_at DESC, run_id DESC
        LIMIT 1 BY run_id LIMIT {{limit:UInt32}}
    """
    return warehouse.rows(sql, {**where.parameters, "limit": limit})


def _ids(rows: list[Row]) -> RunIds:
    return RunIds(
        ids=[row["run_id"] for row in rows],
        stations=sorted({row["station_id"] for row in rows}),
    )


def _steps(warehouse: Warehouse, run_id: str) -> list[StepSummary]:
    sql = f"""
        SELECT step_id, any(name) AS name,
               toUnixTimestamp64Nano(minIfOrNull(at, phase = 'started')) AS started_at_ns,
               toUnixTimestamp64Nano(minIfOrNull(at, phase = 'ended')) AS ended_at_ns,
               anyIfOrNull(outcome, phase = 'ended') AS outcome,
               maxIfOrNull(duration_ns, phase = 'ended') AS duration_ns,
               anyIf(error, phase = 'ended') AS error
        FROM {warehouse.database}.steps WHERE run_id = {{run_id:String}}
        GROUP BY step_id ORDER BY started_at_ns ASC NULLS LAST, step_id
    """
    rows = warehouse.rows(sql, {"run_id": run_id})
    return [msgspec.convert(with_times(row, "started_at", "ended_at"), StepSummary) for row in rows]


def _measurements(
    warehouse: Warehouse, station_id: str, run_id: str, limit: int
) -> list[MeasurementPoint]:
    """The first ``limit`` points of a run of ``station_id`` in time order."""
    sql = f"""
        SELECT name, toUnixTimestamp64Nano(ts) AS ts_ns, value, value_str, value_kind, unit,
               low, high, outcome, step, description, marginal_low, marginal_high, marginal
        FROM {warehouse.database}.measurements
        WHERE station_id = {{station_id:String}} AND run_id = {{run_id:String}}
        ORDER BY ts, event_id, point_index
        LIMIT 1 BY {POINT_KEY} LIMIT {{limit:UInt32}}
    """
    parameters = {"station_id": station_id, "run_id": run_id, "limit": limit}
    return [_point(row) for row in warehouse.rows(sql, parameters)]


def _point(row: Row) -> MeasurementPoint:
    return MeasurementPoint(
        name=row["name"],
        ts=ns_to_datetime(row["ts_ns"]),
        ts_ns=row["ts_ns"],
        value=finite(row["value"]),
        value_str=row["value_str"],
        value_kind=row["value_kind"],
        unit=row["unit"],
        low=row["low"],
        high=row["high"],
        outcome=row["outcome"],
        step=row["step"],
        description=row["description"],
        marginal_low=row["marginal_low"],
        marginal_high=row["marginal_high"],
        marginal=bool(row["marginal"]),
    )
