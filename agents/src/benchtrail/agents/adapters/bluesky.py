"""Bluesky → benchtrail: a RunEngine subscriber recording each run's documents.

Usage::

    with connect("beamline-2", session_type="observation") as station:
        RE = RunEngine({})
        RE.subscribe(BenchtrailCallback(station))
        RE(scan([det], motor, -1, 1, 11), sample="SN-7")

A ``start`` document opens a run, each ``descriptor`` names a stream's data keys,
``event`` and ``event_page`` points are buffered per stream and data key and
recorded as ``measurement.batch`` events, and ``stop`` ends the run with its exit
status. Every event carries its document's ``time`` (each point its own
timestamp), so a replayed run keeps the times it was taken at. The start
document's scalars become ``custom_metadata``, its lists and nulls
``structured_metadata``; what neither can hold is named in a warning ``log``
event. See ``docs/adapters.md`` for the whole mapping.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from benchtrail.agents.adapters.bluesky_tables import MotorGrids
from benchtrail.agents.adapters.run_metadata import (
    fit_structured,
    id_text,
    metadata_warnings,
    run_fields,
    split_metadata,
)
from benchtrail.agents.batch_points import BATCH_CHUNK_POINTS
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station
from benchtrail.schemas import MeasurementBatch, RunOutcome, ValueKind

try:
    from event_model.documents import (
        DataKey,
        Event,
        EventDescriptor,
        EventPage,
        RunStart,
        RunStop,
    )
except ImportError as e:
    raise ImportError(
        "benchtrail.agents.adapters.bluesky needs Bluesky: pip install 'benchtrail-agents[bluesky]'"
    ) from e

__all__ = ["LOGGER", "BenchtrailCallback"]

LOGGER = "benchtrail.adapters.bluesky"
"""The ``logger`` of the log events this adapter records (data keys it leaves out)."""

_EXIT_OUTCOMES: dict[str, RunOutcome] = {"success": "passed", "fail": "error", "abort": "aborted"}
_KINDS: dict[str, ValueKind] = {
    "number": "float",
    "integer": "int",
    "boolean": "bool",
    "string": "str",
}
_NOT_METADATA = frozenset({"hints", "projections"})
"""Start document keys that describe how to display the run, not the run."""


@dataclass
class _Column:
    """The buffered points of one data key of one stream."""

    name: str
    step: str
    unit: str
    kind: ValueKind
    values: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    timestamps_ns: list[int] = field(default_factory=list)


@dataclass
class _OpenRun:
    """A run between its start and stop documents."""

    run: Run
    descriptors: list[str] = field(default_factory=list)
    logged: set[tuple[str, str]] = field(default_factory=set)
    buffered_since: float | None = None
    last_time_ns: int | None = None
    """The ``time`` of the run's latest document (its batches are stamped with it)."""


@dataclass
class _Stream:
    """One descriptor: a stream of a run and the columns of its recordable data keys."""

    open_run: _OpenRun
    name: str
    columns: dict[str, _Column]


