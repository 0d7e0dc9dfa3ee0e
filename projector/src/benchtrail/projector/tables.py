"""The warehouse tables, each declared once: DDL and Arrow schema both come from here.

Every table is a ReplacingMergeTree whose sorting key ends in the event key
(``event_id``, plus ``point_index`` for exploded batches), so a redelivered or replayed
event collapses into the row it already wrote (readers collapse copies not merged yet).
Every row also carries ``stream_seq``, the JetStream sequence of its frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from benchtrail.projector.table_model import Column, Table

DATABASE = "benchtrail"
STREAM_SEQ = "stream_seq"
"""The column holding the JetStream sequence of the frame a row came from."""
QUIET_DAY_S = 3600
"""A day partition of ``measurements`` with no new part for this long is merged into one."""

_TIME = "DateTime64(9, 'UTC')"
_LOW = "LowCardinality(String)"
_EVENT_KEY = (Column("event_id", "String"), Column(STREAM_SEQ, "UInt64"))
_ENVELOPE = (
    Column("event_id", "String"),
    Column("session_id", "String", dictionary=True),
    Column("station_id", _LOW),
    Column("seq", "UInt64"),
    Column("type", _LOW),
    Column("occurred_at", _TIME, codec="Delta, ZSTD"),
    Column("schema_version", "UInt16"),
    Column("run_id", "String", dictionary=True),
)
_GIT = (
    Column("git_commit", "String"),
    Column("git_branch", "String", dictionary=True),
    Column("git_remote", "String", dictionary=True),
    Column("git_dirty", "Bool"),
    Column("python_version", _LOW),
    Column("packages", "Map(String, String)"),
)

_DECLARED = (
    Table(
        "events",
        (*_ENVELOPE, Column("payload", "String", codec="ZSTD"), Column(STREAM_SEQ, "UInt64")),
        order_by=("session_id", "seq", "event_id"),
        day_column="occurred_at",
    ),
    # Envelopes of measurement events (rows.MEASUREMENT_TAGS; no copy in ``events``), read
    # with their ``measurements`` rows (``api/queries/measurement_events.py``). A series'
    # row stands for ``more_events`` + 1 events (times in ``point_times``, newest ``last_at``).
    Table(
        "measurement_events",
        (
            *_ENVELOPE,
            Column("name", "String", dictionary=True),
            Column("per_point_names", "Bool"),
            Column(STREAM_SEQ, "UInt64"),
            Column("more_events", "UInt32", added=True),
            Column("point_times", f"Array({_TIME})", added=True),
            Column("last_at", _TIME, added=True),
        ),
        order_by=("session_id", "seq", "event_id"),
        day_column="occurred_at",
    ),
    Table(
        "sessions",
        (
            Column("session_id", "String"),
            Column("station_id", _LOW),
            Column("session_type", _LOW),
            Column("station_name", "String", dictionary=True),
            Column("station_type", _LOW),
            Column("station_location", "String", dictionary=True),
            Column("hostname", "String", dictionary=True),
            Column("pid", "UInt32"),
            Column("client_name", _LOW),
            Column("client_version", "String", dictionary=True),
            Column("operator_id", _LOW),
            Column("operator_name", "String", dictionary=True),
            Column("fixture_id", "String", dictionary=True),
            Column("slot_count", "UInt32"),
            Column("device_ids", "Array(String)"),
            *_GIT,
            Column("started_at", _TIME),
            *_EVENT_KEY,
        ),
        order_by=("session_id", "event_id"),
        day_column="started_at",
    ),
    Table(
        "session_ends",
        (
            Column("session_id", "String"),
            Column("station_id", _LOW),
            Column("ended_at", _TIME),
            Column("run_count", "UInt32"),
            Column("event_count", "UInt64"),
            Column("reason", "String"),
            *_EVENT_KEY,
        ),
        order_by=("session_id", "event_id"),
        day_column="ended_at",
    ),
    Table(
        "runs",
        (
            Column("run_id", "String"),
            Column("session_id", "String", dictionary=True),
            Column("station_id", _LOW),
            Column("started_at", _TIME),
            Column("dut_serial", "String"),
            Column("dut_part_number", _LOW),
            Column("dut_revision", _LOW),
            Column("dut_lot_number", "String", dictionary=True),
            Column("product_id", _LOW),
            Column("product_name", "String", dictionary=True),
            Column("product_revision", "String", dictionary=True),
            Column("slot_id", "String", dictionary=True),
            Column("slot_index", "UInt32"),
            Column("fixture_id", "String", dictionary=True),
            Column("test_phase", _LOW),
            Column("project_name", _LOW),
            *_GIT,
            Column("custom_metadata", "String"),
            Column("channel_refs", "Array(String)"),
            Column("parameters", "String", added=True),
            Column("structured_metadata", "String", codec="ZSTD", added=True),
            *_EVENT_KEY,
        ),
        order_by=("run_id", "event_id"),
        day_column="started_at",
    ),
    Table(
        "run_ends",
        (
            Column("run_id", "String"),
            Column("session_id", "String", dictionary=True),
            Column("station_id", _LOW),
            Column("ended_at", _TIME),
            Column("outcome", _LOW),
            Column("measurement_count", "UInt64"),
            Column("failed_measurement_count", "UInt64"),
            Column("step_count", "UInt32"),
            Column("duration_ns", "UInt64"),
            Column("error", "String"),
            *_EVENT_KEY,
        ),
        order_by=("run_id", "event_id"),
        day_column="ended_at",
    ),
    Table(
        "steps",
        (
            Column("step_id", "String"),
            Column("run_id", "String", dictionary=True),
            Column("session_id", "String", dictionary=True),
            Column("station_id", _LOW),
            Column("name", "String", dictionary=True),
            Column("phase", _LOW),
            Column("at", _TIME),
            Column("outcome", _LOW),
            Column("duration_ns", "UInt64"),
            Column("error", "String"),
            *_EVENT_KEY,
        ),
        order_by=("run_id", "step_id", "event_id"),
        day_column="at",
    ),
    Table(
        "instrument_calls",
        (
            Column("station_id", _LOW),
            Column("session_id", "String", dictionary=True),
            Column("run_id", "String", dictionary=True),
            Column("instrument", _LOW),
            Column("resource", _LOW),
            Column("command", "String", dictionary=True),
            Column("response", "String"),
            Column("duration_ns", "UInt64"),
            Column("error", "String"),
            Column("fencing_token", "UInt64"),
            Column("occurred_at", _TIME, codec="Delta, ZSTD"),
            *_EVENT_KEY,
        ),
        order_by=("station_id", "instrument", "occurred_at", "event_id"),
        day_column="occurred_at",
    ),
    Table(
        "locks",
        (
            Column("key", "String", dictionary=True),
            Column("resource", "String", dictionary=True),
            Column("station_id", _LOW),
            Column("session_id", "String", dictionary=True),
            Column("action", _LOW),
            Column("fencing_token", "UInt64"),
            Column("holder", "String"),
            Column("broken_by", "String"),
            Column("occurred_at", _TIME),
            *_EVENT_KEY,
        ),
        order_by=("key", "occurred_at", "event_id"),
        day_column="occurred_at",
    ),
    Table(
        "measurements",
        (
            Column("station_id", _LOW),
            Column("session_id", _LOW),
            Column("run_id", _LOW),
            Column("name", _LOW),
            Column("ts", _TIME, codec="Delta, ZSTD"),
            Column("value", "Float64", codec="Gorilla, ZSTD"),
            Column("value_str", _LOW),
            Column("value_kind", _LOW),
            Column("unit", _LOW),
            Column("low", "Nullable(Float64)"),
            Column("high", "Nullable(Float64)"),
            Column("outcome", _LOW),
            Column("step", _LOW),
            Column("event_id", "String", dictionary=True),
            Column("point_index", "UInt32"),
            Column(STREAM_SEQ, "UInt64"),
            Column("description", _LOW, added=True),
            Column("marginal_low", "Nullable(Float64)", added=True),
            Column("marginal_high", "Nullable(Float64)", added=True),
            Column("marginal", "Bool", added=True),
        ),
        order_by=("station_id", "name", "ts", "event_id", "point_index"),
        day_column="ts",
        # A day holds ~800 (station, name) runs of points: granules of 8192 rows made a
        # read of one name (capability, histogram, charts) read ~20 names' granules, and
        # compressed blocks of 64 KiB made each 1,024-row granule of ts/value decompress 8.
        # A day quiet for an hour is merged into one part: FINAL then reads it as it is
        # (docs/analytics.md, "Merged days").
        settings=(
            "index_granularity = 1024",
            "min_compress_block_size = 8192",
            f"min_age_to_force_merge_seconds = {QUIET_DAY_S}",
            "min_age_to_force_merge_on_partition_only = 1",
        ),
    ),
    # Point counts per frame and run (point_tallies.py): a summary sums a few rows instead
    # of counting its run's or session's points in ``measurements``.
    Table(
        "run_points",
        (
            Column("run_id", "String"),
            Column("session_id", "String", dictionary=True),
            Column("station_id", _LOW),
            Column("at", _TIME),
            Column("points", "UInt64"),
            Column("failed", "UInt64"),
            *_EVENT_KEY,
        ),
        order_by=("station_id", "session_id", "run_id", "event_id"),
        day_column="at",
    ),
    # Dimensioned measurements (docs/measurement-tables.md): one row per measurement.table
    # event (a part of at most 60,000 numbers), one array of values per axis.
    Table(
        "measurement_tables",
        (
            Column("station_id", _LOW),
            Column("session_id", "String", dictionary=True),
            Column("run_id", "String", dictionary=True),
            Column("name", "String", dictionary=True),
            Column("table_id", "String"),
            Column("first_point", "UInt32"),
            Column("point_count", "UInt32"),
            Column("part_points", "UInt32"),
            Column("dimensions", "UInt16"),
            Column("axis_names", "Array(String)"),
            Column("axis_units", "Array(String)"),
            Column("axis_values", "Array(Array(Float64))", codec="ZSTD(1)"),
            Column("outcome", _LOW),
            Column("step", "String", dictionary=True),
            Column("at", _TIME),
            *_EVENT_KEY,
        ),
        order_by=("run_id", "name", "table_id", "first_point", "event_id"),
        day_column="at",
    ),
    # Observation windows (docs/windows.md): rows keyed by event, state read by argMax(seq).
    Table(
        "files",
        (
            Column("file_id", "String"),
            Column("dataset_id", "String", dictionary=True),
            Column("station_id", _LOW),
            Column("path", "String"),
            Column("media_type", _LOW),
            Column("size_bytes", "UInt64"),
            Column("start_at", _TIME),
            Column("end_at", _TIME),
            Column("topic_ids", "Array(String)"),
            Column("topic_names", "Array(String)"),
            Column("topic_start_ns", "Array(Int64)"),
            Column("topic_end_ns", "Array(Int64)"),
            Column("by", "String", dictionary=True),
            Column("registered_at", _TIME),
            *_EVENT_KEY,
        ),
        order_by=("file_id", "event_id"),
    ),
    Table(
        "windows",
        (
            Column("window_id", "String"),
            Column("station_id", _LOW),
            Column("action", _LOW),
            Column("name", "String"),
            Column("has_name", "Bool"),
            Column("sets_name", "Bool"),
            Column("project", "String", dictionary=True),
            Column("by", "String", dictionary=True),
            Column("at", _TIME),
            Column("seq", "UInt64"),
            *_EVENT_KEY,
        ),
        order_by=("window_id", "seq", "event_id"),
    ),
    Table(
        "window_devices",
        (
            Column("window_id", "String"),
            Column("device_id", "String"),
            Column("kind", "String", dictionary=True),
            Column("attached", "Bool"),
            Column("by", "String", dictionary=True),
            Column("at", _TIME),
            Column("seq", "UInt64"),
            *_EVENT_KEY,
        ),
        order_by=("window_id", "device_id", "seq", "event_id"),
    ),
    Table(
        "window_files",
        (
            Column("window_id", "String"),
            Column("file_id", "String"),
            Column("added", "Bool"),
            Column("range_min", f"Nullable({_TIME})"),
            Column("range_max", f"Nullable({_TIME})"),
            Column("by", "String", dictionary=True),
            Column("at", _TIME),
            Column("seq", "UInt64"),
            *_EVENT_KEY,
        ),
        order_by=("window_id", "file_id", "seq", "event_id"),
    ),
    # Run attachments: the bytes are in the hub's bt_attachments object store, named sha256.
    Table(
        "attachments",
        (
            Column("run_id", "String"),
            Column("name", "String"),
            Column("session_id", "String", dictionary=True),
            Column("station_id", _LOW),
            Column("sha256", "String"),
            Column("size_bytes", "UInt64"),
            Column("mimetype", _LOW),
            Column("step", "String", dictionary=True),
            Column("attached_at", _TIME),
            *_EVENT_KEY,
        ),
        order_by=("run_id", "name", "event_id"),
        day_column="attached_at",
    ),
    # Log lines of stations and of the tests they ran (``log`` events), read per run.
    Table(
        "logs",
        (
            Column("station_id", _LOW),
            Column("session_id", "String", dictionary=True),
            Column("run_id", "String", dictionary=True),
            Column("at", _TIME, codec="Delta, ZSTD"),
            Column("seq", "UInt64"),
            Column("level", _LOW),
            Column("logger", _LOW),
            Column("message", "String", codec="ZSTD"),
            Column("source", "String", dictionary=True),
            *_EVENT_KEY,
        ),
        order_by=("session_id", "run_id", "at", "event_id"),
        day_column="at",
    ),
)
TABLES: dict[str, Table] = {table.name: table for table in _DECLARED}
"""Table name → its declaration, in creation order."""

SCHEMAS: dict[str, pa.Schema] = {name: table.arrow_schema() for name, table in TABLES.items()}
"""Table name → the Arrow schema of the projector's inserts into it."""

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
    "attachments",
    "logs",
    "measurements",
    "run_points",
    "measurement_events",
    "measurement_tables",
    "run_ends",
    "session_ends",
]
"""The order a batch's tables are written in: the ends last, so that a reader who sees
a run (or session) ended also sees everything recorded in it; a measurement event's
envelope after its points, so that a reader who sees one can rebuild the event."""

DAY_COLUMNS: Mapping[str, str] = {
    table.name: table.day_column for table in _DECLARED if table.day_column is not None
}
"""Table → the time column whose UTC day partitions it (tables without day partitions left out)."""


def create_statements(database: str = DATABASE) -> list[str]:
    """Return the statements that create the database and every table, then add new columns."""
    tables = [table.create_statement(database) for table in TABLES.values()]
    added = [s for table in TABLES.values() for s in table.added_column_statements(database)]
    return [f"CREATE DATABASE IF NOT EXISTS {database}", *tables, *added]
