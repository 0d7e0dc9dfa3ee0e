"""Events → columnar rows, one handler per event type.

:class:`RowBatch` keeps the events of many frames grouped by type. When the
batch is written, each handler turns all events of its type into columns at
once (one list comprehension per column, no per-row dicts), and each table
becomes one Arrow table: a single large insert per table per batch.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from benchtrail.projector import (
    batch_rows,
    lifecycle_rows,
    log_rows,
    point_tallies,
    window_rows,
)
from benchtrail.projector.series_rows import series_occurred_at_ns, series_rows
from benchtrail.projector.table_model import DICT, STR, TS, ArrowArray, Columns
from benchtrail.projector.table_rows import measurement_table_rows
from benchtrail.projector.tables import SCHEMAS, WRITE_ORDER
from benchtrail.schemas import (
    EVENT_TYPES,
    AttachmentAdded,
    Event,
    EventUnion,
    InstrumentCall,
    LockAcquired,
    LockReleased,
    Log,
    Measurement,
    MeasurementBatch,
    MeasurementSeries,
    MeasurementTable,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    StepEnded,
    StepStarted,
    event_tag,
)
from benchtrail.schemas.events import (
    DeviceAttached,
    DeviceDetached,
    FileAdded,
    FileRegistered,
    FileRemoved,
    WindowCreated,
    WindowDeleted,
    WindowUpdated,
)

__all__ = ["MEASUREMENT_TAGS", "SCHEMAS", "RowBatch"]

MEASUREMENT_TAGS: frozenset[str] = frozenset(
    {"measurement", "measurement.batch", "measurement.series"}
)
"""Event types whose points go to ``measurements`` and whose envelope goes to
``measurement_events``, with no JSON copy in ``events`` (readers rebuild it)."""

_json = msgspec.json.Encoder()
_TAGS = {event_type: event_tag(event_type) for event_type in EVENT_TYPES}
_OUTCOMES = pa.array(["unset", "passed", "failed"], STR)


class RowBatch:
    """Events of many frames, turned into one Arrow table per warehouse table."""

    def __init__(self) -> None:
        self._events: list[EventUnion] = []
        self._seqs: list[int] = []

    def add_frame(self, events: Sequence[EventUnion], stream_seq: int) -> None:
        """Add every event of one frame, tagged with the frame's stream sequence."""
        self._events.extend(events)
        self._seqs.extend([stream_seq] * len(events))

    def add(self, event: EventUnion, stream_seq: int) -> None:
        """Add one event (its rows are built when the batch is written)."""
        self._events.append(event)
        self._seqs.append(stream_seq)

    def occurred_at_ns(self) -> npt.NDArray[np.int64]:
        """``occurred_at`` of every event (each point of a series), in the order added."""
        times = np.fromiter((e.occurred_at for e in self._events), np.int64, len(self._events))
        series = [e for e in self._events if type(e) is MeasurementSeries]
        if not series:
            return times
        return np.concatenate(
            [
                times[[type(e) is not MeasurementSeries for e in self._events]],
                *(series_occurred_at_ns(s) for s in series),
            ]
        )

    def tables(self) -> dict[str, pa.Table]:
        """Arrow tables of every non-empty table, ready for ``insert_arrow``."""
        chunks: defaultdict[str, list[pa.RecordBatch]] = defaultdict(list)
        raw: tuple[list[EventUnion], list[int]] = ([], [])
        measured: tuple[list[EventUnion], list[int]] = ([], [])
        series: tuple[list[MeasurementSeries], list[int]] = ([], [])
        for event, seq in zip(self._events, self._seqs, strict=True):
            if type(event) is MeasurementSeries:
                series[0].append(event)
                series[1].append(seq)
                continue
            events, seqs = measured if _TAGS[type(event)] in MEASUREMENT_TAGS else raw
            events.append(event)
            seqs.append(seq)
        if raw[0]:
            chunks["events"].append(_record_batch("events", _event_columns(*raw)))
        if measured[0]:
            envelopes = _envelope_columns(*measured)
            chunks["measurement_events"].append(_record_batch("measurement_events", envelopes))
        if series[0]:
            # Points in bulk, and one envelope per measurement event a series carries.
            points, envelope_chunks = series_rows(*series)
            chunks["measurements"].append(_record_batch("measurements", points))
            for envelopes in envelope_chunks:
                chunks["measurement_events"].append(_record_batch("measurement_events", envelopes))
        by_type: defaultdict[type[Event], list[tuple[EventUnion, int]]] = defaultdict(list)
        for event, seq in zip(self._events, self._seqs, strict=True):
            by_type[type(event)].append((event, seq))
        for event_type, items in by_type.items():
            handler = _HANDLERS.get(event_type)
            if handler is None:
                continue
            events, seqs = [e for e, _ in items], [s for _, s in items]
            table = EVENT_TABLES[event_type]
            chunks[table].extend(_record_batch(table, c) for c in handler(events, seqs))
        tables = {table: _table(table, chunks[table]) for table in WRITE_ORDER if chunks[table]}
        if "measurements" in tables:  # each frame's point counts per run, beside its points
            carried = [e.event_id for e in measured[0]] + [s.event_id for s in series[0]]
            tables[point_tallies.TABLE] = point_tallies.tally_table(
                tables["measurements"], repeats=len(set(carried)) < len(carried)
            )
        return {table: tables[table] for table in WRITE_ORDER if table in tables}


