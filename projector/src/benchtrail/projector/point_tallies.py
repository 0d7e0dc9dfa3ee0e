"""Point counts kept at projection time: ``run_points``, one row per frame and run.

A run's or a session's summary says how many points it has and how many failed. Counting
them from ``measurements`` reads every point of the run or session (a session of 40,000
points: ~15-20 ms in chDB, the heaviest read of its page); a row per frame and run here
holds the counts of the points that frame carried, so the summaries sum a few rows.

Each row is keyed by the smallest event id among the points it counts: a frame delivered
again (a redelivery, a resend after a lost ack, a replay of the stream) carries the same
events, so it writes the same key with the same counts, and readers keep one row per
``(run_id, event_id)`` (the largest counts: a replay that accepts an event the first pass
refused counts it too). A frame's rows are built from its points as written to
``measurements`` (:func:`tally_table`); a warehouse written before this table existed has
them made from ``measurements`` by the same rule in SQL (:data:`TALLY_SELECT`), once, when
it is opened (:func:`fill_statements`). A point a frame carried twice (no station sends
such a frame; a hostile one might) is counted once, as ``measurements`` keeps it once.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from benchtrail.projector.tables import SCHEMAS, STREAM_SEQ

TABLE = "run_points"
FILLING_SUFFIX = "__filling"
"""Name suffix of the table a warehouse's first ``run_points`` is filled in before it takes
its name (a fill cut short leaves no table that looks complete)."""

_GROUP = ["stream_seq", "station_id", "session_id", "run_id"]

TALLY_SELECT = """
    SELECT run_id, session_id, station_id, min(m.ts) AS at,
           uniqExact(m.event_id, m.point_index) AS points,
           uniqExactIf(m.event_id, m.point_index, m.outcome = 'failed') AS failed,
           min(m.event_id) AS event_id, stream_seq
    FROM {database}.measurements AS m
    GROUP BY stream_seq, station_id, session_id, run_id
"""
"""The rows :func:`tally_table` would have written for every point in ``measurements``
(each point once: a copy not merged yet is not counted twice). The points' own columns
are named through the table (``m.event_id``): the bare name would be the result's alias."""


def tally_table(points: pa.Table, *, repeats: bool = False) -> pa.Table:
    """The ``run_points`` rows of a batch's ``measurements`` rows: one per frame (its stream
    sequence) and run, in the table's Arrow schema.

    ``repeats``: the batch may hold a point twice in one frame (an event id came twice):
    such copies are counted once (the check is the caller's: by event, not by point).
    """
    failed = pa.chunked_array(
        [_failed(chunk) for chunk in points.column("outcome").chunks], pa.uint64()
    )
    counted = pa.table(
        {
            **{name: points.column(name) for name in _GROUP},
            "ts": points.column("ts"),
            "event_id": points.column("event_id").cast(pa.string()),
            "failed": failed,
            "point_index": points.column("point_index"),
        }
    )
    if repeats:  # one row per point of a frame first
        point = [*_GROUP, "event_id", "point_index"]
        counted = counted.group_by(point, use_threads=False).aggregate(
            [("ts", "min"), ("failed", "max")]
        )
        counted = counted.rename_columns({"ts_min": "ts", "failed_max": "failed"})
    grouped = counted.group_by(_GROUP, use_threads=False).aggregate(
        [("ts", "min"), ("ts", "count"), ("failed", "sum"), ("event_id", "min")]
    )
    schema = SCHEMAS[TABLE]
    columns: dict[str, Any] = {
        "run_id": grouped.column("run_id"),
        "session_id": grouped.column("session_id"),
        "station_id": grouped.column("station_id"),
        "at": grouped.column("ts_min"),
        "points": grouped.column("ts_count").cast(pa.uint64()),
        "failed": grouped.column("failed_sum").cast(pa.uint64()),
        "event_id": grouped.column("event_id_min"),
        STREAM_SEQ: grouped.column("stream_seq"),
    }
    return pa.table([columns[field.name].cast(field.type) for field in schema], schema=schema)


def _failed(chunk: pa.Array[Any]) -> npt.NDArray[np.uint64]:
    """1 where a point's outcome (dictionary-encoded) is ``failed``, else 0."""
    outcomes = cast("pa.DictionaryArray[Any, Any]", chunk)
    words = outcomes.dictionary.to_pylist()
    if "failed" not in words:
        return np.zeros(len(outcomes), np.uint64)
    codes: npt.NDArray[np.int32] = outcomes.indices.to_numpy(zero_copy_only=False)
    failed: npt.NDArray[np.uint64] = (codes == words.index("failed")).astype(np.uint64)
    return failed


def fill_statements(database: str, create: str) -> list[str]:
    """The statements that make a warehouse's first ``run_points`` from its ``measurements``:
    ``create`` (the table's ``CREATE`` statement under its filling name) filled, then renamed."""
    filling = f"{database}.{TABLE}{FILLING_SUFFIX}"
    return [
        f"DROP TABLE IF EXISTS {filling}",
        create,
        f"INSERT INTO {filling} {TALLY_SELECT.format(database=database)}",
        f"RENAME TABLE {filling} TO {database}.{TABLE}",
    ]
