"""Point counts kept per frame and run (``run_points``) say what the points say.

The projector's rows (built from a batch's points) are the rows the migration's SQL makes
from ``measurements``, and a summary's counts summed from them are the points counted
one by one, before and after the same frames are written again (a replay).
"""

from __future__ import annotations

from typing import Any

from benchtrail.api.queries.point_counts import COUNTED, points_by_run
from benchtrail.projector import RowBatch, Warehouse
from benchtrail.projector.point_tallies import TALLY_SELECT

from ..analytics import dataset

FRAME = 7
"""Events per frame: frames cut runs and measurement batches at odd places."""

_KEY = "run_id, session_id, station_id, toString(at) AS at, points, failed, event_id"


def _frames(warehouse: Warehouse, first_seq: int, per_batch: int) -> None:
    """Write every event of the data set in frames of :data:`FRAME` events, ``per_batch``
    frames to a batch, numbered from ``first_seq``."""
    events = dataset.events()
    starts = list(range(0, len(events), FRAME))
    for batch_start in range(0, len(starts), per_batch):
        batch = RowBatch()
        for index in range(batch_start, min(len(starts), batch_start + per_batch)):
            start = starts[index]
            batch.add_frame(events[start : start + FRAME], stream_seq=first_seq + index)
        warehouse.write(batch)


def _set(rows: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {tuple(row.values()) for row in rows}


def _counted(warehouse: Warehouse, station: str, session: str) -> dict[str, tuple[int, int]]:
    rows = warehouse.rows(
        f"SELECT toString(run_id) AS run_id, {COUNTED} FROM {warehouse.database}.measurements"
        " WHERE station_id = {st:String} AND session_id = {s:String} GROUP BY run_id",
        {"st": station, "s": session},
    )
    return {row["run_id"]: (row["point_count"], row["failed_count"]) for row in rows}


def test_kept_counts_are_the_points_counted(warehouse: Warehouse) -> None:
    db = warehouse.database
    _frames(warehouse, first_seq=1, per_batch=5)
    _frames(warehouse, first_seq=1_000, per_batch=2)  # the same frames again, batched otherwise
    kept = warehouse.rows(f"SELECT {_KEY} FROM {db}.run_points")
    made = warehouse.rows(f"SELECT {_KEY} FROM ({TALLY_SELECT.format(database=db)})")
    assert len(kept) == len(made) > 20  # each frame's rows twice, not merged yet
    assert _set(kept) == _set(made)
    assert any(row["failed"] for row in kept)

    sessions = warehouse.rows(f"SELECT DISTINCT station_id, session_id FROM {db}.measurements")
    assert len(sessions) > 1
    for session in sessions:
        counts = points_by_run(warehouse, session["station_id"], session["session_id"])
        summed = {run: (counts.totals[run], counts.failed[run]) for run in counts.totals}
        assert summed == _counted(warehouse, session["station_id"], session["session_id"])


def test_a_point_a_frame_carries_twice_counts_once(warehouse: Warehouse) -> None:
    db = warehouse.database
    events = dataset.events()
    batch = RowBatch()
    batch.add_frame(events + events[: len(events) // 2], stream_seq=1)  # a hostile frame
    warehouse.write(batch)
    kept = warehouse.rows(f"SELECT {_KEY} FROM {db}.run_points")
    made = warehouse.rows(f"SELECT {_KEY} FROM ({TALLY_SELECT.format(database=db)})")
    assert _set(kept) == _set(made)
    points = warehouse.scalar(f"SELECT count() FROM {db}.measurements FINAL")
    assert sum(row["points"] for row in kept) == points