def _table(table: str, batches: list[pa.RecordBatch]) -> pa.Table:
    merged = pa.Table.from_batches(batches, schema=SCHEMAS[table])
    # One dictionary per column across chunks: Arrow IPC (what the insert sends)
    # does not allow a dictionary to change between record batches.
    return merged.unify_dictionaries() if len(batches) > 1 else merged


def _record_batch(table: str, columns: Columns) -> pa.RecordBatch:
    schema = SCHEMAS[table]
    return pa.record_batch([_array(columns[f.name], f.type) for f in schema], schema=schema)


def _array(values: Sequence[object] | ArrowArray, arrow_type: pa.DataType) -> ArrowArray:
    if isinstance(values, pa.Array):
        return values
    if arrow_type == TS:
        return pa.array(values, pa.int64()).view(TS)
    if arrow_type == DICT:
        return pa.array(values, STR).dictionary_encode()
    return pa.array(values, arrow_type)


def _repeat(text: str, n: int) -> ArrowArray:
    """A dictionary-encoded column holding ``text`` n times (no per-row objects)."""
    return pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int32), [text])


# -- one handler per event type -------------------------------------------------------


def _event_columns(events: list[EventUnion], seqs: list[int]) -> Columns:
    return {
        "event_id": [e.event_id for e in events],
        "session_id": [e.session_id for e in events],
        "station_id": [e.station_id for e in events],
        "seq": [e.seq for e in events],
        "type": [_TAGS[type(e)] for e in events],
        "occurred_at": [e.occurred_at for e in events],
        "schema_version": [e.schema_version for e in events],
        "run_id": [getattr(e, "run_id", "") for e in events],
        "payload": pa.array([_json.encode(e) for e in events], pa.binary()).cast(STR),
        "stream_seq": seqs,
    }


def _envelope_columns(events: list[EventUnion], seqs: list[int]) -> Columns:
    """The envelope of measurement events: what rebuilds them with their ``measurements`` rows."""
    return {
        "event_id": [e.event_id for e in events],
        "session_id": [e.session_id for e in events],
        "station_id": [e.station_id for e in events],
        "seq": [e.seq for e in events],
        "type": [_TAGS[type(e)] for e in events],
        "occurred_at": [e.occurred_at for e in events],
        "schema_version": [e.schema_version for e in events],
        "run_id": [getattr(e, "run_id", "") for e in events],
        "name": [getattr(e, "name", "") for e in events],
        "per_point_names": [bool(getattr(e, "names", ())) for e in events],
        "more_events": [0] * len(events),
        "point_times": [[]] * len(events),
        "last_at": [e.occurred_at for e in events],
        "stream_seq": seqs,
    }


