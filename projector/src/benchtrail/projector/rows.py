"""Events → columnar rows, one handler per event type.

:class:`RowBatch` collects the rows of many frames in Python lists, one list
per column, and turns them into one Arrow table per warehouse table, so each
table gets a single large insert per batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec
import numpy as np
import pyarrow as pa

from benchtrail.schemas import (
    Event,
    EventUnion,
    Measurement,
    MeasurementBatch,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    StepEnded,
    StepStarted,
)

_TS = pa.timestamp("ns", tz="UTC")
_STR = pa.string()
_DICT = pa.dictionary(pa.int32(), pa.string())
_MAP = pa.map_(pa.string(), pa.string())

SCHEMAS: dict[str, pa.Schema] = {
    "events": pa.schema(
        [
            ("event_id", _STR),
            ("session_id", _DICT),
            ("station_id", _DICT),
            ("seq", pa.uint64()),
            ("type", _DICT),
            ("occurred_at", _TS),
            ("schema_version", pa.uint16()),
            ("run_id", _DICT),
            ("payload", _STR),
            ("stream_seq", pa.uint64()),
        ]
    ),
    "sessions": pa.schema(
        [
            ("session_id", _STR),
            ("station_id", _STR),
            ("session_type", _STR),
            ("station_name", _STR),
            ("station_type", _STR),
            ("station_location", _STR),
            ("hostname", _STR),
            ("pid", pa.uint32()),
            ("client_name", _STR),
            ("client_version", _STR),
            ("operator_id", _STR),
            ("operator_name", _STR),
            ("fixture_id", _STR),
            ("slot_count", pa.uint32()),
            ("device_ids", pa.list_(_STR)),
            ("git_commit", _STR),
            ("git_branch", _STR),
            ("git_remote", _STR),
            ("git_dirty", pa.bool_()),
            ("python_version", _STR),
            ("packages", _MAP),
            ("started_at", _TS),
            ("event_id", _STR),
            ("stream_seq", pa.uint64()),
        ]
    ),
    "session_ends": pa.schema(
        [
            ("session_id", _STR),
            ("station_id", _STR),
            ("ended_at", _TS),
            ("run_count", pa.uint32()),
            ("event_count", pa.uint64()),
            ("reason", _STR),
            ("event_id", _STR),
            ("stream_seq", pa.uint64()),
        ]
    ),
    "runs": pa.schema(
        [
            ("run_id", _STR),
            ("session_id", _STR),
            ("station_id", _STR),
            ("started_at", _TS),
            ("dut_serial", _STR),
            ("dut_part_number", _STR),
            ("dut_revision", _STR),
            ("dut_lot_number", _STR),
            ("product_id", _STR),
            ("product_name", _STR),
            ("product_revision", _STR),
            ("slot_id", _STR),
            ("slot_index", pa.uint32()),
            ("fixture_id", _STR),
            ("test_phase", _STR),
            ("project_name", _STR),
            ("git_commit", _STR),
            ("git_branch", _STR),
            ("git_remote", _STR),
            ("git_dirty", pa.bool_()),
            ("python_version", _STR),
            ("packages", _MAP),
            ("custom_metadata", _STR),
            ("channel_refs", pa.list_(_STR)),
            ("event_id", _STR),
            ("stream_seq", pa.uint64()),
        ]
    ),
    "run_ends": pa.schema(
        [
            ("run_id", _STR),
            ("session_id", _STR),
            ("station_id", _STR),
            ("ended_at", _TS),
            ("outcome", _STR),
            ("measurement_count", pa.uint64()),
            ("failed_measurement_count", pa.uint64()),
            ("step_count", pa.uint32()),
            ("duration_ns", pa.uint64()),
            ("error", _STR),
            ("event_id", _STR),
            ("stream_seq", pa.uint64()),
        ]
    ),
    "steps": pa.schema(
        [
            ("step_id", _STR),
            ("run_id", _STR),
            ("session_id", _STR),
            ("station_id", _STR),
            ("name", _STR),
            ("phase", _STR),
            ("at", _TS),
            ("outcome", _STR),
            ("duration_ns", pa.uint64()),
            ("error", _STR),
            ("event_id", _STR),
            ("stream_seq", pa.uint64()),
        ]
    ),
    "measurements": pa.schema(
        [
            ("station_id", _DICT),
            ("session_id", _DICT),
            ("run_id", _DICT),
            ("name", _DICT),
            ("ts", _TS),
            ("value", pa.float64()),
            ("value_str", _DICT),
            ("value_kind", _DICT),
            ("unit", _DICT),
            ("low", pa.float64()),
            ("high", pa.float64()),
            ("outcome", _DICT),
            ("step", _DICT),
            ("event_id", _DICT),
            ("point_index", pa.uint32()),
            ("stream_seq", pa.uint64()),
        ]
    ),
}
"""Arrow schema of each warehouse table, column for column as in :mod:`ddl`."""

_json = msgspec.json.Encoder()


def point_outcome(value: float, low: float | None, high: float | None) -> str:
    """Verdict of one numeric point against optional limits."""
    if low is None and high is None:
        return "unset"
    if math.isnan(value):
        return "failed"
    if (low is not None and value < low) or (high is not None and value > high):
        return "failed"
    return "passed"


class RowBatch:
    """Columns of rows for every table, filled event by event."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[object]]] = {
            table: {name: [] for name in schema.names} for table, schema in SCHEMAS.items()
        }
        self.event_count = 0
        self.point_chunks: list[pa.RecordBatch] = []
        self.point_count = 0

    def add_frame(self, events: Iterable[EventUnion], stream_seq: int) -> None:
        """Add every event of one frame, tagged with the frame's stream sequence."""
        for event in events:
            self.add(event, stream_seq)

    def add(self, event: EventUnion, stream_seq: int) -> None:
        """Add one event: its raw row, and its rows in the derived tables."""
        self.event_count += 1
        self._event_row(event, stream_seq)
        match event:
            case Measurement():
                self._measurement(event, stream_seq)
            case MeasurementBatch():
                self._measurement_batch(event, stream_seq)
            case SessionStarted():
                self._session_started(event, stream_seq)
            case SessionEnded():
                self._session_ended(event, stream_seq)
            case RunStarted():
                self._run_started(event, stream_seq)
            case RunEnded():
                self._run_ended(event, stream_seq)
            case StepStarted() | StepEnded():
                self._step(event, stream_seq)
            case _:
                pass

    def tables(self) -> dict[str, pa.Table]:
        """Arrow tables of every non-empty table, ready for ``insert_arrow``."""
        out: dict[str, pa.Table] = {}
        for table, columns in self.columns.items():
            chunks = self.point_chunks if table == "measurements" else []
            if columns[SCHEMAS[table].names[0]]:
                chunks = [*chunks, _record_batch(columns, SCHEMAS[table])]
            if chunks:
                # One dictionary per column across chunks: Arrow IPC (what the insert
                # sends) does not allow a dictionary to change between batches.
                merged = pa.Table.from_batches(chunks, schema=SCHEMAS[table])
                out[table] = merged.unify_dictionaries() if len(chunks) > 1 else merged
        return out

    def row_counts(self) -> dict[str, int]:
        """Rows collected per table."""
        counts = {t: len(c[SCHEMAS[t].names[0]]) for t, c in self.columns.items()}
        counts["measurements"] += self.point_count
        return counts

    def _append(self, table: str, **row: object) -> None:
        columns = self.columns[table]
        for name, value in row.items():
            columns[name].append(value)

    def _event_row(self, event: EventUnion, stream_seq: int) -> None:
        self._append(
            "events",
            event_id=event.event_id,
            session_id=event.session_id,
            station_id=event.station_id,
            seq=event.seq,
            type=event.__struct_config__.tag,
            occurred_at=event.occurred_at,
            schema_version=event.schema_version,
            run_id=getattr(event, "run_id", ""),
            payload=_json.encode(event).decode(),
            stream_seq=stream_seq,
        )

    def _measurement(self, m: Measurement, stream_seq: int) -> None:
        value = m.value
        if isinstance(value, str):
            number, text, kind = math.nan, value, "str"
        elif isinstance(value, bool):
            number, text, kind = float(value), "", "bool"
        elif isinstance(value, int):
            number, text, kind = float(value), "", "int"
        else:
            number, text, kind = value, "", "float"
        self._append(
            "measurements",
            station_id=m.station_id,
            session_id=m.session_id,
            run_id=m.run_id,
            name=m.name,
            ts=m.occurred_at,
            value=number,
            value_str=text,
            value_kind=kind,
            unit=m.unit,
            low=m.low,
            high=m.high,
            outcome=m.outcome,
            step=m.step,
            event_id=m.event_id,
            point_index=0,
            stream_seq=stream_seq,
        )

    def _measurement_batch(self, b: MeasurementBatch, stream_seq: int) -> None:
        n = len(b.values)
        values = np.asarray(b.values, dtype=np.float64)
        names = pa.array(b.names, _STR).dictionary_encode() if b.names else _repeat(b.name, n)
        arrays = [
            _repeat(b.station_id, n),
            _repeat(b.session_id, n),
            _repeat(b.run_id, n),
            names,
            pa.array(np.asarray(b.timestamps_ns, dtype=np.int64)).view(_TS),
            pa.array(values),
            _repeat("", n),
            _repeat("float", n),
            _repeat(b.unit, n),
            _repeat_float(b.low, n),
            _repeat_float(b.high, n),
            _batch_outcomes(values, b.low, b.high),
            _repeat(b.step, n),
            _repeat(b.event_id, n),
            pa.array(np.arange(n, dtype=np.uint32)),
            pa.array(np.full(n, stream_seq, dtype=np.uint64)),
        ]
        self.point_chunks.append(pa.record_batch(arrays, schema=SCHEMAS["measurements"]))
        self.point_count += n

    def _session_started(self, s: SessionStarted, stream_seq: int) -> None:
        self._append(
            "sessions",
            session_id=s.session_id,
            station_id=s.station_id,
            session_type=s.session_type,
            station_name=s.station.name,
            station_type=s.station.type,
            station_location=s.station.location,
            hostname=s.station.hostname,
            pid=s.process.pid,
            client_name=s.process.client.name,
            client_version=s.process.client.version,
            operator_id=s.operator.id,
            operator_name=s.operator.name,
            fixture_id=s.fixture_id,
            slot_count=s.slot_count,
            device_ids=s.device_ids,
            git_commit=s.git.commit,
            git_branch=s.git.branch,
            git_remote=s.git.remote,
            git_dirty=s.git.dirty,
            python_version=s.environment.python,
            packages=list(s.environment.packages.items()),
            started_at=s.occurred_at,
            event_id=s.event_id,
            stream_seq=stream_seq,
        )

    def _session_ended(self, s: SessionEnded, stream_seq: int) -> None:
        self._append(
            "session_ends",
            session_id=s.session_id,
            station_id=s.station_id,
            ended_at=s.occurred_at,
            run_count=s.run_count,
            event_count=s.event_count,
            reason=s.reason,
            event_id=s.event_id,
            stream_seq=stream_seq,
        )

    def _run_started(self, r: RunStarted, stream_seq: int) -> None:
        self._append(
            "runs",
            run_id=r.run_id,
            session_id=r.session_id,
            station_id=r.station_id,
            started_at=r.occurred_at,
            dut_serial=r.dut.serial,
            dut_part_number=r.dut.part_number,
            dut_revision=r.dut.revision,
            dut_lot_number=r.dut.lot_number,
            product_id=r.product.id,
            product_name=r.product.name,
            product_revision=r.product.revision,
            slot_id=r.slot.id,
            slot_index=r.slot.index,
            fixture_id=r.fixture_id,
            test_phase=r.test_phase,
            project_name=r.project_name,
            git_commit=r.git.commit,
            git_branch=r.git.branch,
            git_remote=r.git.remote,
            git_dirty=r.git.dirty,
            python_version=r.environment.python,
            packages=list(r.environment.packages.items()),
            custom_metadata=_json.encode(r.custom_metadata).decode(),
            channel_refs=r.channel_refs,
            event_id=r.event_id,
            stream_seq=stream_seq,
        )

    def _run_ended(self, r: RunEnded, stream_seq: int) -> None:
        self._append(
            "run_ends",
            run_id=r.run_id,
            session_id=r.session_id,
            station_id=r.station_id,
            ended_at=r.occurred_at,
            outcome=r.outcome,
            measurement_count=r.measurement_count,
            failed_measurement_count=r.failed_measurement_count,
            step_count=r.step_count,
            duration_ns=r.duration_ns,
            error=r.error,
            event_id=r.event_id,
            stream_seq=stream_seq,
        )

    def _step(self, s: StepStarted | StepEnded, stream_seq: int) -> None:
        outcome, duration_ns, error, phase = "", 0, "", "started"
        if isinstance(s, StepEnded):
            outcome, duration_ns, error, phase = s.outcome, s.duration_ns, s.error, "ended"
        self._append(
            "steps",
            step_id=s.step_id,
            run_id=s.run_id,
            session_id=s.session_id,
            station_id=s.station_id,
            name=s.name,
            phase=phase,
            at=s.occurred_at,
            outcome=outcome,
            duration_ns=duration_ns,
            error=error,
            event_id=s.event_id,
            stream_seq=stream_seq,
        )


