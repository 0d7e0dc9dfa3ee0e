"""Questions about sessions: which ran where, by whom, and what is still running.

No table is read with ``FINAL``: each copy of a replayed row collapses in the read
itself (``LIMIT 1 BY`` the session, ``uniqExact`` over ids, seqs and point keys,
``min``/``argMin`` over ends). A summary is the session's own row of ``sessions`` and
its end and counts, each a plain read, put together here (:mod:`.run_summaries` says
why: a statement joining them took longer in chDB than its parts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
import pyarrow as pa

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
    with_fields,
    with_times,
)
from benchtrail.api.queries.cursors import Cursor, encode_cursor
from benchtrail.api.queries.point_counts import PointCounts, points_by_run
from benchtrail.api.queries.run_summaries import (
    RunEnd,
    RunIds,
    complete_rows,
    read_rows,
    run_ends,
)
from benchtrail.projector import Warehouse, session_seqs

_Own = TypeVar("_Own")
RunEnds = dict[str, RunEnd]

CURSOR_KIND = "s"
"""Cursor kind of ``/api/sessions`` (a cursor of another endpoint is refused)."""

SESSION_OWN_COLUMNS: tuple[Column, ...] = (
    *(
        Column(name, name)
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
    Column("pid", "toInt64(pid)"),
    *(
        Column(name, name)
        for name in (
            "client_name",
            "client_version",
            "operator_id",
            "operator_name",
            "fixture_id",
        )
    ),
    Column("slot_count", "toInt64(slot_count)"),
    Column("device_ids", "device_ids", "list"),
    *(
        Column(name, name)
        for name in ("git_commit", "git_branch", "git_remote", "git_dirty", "python_version")
    ),
    Column("packages", "packages", "map"),
    Column("started_at", "started_at"),
    Column("started_at_ns", "toUnixTimestamp64Nano(started_at)"),
)
"""The columns of a session summary that ``sessions`` holds (the others: :data:`FACT_FIELDS`)."""

FACT_FIELDS: tuple[pa.Field[Any], ...] = (
    pa.field("ended_at", pa.timestamp("ns", "UTC")),
    pa.field("ended_at_ns", pa.int64()),
    pa.field("end_reason", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("run_count", pa.int64(), nullable=False),
    pa.field("event_count", pa.int64(), nullable=False),
)
"""The columns of a session summary made from its end and counts, as Arrow fields."""


@dataclass(frozen=True)
class SessionFacts:
    """What other tables say of sessions, by id: first end (time, reason), run and event
    counts."""

    ends: dict[str, tuple[int, str]]
    run_counts: dict[str, int]
    event_counts: dict[str, int]

    def fields(self, session: Row) -> Row:
        """The :data:`FACT_FIELDS` of ``session`` (its ``session_id``)."""
        session_id = session["session_id"]
        at_ns, reason = self.ends.get(session_id, (None, ""))
        return {
            "ended_at": at_ns,
            "ended_at_ns": at_ns,
            "end_reason": reason,
            "status": "running" if at_ns is None else "ended",
            "run_count": self.run_counts.get(session_id, 0),
            "event_count": self.event_counts.get(session_id, 0),
        }


def session_where(warehouse: Warehouse, filters: FilterValues) -> Where:
    """The conditions on the ``sessions`` table that ``filters`` (of :data:`SESSIONS`) asks for."""
    return filter_where(SESSIONS, filters, warehouse.database)


def list_sessions(
    warehouse: Warehouse, filters: FilterValues, *, limit: int, cursor: Cursor | None = None
) -> SessionPage:
    """Sessions matching ``filters``, newest first (ties by id), one page after ``cursor``."""
    ids, next_cursor = _page(warehouse, filters, limit, cursor)
    return SessionPage(items=_read_summaries(warehouse, ids), next_cursor=next_cursor)


def sessions_table(
    warehouse: Warehouse,
    filters: FilterValues,
    *,
    limit: int,
    cursor: Cursor | None = None,
    nesting: Nesting = "lists",
) -> TablePage:
    """The same page as :func:`list_sessions`, as an Arrow table: the sessions' own columns
    built by ClickHouse, their end and counts added as columns."""
    ids, next_cursor = _page(warehouse, filters, limit, cursor)
    own, facts = _read(
        warehouse, ids, lambda: warehouse.arrow(_own_sql(warehouse, nesting), {"ids": ids})
    )
    table = with_fields(
        own, ("session_id",), FACT_FIELDS, SessionSummary.__struct_fields__, facts.fields
    )
    return TablePage(table, next_cursor)


def get_session(warehouse: Warehouse, session_id: str, *, run_limit: int) -> SessionDetail:
    """One session with its newest ``run_limit`` runs and its totals.

    Plain reads (:mod:`.run_summaries` says why), in two lanes at once
    (:meth:`~benchtrail.projector.Warehouse.together`): the session's own row, then the
    point counts of each of its runs (their read needs its station; summed: the session's
    totals); and its end, its event count, its runs' ids and their ends (the outcomes are
    counted over all, the run count is theirs). Then the page's own rows and step counts,
    whose ends and point counts are those already read.

    Raises:
        NotFound: no ``session.started`` of that id is in the warehouse.
    """
    ids = [session_id]

    def own_and_points() -> tuple[list[Row], PointCounts | None]:
        own = warehouse.rows(_own_sql(warehouse, "native"), {"ids": ids})
        station = own[0]["station_id"] if own else None
        return own, None if station is None else points_by_run(warehouse, station, session_id)

    def the_rest() -> tuple[dict[str, tuple[int, str]], dict[str, int], list[str], RunEnds]:
        return (
            _ends(warehouse, ids),
            _event_counts(warehouse, ids),
            _session_run_ids(warehouse, session_id),
            run_ends(warehouse, "session_id = {session_id:String}", {"session_id": session_id}),
        )

    (own, points), (ends, events, run_ids, runs_ends) = warehouse.together(own_and_points, the_rest)
    if not own or points is None:
        raise NotFound("session", session_id)
    facts = SessionFacts(ends=ends, run_counts={session_id: len(run_ids)}, event_counts=events)
    (summary,) = _summaries(own, facts)
    page = RunIds(ids=run_ids[:run_limit], stations=[])
    runs = complete_rows(*read_rows(warehouse, page, points=points, ends=runs_ends))
    runs_by_outcome = dict.fromkeys(RUN_STATUSES, 0)
    for run_id in run_ids:
        end = runs_ends.get(run_id)
        outcome = "running" if end is None else end.outcome
        runs_by_outcome[outcome] = runs_by_outcome.get(outcome, 0) + 1
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


def _read_summaries(warehouse: Warehouse, ids: list[str]) -> list[SessionSummary]:
    if not ids:
        return []
    own, facts = _read(
        warehouse, ids, lambda: warehouse.rows(_own_sql(warehouse, "native"), {"ids": ids})
    )
    return _summaries(own, facts)


def _summaries(own: list[Row], facts: SessionFacts) -> list[SessionSummary]:
    return [
        msgspec.convert(
            with_times({**row, **facts.fields(row)}, "started_at", "ended_at"), SessionSummary
        )
        for row in own
    ]


def _own_sql(warehouse: Warehouse, nesting: Nesting) -> str:
    """The own columns of the sessions ``{ids}``, newest first (ties by id), each once."""
    return f"""
        SELECT {select_list(SESSION_OWN_COLUMNS, nesting)}
        FROM {warehouse.database}.sessions WHERE session_id IN {{ids:Array(String)}}
        ORDER BY sessions.started_at DESC, sessions.session_id DESC, event_id DESC
        LIMIT 1 BY sessions.session_id
    """


def _read(
    warehouse: Warehouse, ids: list[str], own: Callable[[], _Own]
) -> tuple[_Own, SessionFacts]:
    """``own`` (the sessions' own columns) and their facts, all read at once."""
    if not ids:  # an empty page: its columns, nothing to count
        return own(), SessionFacts(ends={}, run_counts={}, event_counts={})
    got = warehouse.together(
        own,
        lambda: _ends(warehouse, ids),
        lambda: _run_counts(warehouse, ids),
        lambda: _event_counts(warehouse, ids),
    )
    return got[0], SessionFacts(ends=got[1], run_counts=got[2], event_counts=got[3])


def _run_counts(warehouse: Warehouse, ids: list[str]) -> dict[str, int]:
    """How many runs each of the sessions ``ids`` has."""
    rows = warehouse.rows(
        f"""SELECT session_id, uniqExact(run_id) AS n FROM {warehouse.database}.runs
            WHERE session_id IN {{ids:Array(String)}} GROUP BY session_id""",
        {"ids": ids},
    )
    return {row["session_id"]: int(row["n"]) for row in rows}


def _ends(warehouse: Warehouse, ids: list[str]) -> dict[str, tuple[int, str]]:
    """The first end of each of the sessions ``ids``: its time and reason."""
    rows = warehouse.rows(
        f"""SELECT session_id, toUnixTimestamp64Nano(min(ended_at)) AS at_ns,
                   argMin(reason, ended_at) AS reason
            FROM {warehouse.database}.session_ends
            WHERE session_id IN {{ids:Array(String)}} GROUP BY session_id""",
        {"ids": ids},
    )
    return {row["session_id"]: (row["at_ns"], row["reason"]) for row in rows}


def _event_counts(warehouse: Warehouse, ids: list[str]) -> dict[str, int]:
    """How many events each of the sessions ``ids`` has, each seq once (from the bitmaps of
    :mod:`benchtrail.projector.session_seqs`, not from every event)."""
    rows = warehouse.rows(session_seqs.event_counts_sql(warehouse.database), {"ids": ids})
    return {row["session_id"]: int(row["n"]) for row in rows}


def _session_run_ids(warehouse: Warehouse, session_id: str) -> list[str]:
    """The ids of a session's runs, newest first (ties by id)."""
    rows = warehouse.rows(
        f"""
        SELECT run_id FROM {warehouse.database}.runs WHERE session_id = {{session_id:String}}
        ORDER BY started_at DESC, run_id DESC LIMIT 1 BY run_id
        """,
        {"session_id": session_id},
    )
    return [row["run_id"] for row in rows]
