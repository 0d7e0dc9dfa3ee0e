"""Questions about sessions: which ran where, by whom, and what is still running.

Only ``events`` is read with ``FINAL`` (its count); the other tables are read without
it, each copy of a replayed row collapsing in the read itself: ``LIMIT 1 BY`` the
session, ``DISTINCT``/``uniqExact`` over ids and point keys, ``min``/``argMin`` over ends.
"""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.models.entities import (
    RUN_STATUSES,
    SessionCounts,
    SessionDetail,
    SessionPage,
    SessionSummary,
)
from benchtrail.api.models.filters import SESSIONS, FilterValues
from benchtrail.api.queries._sql import (
    Column,
    Nesting,
    Row,
    TablePage,
    Where,
    filter_where,
    select_list,
    with_times,
)
from benchtrail.api.queries.cursors import Cursor, encode_cursor
from benchtrail.api.queries.measurement_events import event_seqs
from benchtrail.api.queries.point_counts import points_by_run
from benchtrail.api.queries.runs import RunIds, lookup, run_summaries
from benchtrail.projector import Warehouse

CURSOR_KIND = "s"
"""Cursor kind of ``/api/sessions`` (a cursor of another endpoint is refused)."""

SESSION_COLUMNS: tuple[Column, ...] = (
    *(
        Column(name, f"s.{name}")
        for name in (
            "session_id",
            "station_id",
            "session_type",
            "station_name",
            "station_type",
            "station_location",
            "hostname",
        )
    ),
    Column("pid", "toInt64(s.pid)"),
    *(
        Column(name, f"s.{name}")
        for name in (
            "client_name",
            "client_version",
            "operator_id",
            "operator_name",
            "fixture_id",
        )
    ),
    Column("slot_count", "toInt64(s.slot_count)"),
    Column("device_ids", "s.device_ids", "list"),
    *(
        Column(name, f"s.{name}")
        for name in ("git_commit", "git_branch", "git_remote", "git_dirty", "python_version")
    ),
    Column("packages", "s.packages", "map"),
    Column("started_at", "s.started_at"),
    Column("started_at_ns", "toUnixTimestamp64Nano(s.started_at)"),
    Column("ended_at", "e.first_end"),
    Column("ended_at_ns", "toUnixTimestamp64Nano(e.first_end)"),
    Column("end_reason", "ifNull(e.reason_text, '')"),
    Column("status", "if(e.first_end IS NULL, 'running', 'ended')"),
    Column("run_count", "toInt64(run_counts.2[indexOf(run_counts.1, s.session_id)])"),
    Column("event_count", "toInt64(event_counts.2[indexOf(event_counts.1, s.session_id)])"),
)
"""The columns of a session summary, in the order of :class:`SessionSummary`'s fields."""


def session_where(warehouse: Warehouse, filters: FilterValues) -> Where:
    """The conditions on the ``sessions`` table that ``filters`` (of :data:`SESSIONS`) asks for."""
    return filter_where(SESSIONS, filters, warehouse.database)


def list_sessions(
    warehouse: Warehouse, filters: FilterValues, *, limit: int, cursor: Cursor | None = None
) -> SessionPage:
    """Sessions matching ``filters``, newest first (ties by id), one page after ``cursor``."""
    ids, next_cursor = _page(warehouse, filters, limit, cursor)
    return SessionPage(items=_summaries(warehouse, ids), next_cursor=next_cursor)


def sessions_table(
    warehouse: Warehouse,
    filters: FilterValues,
    *,
    limit: int,
    cursor: Cursor | None = None,
    nesting: Nesting = "lists",
) -> TablePage:
    """The same page as :func:`list_sessions`, as an Arrow table built by ClickHouse."""
    ids, next_cursor = _page(warehouse, filters, limit, cursor)
    return TablePage(warehouse.arrow(*_summary_sql(warehouse, ids, nesting)), next_cursor)


def get_session(warehouse: Warehouse, session_id: str, *, run_limit: int) -> SessionDetail:
    """One session with its newest ``run_limit`` runs and its totals.

    Four reads: the session's summary; every run of it with its outcome (the page is the
    newest ``run_limit``, the outcomes are counted over all); the point counts of each of
    its runs (summed: the session's totals); the page's run summaries, which take their
    point counts from the third read instead of reading the points again.

    Raises:
        NotFound: no ``session.started`` of that id is in the warehouse.
    """
    summaries = _summaries(warehouse, [session_id])
    if not summaries:
        raise NotFound("session", session_id)
    (summary,) = summaries
    session_runs = _session_runs(warehouse, session_id)
    page = [row["run_id"] for row in session_runs[:run_limit]]
    points = points_by_run(warehouse, summary.station_id, session_id)
    runs = run_summaries(warehouse, RunIds(ids=page, stations=[]), point_counts=points.only(page))
    runs_by_outcome = dict.fromkeys(RUN_STATUSES, 0)
    for row in session_runs:
        runs_by_outcome[row["outcome"]] = runs_by_outcome.get(row["outcome"], 0) + 1
    counts = SessionCounts(
        runs_by_outcome=runs_by_outcome,
        measurement_count=sum(points.totals.values()),
        failed_measurement_count=sum(points.failed.values()),
    )
    fields = msgspec.structs.asdict(summary)
    return SessionDetail(**fields, runs=runs, counts=counts)


