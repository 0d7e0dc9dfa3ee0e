"""The points of an experiment: kept as columns here, recorded as ``measurement.batch`` events.

Every point gets a timestamp unique within the run (ns, strictly increasing), so
the warehouse can pivot the per-column batches back into rows by timestamp. A
point is checked whole before anything of it is kept: a bad value records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from benchtrail.agents.errors import AcquireResultError, InvalidMeasurement
from benchtrail.agents.validation import MAX_TEXT_VALUE
from benchtrail.agents.workflows.parameters import RESERVED, Parameter
from benchtrail.schemas import CustomValue, ValueKind

if TYPE_CHECKING:
    import polars as pl

EXACT_INT = 2**53
"""Whole numbers travel as float64: beyond this they would not come back exact."""

BatchSink = Callable[["Column"], None]
"""Records a column's pending points (taking them with :meth:`Column.take_pending`)."""


class Column:
    """One column of the experiment: every value so far, and those not yet recorded."""

    __slots__ = ("kind", "name", "pending", "pending_kind", "pending_ts", "unit", "values")

    def __init__(self, name: str, unit: str = "") -> None:
        self.name = name
        self.unit = unit
        self.kind: ValueKind | None = None
        self.values: list[CustomValue | None] = []
        self.pending: list[CustomValue] = []
        self.pending_ts: list[int] = []
        self.pending_kind: ValueKind | None = None

    def take_pending(self) -> tuple[list[CustomValue], list[int], ValueKind]:
        """Hand over the points not yet recorded (and forget them here)."""
        values, stamps, kind = self.pending, self.pending_ts, self.pending_kind or "float"
        self.pending, self.pending_ts, self.pending_kind = [], [], None
        return values, stamps, kind


class PointTable:
    """Columns of an experiment: parameters first (in order), then results as first seen.

    Args:
        parameters: the swept parameters (or constants) every point carries.
        units: units of result columns, by name.
        sink: records one column's pending points as ``measurement.batch`` events.
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
        self.parameter_columns = [Column(p.name, p.unit) for p in parameters]
        self.columns: dict[str, Column] = {c.name: c for c in self.parameter_columns}
        self.units = dict(units)
        self.timestamps: list[int] = []
        self._sink = sink
        self._chunk_points = chunk_points
        self._linger_ns = int(linger_s * 1e9)
        self._pending_points = 0
        self._pending_text = 0
        self._last_flush = time.monotonic_ns()

    def __len__(self) -> int:
        return len(self.timestamps)

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
        new: dict[str, Column] = {}
        checked = [self._check(name, value, new, source) for name, value in results.items()]
        self.columns.update(new)
        stamp = time.time_ns()
        if self.timestamps and stamp <= self.timestamps[-1]:
            stamp = self.timestamps[-1] + 1
        index = len(self.timestamps)
        self.timestamps.append(stamp)
        for column, value in zip(self.parameter_columns, point, strict=True):
            _append(column, value, _kind_of(value), stamp)
        for column, value, kind in checked:
            if len(column.values) < index:
                column.values.extend([None] * (index - len(column.values)))
            _append(column, value, kind, stamp)
            if kind == "str":
                self._pending_text += len(value)  # type: ignore[arg-type]  # kind says str
        if len(checked) + len(self.parameter_columns) != len(self.columns):
            self._pad(index + 1)
        self._pending_points += 1
        if (
            self._pending_points >= self._chunk_points
            or self._pending_text > MAX_TEXT_VALUE * 4
            or time.monotonic_ns() - self._last_flush >= self._linger_ns
        ):
            self.flush()
        return stamp

    def flush(self) -> None:
        """Record every pending point, column by column, in column order."""
        for column in self.columns.values():
            if column.pending:
                self._sink(column)
        self._pending_points = 0
        self._pending_text = 0
        self._last_flush = time.monotonic_ns()

    def _check(
        self, name: str, value: object, new: dict[str, Column], source: str
    ) -> tuple[Column, CustomValue, ValueKind]:
        column = self.columns.get(name)
        if column is None:
            if not isinstance(name, str) or not name.isidentifier() or name in RESERVED:
                raise AcquireResultError(
                    source,
                    f"result name {name!r} must be an identifier (e.g. 'v_out')"
                    f" other than {', '.join(sorted(RESERVED))}",
                )
            column = new[name] = Column(name, self.units.get(name, ""))
        elif column in self.parameter_columns:
            raise AcquireResultError(
                source, f"result {name!r} has the name of a parameter; rename the result"
            )
        checked, kind = _checked(name, value)
        if column.kind is not None and column.kind != kind:
            merged = _merge(column.kind, kind)
            if merged is None:
                raise InvalidMeasurement(
                    name,
                    f"point {len(self.timestamps)} is {kind} {value!r} but earlier points were"
                    f" {column.kind}; a column keeps one kind (int and float mix as float)",
                )
        return column, checked, kind

    def _pad(self, points: int) -> None:
        for column in self.columns.values():
            if len(column.values) < points:
                column.values.append(None)

    def to_polars(self) -> pl.DataFrame:
        """The points as a DataFrame: ``timestamp`` (UTC, ns), then one column per column."""
        import polars as pl

        from benchtrail.schemas import TIMESTAMP_COLUMN

        self._pad(len(self.timestamps))
        series = [
            pl.Series(TIMESTAMP_COLUMN, self.timestamps, dtype=pl.Int64).cast(
                pl.Datetime("ns", "UTC")
            )
        ]
        series.extend(
            pl.Series(c.name, c.values, dtype=polars_dtype(c.kind), strict=False)
            for c in self.columns.values()
        )
        return pl.DataFrame(series)


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


def _append(column: Column, value: CustomValue, kind: ValueKind, stamp: int) -> None:
    column.values.append(value)
    column.pending.append(value)
    column.pending_ts.append(stamp)
    if column.kind != kind:
        column.kind = kind if column.kind is None else _merge(column.kind, kind)
    if column.pending_kind != kind:
        column.pending_kind = (
            kind if column.pending_kind is None else _merge(column.pending_kind, kind)
        )


def _merge(a: ValueKind, b: ValueKind) -> ValueKind | None:
    if a == b:
        return a
    if {a, b} == {"int", "float"}:
        return "float"
    return None


def _kind_of(value: CustomValue) -> ValueKind:
    kind = type(value)
    if kind is float:
        return "float"
    if kind is bool:
        return "bool"
    if kind is int:
        return "int"
    return "str"


def _checked(name: str, value: object) -> tuple[CustomValue, ValueKind]:
    """A result value and its kind; the common types take the fast path."""
    kind = type(value)
    if kind is float:
        if value - value != 0.0:  # type: ignore[operator]  # NaN and ±inf give NaN here
            _not_finite(name, value)
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
        if len(value) > MAX_TEXT_VALUE:  # type: ignore[arg-type]
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
    if isinstance(value, float | int):  # subclasses (numpy float64 is a float)
        return _checked(name, float(value) if isinstance(value, float) else int(value))
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidMeasurement(
            name, f"value must be a number, bool or str, got {type(value).__name__} {value!r}"
        ) from None
    return _checked(name, number)


def _not_finite(name: str, value: object) -> None:
    raise InvalidMeasurement(
        name,
        f"value must be finite, got {value!r}; record an overrange as text or leave the key out",
    )
