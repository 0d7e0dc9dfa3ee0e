"""The points of an experiment: kept here, recorded as ``measurement.batch`` events.

Every point gets a timestamp unique within the run (ns, strictly increasing), so
the warehouse can pivot the per-column batches back into rows by timestamp. A
point is checked whole before anything of it is kept: a bad value records nothing.

The per-point path is the hot one (a pure-Python sweep calls it a million times):
a point whose results have the same keys and types as the one before is checked
with one tuple comparison and a type test per value, and kept as a tuple. Columns
are built once per chunk, when the chunk is recorded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from benchtrail.agents.errors import AcquireResultError, InvalidMeasurement
from benchtrail.agents.workflows.parameters import RESERVED, Parameter
from benchtrail.schemas import (
    MAX_TEXT_VALUE,
    TIMESTAMP_COLUMN,
    CustomValue,
    ValueKind,
    is_text_too_long,
)

if TYPE_CHECKING:
    import polars as pl

CHUNK_TEXT = 256 * 1024
"""Record pending points once their text values reach this many characters (frames < 1 MB)."""

EXACT_INT = 2**53
"""Whole numbers travel as float64: beyond this they would not come back exact."""

_KINDS: dict[type, ValueKind] = {float: "float", int: "int", bool: "bool", str: "str"}


class Column:
    """One column of the experiment: its values so far (None where a point lacks it)."""

    __slots__ = ("kind", "name", "unit", "values")

    def __init__(self, name: str, unit: str = "", kind: ValueKind | None = None) -> None:
        self.name = name
        self.unit = unit
        self.kind = kind
        self.values: list[CustomValue | None] = []


Pending = tuple[int, Sequence[CustomValue], tuple[CustomValue | None, ...], tuple[str, ...]]
"""A point not yet recorded: timestamp, parameter values, result values, result names."""

BatchSink = Callable[[Column, list[CustomValue | None], list[int]], None]
"""Records one column's chunk: the column, its values (None = absent) and the timestamps."""


