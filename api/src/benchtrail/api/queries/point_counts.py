"""Counting a run's or a session's points, each once (copies of a replayed point share its key)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from benchtrail.projector import Warehouse

POINT_KEY = "event_id, point_index"
"""What tells two points apart: the event that carried a point and its place in that event
(the end of ``measurements``' sort key). Copies of a replayed point share it, so counting
or keeping one row per key reads each point once without ``FINAL``."""

COUNTED = (
    f"uniqExact({POINT_KEY}) AS point_count,"
    f" uniqExactIf({POINT_KEY}, outcome = 'failed') AS failed_count"
)
"""Select-list items counting the points read, and those of them that failed, each once."""


class PointCounts(msgspec.Struct, frozen=True):
    """Point counts already read, by run id: how many points, how many of them failed."""

    totals: dict[str, int]
    failed: dict[str, int]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> PointCounts:
        """The counts of rows of ``run_id``, ``point_count``, ``failed_count`` (:data:`COUNTED`)."""
        return cls(
            totals={row["run_id"]: int(row["point_count"]) for row in rows},
            failed={row["run_id"]: int(row["failed_count"]) for row in rows},
        )


def point_totals(warehouse: Warehouse, station_id: str, run_id: str) -> tuple[int, int]:
    """How many points a run of ``station_id`` has, and how many of them failed."""
    sql = f"""
        SELECT {COUNTED}
        FROM {warehouse.database}.measurements
        WHERE station_id = {{station_id:String}} AND run_id = {{run_id:String}}
    """
    (row,) = warehouse.rows(sql, {"station_id": station_id, "run_id": run_id})
    return int(row["point_count"]), int(row["failed_count"])


def points_by_run(warehouse: Warehouse, station_id: str, session_id: str) -> PointCounts:
    """How many points each run of a session has, and how many failed (points recorded
    outside a run under ``""``): one read of the session's points."""
    rows = warehouse.rows(
        f"""
        SELECT toString(run_id) AS run_id, {COUNTED}
        FROM {warehouse.database}.measurements
        WHERE station_id = {{station_id:String}} AND session_id = {{session_id:String}}
        GROUP BY run_id
        """,
        {"station_id": station_id, "session_id": session_id},
    )
    return PointCounts.from_rows(rows)
