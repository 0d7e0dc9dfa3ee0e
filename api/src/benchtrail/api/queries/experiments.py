"""An experiment read back: its points pivoted from per-column batches into one row per point.

The pivot runs in ClickHouse: one ``GROUP BY ts`` over the run's experiment points,
one ``anyIf`` per column. Redelivered points are identical to the ones they
repeat, so ``anyIf`` collapses them without ``FINAL``. Column names only ever
travel as bound parameters; the SQL names the columns ``c0``, ``c1``, ...
"""

from __future__ import annotations

import msgspec
import pyarrow as pa

from benchtrail.agents.workflows.experiment import ExperimentInfo, ExperimentMetadata
from benchtrail.api.errors import NotFound
from benchtrail.api.queries._sql import Row
from benchtrail.projector import Warehouse
from benchtrail.schemas import (
    EXPERIMENT_STEP,
    TIMESTAMP_COLUMN,
    CustomValue,
    MeasurementValue,
    ParameterInfo,
    ValueKind,
    merge_kinds,
)

_metadata = msgspec.json.Decoder(dict[str, CustomValue])
_parameters = msgspec.json.Decoder(list[ParameterInfo])

_EXPRESSIONS: dict[ValueKind, str] = {
    "float": "anyIf(toNullable(value), name = {{{p}:String}})",
    "int": "CAST(anyIf(toNullable(value), name = {{{p}:String}}) AS Nullable(Int64))",
    "bool": "CAST(anyIf(toNullable(value), name = {{{p}:String}}) != 0 AS Nullable(Bool))",
    "str": "anyIf(toNullable(toString(value_str)), name = {{{p}:String}})",
}


def experiment_info(warehouse: Warehouse, run_id: str) -> tuple[ExperimentMetadata, list[Row]]:
    """The experiment's metadata and ad-hoc records, and its columns in table order.

    Raises:
        NotFound: no ``run.started`` of that id is in the warehouse.
    """
    db = warehouse.database
    runs = warehouse.rows(
        f"""SELECT session_id, station_id, custom_metadata, parameters,
                   toUnixTimestamp64Nano(started_at) AS started_at_ns
            FROM {db}.runs FINAL WHERE run_id = {{run:String}} LIMIT 1""",
        {"run": run_id},
    )
    if not runs:
        raise NotFound("run", run_id)
    run = runs[0]
    ends = warehouse.rows(
        f"""SELECT toUnixTimestamp64Nano(ended_at) AS ended_at_ns, outcome
            FROM {db}.run_ends FINAL WHERE run_id = {{run:String}} ORDER BY ended_at LIMIT 1""",
        {"run": run_id},
    )
    parameters = _parameters.decode(run["parameters"] or "[]")
    columns = _columns(warehouse, run_id, [p.name for p in parameters])
    metadata = _metadata.decode(run["custom_metadata"] or "{}")
    info = ExperimentInfo(
        name=str(metadata.get("experiment", "")),
        station_id=run["station_id"],
        session_id=run["session_id"],
        run_id=run_id,
        parameters=parameters,
        metadata=metadata,
        units={c["name"]: c["unit"] for c in columns if c["unit"]},
        started_at_ns=run["started_at_ns"],
        ended_at_ns=ends[0]["ended_at_ns"] if ends else 0,
        outcome=ends[0]["outcome"] if ends else "",
        points=_point_count(warehouse, run_id),
    )
    return ExperimentMetadata(experiment=info, records=_records(warehouse, run_id)), columns


def experiment_table(warehouse: Warehouse, run_id: str, columns: list[Row]) -> pa.Table:
    """The points of the experiment: ``timestamp`` then one column per column, by time."""
    selects = [f"ts AS {TIMESTAMP_COLUMN}"]
    parameters: dict[str, object] = {"run": run_id, "step": EXPERIMENT_STEP}
    for index, column in enumerate(columns):
        parameters[f"n{index}"] = column["name"]
        selects.append(_EXPRESSIONS[column["kind"]].format(p=f"n{index}") + f" AS c{index}")
    table = warehouse.arrow(
        f"""SELECT {", ".join(selects)} FROM {warehouse.database}.measurements
            WHERE run_id = {{run:String}} AND step = {{step:String}}
            GROUP BY ts ORDER BY ts""",
        parameters,
    )
    return table.rename_columns([TIMESTAMP_COLUMN, *(c["name"] for c in columns)])


def _columns(warehouse: Warehouse, run_id: str, parameter_names: list[str]) -> list[Row]:
    rows = warehouse.rows(
        f"""SELECT name, groupUniqArray(value_kind) AS kinds, any(unit) AS unit,
                   min(event_id) AS first
            FROM {warehouse.database}.measurements
            WHERE run_id = {{run:String}} AND step = {{step:String}}
            GROUP BY name ORDER BY first, name""",
        {"run": run_id, "step": EXPERIMENT_STEP},
    )
    order = {name: index for index, name in enumerate(parameter_names)}
    rows.sort(key=lambda row: order.get(row["name"], len(order)))  # stable: results keep theirs
    return [{**row, "kind": merge_kinds(row["kinds"])} for row in rows]


def _point_count(warehouse: Warehouse, run_id: str) -> int:
    return int(
        warehouse.scalar(
            f"""SELECT uniqExact(ts) FROM {warehouse.database}.measurements
                WHERE run_id = {{run:String}} AND step = {{step:String}}""",
            {"run": run_id, "step": EXPERIMENT_STEP},
        )
        or 0
    )


def _records(warehouse: Warehouse, run_id: str) -> dict[str, list[MeasurementValue]]:
    rows = warehouse.rows(
        f"""SELECT name, value, value_str, value_kind FROM {warehouse.database}.measurements FINAL
            WHERE run_id = {{run:String}} AND step != {{step:String}}
            ORDER BY ts, event_id, point_index""",
        {"run": run_id, "step": EXPERIMENT_STEP},
    )
    records: dict[str, list[MeasurementValue]] = {}
    for row in rows:
        records.setdefault(row["name"], []).append(_typed(row))
    return records


def _typed(row: Row) -> MeasurementValue:
    kind = row["value_kind"]
    if kind == "str":
        text: str = row["value_str"]
        return text
    if kind == "bool":
        return bool(row["value"])
    if kind == "int":
        return int(row["value"])
    number: float = row["value"]
    return number