class BenchtrailCallback:
    """A Bluesky document subscriber: each run becomes a benchtrail run.

    Use it as ``RE.subscribe(BenchtrailCallback(station))``, or call it with
    ``(name, doc)`` pairs replayed from storage. Scalar data keys (numbers,
    integers, flags, text) are recorded; arrays and externally stored data are
    left out with one log event per data key.

    Args:
        station: the running station session the runs are recorded in.
        flush_points: record a data key's points once this many are buffered
            (at most ``BATCH_CHUNK_POINTS``, 20,000).
        flush_seconds: record every buffered point of a run once the oldest has
            waited this long (checked as documents arrive); 0 records every
            document's points at once.

    Attributes:
        runs: the benchtrail run of each Bluesky run seen, by start document uid.
    """

    def __init__(
        self, station: Station, *, flush_points: int = 1000, flush_seconds: float = 1.0
    ) -> None:
        self.station = station
        self.flush_points = max(1, min(flush_points, BATCH_CHUNK_POINTS))
        self.flush_seconds = flush_seconds
        self.runs: dict[str, Run] = {}
        self._open: dict[str, _OpenRun] = {}
        self._streams: dict[str, _Stream] = {}
        self._grids = MotorGrids(LOGGER)  # multi-motor scans as tables: bluesky_tables.py

    def __call__(self, name: str, doc: Mapping[str, object]) -> None:
        """Take one document (``start``, ``descriptor``, ``event``, ``event_page``, ``stop``).

        Other documents (``resource``, ``datum``, ``stream_resource``, …) point at
        externally stored data and are not recorded.
        """
        match name:
            case "start":
                self._start(cast(RunStart, doc))
            case "descriptor":
                self._descriptor(cast(EventDescriptor, doc))
            case "event":
                self._event(cast(Event, doc))
            case "event_page":
                self._event_page(cast(EventPage, doc))
            case "stop":
                self._stop(cast(RunStop, doc))

    def flush(self) -> None:
        """Record every buffered point now (e.g. before stopping the station mid-run)."""
        for open_run in self._open.values():
            self._flush_run(open_run)

    # -- documents -----------------------------------------------------------

    def _start(self, doc: RunStart) -> None:
        metadata: Mapping[str, object] = doc
        fields = run_fields(metadata)
        if "dut_serial" not in fields:
            fields["dut_serial"] = _sample_serial(doc.get("sample"))
        project = id_text(doc.get("project"))
        if "project_name" not in fields and project:
            fields["project_name"] = project
        split = split_metadata(metadata, skip=_NOT_METADATA)
        fit_structured(split)
        started = _doc_ns(doc)
        run = self.station.run(
            **fields,
            custom_metadata=split.custom,
            structured_metadata=split.structured,
            started_at=started,
        )
        self.runs[doc["uid"]] = run
        open_run = _OpenRun(run, last_time_ns=started)
        self._open[doc["uid"]] = open_run
        for warning in metadata_warnings(split, "Bluesky start document"):
            self._warn(open_run, warning)
        self._grids.start(doc, run)

    def _descriptor(self, doc: EventDescriptor) -> None:
        open_run = self._open.get(doc["run_start"])
        if open_run is None:
            return  # its run started before this callback was subscribed
        open_run.last_time_ns = _doc_ns(doc) or open_run.last_time_ns
        stream = doc.get("name", "")
        columns: dict[str, _Column] = {}
        for key, data_key in doc["data_keys"].items():
            kind, problem = _kind(data_key)
            if kind is None:
                self._log_once(open_run, stream, key, problem)
                continue
            unit = data_key.get("units") or ""
            columns[key] = _Column(name=key, step=stream, unit=unit, kind=kind)
        open_run.descriptors.append(doc["uid"])
        self._grids.descriptor(doc)
        self._streams[doc["uid"]] = _Stream(open_run, stream, columns)

    def _event(self, doc: Event) -> None:
        stream = self._streams.get(doc["descriptor"])
        if stream is None:
            return
        stream.open_run.last_time_ns = _doc_ns(doc) or stream.open_run.last_time_ns
        for key, column in stream.columns.items():
            if key in doc["data"]:
                stamp = doc["timestamps"].get(key, doc["time"])
                self._add(stream, column, [doc["data"][key]], [stamp])
        self._grids.event(doc)
        self._flush_if_due(stream.open_run)

    def _event_page(self, doc: EventPage) -> None:
        stream = self._streams.get(doc["descriptor"])
        if stream is None:
            return
        times = [_ns(t) for t in doc["time"]]
        stream.open_run.last_time_ns = max(times, default=None) or stream.open_run.last_time_ns
        for key, column in stream.columns.items():
            if key in doc["data"]:
                stamps = doc["timestamps"].get(key, doc["time"])
                self._add(stream, column, doc["data"][key], stamps)
        self._grids.event_page(doc)
        self._flush_if_due(stream.open_run)

    def _stop(self, doc: RunStop) -> None:
        open_run = self._open.pop(doc["run_start"], None)
        if open_run is None:
            return
        if open_run.run.active:  # else the station stopped mid-run and ended it (aborted)
            self._flush_run(open_run)
            self._grids.stop(doc)
            stopped = _doc_ns(doc)
            ended = None if stopped is None else max(stopped, open_run.run.started_at_ns)
            open_run.run.end(*_verdict(doc), ended_at=ended)
        for uid in open_run.descriptors:
            del self._streams[uid]

    # -- points --------------------------------------------------------------

    def _add(
        self, stream: _Stream, column: _Column, values: Sequence[object], stamps: Sequence[object]
    ) -> None:
        open_run = stream.open_run
        for value, stamp in zip(values, stamps, strict=False):
            if column.kind == "int" and not _is_whole(value):
                self._widen(open_run, stream, column, value)
            point = _point(column.kind, value)
            if point is None:
                self._log_once(
                    open_run,
                    stream.name,
                    column.name,
                    f"a value {value!r} is not a finite {column.kind}; such points are left out",
                )
                continue
            if isinstance(point, str):
                column.texts.append(point)
            else:
                column.values.append(point)
            column.timestamps_ns.append(_ns(stamp))
            if open_run.buffered_since is None:
                open_run.buffered_since = time.monotonic()
            if len(column.timestamps_ns) >= self.flush_points:
                self._record(open_run, column)

    def _widen(self, open_run: _OpenRun, stream: _Stream, column: _Column, value: object) -> None:
        """An ``integer`` data key got a fraction: record its points so far, the rest as floats."""
        self._record(open_run, column)
        column.kind = "float"
        self._log_once(
            open_run,
            stream.name,
            column.name,
            f"its descriptor says integer but a value is {value!r}; its points from there on "
            "are recorded as float",
            recorded=True,
        )

    def _flush_if_due(self, open_run: _OpenRun) -> None:
        since = open_run.buffered_since
        if since is not None and time.monotonic() - since >= self.flush_seconds:
            self._flush_run(open_run)

    def _flush_run(self, open_run: _OpenRun) -> None:
        for uid in open_run.descriptors:
            for column in self._streams[uid].columns.values():
                self._record(open_run, column)
        open_run.buffered_since = None

    def _record(self, open_run: _OpenRun, column: _Column) -> None:
        count = len(column.timestamps_ns)
        if not count:
            return
        self.station.emit(
            MeasurementBatch,
            at=open_run.last_time_ns,
            size_hint=300 + 20 * count,
            run_id=open_run.run.run_id,
            name=column.name,
            values=column.values,
            texts=column.texts,
            timestamps_ns=column.timestamps_ns,
            unit=column.unit,
            step=column.step,
            kind=column.kind,
        )
        open_run.run.measurement_count += count
        # The event holds the lists it was given: start new ones.
        column.values, column.texts, column.timestamps_ns = [], [], []

    def _log_once(
        self, open_run: _OpenRun, stream: str, key: str, problem: str, *, recorded: bool = False
    ) -> None:
        if (stream, key) in open_run.logged:
            return
        open_run.logged.add((stream, key))
        how = "recorded with a change" if recorded else "not recorded"
        self._warn(open_run, f"Bluesky data key {key!r} of stream {stream!r} {how}: {problem}")

    def _warn(self, open_run: _OpenRun, message: str) -> None:
        """A warning of this adapter in the run, at the time of the run's latest document."""
        run = open_run.run
        self.station.log(message, "warning", LOGGER, run_id=run.run_id, at=open_run.last_time_ns)


