"""Helpers shared by the query modules: WHERE clauses with bound parameters, row shaping."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from benchtrail.api.params import Cursor, ns_to_datetime

Row = dict[str, Any]
"""One result row, column name to value, as :meth:`Warehouse.rows` returns it."""


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

    def equals(self, column: str, value: str | None) -> None:
        """``column = value`` when a value is given (the parameter is named after the column)."""
        if value is not None:
            self.add(f"{column} = {{{column}:String}}", **{column: value})

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
