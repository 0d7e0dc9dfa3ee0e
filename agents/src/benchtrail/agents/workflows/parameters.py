"""Sweep parameters: named values with a unit, and the grid of points they span."""

from __future__ import annotations

import itertools
import keyword
import math
from collections.abc import Iterable, Iterator, Sequence

import msgspec

from benchtrail.agents.errors import InvalidParameter
from benchtrail.schemas import CustomValue, ParameterInfo

RESERVED = frozenset({"stop_event", "timestamp"})
"""Names a parameter, instrument or result cannot take: they mean something else here."""


class Parameter(msgspec.Struct, frozen=True):
    """One swept parameter: its name (an argument name of acquire functions), values, unit."""

    name: str
    values: tuple[CustomValue, ...]
    unit: str = ""
    notes: str = ""

    def info(self) -> ParameterInfo:
        """The parameter as recorded in ``run.started``."""
        return ParameterInfo(
            name=self.name, unit=self.unit, notes=self.notes, values=list(self.values)
        )


def check_identifier(what: str, name: object) -> str:
    """A name usable as a function argument and a column (``voltage``, ``v_out``).

    Raises:
        InvalidParameter: the name is not a Python identifier, is a keyword or reserved.
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise InvalidParameter(
            str(name), f"a {what} name must be a Python identifier (e.g. 'v_out'), got {name!r}"
        )
    if name in RESERVED:
        raise InvalidParameter(name, f"{name!r} is reserved; choose another {what} name")
    return name


def make_parameter(name: str, values: Iterable[object], unit: str, notes: str) -> Parameter:
    """Check a parameter's name and values and freeze them.

    Raises:
        InvalidParameter: bad name, no values, or a value that is not a finite
            number, a flag or text (numpy scalars are accepted as numbers).
    """
    check_identifier("parameter", name)
    if isinstance(values, str | bytes):
        raise InvalidParameter(name, f"values must be a sequence of values, got {values!r}")
    checked = tuple(_value(name, index, value) for index, value in enumerate(values))
    if not checked:
        raise InvalidParameter(name, "has no values")
    kinds = {type(value) for value in checked}
    if len(kinds) > 1 and not kinds <= {int, float}:
        shown = ", ".join(sorted(k.__name__ for k in kinds))
        raise InvalidParameter(name, f"values mix {shown}; use one kind (int and float may mix)")
    return Parameter(name, checked, unit, notes)


def _value(name: str, index: int, value: object) -> CustomValue:
    if isinstance(value, bool | int | str):
        return value
    numpy_kind = getattr(getattr(value, "dtype", None), "kind", "")
    if numpy_kind == "b":
        return bool(value)
    if numpy_kind in ("i", "u"):
        whole: int = int(value)  # type: ignore[call-overload]  # a numpy integer
        return whole
    try:
        number = float(value)  # type: ignore[arg-type]  # numpy floats and the like
    except (TypeError, ValueError):
        raise InvalidParameter(
            name, f"value {index} is {value!r}; expected a number, a bool or text"
        ) from None
    if not math.isfinite(number):
        raise InvalidParameter(name, f"value {index} is {value!r}; values must be finite")
    return number


def grid(parameters: Sequence[Parameter]) -> Iterator[tuple[CustomValue, ...]]:
    """Every combination of the parameters' values; the first parameter changes slowest."""
    return itertools.product(*(p.values for p in parameters))


def grid_size(parameters: Sequence[Parameter]) -> int:
    """How many points :func:`grid` yields."""
    return math.prod(len(p.values) for p in parameters)