class PointTable:
    """Columns of an experiment: parameters first (in order), then results as first seen.

    Args:
        parameters: the swept parameters (or constants) every point carries.
        units: units of result columns, by name.
        sink: records a column's chunk as ``measurement.batch`` events.
        chunk_points: record pending points once this many have accumulated ...
        linger_s: ... or this long after the last recording, whichever comes first.
    """

    def __init__(
        self,
        parameters: Sequence[Parameter],
        units: Mapping[str, str],
        sink: BatchSink,
        chunk_points: int = 4096,
        linger_s: float = 0.25,
    ) -> None:
        self.parameter_columns = [Column(p.name, p.unit, _param_kind(p)) for p in parameters]
        self.result_columns: list[Column] = []
        self.units = dict(units)
        self.timestamps: list[int] = []
        self._sink = sink
        self._chunk_points = chunk_points
        self._linger_ns = int(linger_s * 1e9)
        self._keys: tuple[str, ...] = ()
        self._types: tuple[type, ...] = ()
        self._all_float = False
        self._pending: list[Pending] = []
        self._pending_text = 0
        self._last_stamp = 0
        self._left = chunk_points
        self._deadline = time.time_ns() + self._linger_ns

    def __len__(self) -> int:
        return len(self.timestamps) + len(self._pending)

    @property
    def columns(self) -> list[Column]:
        """Every column in table order."""
        return [*self.parameter_columns, *self.result_columns]

    def add(
        self, point: Sequence[CustomValue], results: Mapping[str, object], source: str = "acquire"
    ) -> int:
        """Keep one point (parameter values in order, and results); return its timestamp.

        ``source`` names the acquire function(s) in errors.

        Raises:
            AcquireResultError: a result name is not an identifier or clashes with a parameter.
            InvalidMeasurement: a value cannot be recorded (non-finite, an unknown type,
                or a kind that differs from the column's earlier points).
        """
        values: tuple[CustomValue | None, ...] = tuple(results.values())  # type: ignore[arg-type]
        if self._all_float and tuple(results) == self._keys:
            total: float
            try:  # one C-level pass: NaN or ±inf anywhere makes the sum non-finite
                total = sum(values)  # type: ignore[arg-type]
            except TypeError:  # text (or None) where a number was
                total = math.nan
            if total - total != 0.0:
                values = self._slow(results, source)
        else:
            values = self._other(results, values, source)
        stamp = time.time_ns()
        if stamp <= self._last_stamp:
            stamp = self._last_stamp + 1
        self._last_stamp = stamp
        self._pending.append((stamp, point, values, self._keys))
        self._left -= 1
        if self._left <= 0 or stamp >= self._deadline:
            self.flush()
        return stamp

    def _other(
        self, results: Mapping[str, object], values: tuple[CustomValue | None, ...], source: str
    ) -> tuple[CustomValue | None, ...]:
        """Check a point that is not all finite floats in the known layout; count its text."""
        text = self._same_types(values) if tuple(results) == self._keys else -1
        if text < 0:
            values = self._slow(results, source)
            text = sum(len(v) for v in values if isinstance(v, str))
        self._pending_text += text
        if self._pending_text >= CHUNK_TEXT:
            self._left = 0
        return values

    def _same_types(self, values: tuple[CustomValue | None, ...]) -> int:
        """Characters of text in the point if every value has its column's type, else -1.

        A float must be finite and a text short enough, or the point takes the slow path.
        """
        text = 0
        for value, expected in zip(values, self._types, strict=True):
            if type(value) is not expected:
                return -1
            if expected is float:
                if value - value != 0.0:  # type: ignore[operator]  # NaN and ±inf
                    return -1
            elif expected is str:
                text += len(value)  # type: ignore[arg-type]  # checked str above
                if len(value) > MAX_TEXT_VALUE:  # type: ignore[arg-type]
                    return -1
        return text

    def _slow(self, results: Mapping[str, object], source: str) -> tuple[CustomValue | None, ...]:
        """Check a point whose keys or types differ from the last; adopt its layout."""
        checked: dict[str, tuple[CustomValue, ValueKind]] = {}
        for name, value in results.items():
            checked[name] = _checked(name, value)
        known = {c.name: c for c in self.result_columns}
        new: list[Column] = []
        for name, (value, kind) in checked.items():
            column = known.get(name)
            if column is None:
                _check_result_name(name, source, self.parameter_columns)
                new.append(Column(name, self.units.get(name, ""), kind))
            elif column.kind != kind and _merge(column.kind, kind) is None:
                raise InvalidMeasurement(
                    name,
                    f"point {len(self)} is {kind} {value!r} but earlier points were"
                    f" {column.kind}; a column keeps one kind (int and float mix as float)",
                )
        for name, (_, kind) in checked.items():
            column = known.get(name)
            if column is not None:
                column.kind = _merge(column.kind, kind)
        self.result_columns.extend(new)
        self._keys = tuple(checked)
        self._types = tuple(type(value) for value, _ in checked.values())
        self._all_float = all(t is float for t in self._types)
        return tuple(value for value, _ in checked.values())

    def flush(self) -> None:
        """Record every pending point, column by column, in column order."""
        if not self._pending:
            return
        pending = self._pending
        self._pending, self._pending_text, self._left = [], 0, self._chunk_points
        self._deadline = self._last_stamp + self._linger_ns
        stamps = [stamp for stamp, _, _, _ in pending]
        self.timestamps.extend(stamps)
        if self.parameter_columns:
            by_column = zip(*(point for _, point, _, _ in pending), strict=True)
            for column, values in zip(self.parameter_columns, by_column, strict=True):
                self._keep(column, list(values), stamps)
        same_layout = all(keys is self._keys for _, _, _, keys in pending)
        for column in self.result_columns:
            self._keep(column, _result_values(pending, column.name, same_layout), stamps)

    def _keep(self, column: Column, values: list[CustomValue | None], stamps: list[int]) -> None:
        if column.kind == "float":  # ints, flags and numpy floats that passed as numbers
            values = (
                list(map(float, values))  # type: ignore[arg-type]  # no None: checked
                if None not in values
                else [None if v is None else float(v) for v in values]
            )
        column.values.extend(values)
        self._sink(column, values, stamps)

    def to_polars(self) -> pl.DataFrame:
        """The points as a DataFrame: ``timestamp`` (UTC, ns), then one column per column."""
        import polars as pl

        self.flush()
        series = [
            pl.Series(TIMESTAMP_COLUMN, self.timestamps, dtype=pl.Int64).cast(
                pl.Datetime("ns", "UTC")
            )
        ]
        series.extend(
            pl.Series(c.name, _padded(c.values, len(self.timestamps)), dtype=polars_dtype(c.kind))
            for c in self.columns
        )
        return pl.DataFrame(series)


