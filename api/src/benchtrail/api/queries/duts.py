"""A DUT's history: every run of one serial number across stations, with its failures.

Read in two steps: the serial's runs (ids, stations, phases, start times; cheap
columns only), from which each run's attempt number in its test phase is
counted; then the summaries of the runs kept, with their point counts and failed points
(as JSON text, the first ``failed_limit`` of each run in time order) from one read of
their points. Neither step reads ``FINAL``: runs are kept once each (``LIMIT 1 BY
run_id``), points once per point (by :data:`~benchtrail.api.queries.point_counts.POINT_KEY`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import msgspec
import pyarrow as pa

from benchtrail.api.errors import NotFound
from benchtrail.api.models.entities import DutHistory, DutRun, FailedMeasurement
from benchtrail.api.models.filters import DUTS, FilterValues
from benchtrail.api.queries._sql import Nesting, Row, Where, filter_where
from benchtrail.api.queries.point_counts import COUNTED, PointCounts
from benchtrail.api.queries.run_summaries import (
    RunIds,
    complete_table,
    read_rows,
    read_table,
    summary_fields,
    with_facts,
)
from benchtrail.api.timestamps import ns_to_datetime
from benchtrail.projector import Warehouse

DUT_FIELDS: tuple[pa.Field[Any], ...] = (
    pa.field("attempt", pa.int64(), nullable=False),
    pa.field("failed_measurements", pa.string(), nullable=False),
)
"""The columns a DUT's run has beyond a run summary's (``failed_measurements`` as JSON text)."""

_POINTS = """
    SELECT toString(run_id) AS run_id, {counted},
           toJSONString(arraySort(x -> (x.ts_ns, x.name), arrayMap(x -> x.4, arraySlice(
               arraySort(arrayDistinct(groupArrayIf((ts_ns, event_id, point_index, CAST(
                   (name, ts_ns, if(isNaN(value), NULL, value), value_str, unit, low, high, step),
                   'Tuple(name String, ts_ns Int64, value Nullable(Float64), value_str String,
                          unit String, low Nullable(Float64), high Nullable(Float64),
                          step String)')), outcome = 'failed'))),
               1, {{failed_limit:UInt32}})))) AS failed_json
    FROM (SELECT run_id, event_id, point_index, outcome, name,
                 toUnixTimestamp64Nano(ts) AS ts_ns, value, value_str, unit, low, high, step
          FROM {db}.measurements
          PREWHERE station_id IN {{stations:Array(String)}} AND run_id IN {{ids:Array(String)}})
    GROUP BY run_id
"""
"""Per run: its point counts and its first ``failed_limit`` failed points in time order (by
time, then point key; each point once), as JSON text, in one read of its points."""


class _FailedPoint(msgspec.Struct, frozen=True):
    name: str
    ts_ns: int
    value: float | None
    value_str: str
    unit: str
    low: float | None
    high: float | None
    step: str


_failed_points = msgspec.json.Decoder(list[_FailedPoint])


class DutRuns(msgspec.Struct, frozen=True, kw_only=True):
    """The runs of a serial kept for a history, oldest first, with their attempt numbers."""

    page: RunIds
    attempts: dict[str, int]
    run_count: int


def dut_history(
    warehouse: Warehouse,
    serial: str,
    filters: FilterValues,
    *,
    limit: int,
    failed_limit: int,
) -> DutHistory:
    """The newest ``limit`` runs of ``serial`` matching ``filters``, oldest first.

    Raises:
        NotFound: the serial has no run.
    """
    runs = dut_runs(warehouse, serial, filters, limit=limit)
    points, extra = _points(warehouse, runs, failed_limit)
    rows, facts = read_rows(warehouse, runs.page, points=points, order="ASC")
    rows = with_facts(rows, facts, extra)
    return DutHistory(
        dut_serial=serial,
        run_count=runs.run_count,
        truncated=len(runs.page.ids) < runs.run_count,
        runs=[_dut_run(row) for row in rows],
    )


def dut_table(
    warehouse: Warehouse,
    serial: str,
    filters: FilterValues,
    *,
    limit: int,
    failed_limit: int,
    nesting: Nesting,
) -> pa.Table:
    """The runs of :func:`dut_history` as an Arrow table (their own columns built by
    ClickHouse, the others added as columns).

    Raises:
        NotFound: the serial has no run.
    """
    runs = dut_runs(warehouse, serial, filters, limit=limit)
    points, extra = _points(warehouse, runs, failed_limit)
    own, facts = read_table(warehouse, runs.page, nesting, points=points, order="ASC")
    return complete_table(own, facts, extra_fields=DUT_FIELDS, extra=extra)


def dut_runs(warehouse: Warehouse, serial: str, filters: FilterValues, *, limit: int) -> DutRuns:
    """The runs of ``serial`` to list, and the attempt number of each.

    Raises:
        NotFound: the serial has no run.
    """
    where = Where()
    where.equals("dut_serial", serial)
    kept = filter_where(DUTS, filters, warehouse.database)
    matches = " AND ".join(kept.conditions) or "true"
    sql = f"""
        SELECT run_id, station_id, test_phase, {matches} AS kept
        FROM {warehouse.database}.runs {where.sql()}
        ORDER BY started_at DESC, run_id DESC LIMIT 1 BY run_id
    """
    rows = warehouse.rows(sql, {**where.parameters, **kept.parameters})[::-1]
    if not rows:
        raise NotFound("dut", serial)
    attempts = _attempts(rows)
    matching = [row for row in rows if row["kept"]]
    shown = matching[-limit:] if limit else []
    page = RunIds(
        ids=[row["run_id"] for row in shown],
        stations=sorted({row["station_id"] for row in shown}),
    )
    return DutRuns(page=page, attempts=attempts, run_count=len(matching))


def _attempts(rows: list[Row]) -> dict[str, int]:
    """Attempt number of each run (oldest first) within its test phase."""
    seen: Counter[str] = Counter()
    attempts = {}
    for row in rows:
        seen[row["test_phase"]] += 1
        attempts[row["run_id"]] = seen[row["test_phase"]]
    return attempts


def _points(
    warehouse: Warehouse, runs: DutRuns, failed_limit: int
) -> tuple[Callable[[], PointCounts], Callable[[Row], Row]]:
    """The read of the point counts of the runs kept (run with the summaries' other reads),
    and the function that gives a run its :data:`DUT_FIELDS` (its attempt, its failed points
    as JSON text) once that read is done."""
    failed: dict[str, str] = {}

    def points() -> PointCounts:
        rows = warehouse.rows(
            _POINTS.format(db=warehouse.database, counted=COUNTED),
            {"stations": runs.page.stations, "ids": runs.page.ids, "failed_limit": failed_limit},
        )
        failed.update((row["run_id"], row["failed_json"]) for row in rows)
        return PointCounts.from_rows(rows)

    def extra(run: Row) -> Row:
        run_id = run["run_id"]
        return {
            "attempt": runs.attempts.get(run_id, 0),
            "failed_measurements": failed.get(run_id, "[]"),
        }

    return points, extra


def _dut_run(row: Row) -> DutRun:
    fields = summary_fields(row)
    fields["failed_measurements"] = [
        FailedMeasurement(
            name=point.name,
            ts=ns_to_datetime(point.ts_ns),
            ts_ns=point.ts_ns,
            value=point.value,
            value_str=point.value_str,
            unit=point.unit,
            low=point.low,
            high=point.high,
            step=point.step,
        )
        for point in _failed_points.decode(row["failed_measurements"])
    ]
    return msgspec.convert(fields, DutRun)
