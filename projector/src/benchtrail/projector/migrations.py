"""Moving an existing warehouse's tables onto what :mod:`.tables` declares now.

Added columns are ``ADD COLUMN IF NOT EXISTS`` (:meth:`.Table.added_column_statements`).
MergeTree settings such as ``index_granularity`` are fixed when a table is created, so
a table created with others is settled by swapping it for a new one: the new table is
created beside it with the declared settings, every partition of the old one is
attached to it (``ATTACH PARTITION ... FROM``: the parts are linked, not copied, and
keep their old granules until a merge rewrites them), the two are exchanged and the
old one is dropped. A table whose columns are not the declared ones is left as it is.
No row is rewritten, so this takes well under a second for any size; run it where
nothing else writes the table (the hub does, at start, holding the warehouse's write
turn). A warehouse written before ``run_points`` existed has that table made from its
``measurements`` (:func:`fill_point_tallies`: 3 s for 10M points here).
"""

from __future__ import annotations

import logging
import time

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from benchtrail.projector import point_tallies
from benchtrail.projector.table_model import Table
from benchtrail.projector.tables import TABLES

log = logging.getLogger(__name__)

SETTLING_SUFFIX = "__settling"
"""Name suffix of the table a settled table's partitions move into."""
FILLING_SUFFIX = "__filling"
"""Name suffix of a table made from others (:func:`fill_table`) before it takes its name."""


def unsettled(client: Client, database: str, table: Table) -> bool:
    """Whether ``table`` exists in ``database`` without one of its declared settings."""
    if not table.settings:
        return False
    engine = client.query(
        "SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": database, "t": table.name},
    ).result_rows
    if not engine:
        return False
    declared = str(engine[0][0]).replace(" ", "")
    return not all(setting.replace(" ", "") in declared for setting in table.settings)


def settle_table_settings(client: Client, database: str) -> list[str]:
    """Move every table created with other settings onto the declared ones; return their names."""
    settled = []
    for table in TABLES.values():
        if unsettled(client, database, table) and _as_declared(client, database, table):
            _settle(client, database, table)
            settled.append(table.name)
    return settled


def _as_declared(client: Client, database: str, table: Table) -> bool:
    """Whether the table's columns are the declared ones (its parts can move to a new table).

    A table whose columns differ (one this version does not know how to migrate) is left
    as it is: its settings only make reads slower, never wrong.
    """
    columns = client.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}"
        " ORDER BY position",
        parameters={"db": database, "t": table.name},
    ).result_rows
    return [tuple(row) for row in columns] == [(c.name, c.type) for c in table.columns]


def _settle(client: Client, database: str, table: Table) -> None:
    old, new = f"{database}.{table.name}", f"{database}.{table.name}{SETTLING_SUFFIX}"
    client.command(f"DROP TABLE IF EXISTS {new}")
    client.command(table.create_statement(database, name=table.name + SETTLING_SUFFIX))
    partitions = client.query(
        "SELECT DISTINCT partition_id FROM system.parts"
        " WHERE active AND database = {db:String} AND table = {t:String}",
        parameters={"db": database, "t": table.name},
    ).result_rows
    for (partition,) in partitions:
        client.command(
            f"ALTER TABLE {new} ATTACH PARTITION ID {{p:String}} FROM {old}",
            parameters={"p": partition},
        )
    client.command(f"EXCHANGE TABLES {old} AND {new}")
    client.command(f"DROP TABLE {new}")


def fill_point_tallies(client: Client, database: str) -> bool:
    """Make ``run_points`` from ``measurements`` when the warehouse has points but no such
    table (written by an earlier version); return whether it did.

    Run it before the tables are created (it makes this one).
    """
    table = point_tallies.TABLE
    if not present(client, database, "measurements") or present(client, database, table):
        return False
    create = TABLES[table].create_statement(database, name=table + FILLING_SUFFIX)
    selects = [point_tallies.TALLY_SELECT.format(database=database)]
    what = "counted the points of each run"
    return fill_table(client, database, table, create=create, selects=selects, what=what)


def fill_table(
    client: Client, database: str, table: str, *, create: str, selects: list[str], what: str
) -> bool:
    """Make ``table`` from what the warehouse holds: ``create`` (its ``CREATE`` under the
    name ``table`` + :data:`FILLING_SUFFIX`) filled with each of ``selects``, then renamed;
    return whether this process made it.

    A fill cut short leaves no table that looks complete (a leftover filling table is
    dropped first). Two processes sharing a ClickHouse server may fill at once: the one
    whose rename finds the table made goes on. ``what`` says what the fill did, in the log.
    """
    filling = f"{database}.{table}{FILLING_SUFFIX}"
    started = time.monotonic()
    try:
        client.command(f"DROP TABLE IF EXISTS {filling}")
        client.command(create)
        for select in selects:
            client.command(f"INSERT INTO {filling} {select}")
        client.command(f"RENAME TABLE {filling} TO {database}.{table}")
    except ClickHouseError:
        if not present(client, database, table):
            raise
        return False  # another process sharing the server filled it meanwhile
    log.info(
        "%s into %s.%s: %s rows in %.1f s",
        what,
        database,
        table,
        client.command(f"SELECT count() FROM {database}.{table}"),
        time.monotonic() - started,
    )
    return True


def present(client: Client, database: str, table: str) -> bool:
    """Whether ``database`` has a table named ``table``."""
    found = client.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": database, "t": table},
    ).result_rows
    return bool(found[0][0])
