"""Helpers shared by the query modules: WHERE clauses with bound parameters, row shaping."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import pyarrow as pa

from benchtrail.api.models.filters import STILL_RUNNING, Filter, FilterSet, FilterValues, Join
from benchtrail.api.queries.cursors import Cursor
from benchtrail.api.timestamps import ns_to_datetime

Row = dict[str, Any]
"""One result row, column name to value, as :meth:`Warehouse.rows` returns it."""

Nesting = Literal["native", "lists", "text"]
"""How a query returns list and mapping columns.

``native``: as the driver gives them (lists, dicts), for JSON answers built from
Structs. ``lists``: lists stay typed Arrow lists, mappings become JSON text (Arrow,
Parquet). ``text``: lists and mappings both become JSON text (CSV).
"""


class Column(NamedTuple):
    """One output column of a query: its name, its SQL expression, and its nesting."""

    name: str
    expression: str
    nested: Literal["", "list", "map"] = ""

    def sql(self, nesting: Nesting) -> str:
        """``<expression> AS <name>``, as JSON text when ``nesting`` asks for it."""
        as_text = (self.nested == "map" and nesting != "native") or (
            self.nested == "list" and nesting == "text"
        )
        expression = f"toJSONString({self.expression})" if as_text else self.expression
        return f"{expression} AS {self.name}"


def select_list(columns: Sequence[Column], nesting: Nesting) -> str:
    """The columns of a SELECT, in order, shaped for ``nesting``."""
    return ",\n       ".join(column.sql(nesting) for column in columns)


@dataclass(frozen=True)
class TablePage:
    """A page of a list as an Arrow table, and the cursor of the next page (None: last)."""

    table: pa.Table
    next_cursor: str | None


class Where:
    """AND-ed conditions of a query, with their server-side bound parameters.

    Values never enter the SQL text: each condition names a ``{name:Type}``
    placeholder, and the value goes into :attr:`parameters`.
    """

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.parameters: dict[str, object] = {}

    def add(self, condition: str, **parameters: object) -> None:
        """Add a condition and the parameters its placeholders name."""
        self.conditions.append(condition)
        self.parameters.update(parameters)

    def equals(self, column: str, value: str | None, *, parameter: str = "") -> None:
        """``column = value`` when a value is given (the parameter is named after the column)."""
        if value is not None:
            name = parameter or column
            self.add(f"{column} = {{{name}:String}}", **{name: value})

    def within(self, column: str, subquery: str, inner: Where) -> None:
        """``column IN (subquery)`` when ``inner`` has conditions; ``subquery`` ends in FROM.

        The subquery gets ``inner``'s WHERE clause and its parameters (whose names must
        not clash with this query's).
        """
        if inner.conditions:
            self.add(f"{column} IN ({subquery} {inner.sql()})", **inner.parameters)

    def time_range(self, column: str, since_ns: int | None, until_ns: int | None) -> None:
        """``since <= column < until`` for the bounds that are given."""
        if since_ns is not None:
            self.add(
                f"{column} >= fromUnixTimestamp64Nano({{since_ns:Int64}}, 'UTC')", since_ns=since_ns
            )
        if until_ns is not None:
            self.add(
                f"{column} < fromUnixTimestamp64Nano({{until_ns:Int64}}, 'UTC')", until_ns=until_ns
            )

    def before(self, time_column: str, key_column: str, cursor: Cursor | None) -> None:
        """Keyset condition: rows after ``cursor`` in ``time DESC, key DESC`` order."""
        if cursor is not None:
            self.add(
                f"({time_column}, {key_column}) < "
                "(fromUnixTimestamp64Nano({cursor_ns:Int64}, 'UTC'), {cursor_key:String})",
                cursor_ns=cursor.time_ns,
                cursor_key=cursor.key,
            )

    def sql(self) -> str:
        """The ``WHERE ...`` clause, or nothing when there is no condition."""
        return "WHERE " + " AND ".join(self.conditions) if self.conditions else ""


def filter_where(
    declared: FilterSet, values: FilterValues, database: str, where: Where | None = None
) -> Where:
    """``where`` (or new conditions) and those of the filters ``values`` gives (absent: any).

    Each value is a bound parameter ``f_<filter name>``; the filters through one
    :class:`Join` are AND-ed in one subquery, so one joined row matches them all.
    """
    where = where if where is not None else Where()
    joined: dict[Join, Where] = {}
    for declared_filter in declared.filters:
        value = values.get(declared_filter.name)
        if value is None:
            continue
        join = declared_filter.join
        if declared_filter.match == "outcome" and value == STILL_RUNNING and join is not None:
            where.add(f"{join.key} NOT IN ({join.select(database)})")
            continue
        target = where if join is None else joined.setdefault(join, Where())
        target.add(_condition(declared_filter), **{f"f_{declared_filter.name}": value})
    for join, inner in joined.items():
        where.within(join.key, join.select(database), inner)
    return where


def _condition(declared: Filter) -> str:
    column, parameter = declared.column, f"f_{declared.name}"
    match declared.match:
        case "prefix":
            return f"startsWith({column}, {{{parameter}:String}})"
        case "since":
            return f"{column} >= fromUnixTimestamp64Nano({{{parameter}:Int64}}, 'UTC')"
        case "until":
            return f"{column} < fromUnixTimestamp64Nano({{{parameter}:Int64}}, 'UTC')"
        case _:
            return f"{column} = {{{parameter}:String}}"


def with_times(row: Mapping[str, object], *names: str) -> Row:
    """Copy of ``row`` with a UTC datetime ``<name>`` beside each ``<name>_ns`` column."""
    out = dict(row)
    for name in names:
        ns = row.get(f"{name}_ns")
        out[name] = ns_to_datetime(ns) if isinstance(ns, int) else None
    return out


def finite(value: float | None) -> float | None:
    """``None`` for NaN (a text measurement has no number), else the value."""
    return None if value is None or math.isnan(value) else value


def by_key(rows: list[Row], key: str) -> dict[str, Row]:
    """Index rows by one of their columns."""
    return {row[key]: row for row in rows}


def with_fields(
    own: pa.Table,
    keys: Sequence[str],
    fields: Sequence[pa.Field[Any]],
    order: Sequence[str],
    derive: Callable[[Row], Row],
) -> pa.Table:
    """``own`` with ``fields`` added, made row by row by ``derive``, columns in ``order``.

    ``derive`` is given each row's ``keys`` columns and returns a value per field (the
    same function that completes a row for JSON, so both formats say the same); the
    other columns of ``order`` are ``own``'s, as read.
    """
    derived = [derive(row) for row in own.select(list(keys)).to_pylist()]
    made = {
        field.name: (field, pa.array([row[field.name] for row in derived], field.type))
        for field in fields
    }
    schema_fields, columns = [], []
    for name in order:
        field, column = made.get(name) or (own.schema.field(name), own.column(name))
        schema_fields.append(field)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema(schema_fields))
