"""SQL for every question the API answers: one function per question, taking a Warehouse.

Every statement names its tables as ``{warehouse.database}.<table>``, reads them with
``FINAL`` or collapses replayed copies itself (run, DUT and session reads: ``LIMIT 1 BY``,
``uniqExact``, ``min``/``argMin``), and binds every value as a clickhouse-connect
server-side parameter.
"""

from benchtrail.api.queries.duts import dut_history, dut_table
from benchtrail.api.queries.events import (
    EventSlice,
    session_events,
    session_events_table,
)
from benchtrail.api.queries.measurements import (
    list_measurements,
    measurements_table,
)
from benchtrail.api.queries.runs import get_run, list_runs, runs_table
from benchtrail.api.queries.series import SeriesFilters
from benchtrail.api.queries.sessions import (
    get_session,
    list_sessions,
    session_operator,
    sessions_table,
)
from benchtrail.api.queries.stations import (
    list_stations,
    stations_table,
    warehouse_health,
)

__all__ = [
    "EventSlice",
    "SeriesFilters",
    "dut_history",
    "dut_table",
    "get_run",
    "get_session",
    "list_measurements",
    "list_runs",
    "list_sessions",
    "list_stations",
    "measurements_table",
    "runs_table",
    "session_events",
    "session_events_table",
    "session_operator",
    "sessions_table",
    "stations_table",
    "warehouse_health",
]
