"""An experiment read back: its per-column batches laid side by side, one row per point.

Every column is read on its own, in time order, bounded by the run's station and
time window: the measurements table is sorted by (station, name, time), so each
read touches only that column's granules of that run, and comes back sorted. Points
share their timestamps across columns, so the columns are laid side by side (or
joined on the timestamp where some point lacks a value). A point stored twice (a
redelivery) has the same timestamp twice and is kept once. Names and ids travel
as bound parameters only.
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from benchtrail.api.errors import NotFound
from benchtrail.api.queries._sql import Row
from benchtrail.projector import Warehouse
from benchtrail.projector.arrow_schemas import ArrowArray
from benchtrail.schemas import (
    EXPERIMENT_STEP,
    TIMESTAMP_COLUMN,
    CustomValue,
    ExperimentInfo,
    ExperimentMetadata,
    MeasurementValue,
    ParameterInfo,
    ValueKind,
    merge_kinds,
)

_metadata = msgspec.json.Decoder(dict[str, CustomValue])
_parameters = msgspec.json.Decoder(list[ParameterInfo])

_WINDOW_NS = 60_000_000_000
"""Slack around a run's start and end when its points are looked up by time (clock steps)."""

_SOURCE = {"str": "toString(value_str)", "float": "value", "int": "value", "bool": "value"}
_ARROW_TYPES: dict[ValueKind, pa.DataType] = {
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "str": pa.string(),
}


def experiment_info(warehouse: Warehouse, run_id: str) -> tuple[ExperimentMetadata, list[Row]]:
    """The experiment's metadata and ad-hoc records, and its columns in table order.

    ``points`` in the metadata is 0 here: the table gives it.

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
    ended = ends[0]["ended_at_ns"] if ends else 0
    window = _Window(run_id, run["station_id"], run["started_at_ns"], ended)
    parameters = _parameters.decode(run["parameters"] or "[]")
    summary = _summary(warehouse, window)
    columns = _columns(summary, [p.name for p in parameters])
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
        ended_at_ns=ended,
        outcome=ends[0]["outcome"] if ends else "",
    )
    records = _records(warehouse, window, summary)
    return ExperimentMetadata(experiment=info, records=records), [
        {**c, "window": window} for c in columns
    ]


class _Window(msgspec.Struct, frozen=True):
    """Where a run's points are: its station, and a time range around the run.

    The measurements table is sorted by (station, name, time), so these bounds let
    ClickHouse read only the granules of this run's columns.
    """

    run_id: str
    station_id: str
    started_at_ns: int
    ended_at_ns: int

    def parameters(self) -> dict[str, object]:
        end = self.ended_at_ns or 2**63 - 1 - _WINDOW_NS
        return {
            "run": self.run_id,
            "station": self.station_id,
            "since": self.started_at_ns - _WINDOW_NS,
            "until": end + _WINDOW_NS,
            "step": EXPERIMENT_STEP,
        }

    WHERE = """station_id = {station:String}
        AND ts BETWEEN fromUnixTimestamp64Nano({since:Int64}, 'UTC')
                   AND fromUnixTimestamp64Nano({until:Int64}, 'UTC')
        AND run_id = {run:String}"""


def experiment_table(warehouse: Warehouse, columns: list[Row]) -> pa.Table:
    """The points of the experiment: ``timestamp`` then one column per column, by time.

    Columns whose timestamps are the same set as the first column's (same count,
    bounds and sum of hashes: the usual case) are read as values only and laid side
    by side; the others are read with their timestamps and joined on them.
    """
    names = [c["name"] for c in columns]
    if not columns:
        return pa.table({TIMESTAMP_COLUMN: pa.array([], pa.timestamp("ns", "UTC"))})
    first = columns[0]
    shared = [i for i, c in enumerate(columns) if i == 0 or _same_points(c, first)]
    stamps, values = _column(warehouse, first, with_stamps=True)
    arrays: dict[int, ArrowArray] = {0: values}
    arrays.update({i: _column(warehouse, columns[i], with_stamps=False)[1] for i in shared[1:]})
    stamps, kept = _deduplicated(stamps, [arrays[i] for i in shared])
    arrays.update(zip(shared, kept, strict=True))
    own = {
        i: _deduplicated(*_column(warehouse, c, with_stamps=True))
        for i, c in enumerate(columns)
        if i not in arrays
    }
    if own:
        return _joined(stamps, arrays, {i: (s, v[0]) for i, (s, v) in own.items()}, names)
    time_column = pa.array(stamps).cast(pa.timestamp("ns", "UTC"))
    return pa.table(
        [time_column, *(arrays[i] for i in range(len(columns)))], [TIMESTAMP_COLUMN, *names]
    )


def _deduplicated(
    stamps: npt.NDArray[np.int64], columns: ArrowArray | list[ArrowArray]
) -> tuple[npt.NDArray[np.int64], list[ArrowArray]]:
    """Drop points stored twice (a redelivery writes the same timestamp and value again)."""
    arrays = columns if isinstance(columns, list) else [columns]
    if len(stamps) < 2:
        return stamps, arrays
    fresh = np.concatenate(([True], np.diff(stamps) != 0))
    if fresh.all():
        return stamps, arrays
    mask = pa.array(fresh)
    return stamps[fresh], [array.filter(mask) for array in arrays]


def _same_points(column: Row, first: Row) -> bool:
    keys = ("points", "first_ts", "last_ts", "stamp_sum")
    return all(column[key] == first[key] for key in keys)


def _column(
    warehouse: Warehouse, column: Row, *, with_stamps: bool
) -> tuple[npt.NDArray[np.int64], ArrowArray]:
    """One column's values in time order (and its timestamps, as ns, when asked)."""
    window: _Window = column["window"]
    kind: ValueKind = column["kind"]
    table = warehouse.arrow(
        f"""SELECT {"ts AS t, " if with_stamps else ""}{_SOURCE[kind]} AS v
            FROM {warehouse.database}.measurements
            WHERE {window.WHERE} AND name = {{name:String}} AND step = {{step:String}}
            ORDER BY ts""",
        {**window.parameters(), "name": column["name"]},
    )
    stamps: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
    if with_stamps:
        stamps = table.column("t").combine_chunks().cast(pa.int64()).to_numpy()
    values = table.column("v").combine_chunks()
    if kind == "int":
        values = values.cast(pa.int64())
    elif kind == "bool":
        values = pc.not_equal(values, pa.scalar(0.0))
    elif not pa.types.is_string(values.type):
        values = values.cast(_ARROW_TYPES[kind])
    return stamps, values


