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


def test_point_counts_are_made_for_points_written_before_they_were_kept(warehouse: Warehouse):
    """A warehouse from before ``run_points`` gets it from its ``measurements`` when opened,
    with the rows the projector would have written (one per frame and run), each once."""
    db = warehouse.database
    warehouse.command(
        f"INSERT INTO {db}.measurements (station_id, session_id, run_id, name, ts, outcome,"
        " event_id, point_index, stream_seq) VALUES"
        " ('st', 's1', 'r1', 'v', '2024-05-01 10:00:00', 'passed', 'e2', 0, 7),"
        " ('st', 's1', 'r1', 'v', '2024-05-01 10:00:01', 'failed', 'e3', 0, 7),"
        " ('st', 's1', 'r1', 'v', '2024-05-01 10:00:01', 'failed', 'e3', 0, 7),"  # a copy
        " ('st', 's1', 'r1', 'w', '2024-05-02 09:00:00', 'failed', 'e9', 4, 8),"
        " ('st', 's1', '', 'v', '2024-05-01 11:00:00', 'passed', 'e5', 0, 7)"
    )
    written = {
        (row["run_id"], row["points"], row["failed"], row["event_id"], row["stream_seq"])
        for row in warehouse.rows(f"SELECT * FROM {db}.run_points")
    }
    assert written == set()  # rows written straight to measurements, as by an older version
    warehouse.command(f"DROP TABLE {db}.run_points")
    warehouse.command(f"CREATE TABLE {db}.run_points__filling (x UInt8) ENGINE = Memory")
    warehouse.ensure_schema()
    rows = warehouse.rows(
        f"SELECT run_id, session_id, station_id, toString(at) AS at, points, failed, event_id,"
        f" stream_seq FROM {db}.run_points ORDER BY stream_seq, run_id"
    )
    assert [tuple(row.values()) for row in rows] == [
        ("", "s1", "st", "2024-05-01 11:00:00.000000000", 1, 0, "e5", 7),
        ("r1", "s1", "st", "2024-05-01 10:00:00.000000000", 2, 1, "e2", 7),  # e3 once
        ("r1", "s1", "st", "2024-05-02 09:00:00.000000000", 1, 1, "e9", 8),
    ]
    tables = warehouse.rows(
        "SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'run_points%'",
        {"db": db},
    )
    assert tables == [{"name": "run_points"}]  # the leftover of a fill cut short is gone
    warehouse.ensure_schema()  # made once: a warehouse that has the table keeps it as it is
    assert warehouse.scalar(f"SELECT count() FROM {db}.run_points") == 3


def test_a_fill_another_process_finished_first_is_left_to_it(warehouse: Warehouse, monkeypatch):
    """Two processes opening an older warehouse on one ClickHouse server at once both fill
    ``run_points``: the one whose rename finds the table there already goes on."""
    db = warehouse.database
    warehouse.command(f"DROP TABLE {db}.run_points")
    client = warehouse._client  # the one ensure_schema fills with
    command = client.command

    def raced(sql: str, *args: object, **kwargs: object) -> object:
        if sql.startswith(f"RENAME TABLE {db}.run_points__filling"):  # the other one was first
            command(f"CREATE TABLE {db}.run_points AS {db}.run_points__filling")
        return command(sql, *args, **kwargs)

    monkeypatch.setattr(client, "command", raced)
    warehouse.ensure_schema()
    tables = warehouse.rows(
        "SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'run_points%'"
        " ORDER BY name",
        {"db": db},
    )
    assert tables[0] == {"name": "run_points"}