def _measurements(events: list[Measurement], seqs: list[int]) -> list[Columns]:
    numbers: list[float] = []
    texts: list[str] = []
    kinds: list[str] = []
    for m in events:
        number, text, kind = _value_columns(m.value)
        numbers.append(number)
        texts.append(text)
        kinds.append(kind)
    return [
        {
            "station_id": [m.station_id for m in events],
            "session_id": [m.session_id for m in events],
            "run_id": [m.run_id for m in events],
            "name": [m.name for m in events],
            "ts": [m.occurred_at for m in events],
            "value": numbers,
            "value_str": texts,
            "value_kind": kinds,
            "unit": [m.unit for m in events],
            "low": [m.low for m in events],
            "high": [m.high for m in events],
            "outcome": [m.outcome for m in events],
            "step": [m.step for m in events],
            "event_id": [m.event_id for m in events],
            "point_index": pa.array(np.zeros(len(events), dtype=np.uint32)),
            "stream_seq": seqs,
            "description": [m.description for m in events],
            "marginal_low": [m.marginal_low for m in events],
            "marginal_high": [m.marginal_high for m in events],
            "marginal": [m.marginal for m in events],
        }
    ]


def _value_columns(value: float | int | bool | str) -> tuple[float, str, str]:
    """A measured value as (number, text, kind): text values have NaN as their number."""
    if isinstance(value, str):
        return math.nan, value, "str"
    if isinstance(value, bool):
        return float(value), "", "bool"
    return float(value), "", "int" if isinstance(value, int) else "float"


Handler = Callable[[list[EventUnion], list[int]], list[Columns]]
_HANDLERS: dict[type[Event], Handler] = {
    Measurement: _measurements,  # type: ignore[dict-item]
    MeasurementBatch: batch_rows.measurement_batches,  # type: ignore[dict-item]
    SessionStarted: lifecycle_rows.sessions_started,  # type: ignore[dict-item]
    SessionEnded: lifecycle_rows.sessions_ended,  # type: ignore[dict-item]
    RunStarted: lifecycle_rows.runs_started,  # type: ignore[dict-item]
    RunEnded: lifecycle_rows.runs_ended,  # type: ignore[dict-item]
    StepStarted: lifecycle_rows.steps,  # type: ignore[dict-item]
    StepEnded: lifecycle_rows.steps,  # type: ignore[dict-item]
    InstrumentCall: lifecycle_rows.instrument_calls,  # type: ignore[dict-item]
    LockAcquired: lifecycle_rows.lock_events,  # type: ignore[dict-item]
    LockReleased: lifecycle_rows.lock_events,  # type: ignore[dict-item]
    FileRegistered: window_rows.files_registered,  # type: ignore[dict-item]
    WindowCreated: window_rows.window_changes,  # type: ignore[dict-item]
    WindowUpdated: window_rows.window_changes,  # type: ignore[dict-item]
    WindowDeleted: window_rows.window_changes,  # type: ignore[dict-item]
    DeviceAttached: window_rows.device_changes,  # type: ignore[dict-item]
    DeviceDetached: window_rows.device_changes,  # type: ignore[dict-item]
    FileAdded: window_rows.file_contributions,  # type: ignore[dict-item]
    FileRemoved: window_rows.file_contributions,  # type: ignore[dict-item]
    MeasurementTable: measurement_table_rows,  # type: ignore[dict-item]
    AttachmentAdded: lifecycle_rows.attachments,  # type: ignore[dict-item]
    Log: log_rows.logs,  # type: ignore[dict-item]
}
EVENT_TABLES: dict[type[Event], str] = {
    Measurement: "measurements",
    MeasurementBatch: "measurements",
    MeasurementSeries: "measurements",
    SessionStarted: "sessions",
    SessionEnded: "session_ends",
    RunStarted: "runs",
    RunEnded: "run_ends",
    StepStarted: "steps",
    StepEnded: "steps",
    InstrumentCall: "instrument_calls",
    LockAcquired: "locks",
    LockReleased: "locks",
    FileRegistered: "files",
    WindowCreated: "windows",
    WindowUpdated: "windows",
    WindowDeleted: "windows",
    DeviceAttached: "window_devices",
    DeviceDetached: "window_devices",
    FileAdded: "window_files",
    FileRemoved: "window_files",
    MeasurementTable: "measurement_tables",
    AttachmentAdded: "attachments",
    Log: "logs",
}
"""Event type → the table its rows go to (every event also gives a row of ``events``, or,
for :data:`MEASUREMENT_TAGS`, of ``measurement_events``)."""