def _joined(
    stamps: npt.NDArray[np.int64],
    shared: dict[int, ArrowArray],
    own: dict[int, tuple[npt.NDArray[np.int64], ArrowArray]],
    names: list[str],
) -> pa.Table:
    """Columns lacking some points, joined on the timestamp (absent values are null)."""
    every = np.unique(np.concatenate([stamps, *(s for s, _ in own.values())]))
    laid = [
        _spread(every, *own[i]) if i in own else _spread(every, stamps, shared[i])
        for i in range(len(names))
    ]
    time_column = pa.array(every).cast(pa.timestamp("ns", "UTC"))
    return pa.table([time_column, *laid], names=[TIMESTAMP_COLUMN, *names])


def _spread(
    every: npt.NDArray[np.int64], stamps: npt.NDArray[np.int64], values: ArrowArray
) -> ArrowArray:
    """``values`` (at ``stamps``) placed at their rows of ``every``; null elsewhere."""
    where = np.searchsorted(every, stamps)
    present = np.zeros(len(every), dtype=bool)
    present[where] = True
    index = np.full(len(every), -1, dtype=np.int64)
    index[where] = np.arange(len(stamps))
    return values.take(pa.array(index, type=pa.int64(), mask=~present))


def _summary(warehouse: Warehouse, window: _Window) -> list[Row]:
    """Per name and step of the run: kinds, unit, point count and the shape of its times."""
    return warehouse.rows(
        f"""SELECT name, step = {{step:String}} AS experiment,
                   groupUniqArray(value_kind) AS kinds, any(unit) AS unit, count() AS points,
                   min(ts) AS first_ts, max(ts) AS last_ts,
                   sum(cityHash64(ts)) AS stamp_sum, argMin(event_id, ts) AS first_event
            FROM {warehouse.database}.measurements
            WHERE {window.WHERE}
            GROUP BY name, experiment ORDER BY first_ts, first_event, name""",
        window.parameters(),
    )


def _columns(summary: list[Row], parameter_names: list[str]) -> list[Row]:
    rows = [row for row in summary if row["experiment"]]
    order = {name: index for index, name in enumerate(parameter_names)}
    rows.sort(key=lambda row: order.get(row["name"], len(order)))  # stable: results keep theirs
    return [{**row, "kind": merge_kinds(row["kinds"])} for row in rows]


def _records(
    warehouse: Warehouse, window: _Window, summary: list[Row]
) -> dict[str, list[MeasurementValue]]:
    names = sorted({row["name"] for row in summary if not row["experiment"]})
    if not names:
        return {}
    rows = warehouse.rows(
        f"""SELECT name, value, value_str, value_kind FROM {warehouse.database}.measurements
            WHERE {window.WHERE} AND name IN {{names:Array(String)}} AND step != {{step:String}}
            ORDER BY ts, event_id, point_index LIMIT 1 BY event_id, point_index""",
        {**window.parameters(), "names": names},
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
