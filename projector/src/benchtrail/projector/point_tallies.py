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
it is opened (``migrations.fill_point_tallies``). A point a frame carried twice (no station sends
such a frame; a hostile one might) is counted once, as ``measurements`` keeps it once.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from benchtrail.projector.tables import SCHEMAS, STREAM_SEQ

TABLE = "run_points"
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


_Arrays = dict[str, npt.NDArray[Any]]


def tally_table(points: pa.Table, *, repeats: bool = False) -> pa.Table:
    """The ``run_points`` rows of a batch's ``measurements`` rows: one per frame (its stream
    sequence) and run, in the table's Arrow schema.

    A frame's points of one run lie in stretches of consecutive rows: each stretch is
    summed with numpy (``reduceat``), then the few stretches are grouped by frame and run
    (a frame is one session's, on one station: those come from the group's first row).
    That costs a few ns per point, against ~30 for a hash grouping of every row.

    ``repeats``: the batch may hold a point twice in one frame (an event id came twice):
    such copies are counted once (the check is the caller's: by event, not by point).
    """
    schema = SCHEMAS[TABLE]
    if points.num_rows == 0:
        return schema.empty_table()
    columns: _Arrays = {
        "stream_seq": _numbers(points.column("stream_seq")),
        "run": _codes(_dictionary(points.column("run_id"))),
        "ts": _numbers(points.column("ts")),
        "failed": _failed(points.column("outcome")),
    }
    ranks, ids = _ranked(points.column("event_id"))
    columns["event"] = ranks
    if repeats:  # one row per point of a frame first
        columns = _distinct_points(columns, _numbers(points.column("point_index")))
    stretches = _stretches(columns)
    grouped = stretches.group_by(["stream_seq", "run"], use_threads=False).aggregate(
        [("ts", "min"), ("points", "sum"), ("failed", "sum"), ("event", "min"), ("row", "min")]
    )
    first = grouped.column("row_min")
    made: dict[str, Any] = {
        "run_id": points.column("run_id").take(first),
        "session_id": points.column("session_id").take(first),
        "station_id": points.column("station_id").take(first),
        "at": grouped.column("ts_min").cast(pa.int64()).cast(pa.timestamp("ns", "UTC")),
        "points": grouped.column("points_sum"),
        "failed": grouped.column("failed_sum"),
        "event_id": ids.take(grouped.column("event_min")),
        STREAM_SEQ: grouped.column("stream_seq"),
    }
    return pa.table([made[field.name].cast(field.type) for field in schema], schema=schema)


def _stretches(columns: _Arrays) -> pa.Table:
    """One row per stretch of consecutive rows of one frame and run: its first row, its
    earliest time, its point and failed counts and its smallest event rank. The first row
    is a stretch's start, or what ``columns["row"]`` says of it (rows were left out)."""
    seq, run = columns["stream_seq"], columns["run"]
    changed = (seq[1:] != seq[:-1]) | (run[1:] != run[:-1])
    starts = np.concatenate([[0], np.flatnonzero(changed) + 1])
    ends = np.append(starts[1:], len(seq))
    return pa.table(
        {
            "stream_seq": seq[starts],
            "run": run[starts],
            "ts": np.minimum.reduceat(columns["ts"], starts),
            "points": (ends - starts).astype(np.uint64),
            "failed": np.add.reduceat(columns["failed"], starts, dtype=np.uint64),
            "event": np.minimum.reduceat(columns["event"], starts),
            "row": columns["row"][starts] if "row" in columns else starts,
        }
    )


def _distinct_points(columns: _Arrays, point_index: npt.NDArray[Any]) -> _Arrays:
    """``columns`` with one row per point of a frame (a copy's row left out)."""
    row = np.arange(len(point_index), dtype=np.int64)
    table = pa.table({**columns, "point_index": point_index, "row": row})
    kept = table.group_by(["stream_seq", "run", "event", "point_index"], use_threads=False)
    rows = np.sort(kept.aggregate([("row", "min")]).column("row_min").to_numpy())
    return {**{name: values[rows] for name, values in columns.items()}, "row": rows}


def _numbers(column: pa.ChunkedArray[Any]) -> npt.NDArray[Any]:
    """A numeric (or time) column as one numpy array (times as int64 ns)."""
    combined = column.combine_chunks()
    if pa.types.is_timestamp(combined.type):
        combined = combined.cast(pa.int64())
    return combined.to_numpy(zero_copy_only=False)


def _dictionary(column: pa.ChunkedArray[Any]) -> pa.DictionaryArray[Any, Any]:
    """``column`` as one dictionary array (one dictionary: equal codes, equal values)."""
    combined = column.combine_chunks()
    if not pa.types.is_dictionary(combined.type):
        combined = combined.dictionary_encode()
    return cast("pa.DictionaryArray[Any, Any]", combined)


def _codes(column: pa.DictionaryArray[Any, Any]) -> npt.NDArray[np.int32]:
    """Each row's code in the dictionary of ``column``, as numpy."""
    codes: npt.NDArray[np.int32] = column.indices.to_numpy(zero_copy_only=False)
    return codes


def _ranked(event_ids: pa.ChunkedArray[Any]) -> tuple[npt.NDArray[np.int32], pa.Array[Any]]:
    """Each row's event id as its rank among the distinct ids, and those ids in rank order:
    the smallest id of a group is the one of its smallest rank. (A batch's points share
    few ids: ranking them sorts those, not a string per point.)"""
    column = _dictionary(event_ids)
    order = pc.array_sort_indices(column.dictionary).to_numpy()
    rank = np.empty(len(order), np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return rank[_codes(column)], column.dictionary.take(pa.array(order))


def _failed(outcome: pa.ChunkedArray[Any]) -> npt.NDArray[np.bool_]:
    """Whether each point's outcome is ``failed``."""
    column = _dictionary(outcome)
    words = column.dictionary.to_pylist()
    if "failed" not in words:
        return np.zeros(len(column), np.bool_)
    failed: npt.NDArray[np.bool_] = _codes(column) == words.index("failed")
    return failed
