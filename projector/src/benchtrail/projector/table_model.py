"""How a warehouse table is declared, and what is derived from one declaration.

A :class:`Table` lists its columns (name, ClickHouse type, codec, whether the
projector dictionary-encodes it) with its engine, sorting key and day
partition. From it come the ``CREATE TABLE`` text (the same for chDB and a
ClickHouse server), the ``ALTER TABLE … ADD COLUMN`` of columns added after a
table was first released, and the Arrow schema the projector builds its
inserts with. Repeated text (ids, names, units) travels dictionary-encoded:
cheaper to build and to insert. Timestamps are int64 nanoseconds viewed as UTC
timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa

TS = pa.timestamp("ns", tz="UTC")
STR = pa.string()
DICT = pa.dictionary(pa.int32(), pa.string())

if TYPE_CHECKING:  # the stubs type arrays by element; columns here mix them
    ArrowArray: TypeAlias = pa.Array[Any]
else:
    ArrowArray = pa.Array
Columns = dict[str, Sequence[object] | ArrowArray]
"""Column name → values (a Python sequence or a ready Arrow array)."""

_PLAIN: dict[str, pa.DataType] = {
    "String": STR,
    "Bool": pa.bool_(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
    "Int64": pa.int64(),
    "Float64": pa.float64(),
    "DateTime64(9, 'UTC')": TS,
}
_WRAPPED = re.compile(r"(\w+)\((.*)\)")


def arrow_type(clickhouse_type: str) -> pa.DataType:
    """The Arrow type the projector sends for a ClickHouse column type.

    ``LowCardinality(String)`` is dictionary-encoded; ``Nullable(T)`` is ``T``
    (every Arrow field may hold nulls).

    Raises:
        KeyError: a type no benchtrail table uses (declare its mapping here).
    """
    if clickhouse_type in _PLAIN:
        return _PLAIN[clickhouse_type]
    wrapped = _WRAPPED.fullmatch(clickhouse_type)
    if wrapped is None:
        raise KeyError(f"no Arrow type for ClickHouse type {clickhouse_type!r}")
    kind, inner = wrapped.groups()
    if kind == "LowCardinality" and inner == "String":
        return DICT
    if kind == "Nullable":
        return arrow_type(inner)
    if kind == "Array":
        return pa.list_(arrow_type(inner))
    if kind == "Map":
        key, value = inner.split(", ", 1)
        return pa.map_(arrow_type(key), arrow_type(value))
    raise KeyError(f"no Arrow type for ClickHouse type {clickhouse_type!r}")


@dataclass(frozen=True)
class Column:
    """One column of a warehouse table.

    Attributes:
        name: the column's name (also the Arrow field's name).
        type: its ClickHouse type, spelled as ``system.columns`` shows it.
        codec: its compression codec (e.g. ``"Delta, ZSTD"``), or ``""`` for the default.
        dictionary: send a ``String`` column dictionary-encoded (repeated text).
        added: added after the table was first released; an older warehouse gains it on start.
    """

    name: str
    type: str
    codec: str = ""
    dictionary: bool = False
    added: bool = False

    @property
    def definition(self) -> str:
        """The column as in ``CREATE TABLE``: ``name type [CODEC(...)]``."""
        codec = f" CODEC({self.codec})" if self.codec else ""
        return f"{self.name} {self.type}{codec}"

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type of the column in the projector's inserts."""
        if self.dictionary and self.type == "String":
            return DICT
        return arrow_type(self.type)


@dataclass(frozen=True)
class Table:
    """One warehouse table: its columns, engine, sorting key and day partition.

    Attributes:
        name: the table's name in the database.
        columns: its columns, in order.
        order_by: the sorting key (ends in the event key, so a replayed event collapses).
        day_column: the time column whose UTC day partitions the table (``None``: one partition).
        engine: the table engine.
        settings: MergeTree settings fixed at creation (``("index_granularity = 1024",)``);
            a table created with others is moved onto them by
            :func:`~benchtrail.projector.migrations.settle_table_settings`.
    """

    name: str
    columns: tuple[Column, ...]
    order_by: tuple[str, ...]
    day_column: str | None = None
    engine: str = "ReplacingMergeTree"
    settings: tuple[str, ...] = ()

    def create_statement(self, database: str, name: str = "") -> str:
        """The ``CREATE TABLE IF NOT EXISTS`` statement of the table in ``database``
        (under ``name`` when given: a table of the same shape beside it)."""
        columns = ",\n".join(f"    {column.definition}" for column in self.columns)
        partition = f"PARTITION BY toYYYYMMDD({self.day_column})\n" if self.day_column else ""
        settings = f"SETTINGS {', '.join(self.settings)}\n" if self.settings else ""
        return (
            f"CREATE TABLE IF NOT EXISTS {database}.{name or self.name} (\n{columns}\n)"
            f" ENGINE = {self.engine}\n{partition}ORDER BY ({', '.join(self.order_by)})\n"
            f"{settings}"
        )

    def added_column_statements(self, database: str) -> list[str]:
        """``ADD COLUMN IF NOT EXISTS`` of each added column, after the one before it.

        A warehouse created by an older version gains them on start; tables created
        now already have them, so the statements are no-ops there.
        """
        return [
            f"ALTER TABLE {database}.{self.name} ADD COLUMN IF NOT EXISTS {column.definition}"
            f" AFTER {previous.name}"
            for previous, column in zip(self.columns, self.columns[1:], strict=False)
            if column.added
        ]

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the projector's inserts into this table."""
        return pa.schema([(column.name, column.arrow_type) for column in self.columns])
