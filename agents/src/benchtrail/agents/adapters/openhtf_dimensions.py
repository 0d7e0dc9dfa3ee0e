"""OpenHTF dimensioned measurements → ``run.measure_table``: axes with their names and units.

A measurement ``with_dimensions('ms', 'V', 'A')`` holds rows ``(ms, V, A, value)``.
It is recorded as a dimensioned measurement whose columns are named as OpenHTF's
own ``to_dataframe()`` names them: each dimension's ``name`` (its description, else
its unit's name), then the measured value (the measurement's unit name, else
``value``); each column's unit is the unit's symbol (``ms``, ``Hz``, ``rad``).
"""

from __future__ import annotations

import math
import numbers

from openhtf.core import measurements  # type: ignore[import-untyped]
from openhtf.util import units  # type: ignore[import-untyped]

from benchtrail.agents.errors import InvalidMeasurement
from benchtrail.agents.measurement_tables import AxisColumn
from benchtrail.agents.run import Run
from benchtrail.schemas import MAX_AXIS_NAME, MeasurementOutcome

_NO_UNIT_CODES = frozenset({units.NONE.code, units.NO_DIMENSION.code})


def record_dimensioned(
    run: Run,
    measurement: measurements.Measurement,
    name: str,
    step: str,
    outcome: MeasurementOutcome,
    *,
    at: int | None = None,
) -> bool:
    """Record a dimensioned OpenHTF measurement as a table; whether it was recorded.

    ``False`` (nothing recorded) when the measurement has no dimensions, or a
    coordinate or value is not a finite number, or the table is beyond the bounds
    of ``measure_table``: the caller then records it as before (JSON text).
    """
    dimensions = list(measurement.dimensions or ())
    if not dimensions:
        return False
    columns = _columns(measurement, dimensions)
    if columns is None:
        return False
    try:
        run.measure_table(
            name, columns, dimensions=len(dimensions), outcome=outcome, step=step, at=at
        )
    except InvalidMeasurement:
        return False
    return True


def _columns(
    measurement: measurements.Measurement, dimensions: list[measurements.Dimension]
) -> dict[str, AxisColumn] | None:
    rows = measurement.measured_value.basetype_value()
    width = len(dimensions) + 1
    if not isinstance(rows, list) or any(len(row) != width for row in rows):
        return None
    cells = [[_number(cell) for cell in row] for row in rows]
    if any(cell is None for row in cells for cell in row):
        return None
    value_unit = measurement.units
    labels = [(str(d.name), _unit_text(d.unit)) for d in dimensions]
    labels.append((str(value_unit.name) if value_unit else "value", _unit_text(value_unit)))
    columns: dict[str, AxisColumn] = {}
    for index, (label, unit) in enumerate(labels):
        values = [float(row[index]) for row in cells]  # type: ignore[arg-type]
        columns[_unique(label, columns)] = (values, unit)
    return columns


def _number(cell: object) -> float | None:
    if isinstance(cell, bool) or not isinstance(cell, numbers.Real):
        return None
    number = float(cell)
    return number if math.isfinite(number) else None


def _unit_text(unit: units.UnitDescriptor | None) -> str:
    if unit is None or unit.code in _NO_UNIT_CODES:
        return ""
    return str(unit.suffix or unit.name or "")


def _unique(label: str, taken: dict[str, AxisColumn]) -> str:
    """An axis name of at most MAX_AXIS_NAME characters, not yet taken (``hertz (2)``)."""
    base = label[:MAX_AXIS_NAME].strip() or "axis"
    name, count = base, 1
    while name in taken:
        count += 1
        suffix = f" ({count})"
        name = base[: MAX_AXIS_NAME - len(suffix)] + suffix
    return name
