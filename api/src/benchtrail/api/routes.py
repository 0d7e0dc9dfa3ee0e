"""HTTP route handlers of the read API: one per question, each a thin shell over :mod:`queries`.

Handlers are synchronous and run in a worker thread (``sync_to_thread=True``):
the warehouse client blocks (chDB has no async client). The ``warehouse`` and
``status_provider`` arguments are dependencies provided by :func:`create_app`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, cast, get_args

from litestar import Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, FromQuery, QueryParameter

from benchtrail.api import queries
from benchtrail.api.errors import BadParameter, LocksUnavailable
from benchtrail.api.lockboard import LockBoard
from benchtrail.api.models import (
    RUN_STATUSES,
    ErrorBody,
    LockView,
    RunDetail,
    RunPage,
    SessionDetail,
    SessionPage,
    StationSummary,
)
from benchtrail.api.params import MAX_NS, check_choice, decode_cursor, parse_time
from benchtrail.api.queries import runs as run_queries
from benchtrail.api.queries import sessions as session_queries
from benchtrail.projector import Warehouse
from benchtrail.schemas import EVENT_TAGS, EventUnion, SessionType

StatusProvider = Callable[[], Mapping[str, object]]
"""Returns extra fields for ``/api/health`` (e.g. the projector's statistics)."""

MAX_LIMIT = 1000
"""Largest page the list endpoints return."""

_BAD = ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use.")
_MISSING = ResponseSpec(ErrorBody, description="No entity has that id.")
_UNAVAILABLE = ResponseSpec(ErrorBody, description="This API runs without a hub connection.")
_TIME_DOC = "ISO-8601 time (naive = UTC) or integer nanoseconds since the epoch"

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")
]
Since = Annotated[str | None, QueryParameter(description=f"Started at or after: {_TIME_DOC}.")]
Until = Annotated[str | None, QueryParameter(description=f"Started before: {_TIME_DOC}.")]
CursorParam = Annotated[
    str | None, QueryParameter(description="The `next_cursor` of the previous page.")
]


def _filter(value: str | None) -> str | None:
    """An empty filter (``?station_id=``) means no filter."""
    return value or None


def _time(name: str, value: str | None) -> int | None:
    return None if not value else parse_time(name, value)


@get("/api/health", sync_to_thread=True, tags=["service"])
def health(
    warehouse: NamedDependency[Warehouse],
    status_provider: NamedDependency[StatusProvider | None],
) -> dict[str, object]:
    """Service status: whether the warehouse answers, plus the hub's statistics if any."""
    warehouse_status = queries.warehouse_health(warehouse)
    extra = dict(status_provider()) if status_provider is not None else {}
    status = "ok" if warehouse_status.reachable else "degraded"
    return {**extra, "status": status, "warehouse": warehouse_status}


@get("/api/stations", sync_to_thread=True, tags=["stations"])
def list_stations(warehouse: NamedDependency[Warehouse]) -> list[StationSummary]:
    """Every station seen in a session, with its session counts and running sessions."""
    return queries.list_stations(warehouse)


