"""What a measured point is made of: its value, limits, name and verdict types.

Shared by ``measurement``, ``measurement.batch`` and ``measurement.series``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from benchtrail.schemas.base import Finite
from benchtrail.schemas.limits import MAX_NAME

MeasurementOutcome = Literal["passed", "failed", "unset"]
ValueKind = Literal["float", "int", "bool", "str"]
"""What a measured value is: a number, a whole number, a flag or text."""

MeasurementValue = Finite | int | bool | str
Limit = Finite
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
