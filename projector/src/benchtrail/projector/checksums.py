"""Content checksums of the warehouse tables: the proof that two warehouses hold the same rows.

For each table, after deduplication (``FINAL``): the row count and an
order-independent checksum, the sum of a 64-bit hash of every row's columns.
Bookkeeping columns that depend on *how* a row arrived rather than *what* it
says (``stream_seq``: a dead letter retried after an upgrade comes back with a
new sequence) are left out, so a replay of the stream into an empty warehouse
gives the same checksums as the live one.
"""

from __future__ import annotations

import msgspec

from benchtrail.projector.tables import STREAM_SEQ, TABLES
from benchtrail.projector.warehouse import Warehouse

BOOKKEEPING_COLUMNS = frozenset({STREAM_SEQ})
"""Columns left out of a table's checksum."""


class TableChecksum(msgspec.Struct, frozen=True):
    """Rows and content checksum of one table (after ``FINAL``).

    Attributes:
        rows: row count.
        checksum: sum, modulo 2**64, of ``cityHash64`` of each row's columns as text.
    """

    rows: int
    checksum: int


def table_columns(table: str) -> list[str]:
    """A table's declared columns in order, without :data:`BOOKKEEPING_COLUMNS`."""
    return [c.name for c in TABLES[table].columns if c.name not in BOOKKEEPING_COLUMNS]


def table_checksum(warehouse: Warehouse, table: str) -> TableChecksum:
    """Row count and content checksum of one table.

    Raises:
        KeyError: ``table`` is not one of the benchtrail tables.
    """
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
    columns = ", ".join(f"`{name}`" for name in table_columns(table))
    row = warehouse.rows(
        f"SELECT count() AS rows, sum(cityHash64(toString(tuple({columns})))) AS checksum"
        f" FROM {warehouse.database}.{table} FINAL"
    )[0]
    return TableChecksum(rows=int(row["rows"]), checksum=int(row["checksum"]))


def warehouse_checksums(warehouse: Warehouse) -> dict[str, TableChecksum]:
    """Row count and content checksum of every benchtrail table, by table name."""
    return {table: table_checksum(warehouse, table) for table in TABLES}
