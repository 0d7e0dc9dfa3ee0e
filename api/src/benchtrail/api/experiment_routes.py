"""``GET /api/runs/{run_id}/experiment``: an experiment's table as Arrow, Parquet or JSON."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from benchtrail.api.models import ErrorBody
from benchtrail.api.queries.experiments import experiment_info, experiment_table
from benchtrail.projector import Warehouse
from benchtrail.schemas import METADATA_KEY

ARROW_STREAM = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"

Format = Literal["json", "arrow", "parquet"]
_MEDIA: dict[str, Format] = {ARROW_STREAM: "arrow", PARQUET: "parquet"}


@get(
    "/api/runs/{run_id:str}/experiment",
    sync_to_thread=True,
    tags=["runs"],
    responses={
        400: ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use."),
        404: ResponseSpec(ErrorBody, description="No run has that id."),
    },
)
def get_experiment(
    warehouse: NamedDependency[Warehouse],
    request: Request[Any, Any, Any],
    run_id: FromPath[str],
    *,
    format: Annotated[
        Format | None,
        QueryParameter(
            description="json (columns as lists), arrow (IPC stream) or parquet; by default"
            " the Accept header decides, else json."
        ),
    ] = None,
) -> Response[bytes]:
    """An experiment run's points, one row per point: ``timestamp``, parameters, results.

    Arrow and Parquet carry the experiment's metadata and ad-hoc records as JSON
    in the schema metadata key ``benchtrail.experiment``.
    """
    chosen = format or _MEDIA.get(request.headers.get("accept", "").split(";")[0].strip(), "json")
    data, columns = experiment_info(warehouse, run_id)
    table = experiment_table(warehouse, columns)
    data = msgspec.structs.replace(
        data, experiment=msgspec.structs.replace(data.experiment, points=table.num_rows)
    )
    if chosen == "json":
        body = {**msgspec.structs.asdict(data), "data": _json_columns(table)}
        return Response(msgspec.json.encode(body), media_type="application/json")
    table = table.replace_schema_metadata({METADATA_KEY: msgspec.json.encode(data)})
    sink = io.BytesIO()
    if chosen == "parquet":
        pq.write_table(table, sink)
        return Response(sink.getvalue(), media_type=PARQUET)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return Response(sink.getvalue(), media_type=ARROW_STREAM)


def _json_columns(table: pa.Table) -> dict[str, list[object]]:
    """Columns as lists; timestamps as integer ns since the epoch."""
    columns: dict[str, list[object]] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        plain = column.cast(pa.int64()) if pa.types.is_timestamp(column.type) else column
        columns[name] = plain.to_pylist()
    return columns


EXPERIMENT_ROUTES = [get_experiment]
