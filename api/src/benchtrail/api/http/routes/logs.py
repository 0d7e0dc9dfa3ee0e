"""HTTP route of a run's log lines: ``GET /api/runs/{run_id}/logs``."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from benchtrail.api.http.list_filters import BAD_PARAMETER, NOT_FOUND, filters
from benchtrail.api.models.filters import LOGS, FilterValues
from benchtrail.api.models.logs import LogLine
from benchtrail.api.queries import logs as log_queries
from benchtrail.projector import Warehouse

MAX_LOG_LIMIT = 10_000
"""Most log lines one request returns."""


@get(
    "/api/runs/{run_id:str}/logs",
    sync_to_thread=True,
    tags=["runs"],
    responses={400: BAD_PARAMETER, 404: NOT_FOUND},
    dependencies=filters(LOGS),
)
def list_run_logs(
    warehouse: NamedDependency[Warehouse],
    run_id: FromPath[str],
    filters: NamedDependency[FilterValues],
    *,
    limit: Annotated[
        int,
        QueryParameter(
            ge=1, le=MAX_LOG_LIMIT, description=f"Most lines returned, 1 to {MAX_LOG_LIMIT}."
        ),
    ] = 1000,
) -> list[LogLine]:
    """A run's log lines in time order: the station's, and the test's it recorded.

    Adapters and the pytest plugin record the test's log records at or above their
    level (``WARNING`` unless configured), each at the time it was logged.
    """
    return log_queries.run_logs(warehouse, run_id, filters, limit=limit)


LOG_ROUTES = [list_run_logs]
"""The route handlers of log lines."""