def _verdict(doc: RunStop) -> tuple[RunOutcome, str]:
    """The run's outcome from the stop document's exit status, and the reason if it failed."""
    status = doc["exit_status"]
    outcome = _EXIT_OUTCOMES.get(status, "error")
    if outcome == "passed":
        return outcome, ""
    return outcome, doc.get("reason", "") or f"exit status {status!r}"


def _kind(data_key: DataKey) -> tuple[ValueKind | None, str]:
    """What a data key's points are recorded as, or why they are not recorded."""
    if "external" in data_key:
        return None, f"its data is stored externally ({data_key['external']})"
    shape = data_key.get("shape") or []
    kind = _KINDS.get(data_key.get("dtype", ""))
    if shape or kind is None:
        return None, f"only scalars are recorded; it is {data_key.get('dtype')} of shape {shape}"
    return kind, ""


def _point(kind: ValueKind, value: object) -> float | str | None:
    """One point as a batch carries it, or ``None`` when it cannot be recorded."""
    if kind == "str":
        return value if isinstance(value, str) else str(value)
    if kind == "bool":
        flag = isinstance(value, bool | np.bool_ | numbers.Integral)
        return float(bool(value)) if flag else None
    if not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _is_whole(value: object) -> bool:
    """Whether a point of an ``integer`` data key is whole (``3``, ``3.0``; not ``1.5``)."""
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, numbers.Real) and float(value).is_integer()


def _doc_ns(doc: Mapping[str, object]) -> int | None:
    """A document's ``time`` in ns, ``None`` (stamp at the call) when it has none."""
    stamp = doc.get("time")
    if isinstance(stamp, numbers.Real) and math.isfinite(float(stamp)) and float(stamp) > 0:
        return round(float(stamp) * 1_000_000_000)
    return None


def _ns(stamp: object) -> int:
    """A Bluesky timestamp (seconds since the epoch) in ns; now when there is none."""
    if isinstance(stamp, numbers.Real) and math.isfinite(float(stamp)):
        return round(float(stamp) * 1_000_000_000)
    return time.time_ns()


def _sample_serial(sample: object) -> str:
    """The DUT serial in a start document's ``sample``: text or a number, or its serial, id or
    name (text or a whole number: ``{"id": 42}`` gives ``"42"``)."""
    if isinstance(sample, Mapping):
        for key in ("serial", "id", "name"):
            text = id_text(sample.get(key))
            if text:
                return text
        return ""
    return id_text(sample)
