"""Response bodies of dimensioned measurements (``measurement.table``): their list and data.

A dimensioned measurement is a table: one column per axis, with the axis's name and
unit, one row per point. The first ``dimensions`` columns are the coordinates.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class TableAxis(msgspec.Struct, frozen=True, kw_only=True):
    """One axis (column) of a dimensioned measurement: its name and unit."""

    name: str
    unit: str


class MeasurementTableSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A dimensioned measurement of a run, without its points.

    ``point_count`` is what the station recorded; ``points_received`` what the
    warehouse holds (less while parts are on their way).
    """

    run_id: str
    name: str
    table_id: str
    step: str
    outcome: Literal["passed", "failed", "unset"]
    dimensions: int
    axes: list[TableAxis]
    point_count: int
    points_received: int
    recorded_at_ns: int


class MeasurementTableList(msgspec.Struct, frozen=True, kw_only=True):
    """Body of ``GET /api/runs/{run_id}/tables``: the run's dimensioned measurements."""

    run_id: str
    items: list[MeasurementTableSummary]


class TableColumn(msgspec.Struct, frozen=True, kw_only=True):
    """One column of a dimensioned measurement: axis name, unit and values (one per point)."""

    name: str
    unit: str
    values: list[float]


class MeasurementTableData(msgspec.Struct, frozen=True, kw_only=True):
    """Body of ``GET /api/runs/{run_id}/tables/{name}`` in JSON: the table, column by column."""

    summary: MeasurementTableSummary
    columns: list[TableColumn]
