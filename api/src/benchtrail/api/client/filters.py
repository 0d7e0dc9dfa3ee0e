"""The filters the Python client's list methods take, as typed keyword arguments.

The filters are declared in :mod:`benchtrail.api.models.filters`; :func:`query_of`
checks the keywords against that declaration at run time. Each ``*Query``
TypedDict types the same keywords for users' type checkers (a test fails
naming any filter a TypedDict and its declaration disagree on); ``None`` (or
leaving one out) means any. Times (``since``/``until``) are a :data:`TimeBound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

from benchtrail.api.client.base import QueryValue
from benchtrail.api.errors import ArgumentTypeError
from benchtrail.api.models import filters
from benchtrail.api.models.filters import FilterSet
from benchtrail.api.timestamps import datetime_to_ns

TimeBound = datetime | int | str
"""A ``since``/``until`` bound: a datetime (naive = UTC), ns since the epoch, or ISO text."""


class StationQuery(TypedDict, total=False):
    """Filters of :meth:`EventStore.stations`: type and location of the latest session,
    and ``since``/``until`` to keep the stations seen in that range."""

    station_type: str | None
    station_location: str | None
    since: TimeBound | None
    until: TimeBound | None


class SessionQuery(TypedDict, total=False):
    """Filters of :meth:`EventStore.sessions`; ``git_commit`` matches by prefix,
    ``project_name`` and ``dut_serial`` keep the sessions with such a run."""

    station_id: str | None
    session_type: str | None
    operator_id: str | None
    git_commit: str | None
    project_name: str | None
    dut_serial: str | None
    since: TimeBound | None
    until: TimeBound | None


class RunQuery(TypedDict, total=False):
    """Filters of :meth:`EventStore.runs`; ``outcome`` may be ``running``,
    ``git_commit`` matches by prefix, ``operator_id`` the runs of that operator's sessions."""

    station_id: str | None
    session_id: str | None
    operator_id: str | None
    dut_serial: str | None
    part_number: str | None
    lot_number: str | None
    product_id: str | None
    product_name: str | None
    test_phase: str | None
    project_name: str | None
    git_commit: str | None
    outcome: str | None
    since: TimeBound | None
    until: TimeBound | None


class MeasurementQuery(TypedDict, total=False):
    """Filters of :meth:`EventStore.measurements`: where and when a point was taken,
    its verdict (``passed``, ``failed``, ``unset``), and the run it belongs to."""

    station_id: str | None
    name: str | None
    run_id: str | None
    session_id: str | None
    outcome: str | None
    dut_serial: str | None
    part_number: str | None
    lot_number: str | None
    product_id: str | None
    test_phase: str | None
    project_name: str | None
    since: TimeBound | None
    until: TimeBound | None


class EventQuery(TypedDict, total=False):
    """Filters of :meth:`EventStore.events`: one event type, one run, a time range."""

    event_type: str | None
    run_id: str | None
    since: TimeBound | None
    until: TimeBound | None


class DutQuery(TypedDict, total=False):
    """Filters of :meth:`EventStore.dut` (attempts are counted over every run regardless)."""

    station_id: str | None
    test_phase: str | None
    since: TimeBound | None
    until: TimeBound | None


class LogQuery(TypedDict, total=False):
    """Filters of :meth:`EventStore.logs`: one level (``warning``…), one logger, a time range."""

    level: str | None
    logger: str | None
    since: TimeBound | None
    until: TimeBound | None


QUERY_TYPES: Mapping[str, type[Mapping[str, object]]] = {
    "stations": StationQuery,
    "sessions": SessionQuery,
    "runs": RunQuery,
    "measurements": MeasurementQuery,
    "events": EventQuery,
    "duts": DutQuery,
    "logs": LogQuery,
}
"""The TypedDict that types the keywords of each list (by :attr:`FilterSet.list_name`)."""

EXPORT_FILTERS: Mapping[str, FilterSet] = {
    "runs": filters.RUNS,
    "sessions": filters.SESSIONS,
    "measurements": filters.MEASUREMENTS,
}
"""The filters each export takes (those of its list endpoint)."""


def query_of(given: Mapping[str, object], declared: FilterSet) -> dict[str, QueryValue]:
    """The query parameters of the ``given`` filters: times in ns, ``None`` left out.

    Raises:
        TypeError: a filter that ``declared`` (the list's filters) does not have.
    """
    names = declared.names
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise TypeError(f"unknown filter(s) {unknown!r}; known: {sorted(names)!r}")
    return query_values(given)


def query_values(given: Mapping[str, object]) -> dict[str, QueryValue]:
    """The query parameters of ``given``: datetimes in ns, ``None`` left out.

    Raises:
        ArgumentTypeError: a value that is not a str, int, datetime or ``None``
            (``station_id=...`` would otherwise match everything).
    """
    query: dict[str, QueryValue] = {}
    for name, value in given.items():
        if isinstance(value, datetime):
            query[name] = datetime_to_ns(value)
        elif isinstance(value, str | int):
            query[name] = value
        elif value is not None:
            raise ArgumentTypeError(name, value, "a str, an int, a datetime or None")
    return query
