"""A warehouse created by an earlier version gains the columns and settings added since,
keeping its rows."""

from __future__ import annotations

import dataclasses

from benchtrail.projector import Warehouse
from benchtrail.projector.migrations import unsettled
from benchtrail.projector.tables import TABLES


def test_added_columns_appear_in_an_older_table(warehouse: Warehouse):
    db = warehouse.database
    warehouse.command(f"DROP TABLE {db}.runs")
    warehouse.command(
        f"CREATE TABLE {db}.runs (run_id String, channel_refs Array(String), event_id String)"
        " ENGINE = ReplacingMergeTree ORDER BY (run_id, event_id)"
    )
    warehouse.command(f"INSERT INTO {db}.runs VALUES ('r1', [], 'e1')")
    warehouse.ensure_schema()
    columns = {
        row["name"]
        for row in warehouse.rows(
            "SELECT name FROM system.columns WHERE database = {db:String} AND table = 'runs'",
            {"db": db},
        )
    }
    added = {column.name for column in TABLES["runs"].columns if column.added}
    assert added
    assert added <= columns
    assert warehouse.rows(f"SELECT run_id, parameters FROM {db}.runs") == [
        {"run_id": "r1", "parameters": ""}
    ]


def test_a_table_created_with_other_settings_is_settled_keeping_its_rows(warehouse: Warehouse):
    db = warehouse.database
    declared = TABLES["measurements"]
    assert declared.settings
    warehouse.command(f"DROP TABLE {db}.measurements")
    warehouse.command(dataclasses.replace(declared, settings=()).create_statement(db))
    warehouse.command(
        f"INSERT INTO {db}.measurements (station_id, name, ts, value, event_id)"
        " VALUES ('st', 'v', '2024-05-01 10:00:00', 1.5, 'e1'),"
        " ('st', 'v', '2024-05-02 10:00:00', 2.5, 'e2')"
    )
    assert unsettled_tables(warehouse) == ["measurements"]
    warehouse.ensure_schema()
    assert unsettled_tables(warehouse) == []
    engine = warehouse.scalar(
        "SELECT engine_full FROM system.tables WHERE database = {db:String}"
        " AND name = 'measurements'",
        {"db": db},
    )
    assert "index_granularity = 1024" in engine
    assert "min_compress_block_size = 8192" in engine
    rows = warehouse.rows(f"SELECT event_id, value FROM {db}.measurements ORDER BY event_id")
    assert rows == [{"event_id": "e1", "value": 1.5}, {"event_id": "e2", "value": 2.5}]
    warehouse.ensure_schema()  # settled: nothing more to do
    assert warehouse.scalar(f"SELECT count() FROM {db}.measurements") == 2


def unsettled_tables(warehouse: Warehouse) -> list[str]:
    return [
        table.name
        for table in TABLES.values()
        if unsettled(warehouse._client, warehouse.database, table)
    ]
