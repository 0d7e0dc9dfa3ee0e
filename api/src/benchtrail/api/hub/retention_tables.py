"""Retention in the warehouse: drop every table's whole day partitions older than a cut.

Every table is partitioned by the UTC day of its own time column
(``toYYYYMMDD(occurred_at)``, ``started_at``, ``ended_at``, ``at``, ``ts``), so removing
a day is ``ALTER TABLE … DROP PARTITION ID`` — no rewrite, no merge. A table that a
warehouse created before it had day partitions (``CREATE TABLE IF NOT EXISTS`` keeps
it as it was) loses its old rows with a ``DELETE`` instead, by the same time column.

Identifiers come from fixed lists (the tables of :mod:`benchtrail.projector.tables` and
:mod:`benchtrail.projector.session_seqs`, their day columns, or a partition key this
module recognises); every value is a bound parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from benchtrail.api.models.prune import TablePrune
from benchtrail.api.timestamps import datetime_to_ns
from benchtrail.projector import TABLES, Warehouse, session_seqs
from benchtrail.projector.tables import DAY_COLUMNS

TIME_COLUMNS: Mapping[str, str] = {**DAY_COLUMNS, session_seqs.TABLE: session_seqs.DAY_COLUMN}
"""Table → the time column its day partitions (and so the cut) follow."""
PRUNED = (*TABLES, session_seqs.TABLE)
"""Every table retention cuts: the declared ones and the seqs kept of their events."""

_DAY_KEY = re.compile(r"toYYYYMMDD\((\w+)\)")
_DAY_ID = re.compile(r"\d{8}")
_BEFORE = "fromUnixTimestamp64Nano({before_ns:Int64}, 'UTC')"
_LEGACY_NOTE = (
    "table created without day partitions (by an earlier version): old rows removed with DELETE"
)


def prune_tables(warehouse: Warehouse, before: datetime, *, dry_run: bool) -> list[TablePrune]:
    """Remove (or, in a dry run, list) every table's rows of the UTC days before ``before``.

    Args:
        warehouse: the warehouse (blocking: call from a worker thread).
        before: a UTC midnight; whole days before it go.
        dry_run: change nothing, only say what would go.
    """
    keys = partition_keys(warehouse)
    return [
        _prune_table(warehouse, table, keys.get(table), before, dry_run=dry_run) for table in PRUNED
    ]


def partition_keys(warehouse: Warehouse) -> dict[str, str]:
    """Table → its partition key expression (``""``: none) in the warehouse's database."""
    rows = warehouse.rows(
        "SELECT name, partition_key FROM system.tables WHERE database = {database:String}",
        {"database": warehouse.database},
    )
    return {str(row["name"]): str(row["partition_key"]) for row in rows}


def _prune_table(
    warehouse: Warehouse, table: str, key: str | None, before: datetime, *, dry_run: bool
) -> TablePrune:
    day_key = _DAY_KEY.fullmatch(key or "")
    if day_key is not None:
        return _drop_partitions(warehouse, table, day_key.group(1), before, dry_run=dry_run)
    column = TIME_COLUMNS.get(table, "")
    if key == "" and column:
        return _delete_rows(warehouse, table, column, before, dry_run=dry_run)
    if key is None:
        why = "not in the warehouse"
    elif key:
        why = f"partitioned by {key}, not by day"
    else:
        why = "no day partitions, and no time column to cut by"
    return TablePrune(table=table, time_column=column, method="kept", note=why)


def _drop_partitions(
    warehouse: Warehouse, table: str, column: str, before: datetime, *, dry_run: bool
) -> TablePrune:
    """Drop the table's day partitions before ``before``; rows counted from its parts."""
    parts = warehouse.rows(
        "SELECT partition_id, sum(rows) AS rows FROM system.parts"
        " WHERE database = {database:String} AND table = {table:String} AND active"
        " GROUP BY partition_id ORDER BY partition_id",
        {"database": warehouse.database, "table": table},
    )
    last_id = before.strftime("%Y%m%d")
    old = [
        (str(p["partition_id"]), int(p["rows"]))
        for p in parts
        if _DAY_ID.fullmatch(str(p["partition_id"])) and str(p["partition_id"]) < last_id
    ]
    if not dry_run:
        for partition_id, _ in old:
            warehouse.command(
                f"ALTER TABLE {warehouse.database}.{table} DROP PARTITION ID {{partition:String}}",
                {"partition": partition_id},
            )
    return TablePrune(
        table=table,
        time_column=column,
        method="partitions",
        days=[_day(partition_id) for partition_id, _ in old],
        rows=sum(rows for _, rows in old),
    )


def _delete_rows(
    warehouse: Warehouse, table: str, column: str, before: datetime, *, dry_run: bool
) -> TablePrune:
    """``DELETE`` the rows of a table without day partitions whose time is before ``before``."""
    parameters = {"before_ns": datetime_to_ns(before)}
    target = f"{warehouse.database}.{table}"
    days = warehouse.rows(
        f"SELECT toString(toDate({column}, 'UTC')) AS day, count() AS rows FROM {target}"
        f" WHERE {column} < {_BEFORE} GROUP BY day ORDER BY day",
        parameters,
    )
    if days and not dry_run:
        warehouse.command(f"DELETE FROM {target} WHERE {column} < {_BEFORE}", parameters)
    return TablePrune(
        table=table,
        time_column=column,
        method="delete",
        days=[str(row["day"]) for row in days],
        rows=sum(int(row["rows"]) for row in days),
        note=_LEGACY_NOTE,
    )


def _day(partition_id: str) -> str:
    """``20240501`` → ``2024-05-01``."""
    return f"{partition_id[:4]}-{partition_id[4:6]}-{partition_id[6:]}"
