"""A warehouse created by an earlier version gains the columns added since, keeping its rows."""

from __future__ import annotations

from benchtrail.projector import Warehouse
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
