"""Every filter of every list endpoint, declared once.

A :class:`Filter` says how a list can be narrowed: its ``name`` (the HTTP query
parameter and the Python client's keyword), how it matches (:data:`Match`), the
warehouse column it compares (optionally in another table, through a
:class:`Join`), its documentation, its CLI flag and its allowed values. A
:class:`FilterSet` holds the filters of one list. Everything else is derived:

- the HTTP query parameters and their parsing:
  :func:`benchtrail.api.http.list_filters.filter_dependency`;
- the SQL ``WHERE`` (bound parameters only): :func:`benchtrail.api.queries._sql.filter_where`;
- the Python client's keywords: :func:`benchtrail.api.client.filters.query_of` checks
  them at run time; the ``*Query`` TypedDicts that type them for users are
  compared with these declarations by a test that names any difference;
- the CLI options: :func:`benchtrail.api.cli.read.filter_options`.

Adding a filter is one line in its list's :class:`FilterSet` below (plus its
keyword in the client's TypedDict, which the test asks for by name), and a test
in ``tests/api/test_filters_http.py`` that it keeps the right rows.

This module is pure data: the client and the CLI import it, so it imports
neither Litestar nor the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

from benchtrail.api.models.entities import RUN_STATUSES
from benchtrail.schemas import EVENT_TAGS, LogLevel, SessionType

Match = Literal["equals", "prefix", "since", "until", "outcome"]
"""How a filter compares its column with the value given.

``equals``: the column is the value. ``prefix``: the column starts with it (a
short git hash finds the full one). ``since``: the time column is at or after
it. ``until``: the time column is before it. ``outcome``: a run's outcome, in
the table of run ends (:data:`STILL_RUNNING` keeps the runs without an end yet).
"""

FilterValues = Mapping[str, str | int]
"""The filters given to a list, parsed: filter name to text, or to ns for a time."""

STILL_RUNNING = "running"
"""The ``outcome`` that keeps the runs without an end yet."""

MEASUREMENT_OUTCOMES = ("passed", "failed", "unset")
"""Values of the ``outcome`` filter of the measurements lists."""

TIME_DOC = "ISO-8601 time (naive = UTC) or integer nanoseconds since the epoch"
"""How a time filter is written (the CLI adds ``30m``/``2h``/``7d`` ago)."""


@dataclass(frozen=True)
class Join:
    """Rows whose ``key`` is among the keys of the matching rows of another ``table``.

    Filters of one list with the same join match the same joined row (they are
    AND-ed inside one ``key IN (SELECT key FROM table WHERE ...)``).
    """

    key: str
    table: str
    final: bool = False

    def select(self, database: str) -> str:
        """``SELECT key FROM database.table``, with ``FINAL`` when declared."""
        final = " FINAL" if self.final else ""
        return f"SELECT {self.key} FROM {database}.{self.table}{final}"


@dataclass(frozen=True)
class Filter:
    """One filter of a list: what it is called, how and where it matches, its docs."""

    name: str
    doc: str
    column: str
    match: Match = "equals"
    flag: str = ""
    choices: tuple[str, ...] = ()
    join: Join | None = None

    @property
    def option(self) -> str:
        """The CLI flag (``--`` and the name with dashes unless declared)."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def is_time(self) -> bool:
        """Whether the value is a time (ISO-8601 or ns), sent as ns."""
        return self.match in ("since", "until")

    @property
    def description(self) -> str:
        """The documentation of the HTTP parameter: the doc, and the allowed values."""
        if self.choices:
            return f"{self.doc} One of: {', '.join(self.choices)}."
        if self.is_time:
            return f"{self.doc}: {TIME_DOC}."
        return self.doc

    def through(self, join: Join) -> Filter:
        """The same filter matched in ``join``'s table."""
        return replace(self, join=join)


@dataclass(frozen=True)
class FilterSet:
    """The filters of one list, in the order they are documented."""

    list_name: str
    filters: tuple[Filter, ...]

    def __post_init__(self) -> None:
        for attribute in ("name", "option"):
            values = [getattr(f, attribute) for f in self.filters]
            doubles = sorted({v for v in values if values.count(v) > 1})
            if doubles:
                raise ValueError(f"{self.list_name}: {attribute} declared twice: {doubles!r}")

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the filters (HTTP parameters and client keywords)."""
        return tuple(f.name for f in self.filters)

    def __getitem__(self, name: str) -> Filter:
        """The filter called ``name``."""
        for found in self.filters:
            if found.name == name:
                return found
        raise KeyError(name)

    def through(self, join: Join, *names: str) -> tuple[Filter, ...]:
        """The filters called ``names``, matched in ``join``'s table."""
        return tuple(self[name].through(join) for name in names)


def _started(noun: str) -> tuple[Filter, Filter]:
    return (
        Filter("since", f"{noun} at or after", "started_at", "since"),
        Filter("until", f"{noun} before", "started_at", "until"),
    )


