"""SQL for every question the API answers: one function per question, taking a Warehouse.

Every statement names its tables as ``{warehouse.database}.<table> FINAL`` and
binds every value as a clickhouse-connect server-side parameter.
"""

from benchtrail.api.queries.events import EventSlice, session_events
from benchtrail.api.queries.runs import RunFilters, get_run, list_runs
from benchtrail.api.queries.sessions import SessionFilters, get_session, list_sessions
from benchtrail.api.queries.stations import list_stations, warehouse_health

__all__ = [
    "EventSlice",
    "RunFilters",
    "SessionFilters",
    "get_run",
    "get_session",
    "list_runs",
    "list_sessions",
    "list_stations",
    "session_events",
    "warehouse_health",
]
