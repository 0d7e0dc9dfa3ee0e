"""Dimensioned measurements: a table of points with named axes, each with its own unit.

An OpenHTF measurement ``with_dimensions('ms', 'V', 'A')``, a Bluesky scan over two
motors, a scope capture (time, volts): each point has a coordinate on every axis.
The measurement travels as ``measurement.table`` events, one per part of at most
:data:`TABLE_PART_CELLS` numbers, so a frame stays under the server's 1 MiB payload.
Every part carries the axes' names and units; the parts of one measurement share a
``table_id`` and are put back in order by ``first_point``.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec

from benchtrail.schemas.base import Event, Finite
from benchtrail.schemas.limits import MAX_NAME

MAX_AXES: Final = 32
"""Most axes (columns) of one dimensioned measurement."""
MAX_TABLE_POINTS: Final = 1_000_000
"""Most points (rows) of one dimensioned measurement."""
MAX_AXIS_NAME: Final = 64
"""Longest name of an axis (characters)."""
MAX_AXIS_UNIT: Final = 64
"""Longest unit of an axis (characters)."""
TABLE_PART_CELLS: Final = 60_000
"""Most numbers (points × axes) in one ``measurement.table`` event: ~540 kB of MessagePack."""

AxisName = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_AXIS_NAME)]
AxisUnit = Annotated[str, msgspec.Meta(max_length=MAX_AXIS_UNIT)]


class Axis(msgspec.Struct, frozen=True, kw_only=True):
    """One axis (column) of a dimensioned measurement: its name, unit and values."""

    name: AxisName
    unit: AxisUnit = ""
    values: Annotated[
        list[Finite], msgspec.Meta(description="This part's values, one per point, in order.")
    ]


class MeasurementTable(Event, frozen=True, kw_only=True, tag="measurement.table"):
    """Part of a dimensioned measurement: points with a value on each named axis.

    The first ``dimensions`` axes are the coordinates (time, frequency, motor
    positions); the others are what was measured at them. Every axis of a part
    has the same number of values. A measurement too large for one event is
    split into parts that share ``table_id``; ``first_point`` is the index of
    this part's first point in the whole measurement, ``point_count`` the
    whole measurement's points.
    """

    run_id: str = ""
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
    table_id: Annotated[str, msgspec.Meta(description="The same in every part of one measurement.")]
    axes: list[Axis]
    dimensions: Annotated[
        int, msgspec.Meta(ge=0, description="How many leading axes are coordinates.")
    ] = 1
    first_point: Annotated[int, msgspec.Meta(ge=0)] = 0
    point_count: Annotated[
        int, msgspec.Meta(ge=0, description="Points of the whole measurement (all parts).")
    ] = 0
    outcome: Literal["passed", "failed", "unset"] = "unset"
    step: str = ""