STATIONS = FilterSet(
    "stations",
    (
        Filter("station_type", "Only stations of this type.", "station_type", flag="--type"),
        Filter(
            "station_location",
            "Only stations at this location.",
            "station_location",
            flag="--location",
        ),
        Filter("since", "Seen at or after", "last_seen", "since"),
        Filter("until", "First seen before", "first_seen", "until"),
    ),
)
"""Filters of ``/api/stations``: type and location of the station's latest session."""

_SESSIONS_OF = Join("session_id", "sessions")
_RUNS_OF_SESSION = Join("session_id", "runs")

RUNS = FilterSet(
    "runs",
    (
        Filter("station_id", "Only this station id.", "station_id", flag="--station"),
        Filter("session_id", "Only this session id.", "session_id", flag="--session"),
        Filter(
            "operator_id",
            "Only runs of this operator's sessions.",
            "operator_id",
            flag="--operator",
            join=_SESSIONS_OF,
        ),
        Filter("dut_serial", "Only this DUT serial number.", "dut_serial", flag="--dut"),
        Filter("part_number", "Only this DUT part number.", "dut_part_number", flag="--part"),
        Filter("lot_number", "Only this DUT lot number.", "dut_lot_number", flag="--lot"),
        Filter("product_id", "Only this product id.", "product_id", flag="--product"),
        Filter("product_name", "Only this product name.", "product_name"),
        Filter(
            "test_phase",
            "Only this test phase (e.g. ict, functional, final).",
            "test_phase",
            flag="--phase",
        ),
        Filter("project_name", "Only this project name.", "project_name", flag="--project"),
        Filter(
            "git_commit",
            "Only git commits starting with this (a short hash).",
            "git_commit",
            "prefix",
            flag="--commit",
        ),
        Filter(
            "outcome",
            "Only runs with this outcome (running: not ended yet).",
            "outcome",
            "outcome",
            choices=RUN_STATUSES,
            join=Join("run_id", "run_ends", final=True),
        ),
        *_started("Started"),
    ),
)
"""Filters of ``/api/runs`` and ``/api/export/runs``."""

SESSIONS = FilterSet(
    "sessions",
    (
        RUNS["station_id"],
        Filter(
            "session_type",
            "Only sessions of this type.",
            "session_type",
            flag="--type",
            choices=get_args(SessionType),
        ),
        Filter("operator_id", "Only this operator id.", "operator_id", flag="--operator"),
        RUNS["git_commit"],
        Filter(
            "project_name",
            "Only sessions with a run of this project.",
            "project_name",
            flag="--project",
            join=_RUNS_OF_SESSION,
        ),
        Filter(
            "dut_serial",
            "Only sessions with a run of this DUT.",
            "dut_serial",
            flag="--dut",
            join=_RUNS_OF_SESSION,
        ),
        *_started("Started"),
    ),
)
"""Filters of ``/api/sessions`` and ``/api/export/sessions``."""

MEASUREMENTS = FilterSet(
    "measurements",
    (
        RUNS["station_id"],
        Filter("name", "Only this measurement name.", "name", flag="--name"),
        Filter("run_id", "Only this run id.", "run_id", flag="--run"),
        RUNS["session_id"],
        Filter(
            "outcome",
            "Only points with this verdict.",
            "outcome",
            flag="--outcome",
            choices=MEASUREMENT_OUTCOMES,
        ),
        *RUNS.through(
            Join("run_id", "runs", final=True),
            "dut_serial",
            "part_number",
            "lot_number",
            "product_id",
            "test_phase",
            "project_name",
        ),
        Filter("since", "Measured at or after", "ts", "since"),
        Filter("until", "Measured before", "ts", "until"),
    ),
)
"""Filters of ``/api/measurements`` and ``/api/export/measurements``."""

EVENTS = FilterSet(
    "events",
    (
        Filter(
            "event_type",
            "Only events of this type.",
            "type",
            flag="--type",
            choices=tuple(sorted(EVENT_TAGS)),
        ),
        Filter("run_id", "Only this run id.", "run_id", flag="--run"),
        Filter("since", "Occurred at or after", "occurred_at", "since"),
        Filter("until", "Occurred before", "occurred_at", "until"),
    ),
)
"""Filters of a session's events (``/api/sessions/{id}/events``)."""

DUTS = FilterSet(
    "duts",
    (RUNS["station_id"], RUNS["test_phase"], *_started("Started")),
)
"""Filters of a DUT's history (its attempts are counted over every run regardless)."""

LOGS = FilterSet(
    "logs",
    (
        Filter("level", "Only log lines of this level.", "level", choices=get_args(LogLevel)),
        Filter("logger", "Only this logger's lines.", "logger"),
        Filter("since", "Logged at or after", "at", "since"),
        Filter("until", "Logged before", "at", "until"),
    ),
)
"""Filters of a run's log lines (``/api/runs/{id}/logs``)."""

FILTER_SETS: Mapping[str, FilterSet] = {
    declared.list_name: declared
    for declared in (STATIONS, SESSIONS, RUNS, MEASUREMENTS, EVENTS, DUTS, LOGS)
}
"""Every list's filters, by list name."""