def session_operator(warehouse: Warehouse, session_id: str) -> str:
    """Who ran ``session_id``: its operator's id, else name (``""``: unknown or not stored)."""
    rows = warehouse.rows(
        f"SELECT operator_id, operator_name FROM {warehouse.database}.sessions"
        " WHERE session_id = {session_id:String} LIMIT 1",
        {"session_id": session_id},
    )
    return str(rows[0]["operator_id"] or rows[0]["operator_name"]) if rows else ""


def _page(
    warehouse: Warehouse, filters: FilterValues, limit: int, cursor: Cursor | None
) -> tuple[list[str], str | None]:
    where = session_where(warehouse, filters)
    where.before("started_at", "session_id", cursor)
    rows = _page_rows(warehouse, where, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(CURSOR_KIND, last["started_at_ns"], last["session_id"])
    return [row["session_id"] for row in rows[:limit]], next_cursor


def _page_rows(warehouse: Warehouse, where: Where, limit: int) -> list[Row]:
    sql = f"""
        SELECT session_id, toUnixTimestamp64Nano(started_at) AS started_at_ns
        FROM {warehouse.database}.sessions {where.sql()}
        ORDER BY started_at DESC, session_id DESC
        LIMIT 1 BY session_id LIMIT {{limit:UInt32}}
    """
    return warehouse.rows(sql, {**where.parameters, "limit": limit})


def _summaries(warehouse: Warehouse, ids: list[str]) -> list[SessionSummary]:
    if not ids:
        return []
    rows = warehouse.rows(*_summary_sql(warehouse, ids, "native"))
    return [
        msgspec.convert(with_times(row, "started_at", "ended_at"), SessionSummary) for row in rows
    ]


def _summary_sql(
    warehouse: Warehouse, ids: list[str], nesting: Nesting
) -> tuple[str, dict[str, object]]:
    db = warehouse.database
    run_counts = lookup(
        f"""SELECT session_id, uniqExact(run_id) AS n FROM {db}.runs
            WHERE session_id IN {{ids:Array(String)}} GROUP BY session_id""",
        ("session_id", "n"),
    )
    event_counts = lookup(
        f"""SELECT session_id, uniqExact(seq) AS n
            FROM {event_seqs(db, "session_id IN {ids:Array(String)}")} GROUP BY session_id""",
        ("session_id", "n"),
    )
    sql = f"""
        WITH {run_counts} AS run_counts, {event_counts} AS event_counts
        SELECT {select_list(SESSION_COLUMNS, nesting)}
        FROM (SELECT * FROM {db}.sessions WHERE session_id IN {{ids:Array(String)}}
              ORDER BY started_at DESC, event_id DESC LIMIT 1 BY session_id) AS s
        LEFT JOIN (SELECT session_id, min(ended_at) AS first_end,
                          argMin(reason, ended_at) AS reason_text
                   FROM {db}.session_ends WHERE session_id IN {{ids:Array(String)}}
                   GROUP BY session_id) AS e ON e.session_id = s.session_id
        ORDER BY s.started_at DESC, s.session_id DESC
        SETTINGS join_use_nulls = 1
    """
    return sql, {"ids": ids}


def _session_runs(warehouse: Warehouse, session_id: str) -> list[Row]:
    """Every run of a session, newest first (ties by id), each with its first end's
    outcome (``running``: not ended). Two plain reads joined here: ClickHouse's join of
    the two took longer than both reads."""
    db = warehouse.database
    parameters = {"session_id": session_id}
    runs = warehouse.rows(
        f"""
        SELECT run_id FROM {db}.runs WHERE session_id = {{session_id:String}}
        ORDER BY started_at DESC, run_id DESC LIMIT 1 BY run_id
        """,
        parameters,
    )
    ends = warehouse.rows(
        f"""
        SELECT run_id, argMin(outcome, ended_at) AS outcome FROM {db}.run_ends
        WHERE session_id = {{session_id:String}} GROUP BY run_id
        """,
        parameters,
    )
    outcomes = {row["run_id"]: row["outcome"] for row in ends}
    return [
        {"run_id": row["run_id"], "outcome": outcomes.get(row["run_id"], "running")} for row in runs
    ]
