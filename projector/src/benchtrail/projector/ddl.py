"""Warehouse tables: the same DDL text for chDB and a ClickHouse server.

Every table is a ReplacingMergeTree whose sorting key ends in the event key
(``event_id``, plus ``point_index`` for exploded batches), so a redelivered or
replayed event collapses into the row it already wrote. Readers use ``FINAL``.
Every row also carries ``stream_seq``, the JetStream sequence of the frame it
came from: the view and its position travel together.
"""

from __future__ import annotations

DATABASE = "benchtrail"

_TS = "DateTime64(9, 'UTC')"

TABLES: dict[str, str] = {
    "events": f"""
CREATE TABLE IF NOT EXISTS {{database}}.events (
    event_id String,
    session_id String,
    station_id LowCardinality(String),
    seq UInt64,
    type LowCardinality(String),
    occurred_at {_TS} CODEC(Delta, ZSTD),
    schema_version UInt16,
    run_id String,
    payload String CODEC(ZSTD),
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(occurred_at)
ORDER BY (session_id, seq, event_id)
""",
    "sessions": f"""
CREATE TABLE IF NOT EXISTS {{database}}.sessions (
    session_id String,
    station_id LowCardinality(String),
    session_type LowCardinality(String),
    station_name String,
    station_type LowCardinality(String),
    station_location String,
    hostname String,
    pid UInt32,
    client_name LowCardinality(String),
    client_version String,
    operator_id LowCardinality(String),
    operator_name String,
    fixture_id String,
    slot_count UInt32,
    device_ids Array(String),
    git_commit String,
    git_branch String,
    git_remote String,
    git_dirty Bool,
    python_version LowCardinality(String),
    packages Map(String, String),
    started_at {_TS},
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(started_at)
ORDER BY (session_id, event_id)
""",
    "session_ends": f"""
CREATE TABLE IF NOT EXISTS {{database}}.session_ends (
    session_id String,
    station_id LowCardinality(String),
    ended_at {_TS},
    run_count UInt32,
    event_count UInt64,
    reason String,
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ended_at)
ORDER BY (session_id, event_id)
""",
    "runs": f"""
CREATE TABLE IF NOT EXISTS {{database}}.runs (
    run_id String,
    session_id String,
    station_id LowCardinality(String),
    started_at {_TS},
    dut_serial String,
    dut_part_number LowCardinality(String),
    dut_revision LowCardinality(String),
    dut_lot_number String,
    product_id LowCardinality(String),
    product_name String,
    product_revision String,
    slot_id String,
    slot_index UInt32,
    fixture_id String,
    test_phase LowCardinality(String),
    project_name LowCardinality(String),
    git_commit String,
    git_branch String,
    git_remote String,
    git_dirty Bool,
    python_version LowCardinality(String),
    packages Map(String, String),
    custom_metadata String,
    channel_refs Array(String),
    parameters String,
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(started_at)
ORDER BY (run_id, event_id)
""",
    "run_ends": f"""
CREATE TABLE IF NOT EXISTS {{database}}.run_ends (
    run_id String,
    session_id String,
    station_id LowCardinality(String),
    ended_at {_TS},
    outcome LowCardinality(String),
    measurement_count UInt64,
    failed_measurement_count UInt64,
    step_count UInt32,
    duration_ns UInt64,
    error String,
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ended_at)
ORDER BY (run_id, event_id)
""",
    "steps": f"""
CREATE TABLE IF NOT EXISTS {{database}}.steps (
    step_id String,
    run_id String,
    session_id String,
    station_id LowCardinality(String),
    name String,
    phase LowCardinality(String),
    at {_TS},
    outcome LowCardinality(String),
    duration_ns UInt64,
    error String,
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(at)
ORDER BY (run_id, step_id, event_id)
""",
    "instrument_calls": f"""
CREATE TABLE IF NOT EXISTS {{database}}.instrument_calls (
    station_id LowCardinality(String),
    session_id String,
    run_id String,
    instrument LowCardinality(String),
    resource LowCardinality(String),
    command String,
    response String,
    duration_ns UInt64,
    error String,
    fencing_token UInt64,
    occurred_at {_TS} CODEC(Delta, ZSTD),
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(occurred_at)
ORDER BY (station_id, instrument, occurred_at, event_id)
""",
    "locks": f"""
CREATE TABLE IF NOT EXISTS {{database}}.locks (
    key String,
    resource String,
    station_id LowCardinality(String),
    session_id String,
    action LowCardinality(String),
    fencing_token UInt64,
    holder String,
    broken_by String,
    occurred_at {_TS},
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(occurred_at)
ORDER BY (key, occurred_at, event_id)
""",
    "measurements": f"""
CREATE TABLE IF NOT EXISTS {{database}}.measurements (
    station_id LowCardinality(String),
    session_id LowCardinality(String),
    run_id LowCardinality(String),
    name LowCardinality(String),
    ts {_TS} CODEC(Delta, ZSTD),
    value Float64 CODEC(Gorilla, ZSTD),
    value_str LowCardinality(String),
    value_kind LowCardinality(String),
    unit LowCardinality(String),
    low Nullable(Float64),
    high Nullable(Float64),
    outcome LowCardinality(String),
    step LowCardinality(String),
    event_id String,
    point_index UInt32,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (station_id, name, ts, event_id, point_index)
""",
    # Observation windows (docs/windows.md): rows keyed by event, state read by argMax(seq).
    "files": f"""
CREATE TABLE IF NOT EXISTS {{database}}.files (
    file_id String,
    dataset_id String,
    station_id LowCardinality(String),
    path String,
    media_type LowCardinality(String),
    size_bytes UInt64,
    start_at {_TS},
    end_at {_TS},
    topic_ids Array(String),
    topic_names Array(String),
    topic_start_ns Array(Int64),
    topic_end_ns Array(Int64),
    by String,
    registered_at {_TS},
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (file_id, event_id)
""",
    "windows": f"""
CREATE TABLE IF NOT EXISTS {{database}}.windows (
    window_id String,
    station_id LowCardinality(String),
    action LowCardinality(String),
    name String,
    has_name Bool,
    sets_name Bool,
    project String,
    by String,
    at {_TS},
    seq UInt64,
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (window_id, seq, event_id)
""",
    "window_devices": f"""
CREATE TABLE IF NOT EXISTS {{database}}.window_devices (
    window_id String,
    device_id String,
    kind String,
    attached Bool,
    by String,
    at {_TS},
    seq UInt64,
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (window_id, device_id, seq, event_id)
""",
    "window_files": f"""
CREATE TABLE IF NOT EXISTS {{database}}.window_files (
    window_id String,
    file_id String,
    added Bool,
    range_min Nullable({_TS}),
    range_max Nullable({_TS}),
    by String,
    at {_TS},
    seq UInt64,
    event_id String,
    stream_seq UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (window_id, file_id, seq, event_id)
""",
}
"""Table name → CREATE statement (``{database}`` to fill in), in creation order."""


WRITE_ORDER: list[str] = [
    "events",
    "sessions",
    "runs",
    "steps",
    "instrument_calls",
    "locks",
    "files",
    "windows",
    "window_devices",
    "window_files",
    "measurements",
    "run_ends",
    "session_ends",
]
"""The order a batch's tables are written in: the ends last, so that a reader who sees
a run (or session) ended also sees everything recorded in it."""


ADDED_COLUMNS: list[tuple[str, str]] = [
    ("runs", "parameters String AFTER channel_refs"),
]
"""Columns added after a table was first released: (table, column definition).

A warehouse created by an older version gains them on start; tables created now
already have them, so the ``ADD COLUMN IF NOT EXISTS`` is a no-op there.
"""


def create_statements(database: str = DATABASE) -> list[str]:
    """Return the statements that create the database and every table in it."""
    tables = [statement.format(database=database) for statement in TABLES.values()]
    added = [
        f"ALTER TABLE {database}.{table} ADD COLUMN IF NOT EXISTS {column}"
        for table, column in ADDED_COLUMNS
    ]
    return [f"CREATE DATABASE IF NOT EXISTS {database}", *tables, *added]
