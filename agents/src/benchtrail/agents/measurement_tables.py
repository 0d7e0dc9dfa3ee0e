"""Dimensioned measurements at the station: columns checked at the call, recorded in parts.

``Run.measure_table`` hands its columns here. Each column is an axis: a name, its
values (one per point) and a unit. Everything is checked before anything is
recorded; then the points travel as ``measurement.table`` events of at most
:data:`~benchtrail.schemas.TABLE_PART_CELLS` numbers each (a frame stays under the
server's 1 MiB payload), all sharing one ``table_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import get_args

import numpy as np
import numpy.typing as npt

from benchtrail.agents.errors import InvalidMeasurement
from benchtrail.agents.sink import EventSink
from benchtrail.agents.validation import check_name
from benchtrail.schemas import (
    MAX_AXES,
    MAX_AXIS_NAME,
    MAX_AXIS_UNIT,
    MAX_TABLE_POINTS,
    TABLE_PART_CELLS,
    Axis,
    MeasurementOutcome,
    MeasurementTable,
    new_id,
)

AxisValues = Sequence[float] | npt.NDArray[np.floating] | npt.NDArray[np.integer]
"""The values of one axis, one per point: a list or a 1-D numpy array of numbers."""
AxisColumn = AxisValues | tuple[AxisValues, str]
"""An axis as given to ``measure_table``: its values, or ``(values, unit)``."""

_OUTCOMES = frozenset(get_args(MeasurementOutcome))


class CheckedAxis:
    """An axis that passed every check: its name, unit and values as float64."""

    __slots__ = ("name", "unit", "values")

    def __init__(self, name: str, unit: str, values: npt.NDArray[np.float64]) -> None:
        self.name = name
        self.unit = unit
        self.values = values


def check_table(
    name: str, columns: Mapping[str, AxisColumn], dimensions: int, outcome: str
) -> list[CheckedAxis]:
    """The axes of a dimensioned measurement, or :class:`InvalidMeasurement` saying why not.

    Raises:
        InvalidMeasurement: a blank or long name, no axis or more than
            :data:`MAX_AXES`, an axis name blank, longer than :data:`MAX_AXIS_NAME`
            or given twice, a unit longer than :data:`MAX_AXIS_UNIT`, values that
            are not finite numbers, axes of different lengths, no point or more
            than :data:`MAX_TABLE_POINTS`, ``dimensions`` outside
            ``[0, number of axes]``, an unknown outcome.
    """
    check_name(name)
    if not isinstance(columns, Mapping) or not columns:
        raise InvalidMeasurement(name, "a dimensioned measurement needs at least one axis")
    if len(columns) > MAX_AXES:
        raise InvalidMeasurement(name, f"{len(columns)} axes; at most {MAX_AXES} are allowed")
    if isinstance(dimensions, bool) or not isinstance(dimensions, int):
        raise InvalidMeasurement(name, f"dimensions must be a whole number, got {dimensions!r}")
    if not 0 <= dimensions <= len(columns):
        raise InvalidMeasurement(
            name, f"dimensions {dimensions} is outside [0, {len(columns)}] (the number of axes)"
        )
    if outcome not in _OUTCOMES:
        raise InvalidMeasurement(name, f"outcome {outcome!r} is not one of {sorted(_OUTCOMES)}")
    axes = [_axis(name, axis_name, column) for axis_name, column in columns.items()]
    lengths = {axis.name: len(axis.values) for axis in axes}
    if len(set(lengths.values())) > 1:
        raise InvalidMeasurement(name, f"axes of different lengths: {lengths}")
    points = len(axes[0].values)
    if points == 0:
        raise InvalidMeasurement(name, "a dimensioned measurement needs at least one point")
    if points > MAX_TABLE_POINTS:
        raise InvalidMeasurement(
            name, f"{points} points; at most {MAX_TABLE_POINTS} are allowed per measurement"
        )
    return axes


def _axis(name: str, axis_name: object, column: AxisColumn) -> CheckedAxis:
    if not isinstance(axis_name, str) or not axis_name.strip():
        raise InvalidMeasurement(name, f"axis names must be non-empty text, got {axis_name!r}")
    if len(axis_name) > MAX_AXIS_NAME:
        raise InvalidMeasurement(
            name, f"axis name {axis_name[:40] + '…'!r} longer than {MAX_AXIS_NAME} characters"
        )
    values, unit = column if isinstance(column, tuple) else (column, "")
    if not isinstance(unit, str) or len(unit) > MAX_AXIS_UNIT:
        raise InvalidMeasurement(
            name, f"axis {axis_name!r}: unit must be text of at most {MAX_AXIS_UNIT} characters"
        )
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidMeasurement(name, f"axis {axis_name!r}: values must be numbers: {e}") from None
    if array.ndim != 1:
        raise InvalidMeasurement(
            name, f"axis {axis_name!r}: values must be 1-dimensional, got shape {array.shape}"
        )
    finite = np.isfinite(array)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise InvalidMeasurement(
            name, f"axis {axis_name!r}: values must be finite; value {bad} is {float(array[bad])!r}"
        )
    return CheckedAxis(axis_name, unit, array)


def part_ranges(points: int, axis_count: int) -> list[tuple[int, int]]:
    """Point ranges of the parts: at most :data:`TABLE_PART_CELLS` numbers each."""
    per_part = max(1, TABLE_PART_CELLS // axis_count)
    return [(start, min(start + per_part, points)) for start in range(0, points, per_part)]


def record_table(
    sink: EventSink,
    run_id: str,
    name: str,
    axes: list[CheckedAxis],
    *,
    dimensions: int,
    outcome: MeasurementOutcome,
    step: str,
    at: int | None = None,
) -> int:
    """Record checked axes as ``measurement.table`` events; return the points recorded.

    ``at``: when it was measured (ns, checked), default now; every part carries it.
    """
    points = len(axes[0].values)
    table_id = new_id()
    for start, end in part_ranges(points, len(axes)):
        sink.emit(
            MeasurementTable,
            size_hint=400 + len(axes) * (80 + 9 * (end - start)),
            at=at,
            run_id=run_id,
            name=name,
            table_id=table_id,
            axes=[
                Axis(name=axis.name, unit=axis.unit, values=axis.values[start:end].tolist())
                for axis in axes
            ],
            dimensions=dimensions,
            first_point=start,
            point_count=points,
            outcome=outcome,
            step=step,
        )
    return points
