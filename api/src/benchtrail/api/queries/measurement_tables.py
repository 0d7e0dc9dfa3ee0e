"""Dimensioned measurements of a run: their list, and one of them as a table.

``measurement_tables`` holds one row per part (at most 60,000 numbers), each with an
array of values per axis. A read takes the parts of one measurement in
``first_point`` order (the sort key is ``run_id, name, table_id, first_point``, so
only that measurement's granules are read) and joins each axis's arrays into one
column with Arrow, without a Python object per point.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from benchtrail.api.errors import NotFound
from benchtrail.api.models.measurement_tables import (
    MeasurementTableList,
    MeasurementTableSummary,
)
from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.projector import Warehouse

UNIT_KEY = b"unit"
"""Arrow field metadata key holding an axis's unit."""
DIMENSIONS_KEY = b"dimensions"
"""Arrow schema metadata key: how many leading columns are coordinates."""

_SUMMARY = """
    SELECT run_id, name, table_id, any(step) AS step, any(outcome) AS outcome,
           any(dimensions) AS dimensions, any(axis_names) AS axis_names,
           any(axis_units) AS axis_units, max(point_count) AS point_count,
           toUInt64(sum(part_points)) AS points_received,
           toUnixTimestamp64Nano(min(at)) AS recorded_at_ns
    FROM {db}.measurement_tables FINAL
    WHERE {where}
    GROUP BY run_id, name, table_id
    ORDER BY recorded_at_ns, table_id
    {settings}
"""


def list_tables(warehouse: Warehouse, run_id: str) -> MeasurementTableList:
    """The dimensioned measurements of a run, in the order they were recorded."""
    rows = warehouse.rows(
        _SUMMARY.format(db=warehouse.database, where="run_id = {run:String}", settings=""),
        {"run": run_id},
    )
    return MeasurementTableList(run_id=run_id, items=[_summary(row) for row in rows])


def find_table(
    warehouse: Warehouse, run_id: str, name: str, table_id: str | None = None
) -> MeasurementTableSummary:
    """The summary of one dimensioned measurement (the last of that name without ``table_id``).

    Raises:
        NotFound: the run has no dimensioned measurement of that name (and id).
    """
    where = "run_id = {run:String} AND name = {name:String}"
    parameters: dict[str, object] = {"run": run_id, "name": name}
    if table_id is not None:
        where += " AND table_id = {table:String}"
        parameters["table"] = table_id
    sql = _SUMMARY.format(db=warehouse.database, where=where, settings=FINAL_SETTINGS)
    rows = warehouse.rows(sql, parameters)
    if not rows:
        raise NotFound("dimensioned measurement", f"{run_id}/{name}")
    return _summary(rows[-1])


def read_table(
    warehouse: Warehouse, run_id: str, name: str, table_id: str | None = None
) -> tuple[MeasurementTableSummary, pa.Table]:
    """One dimensioned measurement as an Arrow table: a column per axis, a row per point.

    A run may record the same name more than once; without ``table_id`` the last
    one recorded is read. Only parts that follow each other without a gap or an
    overlap from point 0, within the recorded ``point_count`` and with every axis,
    are read: while parts are on their way the table is the points received so far,
    and parts a station made up cannot make a read bigger than the measurement.
    Each column's unit is in its field metadata (``unit``); the schema metadata
    holds ``dimensions``.

    Raises:
        NotFound: the run has no dimensioned measurement of that name (and id).
    """
    summary = find_table(warehouse, run_id, name, table_id)
    where = "run_id = {run:String} AND name = {name:String} AND table_id = {table:String}"
    parameters: dict[str, object] = {
        "run": run_id,
        "name": name,
        "table": summary.table_id,
        "axes": len(summary.axes),
        "points": summary.point_count,
    }
    candidates = warehouse.rows(
        f"""
        SELECT first_point, part_points, event_id
        FROM {warehouse.database}.measurement_tables FINAL
        WHERE {where} AND length(axis_values) = {{axes:UInt32}}
          AND first_point < {{points:UInt64}}
        ORDER BY first_point, event_id
        LIMIT 1 BY first_point
        {FINAL_SETTINGS}
        """,
        parameters,
    )
    parts = warehouse.arrow(
        f"""
        SELECT axis_values FROM {warehouse.database}.measurement_tables FINAL
        WHERE {where} AND event_id IN {{parts:Array(String)}}
        ORDER BY first_point
        {FINAL_SETTINGS}
        """,
        {**parameters, "parts": _chained(candidates)},
    )
    return summary, _columns(summary, parts.column("axis_values"))


def _chained(candidates: list[dict[str, Any]]) -> list[str]:
    """The parts that follow each other from point 0 without a gap or an overlap."""
    chosen, expected = [], 0
    for part in candidates:
        if part["first_point"] == expected:
            chosen.append(str(part["event_id"]))
            expected += int(part["part_points"])
        elif part["first_point"] > expected:
            break
    return chosen


def _columns(summary: MeasurementTableSummary, values: pa.ChunkedArray) -> pa.Table:  # type: ignore[type-arg]
    """Each axis's arrays, part after part, joined into one float64 column."""
    count = len(summary.axes)
    per_part_axis = pc.list_flatten(values.combine_chunks())  # one list<double> per (part, axis)
    parts = len(per_part_axis) // count
    fields, columns = [], []
    for index, axis in enumerate(summary.axes):
        picks = pa.array(range(index, parts * count, count), pa.int64())
        columns.append(pc.list_flatten(per_part_axis.take(picks)).cast(pa.float64()))
        fields.append(pa.field(axis.name, pa.float64(), metadata={UNIT_KEY: axis.unit.encode()}))
    metadata: dict[bytes | str, bytes | str] = {
        DIMENSIONS_KEY: str(summary.dimensions).encode(),
        b"name": summary.name.encode(),
    }
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=metadata))


def units_header(summary: MeasurementTableSummary) -> str:
    """The axes' units as an ASCII JSON list (for the ``X-Axis-Units`` header)."""
    return json.dumps([axis.unit for axis in summary.axes])


def _summary(row: dict[str, Any]) -> MeasurementTableSummary:
    names, units = row.pop("axis_names"), row.pop("axis_units")
    axes = [{"name": n, "unit": u} for n, u in zip(names, units, strict=True)]
    return msgspec.convert({**row, "axes": axes}, MeasurementTableSummary)
