"""Counting a run's or a session's points, each once.

Summaries sum the counts the projector keeps per frame and run (``run_points``,
:mod:`benchtrail.projector.point_tallies`); a read that goes through the points anyway
counts them itself, each once by :data:`POINT_KEY` (copies of a replayed point share it).
"""

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


def tallied(database: str, condition: str) -> str:
    """``SELECT`` of ``run_id``, ``point_count``, ``failed_count`` of the runs ``condition``
    (on ``run_points``) selects: each frame's counts once (the largest, should a replay have
    counted more of a frame), summed by run."""
    return f"""
        SELECT run_id, sum(points) AS point_count, sum(failed) AS failed_count
        FROM (SELECT run_id, max(points) AS points, max(failed) AS failed
              FROM {database}.run_points WHERE {condition} GROUP BY run_id, event_id)
        GROUP BY run_id
    """


def point_totals(warehouse: Warehouse, station_id: str, run_id: str) -> tuple[int, int]:
    """How many points a run of ``station_id`` has, and how many of them failed."""
    sql = tallied(
        warehouse.database, "station_id = {station_id:String} AND run_id = {run_id:String}"
    )
    rows = warehouse.rows(sql, {"station_id": station_id, "run_id": run_id})
    return (int(rows[0]["point_count"]), int(rows[0]["failed_count"])) if rows else (0, 0)


def points_by_run(warehouse: Warehouse, station_id: str, session_id: str) -> PointCounts:
    """How many points each run of a session has, and how many failed (points recorded
    outside a run under ``""``): one read of the session's rows of ``run_points``."""
    condition = "station_id = {station_id:String} AND session_id = {session_id:String}"
    rows = warehouse.rows(
        tallied(warehouse.database, condition),
        {"station_id": station_id, "session_id": session_id},
    )
    return PointCounts.from_rows(rows)


def page_points(warehouse: Warehouse, stations: list[str], ids: list[str]) -> PointCounts:
    """How many points each of the runs ``ids`` (on ``stations``) has, and how many failed."""
    condition = "station_id IN {stations:Array(String)} AND run_id IN {ids:Array(String)}"
    rows = warehouse.rows(
        tallied(warehouse.database, condition), {"stations": stations, "ids": ids}
    )
    return PointCounts.from_rows(rows)
