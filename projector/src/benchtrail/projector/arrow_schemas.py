"""Arrow schema of each warehouse table, column for column as in :mod:`ddl`.

Repeated text (ids, names, units) travels dictionary-encoded: cheaper to
build and to insert. Timestamps are int64 nanoseconds viewed as UTC timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa

TS = pa.timestamp("ns", tz="UTC")
STR = pa.string()
DICT = pa.dictionary(pa.int32(), pa.string())
TEXT_MAP = pa.map_(pa.string(), pa.string())
TEXT_LIST = pa.list_(pa.string())

_TYPES: dict[str, pa.DataType] = {
    "s": STR,
    "d": DICT,
    "t": TS,
    "u64": pa.uint64(),
    "u32": pa.uint32(),
    "u16": pa.uint16(),
    "f64": pa.float64(),
    "b": pa.bool_(),
    "map": TEXT_MAP,
    "list": TEXT_LIST,
    "ilist": pa.list_(pa.int64()),
}


def _schema(columns: str) -> pa.Schema:
    """Build a schema from ``name:kind`` pairs (kinds: see ``_TYPES``)."""
    pairs = [column.split(":") for column in columns.split()]
    return pa.schema([(name, _TYPES[kind]) for name, kind in pairs])


_GIT = "git_commit:s git_branch:d git_remote:d git_dirty:b python_version:d packages:map"
_KEY = "event_id:s stream_seq:u64"

SCHEMAS: dict[str, pa.Schema] = {
    "events": _schema(
        "event_id:s session_id:d station_id:d seq:u64 type:d occurred_at:t"
        " schema_version:u16 run_id:d payload:s stream_seq:u64"
    ),
    "sessions": _schema(
        "session_id:s station_id:d session_type:d station_name:d station_type:d"
        " station_location:d hostname:d pid:u32 client_name:d client_version:d operator_id:d"
        f" operator_name:d fixture_id:d slot_count:u32 device_ids:list {_GIT} started_at:t"
        f" {_KEY}"
    ),
    "session_ends": _schema(
        f"session_id:s station_id:d ended_at:t run_count:u32 event_count:u64 reason:s {_KEY}"
    ),
    "runs": _schema(
        "run_id:s session_id:d station_id:d started_at:t dut_serial:s dut_part_number:d"
        " dut_revision:d dut_lot_number:d product_id:d product_name:d product_revision:d"
        " slot_id:d slot_index:u32 fixture_id:d test_phase:d project_name:d"
        f" {_GIT} custom_metadata:s channel_refs:list parameters:s {_KEY}"
    ),
    "run_ends": _schema(
        "run_id:s session_id:d station_id:d ended_at:t outcome:d measurement_count:u64"
        f" failed_measurement_count:u64 step_count:u32 duration_ns:u64 error:s {_KEY}"
    ),
    "steps": _schema(
        "step_id:s run_id:d session_id:d station_id:d name:d phase:d at:t outcome:d"
        f" duration_ns:u64 error:s {_KEY}"
    ),
    "instrument_calls": _schema(
        "station_id:d session_id:d run_id:d instrument:d resource:d command:d response:s"
        f" duration_ns:u64 error:s fencing_token:u64 occurred_at:t {_KEY}"
    ),
    "locks": _schema(
        "key:d resource:d station_id:d session_id:d action:d fencing_token:u64 holder:s"
        f" broken_by:s occurred_at:t {_KEY}"
    ),
    "measurements": _schema(
        "station_id:d session_id:d run_id:d name:d ts:t value:f64 value_str:d value_kind:d"
        " unit:d low:f64 high:f64 outcome:d step:d event_id:d point_index:u32 stream_seq:u64"
    ),
    "files": _schema(
        "file_id:s dataset_id:d station_id:d path:s media_type:d size_bytes:u64 start_at:t"
        " end_at:t topic_ids:list topic_names:list topic_start_ns:ilist topic_end_ns:ilist"
        f" by:d registered_at:t {_KEY}"
    ),
    "windows": _schema(
        "window_id:s station_id:d action:d name:s has_name:b sets_name:b project:d by:d at:t"
        f" seq:u64 {_KEY}"
    ),
    "window_devices": _schema(
        f"window_id:s device_id:s kind:d attached:b by:d at:t seq:u64 {_KEY}"
    ),
    "window_files": _schema(
        f"window_id:s file_id:s added:b range_min:t range_max:t by:d at:t seq:u64 {_KEY}"
    ),
}

if TYPE_CHECKING:  # the stubs type arrays by element; columns here mix them
    ArrowArray: TypeAlias = pa.Array[Any]
else:
    ArrowArray = pa.Array
Columns = dict[str, Sequence[object] | ArrowArray]
"""Column name → values (a Python sequence or a ready Arrow array)."""