def _result_values(
    pending: list[Pending], name: str, same_layout: bool
) -> list[CustomValue | None]:
    """One result column of a chunk: each point's value, None where it has none."""
    if same_layout:
        keys = pending[0][3]
        if name not in keys:
            return [None] * len(pending)
        index = keys.index(name)
        return [values[index] for _, _, values, _ in pending]
    return [values[keys.index(name)] if name in keys else None for _, _, values, keys in pending]


def _padded(values: list[CustomValue | None], length: int) -> list[CustomValue | None]:
    return values + [None] * (length - len(values)) if len(values) < length else values


def polars_dtype(kind: ValueKind | None) -> pl.DataType:
    """The polars type of a column of ``kind`` values."""
    import polars as pl

    types: dict[ValueKind | None, pl.DataType] = {
        "float": pl.Float64(),
        "int": pl.Int64(),
        "bool": pl.Boolean(),
        "str": pl.String(),
        None: pl.Float64(),
    }
    return types[kind]


def _param_kind(parameter: Parameter) -> ValueKind:
    kinds = {_KINDS[type(v)] for v in parameter.values}
    return "float" if len(kinds) > 1 else kinds.pop()


def _merge(a: ValueKind | None, b: ValueKind) -> ValueKind | None:
    if a is None or a == b:
        return b
    if {a, b} == {"int", "float"}:
        return "float"
    return None


def _check_result_name(name: object, source: str, parameters: list[Column]) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name in RESERVED:
        raise AcquireResultError(
            source,
            f"result name {name!r} must be an identifier (e.g. 'v_out')"
            f" other than {', '.join(sorted(RESERVED))}",
        )
    if any(c.name == name for c in parameters):
        raise AcquireResultError(
            source, f"result {name!r} has the name of a parameter; rename the result"
        )


def _checked(name: str, value: object) -> tuple[CustomValue, ValueKind]:
    """A result value and its kind."""
    kind = type(value)
    if kind is float:
        if value - value != 0.0:  # type: ignore[operator]  # NaN and ±inf give NaN here
            raise InvalidMeasurement(
                name,
                f"value must be finite, got {value!r}; record an overrange as text"
                " or leave the key out",
            )
        return value, "float"  # type: ignore[return-value]  # checked float above
    if kind is int:
        if -EXACT_INT <= value <= EXACT_INT:  # type: ignore[operator]  # checked int above
            return value, "int"  # type: ignore[return-value]
        raise InvalidMeasurement(
            name, f"whole number {value!r} is beyond ±2**53: record it as text"
        )
    if kind is bool:
        return value, "bool"  # type: ignore[return-value]
    if kind is str:
        if is_text_too_long(value):  # type: ignore[arg-type]
            raise InvalidMeasurement(name, f"text value longer than {MAX_TEXT_VALUE} characters")
        return value, "str"  # type: ignore[return-value]
    return _converted(name, value)


def _converted(name: str, value: object) -> tuple[CustomValue, ValueKind]:
    """numpy scalars (and other number-likes) as the Python value they stand for."""
    numpy_kind = getattr(getattr(value, "dtype", None), "kind", "")
    if numpy_kind == "b":
        return bool(value), "bool"
    if numpy_kind in ("i", "u"):
        return _checked(name, int(value))  # type: ignore[call-overload]
    if isinstance(value, bool | int | float | str):  # subclasses (numpy float64 is a float)
        return _checked(name, _KINDS_BASE(value))
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidMeasurement(
            name, f"value must be a number, bool or str, got {type(value).__name__} {value!r}"
        ) from None
    return _checked(name, number)


def _KINDS_BASE(value: bool | int | float | str) -> CustomValue:  # noqa: N802
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    return value  # pragma: no cover
