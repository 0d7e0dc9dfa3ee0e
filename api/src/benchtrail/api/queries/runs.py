"""Questions about runs: which DUT was tested where, with what verdict and which points.

A page of runs is read in two steps: the ids of the page (one scan of ``runs``
with the filters), then every column of those runs, joined in ClickHouse with
their ends, measurement counts and step counts. The second step is one SQL text
for every output format: rows for JSON, an Arrow table for the tabular formats.

Run-scoped reads go without ``FINAL``, which would merge every part of a station's
points (or of every run) before filtering; each keeps a replayed row from counting
twice in its own way: ``LIMIT 1 BY`` the run (or point) it answers, ``min``/``argMin``
over ends and steps (a copy changes neither), ``uniqExact`` over a point's sort key
(:data:`POINT_KEY`) where points are counted.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    Column,
    Nesting,
    Row,
    TablePage,
    Where,
    filter_where,
    finite,
    select_list,
    with_times,
)
from benchtrail.api.queries.cursors import Cursor, encode_cursor
from benchtrail.api.queries.newest import newest_rows
from benchtrail.api.queries.point_counts import COUNTED, POINT_KEY, PointCounts, point_totals
from benchtrail.api.timestamps import ns_to_datetime
from benchtrail.projector import Warehouse
from benchtrail.schemas import CustomValue

CURSOR_KIND = "r"
"""Cursor kind of ``/api/runs`` (a cursor of another endpoint is refused)."""

RUN_COLUMNS: tuple[Column, ...] = (
    *(
        Column(name, f"r.{name}")
        for name in (
            "run_id",
            "session_id",
            "station_id",
            "dut_serial",
            "dut_part_number",
            "dut_revision",
            "dut_lot_number",
            "product_id",
            "product_name",
            "product_revision",
            "slot_id",
        )
    ),
    Column("slot_index", "toInt64(r.slot_index)"),
    *(
        Column(name, f"r.{name}")
        for name in (
            "fixture_id",
            "test_phase",
            "project_name",
            "git_commit",
            "git_branch",
            "git_remote",
            "git_dirty",
            "python_version",
        )
    ),
    Column("packages", "r.packages", "map"),
    Column("custom_metadata", "r.custom_metadata"),
    Column("channel_refs", "r.channel_refs", "list"),
    Column("started_at", "r.started_at"),
    Column("started_at_ns", "toUnixTimestamp64Nano(r.started_at)"),
    Column("ended_at", "e.first_end"),
    Column("ended_at_ns", "toUnixTimestamp64Nano(e.first_end)"),
    Column("status", "if(e.first_end IS NULL, 'running', 'ended')"),
    Column("outcome", "e.end_outcome"),
    Column("error", "ifNull(e.end_error, '')"),
    Column(
        "duration_ns",
        "if(e.first_end IS NULL, NULL, if(e.end_duration_ns = 0,"
        " toUnixTimestamp64Nano(e.first_end) - toUnixTimestamp64Nano(r.started_at),"
        " toInt64(e.end_duration_ns)))",
    ),
    Column("measurement_count", "toInt64(point_counts.2[indexOf(point_counts.1, r.run_id)])"),
    Column(
        "failed_measurement_count", "toInt64(point_counts.3[indexOf(point_counts.1, r.run_id)])"
    ),
    Column("step_count", "toInt64(step_counts.2[indexOf(step_counts.1, r.run_id)])"),
    Column("structured_metadata", "r.structured_metadata"),
)
"""The columns of a run summary, in the order of :class:`RunSummary`'s fields."""

_custom_metadata = msgspec.json.Decoder(dict[str, CustomValue])
_structured_metadata = msgspec.json.Decoder(dict[str, object])


class RunIds(msgspec.Struct, frozen=True):
    """The runs of a page, in page order, and the stations they ran on."""

    ids: list[str]
    stations: list[str]


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
    """The same page as :func:`list_runs`, as an Arrow table built by ClickHouse."""
    page, next_cursor = _page(warehouse, filters, limit, cursor)
    sql, parameters = summary_sql(warehouse, page, nesting)
    return TablePage(warehouse.arrow(sql, parameters), next_cursor)


def get_run(warehouse: Warehouse, run_id: str, *, measurement_limit: int) -> RunDetail:
    """One run with its steps and its first ``measurement_limit`` points in time order.

    Raises:
        NotFound: no ``run.started`` of that id is in the warehouse.
    """
    # The summary without its counts first, then the points (one more than asked: whether
    # there are more) and the steps: they give the counts when the run has no more points
    # than asked, and the summary need not read its measurements a second time.
    sql, parameters = summary_sql(
        warehouse, RunIds(ids=[run_id], stations=[]), "native", counted=False
    )
    summaries = [summary_from_row(row) for row in warehouse.rows(sql, parameters)]
    if not summaries:
        raise NotFound("run", run_id)
    (summary,) = summaries
    points = _measurements(warehouse, summary, measurement_limit + 1)
    steps = _steps(warehouse, run_id)
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
    known, counted = point_counts.lookup() if point_counts is not None else ("", {})
    sql, parameters = summary_sql(warehouse, page, "native", point_counts=known)
    rows = warehouse.rows(sql, {**parameters, **counted})
    return [summary_from_row(row) for row in rows]


