"""HTTP route handlers of the read API: one per question, each a thin shell over :mod:`queries`.

Handlers are synchronous and run in a worker thread (``sync_to_thread=True``):
the warehouse client blocks (chDB has no async client). The ``warehouse`` and
``status_provider`` arguments are dependencies provided by :func:`create_app`;
``filters`` (made from :mod:`benchtrail.api.models.filters`) and ``output`` come from
:mod:`benchtrail.api.http.list_filters`; :mod:`benchtrail.api.http.pages` answers the pages.

The list endpoints answer JSON, CSV, Parquet or Arrow IPC (:mod:`benchtrail.api.http.responses`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Annotated, Any, cast

from litestar import Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from benchtrail.api import queries
from benchtrail.api.http.list_filters import (
    BAD_PARAMETER,
    MAX_LIMIT,
    NOT_FOUND,
    PAGE_HEADERS,
    CursorParam,
    Limit,
    filters,
)
from benchtrail.api.http.pages import RUN_LIST, SESSION_LIST, answer, tabular
from benchtrail.api.http.responses import OutputFormat, TabularOperation, page_headers
from benchtrail.api.http.routes.export import EXPORT_ROUTES
from benchtrail.api.http.routes.logs import LOG_ROUTES
from benchtrail.api.http.routes.measurement_tables import MEASUREMENT_TABLE_ROUTES
from benchtrail.api.http.routes.measurements import MEASUREMENT_ROUTES
from benchtrail.api.models.access import Identity
from benchtrail.api.models.entities import (
    RunDetail,
    RunPage,
    SessionDetail,
    SessionPage,
    StationSummary,
    WarehouseHealth,
)
from benchtrail.api.models.filters import EVENTS, RUNS, SESSIONS, STATIONS, FilterValues
from benchtrail.api.queries import events as event_queries
from benchtrail.api.queries import stations as station_queries
from benchtrail.api.timestamps import MAX_NS
from benchtrail.projector import Warehouse
from benchtrail.schemas import EventUnion

StatusProvider = Callable[[], Mapping[str, object]]
"""Returns extra fields for ``/api/health`` (e.g. the projector's statistics); its
``reasons`` (a list of sentences, empty if all is well) make the status ``degraded``."""

__all__ = [
    "MAX_LIMIT",
    "ROUTES",
    "CursorParam",
    "Limit",
    "StatusProvider",
]

_BAD = BAD_PARAMETER
_MISSING = NOT_FOUND
_PAGE_HEADERS = PAGE_HEADERS
Req = Request[Any, Any, Any]


@get("/api/health", tags=["service"], security=[{}])
async def health(
    warehouse: NamedDependency[Warehouse],
    status_provider: NamedDependency[StatusProvider | None],
    identity: NamedDependency[Identity | None],
) -> dict[str, object]:
    """Service status: ``ok``, or ``degraded`` with ``reasons``; the hub's statistics if any.

    ``degraded`` while the warehouse does not answer, a stream or the lock bucket is
    missing on the hub, the projector's writes keep failing, or ingestion lags past
    its bound. Open to anyone for liveness probes; a caller without a token (on an API
    with tokens) learns only ``status``. In a hub the answer comes from what the hub's
    own checks found (every 2 s), so it never waits for a query: busy reads cannot
    make a probe time out.
    """
    extra = dict(status_provider()) if status_provider is not None else {}
    checked = extra.pop("warehouse", None)
    warehouse_status = (
        checked
        if isinstance(checked, WarehouseHealth)
        else await asyncio.to_thread(queries.warehouse_health, warehouse)
    )
    hub_reasons = extra.pop("reasons", [])
    reasons = [] if warehouse_status.reachable else ["the warehouse does not answer"]
    reasons += [str(reason) for reason in hub_reasons] if isinstance(hub_reasons, list) else []
    status = "degraded" if reasons else "ok"
    if identity is None:
        return {"status": status}
    return {**extra, "status": status, "reasons": reasons, "warehouse": warehouse_status}


@get(
    "/api/stations",
    sync_to_thread=True,
    tags=["stations"],
    responses={400: _BAD},
    dependencies=filters(STATIONS),
    operation_class=TabularOperation,
)
def list_stations(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    filters: NamedDependency[FilterValues],
    output: NamedDependency[OutputFormat],
) -> Response[list[StationSummary]]:
    """Every station seen in a session, with its session counts and running sessions."""
    return answer(
        request,
        output,
        lambda: queries.list_stations(warehouse, filters),
        lambda nesting: station_queries.stations_table(warehouse, filters, nesting),
    )


@get(
    "/api/sessions",
    sync_to_thread=True,
    tags=["sessions"],
    responses={400: _BAD},
    dependencies=filters(SESSIONS),
    response_headers=_PAGE_HEADERS,
    operation_class=TabularOperation,
)
def list_sessions(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    filters: NamedDependency[FilterValues],
    output: NamedDependency[OutputFormat],
    *,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response[SessionPage]:
    """Sessions, newest first (ties broken by id), one page at a time."""
    return SESSION_LIST.answer(warehouse, request, filters, output, limit=limit, cursor=cursor)


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
    dependencies=filters(EVENTS),
    operation_class=TabularOperation,
    response_headers=[
        ResponseHeader(
            name="X-Next-After-Seq",
            documentation_only=True,
            required=False,
            description="Present when more events follow: pass it as `after_seq`.",
        ),
        *_PAGE_HEADERS,
    ],
)
def list_session_events(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    session_id: FromPath[str],
    filters: NamedDependency[FilterValues],
    output: NamedDependency[OutputFormat],
    *,
    after_seq: Annotated[
        int, QueryParameter(ge=0, le=MAX_NS, description="Only events with a greater `seq`.")
    ] = 0,
    limit: Limit = 100,
) -> Response[list[EventUnion]]:
    """The session's events in `seq` order, each exactly as the station sent it.

    In the tabular formats, one row per event: its envelope and ``payload``,
    the event as JSON text.
    """
    if output == "json":
        found = queries.session_events(
            warehouse, session_id, filters, after_seq=after_seq, limit=limit
        )
        # The stored JSON is spliced, not re-encoded: Litestar sends bytes content as is.
        body = cast("list[EventUnion]", found.json_array())
        headers = _after_seq_headers(request, found.next_after_seq)
        return Response(body, media_type="application/json", headers=headers)
    table = event_queries.session_events_table(
        warehouse, session_id, filters, after_seq=after_seq, limit=limit
    )
    response = tabular(request, table.table, output)
    response.headers.update(_after_seq_headers(request, table.next_after_seq))
    return response


def _after_seq_headers(request: Req, next_after_seq: int | None) -> dict[str, str]:
    if next_after_seq is None:
        return {}
    headers = page_headers(request, str(next_after_seq), "after_seq")
    return {"X-Next-After-Seq": str(next_after_seq), **headers}


@get(
    "/api/runs",
    sync_to_thread=True,
    tags=["runs"],
    responses={400: _BAD},
    dependencies=filters(RUNS),
    response_headers=_PAGE_HEADERS,
    operation_class=TabularOperation,
)
def list_runs(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    filters: NamedDependency[FilterValues],
    output: NamedDependency[OutputFormat],
    *,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response[RunPage]:
    """Runs, newest first (ties broken by id), one page at a time."""
    return RUN_LIST.answer(warehouse, request, filters, output, limit=limit, cursor=cursor)


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
    *MEASUREMENT_ROUTES,
    *EXPORT_ROUTES,
    *MEASUREMENT_TABLE_ROUTES,
    *LOG_ROUTES,
]
"""Every route handler of the read API."""
