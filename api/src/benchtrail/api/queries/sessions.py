"""Questions about sessions: which ran where, by whom, and what is still running."""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.models import (
    RUN_STATUSES,
    SessionCounts,
    SessionDetail,
    SessionPage,
    SessionSummary,
)
from benchtrail.api.params import Cursor, encode_cursor
from benchtrail.api.queries._sql import Row, Where, by_key, with_times
from benchtrail.api.queries.runs import RunFilters, list_runs
from benchtrail.projector import Warehouse

CURSOR_KIND = "s"
"""Cursor kind of ``/api/sessions`` (a cursor of another endpoint is refused)."""

_COLUMNS = """
    session_id, station_id, session_type, station_name, station_type, station_location,
    hostname, pid, client_name, client_version, operator_id, operator_name, fixture_id,
    slot_count, device_ids, git_commit, git_branch, git_remote, git_dirty, python_version,
    packages, toUnixTimestamp64Nano(started_at) AS started_at_ns
"""


class SessionFilters(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of ``/api/sessions``; ``None`` means any. Times are ns, ``since <= t < until``."""

    station_id: str | None = None
    session_type: str | None = None
    operator_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None


def list_sessions(
    warehouse: Warehouse, filters: SessionFilters, *, limit: int, cursor: Cursor | None = None
) -> SessionPage:
    """Sessions matching ``filters``, newest first (ties by id), one page after ``cursor``."""
    where = Where()
    where.equals("station_id", filters.station_id)
    where.equals("session_type", filters.session_type)
    where.equals("operator_id", filters.operator_id)
    where.time_range("started_at", filters.since_ns, filters.until_ns)
    where.before("started_at", "session_id", cursor)
    rows = _session_rows(warehouse, where, limit + 1)
    sessions = _summaries(warehouse, rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = sessions[-1]
        next_cursor = encode_cursor(CURSOR_KIND, last.started_at_ns, last.session_id)
    return SessionPage(items=sessions, next_cursor=next_cursor)


def get_session(warehouse: Warehouse, session_id: str, *, run_limit: int) -> SessionDetail:
    """One session with its newest ``run_limit`` runs and its totals.

    Raises:
        NotFound: no ``session.started`` of that id is in the warehouse.
    """
    where = Where()
    where.equals("session_id", session_id)
    rows = _session_rows(warehouse, where, 1)
    if not rows:
        raise NotFound("session", session_id)
    (summary,) = _summaries(warehouse, rows)
    runs = list_runs(warehouse, RunFilters(session_id=session_id), limit=run_limit).items
    counts = _session_counts(warehouse, summary)
    fields = msgspec.structs.asdict(summary)
    return SessionDetail(**fields, runs=runs, counts=counts)


def _session_rows(warehouse: Warehouse, where: Where, limit: int) -> list[Row]:
    sql = f"""
        SELECT {_COLUMNS} FROM {warehouse.database}.sessions FINAL {where.sql()}
        ORDER BY started_at DESC, session_id DESC
        LIMIT 1 BY session_id LIMIT {{limit:UInt32}}
    """
    return warehouse.rows(sql, {**where.parameters, "limit": limit})


def _summaries(warehouse: Warehouse, rows: list[Row]) -> list[SessionSummary]:
    if not rows:
        return []
    ids = [row["session_id"] for row in rows]
    ends = by_key(_ends(warehouse, ids), "session_id")
    run_counts = _count_by_session(warehouse, "runs", "uniqExact(run_id)", ids)
    event_counts = _count_by_session(warehouse, "events", "count()", ids)
    summaries = []
    for row in rows:
        session_id = row["session_id"]
        end = ends.get(session_id, {"ended_at_ns": None, "end_reason": ""})
        fields = with_times({**row, **end}, "started_at", "ended_at")
        fields["status"] = "running" if end["ended_at_ns"] is None else "ended"
        fields["run_count"] = run_counts.get(session_id, 0)
        fields["event_count"] = event_counts.get(session_id, 0)
        summaries.append(msgspec.convert(fields, SessionSummary))
    return summaries


def _ends(warehouse: Warehouse, ids: list[str]) -> list[Row]:
    sql = f"""
        SELECT session_id, toUnixTimestamp64Nano(min(ended_at)) AS ended_at_ns,
               argMin(reason, ended_at) AS end_reason
        FROM {warehouse.database}.session_ends FINAL
        WHERE session_id IN {{ids:Array(String)}} GROUP BY session_id
    """
    return warehouse.rows(sql, {"ids": ids})


def _count_by_session(
    warehouse: Warehouse, table: str, aggregate: str, ids: list[str]
) -> dict[str, int]:
    sql = f"""
        SELECT session_id, {aggregate} AS n FROM {warehouse.database}.{table} FINAL
        WHERE session_id IN {{ids:Array(String)}} GROUP BY session_id
    """
    return {row["session_id"]: int(row["n"]) for row in warehouse.rows(sql, {"ids": ids})}


def _session_counts(warehouse: Warehouse, session: SessionSummary) -> SessionCounts:
    db = warehouse.database
    parameters = {"session_id": session.session_id, "station_id": session.station_id}
    outcomes = warehouse.rows(
        f"""
        SELECT ifNull(e.outcome, 'running') AS outcome, count() AS n
        FROM (SELECT DISTINCT run_id FROM {db}.runs FINAL
              WHERE session_id = {{session_id:String}}) AS r
        LEFT JOIN (SELECT run_id, argMin(outcome, ended_at) AS outcome FROM {db}.run_ends FINAL
                   WHERE session_id = {{session_id:String}} GROUP BY run_id) AS e
        ON e.run_id = r.run_id
        GROUP BY outcome SETTINGS join_use_nulls = 1
        """,
        parameters,
    )
    points = warehouse.rows(
        f"""
        SELECT count() AS total, countIf(outcome = 'failed') AS failed
        FROM {db}.measurements FINAL
        WHERE station_id = {{station_id:String}} AND session_id = {{session_id:String}}
        """,
        parameters,
    )[0]
    runs_by_outcome = dict.fromkeys(RUN_STATUSES, 0)
    runs_by_outcome.update({str(row["outcome"]): int(row["n"]) for row in outcomes})
    return SessionCounts(
        runs_by_outcome=runs_by_outcome,
        measurement_count=int(points["total"]),
        failed_measurement_count=int(points["failed"]),
    )
