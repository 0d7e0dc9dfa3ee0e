"""One declaration per table: the DDL chDB runs and the Arrow schema the projector sends agree."""

from __future__ import annotations

import pyarrow as pa
import pytest

from benchtrail.api.hub.retention_tables import TIME_COLUMNS
from benchtrail.projector import TABLES, RowBatch, Warehouse, session_seqs
from benchtrail.projector.rows import EVENT_TABLES
from benchtrail.projector.tables import DAY_COLUMNS, SCHEMAS, WRITE_ORDER


def _plain(arrow_type: pa.DataType) -> pa.DataType:
    """The type without dictionary encoding and without nested nullability."""
    if pa.types.is_dictionary(arrow_type):
        return _plain(arrow_type.value_type)
    if pa.types.is_map(arrow_type):
        return pa.map_(_plain(arrow_type.key_type), _plain(arrow_type.item_type))
    if pa.types.is_list(arrow_type):
        return pa.list_(_plain(arrow_type.value_type))
    return arrow_type


def _warehouse_columns(warehouse: Warehouse, table: str) -> list[tuple[str, str]]:
    rows = warehouse.rows(
        "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}"
        " ORDER BY position",
        {"db": warehouse.database, "t": table},
    )
    return [(row["name"], row["type"]) for row in rows]


@pytest.mark.parametrize("table", list(TABLES))
def test_the_table_chdb_creates_is_the_one_declared(warehouse: Warehouse, table: str):
    declared = [(column.name, column.type) for column in TABLES[table].columns]
    assert _warehouse_columns(warehouse, table) == declared


@pytest.mark.parametrize("table", list(TABLES))
def test_the_arrow_schema_sent_matches_the_one_chdb_reads_back(warehouse: Warehouse, table: str):
    read_back = warehouse.arrow(f"SELECT * FROM {warehouse.database}.{table} LIMIT 0").schema
    sent = SCHEMAS[table]
    assert sent.names == read_back.names
    mismatched = {
        field.name: (str(field.type), str(read_back.field(field.name).type))
        for field in sent
        if _plain(field.type) != _plain(read_back.field(field.name).type)
    }
    assert mismatched == {}


def test_a_table_of_an_older_warehouse_gains_the_added_columns_in_place(warehouse: Warehouse):
    runs = TABLES["runs"]
    old = runs.create_statement(warehouse.database).replace(",\n    parameters String", "")
    warehouse.command(f"DROP TABLE {warehouse.database}.runs")
    warehouse.command(old)
    assert "parameters" not in dict(_warehouse_columns(warehouse, "runs"))
    warehouse.ensure_schema()
    assert _warehouse_columns(warehouse, "runs") == [(c.name, c.type) for c in runs.columns]


def test_every_table_the_writer_fills_is_declared_and_written_in_order():
    written = {"events", *EVENT_TABLES.values()}
    assert written <= set(TABLES)
    assert sorted(WRITE_ORDER) == sorted(TABLES)


def test_a_written_batch_carries_each_table_s_declared_schema(warehouse: Warehouse, session):
    batch = RowBatch()
    batch.add_frame(session.full_run(), stream_seq=1)
    tables = batch.tables()
    assert {name: arrow.schema for name, arrow in tables.items()} == {
        name: SCHEMAS[name] for name in tables
    }
    counts = warehouse.write(batch)
    assert warehouse.table_counts(list(counts)) == counts


def test_retention_cuts_by_each_day_partitioned_table_s_partition_column(warehouse: Warehouse):
    rows = warehouse.rows(
        "SELECT name, partition_key FROM system.tables WHERE database = {db:String}",
        {"db": warehouse.database},
    )
    keys = {row["name"]: row["partition_key"] for row in rows}
    cut = {**DAY_COLUMNS, session_seqs.TABLE: session_seqs.DAY_COLUMN}  # retention's columns
    assert cut == TIME_COLUMNS
    assert {table: f"toYYYYMMDD({column})" for table, column in cut.items()} == {
        table: key for table, key in keys.items() if key
    }