def _repeat(text: str, n: int) -> pa.DictionaryArray:
    """A dictionary-encoded column holding ``text`` n times (no per-row objects)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), [text])


def _repeat_float(value: float | None, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, pa.float64())
    return pa.array(np.full(n, value, dtype=np.float64))


_OUTCOMES = pa.array(["unset", "passed", "failed"], _STR)


def _batch_outcomes(values: np.ndarray, low: float | None, high: float | None) -> pa.Array:
    """Per-point verdicts of a batch, computed in bulk (NaN fails any limit)."""
    if low is None and high is None:
        codes = np.zeros(len(values), dtype=np.int32)
    else:
        inside = np.ones(len(values), dtype=bool)
        if low is not None:
            inside &= values >= low
        if high is not None:
            inside &= values <= high
        codes = np.where(inside, 1, 2).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes), _OUTCOMES)


def _record_batch(columns: dict[str, list[object]], schema: pa.Schema) -> pa.RecordBatch:
    """Convert Python column lists to Arrow, taking the fast path for each type."""
    arrays: list[pa.Array] = []
    for field in schema:
        values = columns[field.name]
        if field.type == _TS:
            arrays.append(pa.array(values, pa.int64()).view(_TS))
        elif field.type == _DICT:
            arrays.append(pa.array(values, _STR).dictionary_encode())
        else:
            arrays.append(pa.array(values, field.type))
    return pa.record_batch(arrays, schema=schema)


def event_type(event: Event) -> str:
    """The ``type`` tag of an event instance."""
    tag = event.__struct_config__.tag
    assert isinstance(tag, str)
    return tag