def summary_sql(
    warehouse: Warehouse,
    page: RunIds,
    nesting: Nesting,
    *,
    extra: Sequence[Column] = (),
    lookups: Sequence[str] = (),
    order: str = "DESC",
    counted: bool = True,
    point_counts: str = "",
) -> tuple[str, dict[str, object]]:
    """SQL and parameters of every summary column of the runs of ``page``.

    ``extra`` columns follow the summary's; they may use ``lookups`` (more
    ``(subquery) AS name`` scalars of the ``WITH`` clause, see :func:`lookup`) and the
    run ``r``; ``order`` is ``DESC`` (newest first) or ``ASC``. Without ``counted``, the
    measurement and step counts are left 0 (for a caller who counts them from what it
    reads anyway; ``page.stations`` is then not needed). ``point_counts``: a lookup that
    gives each run's id, point count and failed count first (and maybe more), read
    instead of the summary's own.
    """
    db = warehouse.database
    direction = "ASC" if order == "ASC" else "DESC"
    counts = (
        f"{point_counts or _point_counts(db)} AS point_counts, {_step_counts(db)} AS step_counts"
        if counted
        else f"{_NO_POINTS} AS point_counts, {_NO_STEPS} AS step_counts"
    )
    sql = f"""
        WITH {counts}{"".join(f", {lookup}" for lookup in lookups)}
        SELECT {select_list((*RUN_COLUMNS, *extra), nesting)}
        FROM (SELECT * FROM {db}.runs WHERE run_id IN {{ids:Array(String)}}
              ORDER BY started_at DESC, event_id DESC LIMIT 1 BY run_id) AS r
        LEFT JOIN (SELECT run_id, min(ended_at) AS first_end,
                          argMin(outcome, ended_at) AS end_outcome,
                          argMin(error, ended_at) AS end_error,
                          argMin(duration_ns, ended_at) AS end_duration_ns
                   FROM {db}.run_ends WHERE run_id IN {{ids:Array(String)}}
                   GROUP BY run_id) AS e ON e.run_id = r.run_id
        ORDER BY r.started_at {direction}, r.run_id {direction}
        SETTINGS join_use_nulls = 1
    """
    return sql, {"ids": page.ids, "stations": page.stations}


def lookup(subquery: str, columns: Sequence[str]) -> str:
    """A scalar subquery: a tuple of one array per column of ``subquery``'s rows.

    Element *i* of every array belongs to the same row, so ``x.2[indexOf(x.1, key)]``
    reads the second column of the row whose first is ``key`` (the type's default, e.g.
    0 or ``''``, when none). ClickHouse runs such a scalar once, as a query of its own,
    before the statement that uses it: a read of ``measurements`` by run there reuses the
    granules an earlier read of the same run found (the query condition cache), which a
    read on the right side of a ``JOIN`` does not.
    """
    arrays = ", ".join(f"groupArray({column})" for column in columns)
    return f"(SELECT ({arrays}) FROM ({subquery}))"


def _point_counts(db: str) -> str:
    """Per run of the page: its id, how many points it has, how many of them failed."""
    return lookup(
        f"""SELECT toString(run_id) AS run_id, {COUNTED}
            FROM {db}.measurements
            WHERE station_id IN {{stations:Array(String)}} AND run_id IN {{ids:Array(String)}}
            GROUP BY run_id""",
        ("run_id", "point_count", "failed_count"),
    )


def _step_counts(db: str) -> str:
    """Per run of the page: its id and how many steps it has."""
    return lookup(
        f"""SELECT toString(run_id) AS run_id, uniqExact(step_id) AS step_count
            FROM {db}.steps WHERE run_id IN {{ids:Array(String)}} GROUP BY run_id""",
        ("run_id", "step_count"),
    )


_NO_POINTS = "(CAST([], 'Array(String)'), CAST([], 'Array(UInt64)'), CAST([], 'Array(UInt64)'))"
_NO_STEPS = "(CAST([], 'Array(String)'), CAST([], 'Array(UInt64)'))"


def summary_from_row(row: Row) -> RunSummary:
    """A :class:`RunSummary` from a row of :func:`summary_sql` (``native`` nesting)."""
    return msgspec.convert(summary_fields(row), RunSummary)


def summary_fields(row: Row) -> Row:
    """A summary row with its times as UTC datetimes and its custom metadata decoded."""
    fields = with_times(row, "started_at", "ended_at")
    fields["custom_metadata"] = _custom_metadata.decode(row["custom_metadata"] or "{}")
    structured = row.get("structured_metadata")
    fields["structured_metadata"] = _structured_metadata.decode(structured or "{}")
    return fields


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


def _measurements(warehouse: Warehouse, run: RunSummary, limit: int) -> list[MeasurementPoint]:
    """The first ``limit`` points of a run in time order."""
    sql = f"""
        SELECT name, toUnixTimestamp64Nano(ts) AS ts_ns, value, value_str, value_kind, unit,
               low, high, outcome, step, description, marginal_low, marginal_high, marginal
        FROM {warehouse.database}.measurements
        WHERE station_id = {{station_id:String}} AND run_id = {{run_id:String}}
        ORDER BY ts, event_id, point_index
        LIMIT 1 BY {POINT_KEY} LIMIT {{limit:UInt32}}
    """
    parameters = {"station_id": run.station_id, "run_id": run.run_id, "limit": limit}
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