@get("/api/sessions", sync_to_thread=True, tags=["sessions"], responses={400: _BAD})
def list_sessions(
    warehouse: NamedDependency[Warehouse],
    *,
    station_id: FromQuery[str | None] = None,
    session_type: Annotated[
        str | None, QueryParameter(description="One of " + ", ".join(get_args(SessionType)) + ".")
    ] = None,
    operator_id: FromQuery[str | None] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> SessionPage:
    """Sessions, newest first (ties broken by id), one page at a time."""
    filters = session_queries.SessionFilters(
        station_id=_filter(station_id),
        session_type=check_choice("session_type", _filter(session_type), get_args(SessionType)),
        operator_id=_filter(operator_id),
        since_ns=_time("since", since),
        until_ns=_time("until", until),
    )
    position = decode_cursor(session_queries.CURSOR_KIND, cursor) if cursor else None
    return queries.list_sessions(warehouse, filters, limit=limit, cursor=position)


@get(
    "/api/sessions/{session_id:str}",
    sync_to_thread=True,
    tags=["sessions"],
    responses={400: _BAD, 404: _MISSING},
)
def get_session(
    warehouse: NamedDependency[Warehouse],
    session_id: FromPath[str],
    *,
    run_limit: Annotated[
        int, QueryParameter(ge=0, le=10_000, description="Most runs listed (newest first).")
    ] = 1000,
) -> SessionDetail:
    """One session: its metadata, its runs and its totals."""
    return queries.get_session(warehouse, session_id, run_limit=run_limit)


@get(
    "/api/sessions/{session_id:str}/events",
    sync_to_thread=True,
    tags=["sessions"],
    responses={400: _BAD, 404: _MISSING},
    response_headers=[
        ResponseHeader(
            name="X-Next-After-Seq",
            documentation_only=True,
            required=False,
            description="Present when more events follow: pass it as `after_seq`.",
        )
    ],
)
def list_session_events(
    warehouse: NamedDependency[Warehouse],
    session_id: FromPath[str],
    *,
    event_type: Annotated[
        str | None,
        QueryParameter(
            description="Only events of this type.",
            examples=[Example(value="run.started")],
        ),
    ] = None,
    after_seq: Annotated[
        int, QueryParameter(ge=0, le=MAX_NS, description="Only events with a greater `seq`.")
    ] = 0,
    limit: Limit = 100,
) -> Response[list[EventUnion]]:
    """The session's events in `seq` order, each exactly as the station sent it."""
    event_slice = queries.session_events(
        warehouse,
        session_id,
        event_type=check_choice("event_type", _filter(event_type), EVENT_TAGS),
        after_seq=after_seq,
        limit=limit,
    )
    headers = {}
    if event_slice.next_after_seq is not None:
        headers["X-Next-After-Seq"] = str(event_slice.next_after_seq)
    # The stored JSON is spliced, not re-encoded: Litestar sends bytes content as is.
    body = cast("list[EventUnion]", event_slice.json_array())
    return Response(body, media_type="application/json", headers=headers)


@get("/api/runs", sync_to_thread=True, tags=["runs"], responses={400: _BAD})
def list_runs(
    warehouse: NamedDependency[Warehouse],
    *,
    dut_serial: FromQuery[str | None] = None,
    part_number: FromQuery[str | None] = None,
    outcome: Annotated[
        str | None, QueryParameter(description="One of " + ", ".join(RUN_STATUSES) + ".")
    ] = None,
    station_id: FromQuery[str | None] = None,
    session_id: FromQuery[str | None] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> RunPage:
    """Runs, newest first (ties broken by id), one page at a time."""
    filters = run_queries.RunFilters(
        dut_serial=_filter(dut_serial),
        part_number=_filter(part_number),
        outcome=check_choice("outcome", _filter(outcome), RUN_STATUSES),
        station_id=_filter(station_id),
        session_id=_filter(session_id),
        since_ns=_time("since", since),
        until_ns=_time("until", until),
    )
    position = decode_cursor(run_queries.CURSOR_KIND, cursor) if cursor else None
    return queries.list_runs(warehouse, filters, limit=limit, cursor=position)


@get(
    "/api/runs/{run_id:str}",
    sync_to_thread=True,
    tags=["runs"],
    responses={400: _BAD, 404: _MISSING},
)
def get_run(
    warehouse: NamedDependency[Warehouse],
    run_id: FromPath[str],
    *,
    measurement_limit: Annotated[
        int,
        QueryParameter(ge=0, le=100_000, description="Most measurements returned, in time order."),
    ] = 10_000,
) -> RunDetail:
    """One run: its metadata, verdict, steps and measurements."""
    return queries.get_run(warehouse, run_id, measurement_limit=measurement_limit)


ROUTES = [
    health,
    list_stations,
    list_sessions,
    get_session,
    list_session_events,
    list_runs,
    get_run,
]
"""Every route handler of the read API."""


def _board(lock_board: LockBoard | None) -> LockBoard:
    if lock_board is None:
        raise LocksUnavailable()
    return lock_board


@get("/api/locks", tags=["locks"], responses={503: _UNAVAILABLE})
async def list_locks(lock_board: NamedDependency[LockBoard | None]) -> list[LockView]:
    """Who holds which instrument now: key, resource, station, session, host, pid, since."""
    return await _board(lock_board).list()


@post(
    "/api/locks/{key:str}/release",
    tags=["locks"],
    status_code=200,
    responses={400: _BAD, 404: _MISSING, 503: _UNAVAILABLE},
)
async def release_lock(
    lock_board: NamedDependency[LockBoard | None],
    key: FromPath[str],
    *,
    force: Annotated[bool, QueryParameter(description="Must be true: this breaks a lock.")] = False,
    by: Annotated[str, QueryParameter(description="Who breaks it (recorded).")] = "",
) -> LockView:
    """Break a lock whoever holds it; recorded as ``lock.released`` with ``broken_by``."""
    if not force:
        raise BadParameter("force", force, "true: releasing another holder's lock breaks it")
    if not by.strip():
        raise BadParameter("by", by, "the name of who breaks the lock")
    return await _board(lock_board).force_release(key, by.strip())


LOCK_ROUTES = [list_locks, release_lock]
