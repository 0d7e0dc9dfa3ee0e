"""Routes over dimensioned measurements: a run's list of them, and one as a table.

``GET /api/runs/{run_id}/tables`` lists them (names, axes with units, point counts);
``GET /api/runs/{run_id}/tables/{name}`` returns one: JSON column by column, or a
flat table in CSV, Parquet or Arrow IPC (:mod:`benchtrail.api.http.responses`) whose
columns are the axes. Arrow and Parquet keep each column's unit in its field
metadata (``unit``); every format also says the units in ``X-Axis-Units``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from benchtrail.api.errors import BadParameter
from benchtrail.api.http.list_filters import BAD_PARAMETER, NOT_FOUND, OUTPUT
from benchtrail.api.http.pages import json_response, tabular
from benchtrail.api.http.responses import OutputFormat, TabularOperation
from benchtrail.api.models.measurement_tables import (
    MeasurementTableData,
    MeasurementTableList,
    TableColumn,
)
from benchtrail.api.queries import measurement_tables as table_queries
from benchtrail.projector import Warehouse

MAX_JSON_CELLS = 2_000_000
"""Most numbers (points × axes) a JSON answer holds (~40 MB); larger ones in Arrow, Parquet
or CSV, which the hub builds without a Python object per number."""
UNITS_HEADER = "X-Axis-Units"
"""Response header: the columns' units, a JSON list in column order."""

Req = Request[Any, Any, Any]


@get(
    "/api/runs/{run_id:str}/tables",
    sync_to_thread=True,
    tags=["runs"],
)
def list_measurement_tables(
    warehouse: NamedDependency[Warehouse], run_id: FromPath[str]
) -> MeasurementTableList:
    """The run's dimensioned measurements (empty for an unknown run), in recording order."""
    return table_queries.list_tables(warehouse, run_id)


@get(
    "/api/runs/{run_id:str}/tables/{name:str}",
    sync_to_thread=True,
    tags=["runs"],
    responses={400: BAD_PARAMETER, 404: NOT_FOUND},
    dependencies=OUTPUT,
    operation_class=TabularOperation,
    response_headers=[
        ResponseHeader(
            name=UNITS_HEADER,
            documentation_only=True,
            required=False,
            description="The columns' units as a JSON list, in column order.",
        )
    ],
)
def get_measurement_table(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    output: NamedDependency[OutputFormat],
    run_id: FromPath[str],
    name: FromPath[str],
    *,
    table_id: Annotated[
        str | None,
        QueryParameter(description="Which one, when the run recorded the name more than once."),
    ] = None,
) -> Response[MeasurementTableData]:
    """One dimensioned measurement: a column per axis (name and unit), a row per point.

    Without ``table_id``, the last one of that name the run recorded. 404 when
    the run has none of that name.
    """
    if output == "json":
        found = table_queries.find_table(warehouse, run_id, name, table_id or None)
        if found.point_count * len(found.axes) > MAX_JSON_CELLS:
            raise BadParameter(
                "format",
                "json",
                f"arrow, parquet or csv for a measurement of more than {MAX_JSON_CELLS:,}"
                f" numbers (this one has {found.point_count:,} points on {len(found.axes)} axes)",
            )
    summary, table = table_queries.read_table(warehouse, run_id, name, table_id or None)
    headers = {UNITS_HEADER: table_queries.units_header(summary)}
    if output != "json":
        return tabular(request, table, output, headers=headers)
    columns = [
        TableColumn(name=axis.name, unit=axis.unit, values=column.to_numpy().tolist())
        for axis, column in zip(summary.axes, table.columns, strict=True)
    ]
    return json_response(MeasurementTableData(summary=summary, columns=columns), headers=headers)


MEASUREMENT_TABLE_ROUTES = [list_measurement_tables, get_measurement_table]
"""Routes over dimensioned measurements."""
