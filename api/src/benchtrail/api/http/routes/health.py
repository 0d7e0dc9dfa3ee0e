"""``GET /api/health/ingest`` and ``GET /api/health/checksums``: is everything in the warehouse?

Both answer with or without a hub: the warehouse's part (seq gaps, checksums) always,
the hub's part (stream, consumer lag, dead letters) when the API runs in the hub,
else ``null`` with the reason in ``unavailable``. The handlers are async and ask the
warehouse from a worker thread (its client blocks).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from benchtrail.api.http.list_filters import BAD_PARAMETER
from benchtrail.api.http.query_params import parse_time
from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.hub.ingest_status import (
    NEWEST_DEAD_LETTERS,
    ingest_health,
    live_checksums,
    read_hub,
)
from benchtrail.api.models.ingest import IngestHealth, WarehouseChecksums
from benchtrail.api.queries import ingest as ingest_queries
from benchtrail.projector import Warehouse

GapsSince = Annotated[
    str | None,
    QueryParameter(
        description="Check sessions with an event on or after this UTC day (ISO-8601 or ns;"
        f" default {ingest_queries.DEFAULT_DAYS} days ago)."
    ),
]
SessionLimit = Annotated[
    int, QueryParameter(ge=1, le=1000, description="Most sessions with gaps listed.")
]
RangeLimit = Annotated[
    int, QueryParameter(ge=1, le=1000, description="Most missing ranges listed per session.")
]


@get("/api/health/ingest", tags=["service"], responses={400: BAD_PARAMETER})
async def get_ingest_health(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    since: GapsSince = None,
    sessions: SessionLimit = 50,
    ranges: RangeLimit = 20,
) -> IngestHealth:
    """Stream, consumer lag, last ingest, dead letters and per-session seq gaps."""
    start = ingest_queries.window_start(parse_time("since", since) if since else None)
    gaps = await asyncio.to_thread(
        ingest_queries.seq_gaps, warehouse, start, session_limit=sessions, range_limit=ranges
    )
    hub = await read_hub(hub_link, NEWEST_DEAD_LETTERS)
    return ingest_health(hub, gaps)


@get("/api/health/checksums", tags=["service"])
async def get_checksums(
    warehouse: NamedDependency[Warehouse], hub_link: NamedDependency[HubLink | None]
) -> WarehouseChecksums:
    """Rows and content checksum of every table, and the stream position they hold."""
    return await live_checksums(warehouse, hub_link)


HEALTH_ROUTES = [get_ingest_health, get_checksums]
"""The route handlers of ingest health."""
