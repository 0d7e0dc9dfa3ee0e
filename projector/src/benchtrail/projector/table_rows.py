"""Dimensioned measurements (``measurement.table``): the projector's rules and rows.

One event is one row of ``measurement_tables``: the axes' names and units, and one
array of values per axis (``Array(Array(Float64))``). That layout was measured
against a long format (one row per point and axis) in ``docs/measurement-tables.md``:
it inserts about 7 times faster and reads one measurement back faster.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from benchtrail.projector.table_model import ArrowArray, Columns
from benchtrail.schemas import MAX_AXES, MAX_TABLE_POINTS, MeasurementTable, is_blank

Problem = tuple[str, str]
"""Why an event is refused: ``(code, detail)`` (as in :mod:`benchtrail.projector.validation`)."""


def table_problem(event: MeasurementTable) -> Problem | None:
    """The first rule a ``measurement.table`` event breaks, or ``None``.

    Codes are those of :mod:`benchtrail.projector.validation`: ``bad-name`` (a blank
    name, a blank or repeated axis name), ``empty-batch`` (no axis or no point),
    ``misaligned-batch`` (axes of different lengths), ``out-of-range`` (too many
    axes or points, ``dimensions`` above the axis count, a part beyond ``point_count``).
    """
    label = f"measurement.table {event.name!r} seq {event.seq}"
    if is_blank(event.name):
        return "bad-name", f"measurement.table seq {event.seq} has a blank name"
    axes = event.axes
    if not axes:
        return "empty-batch", f"{label} has no axis"
    if len(axes) > MAX_AXES:
        return "out-of-range", f"{label} has {len(axes)} axes (at most {MAX_AXES})"
    names = [axis.name for axis in axes]
    if any(is_blank(name) for name in names) or len(set(names)) != len(names):
        return "bad-name", f"{label} axis names {names!r} are blank or repeated"
    lengths = {len(axis.values) for axis in axes}
    if len(lengths) != 1:
        counts = {axis.name: len(axis.values) for axis in axes}
        return "misaligned-batch", f"{label} axes of different lengths: {counts}"
    points = lengths.pop()
    if points == 0:
        return "empty-batch", f"{label} has no points"
    if event.dimensions > len(axes):
        return "out-of-range", f"{label} dimensions {event.dimensions} > {len(axes)} axes"
    total = event.point_count or event.first_point + points
    if total > MAX_TABLE_POINTS or event.first_point + points > total:
        return "out-of-range", (
            f"{label} points {event.first_point}..{event.first_point + points} of "
            f"{event.point_count} (at most {MAX_TABLE_POINTS})"
        )
    return None


def measurement_table_rows(events: list[MeasurementTable], seqs: list[int]) -> list[Columns]:
    """One row per event; the values as one list of float64 per axis."""
    return [
        {
            "station_id": [e.station_id for e in events],
            "session_id": [e.session_id for e in events],
            "run_id": [e.run_id for e in events],
            "name": [e.name for e in events],
            "table_id": [e.table_id for e in events],
            "first_point": [e.first_point for e in events],
            "point_count": [e.point_count or e.first_point + len(e.axes[0].values) for e in events],
            "part_points": [len(e.axes[0].values) for e in events],
            "dimensions": [e.dimensions for e in events],
            "axis_names": [[axis.name for axis in e.axes] for e in events],
            "axis_units": [[axis.unit for axis in e.axes] for e in events],
            "axis_values": _values(events),
            "outcome": [e.outcome for e in events],
            "step": [e.step for e in events],
            "at": [e.occurred_at for e in events],
            "event_id": [e.event_id for e in events],
            "stream_seq": seqs,
        }
    ]


def _values(events: list[MeasurementTable]) -> ArrowArray:
    """``list<list<double>>`` built from flat numpy buffers and offsets (no per-point objects)."""
    axes = [axis for e in events for axis in e.axes]
    lengths = np.fromiter((len(axis.values) for axis in axes), np.int32, len(axes))
    inner_offsets = np.concatenate(([0], np.cumsum(lengths, dtype=np.int32)))
    flat = np.concatenate([np.asarray(axis.values, dtype=np.float64) for axis in axes])
    inner = pa.ListArray.from_arrays(
        pa.array(inner_offsets, pa.int32()), pa.array(flat, pa.float64())
    )
    axis_counts = np.fromiter((len(e.axes) for e in events), np.int32, len(events))
    outer_offsets = np.concatenate(([0], np.cumsum(axis_counts, dtype=np.int32)))
    return pa.ListArray.from_arrays(pa.array(outer_offsets, pa.int32()), inner)
