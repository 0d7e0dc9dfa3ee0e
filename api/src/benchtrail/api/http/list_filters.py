"""Query parameters shared by the list endpoints, as Litestar dependencies.

Each ``provide_*`` function declares a group of query parameters (documented in
the OpenAPI schema like a handler's own) and returns them checked and parsed:
a filter Struct of :mod:`benchtrail.api.queries`, or the output format. An empty
filter (``?station_id=``) means no filter; a bad value raises
:class:`~benchtrail.api.errors.BadParameter` naming the parameter (HTTP 400).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args

from litestar import Request
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from benchtrail.api.http.query_params import check_choice, parse_time
from benchtrail.api.http.responses import FORMAT_DOC, OutputFormat, choose_format
from benchtrail.api.models.entities import RUN_STATUSES, ErrorBody
from benchtrail.api.queries.duts import DutFilters
from benchtrail.api.queries.events import EventFilters
from benchtrail.api.queries.measurements import MeasurementFilters
from benchtrail.api.queries.runs import RunFilters
from benchtrail.api.queries.sessions import SessionFilters
from benchtrail.api.queries.stations import StationFilters
from benchtrail.schemas import EVENT_TAGS, SessionType

MEASUREMENT_OUTCOMES = ("passed", "failed", "unset")
"""Values of the ``outcome`` filter of ``/api/measurements``."""

_TIME = "ISO-8601 time (naive = UTC) or integer nanoseconds since the epoch"


MAX_LIMIT = 1000
"""Largest page the list endpoints return."""

BAD_PARAMETER = ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use.")
NOT_FOUND = ResponseSpec(ErrorBody, description="No entity has that id.")

PAGE_HEADERS = [
    ResponseHeader(
        name="X-Next-Cursor",
        documentation_only=True,
        required=False,
        description="Present when more rows follow: pass it as `cursor`.",
    ),
    ResponseHeader(
        name="Link",
        documentation_only=True,
        required=False,
        description='Present when more rows follow: `<url of the next page>; rel="next"`.',
    ),
]
"""The headers of a page that is not the last, for the OpenAPI document."""

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")
]
CursorParam = Annotated[
    str | None, QueryParameter(description="The `next_cursor` of the previous page.")
]


def _text(description: str) -> QueryParameter:
    return QueryParameter(description=description)


StationId = Annotated[str | None, _text("Only this station id.")]
SessionId = Annotated[str | None, _text("Only this session id.")]
RunId = Annotated[str | None, _text("Only this run id.")]
OperatorId = Annotated[str | None, _text("Only sessions of this operator id.")]
DutSerial = Annotated[str | None, _text("Only this DUT serial number.")]
PartNumber = Annotated[str | None, _text("Only this DUT part number.")]
LotNumber = Annotated[str | None, _text("Only this DUT lot number.")]
ProductId = Annotated[str | None, _text("Only this product id.")]
ProductName = Annotated[str | None, _text("Only this product name.")]
TestPhase = Annotated[str | None, _text("Only this test phase (e.g. ict, functional, final).")]
ProjectName = Annotated[str | None, _text("Only this project name.")]
GitCommit = Annotated[str | None, _text("Only git commits starting with this (a short hash).")]
StartedSince = Annotated[str | None, _text(f"Started at or after: {_TIME}.")]
StartedUntil = Annotated[str | None, _text(f"Started before: {_TIME}.")]
RunOutcome = Annotated[str | None, _text("One of " + ", ".join(RUN_STATUSES) + ".")]


def provide_output_format(
    request: Request[Any, Any, Any],
    format: Annotated[OutputFormat | None, QueryParameter(description=FORMAT_DOC)] = None,
) -> OutputFormat:
    """The format of the answer: ``format``, else the ``Accept`` header, else JSON."""
    return choose_format(format, request.headers.get("accept", ""))


def provide_run_filters(
    *,
    station_id: StationId = None,
    session_id: SessionId = None,
    operator_id: OperatorId = None,
    dut_serial: DutSerial = None,
    part_number: PartNumber = None,
    lot_number: LotNumber = None,
    product_id: ProductId = None,
    product_name: ProductName = None,
    test_phase: TestPhase = None,
    project_name: ProjectName = None,
    git_commit: GitCommit = None,
    outcome: RunOutcome = None,
    since: StartedSince = None,
    until: StartedUntil = None,
) -> RunFilters:
    """Filters of the runs lists (``/api/runs``, ``/api/export/runs``)."""
    return RunFilters(
        station_id=station_id or None,
        session_id=session_id or None,
        operator_id=operator_id or None,
        dut_serial=dut_serial or None,
        part_number=part_number or None,
        lot_number=lot_number or None,
        product_id=product_id or None,
        product_name=product_name or None,
        test_phase=test_phase or None,
        project_name=project_name or None,
        git_commit=git_commit or None,
        outcome=check_choice("outcome", outcome or None, RUN_STATUSES),
        since_ns=time_bound("since", since),
        until_ns=time_bound("until", until),
    )


def provide_session_filters(
    *,
    station_id: StationId = None,
    session_type: Annotated[
        str | None, _text("One of " + ", ".join(get_args(SessionType)) + ".")
    ] = None,
    operator_id: Annotated[str | None, _text("Only this operator id.")] = None,
    git_commit: GitCommit = None,
    project_name: Annotated[str | None, _text("Only sessions with a run of this project.")] = None,
    dut_serial: Annotated[str | None, _text("Only sessions with a run of this DUT.")] = None,
    since: StartedSince = None,
    until: StartedUntil = None,
) -> SessionFilters:
    """Filters of the sessions lists (``/api/sessions``, ``/api/export/sessions``)."""
    return SessionFilters(
        station_id=station_id or None,
        session_type=check_choice("session_type", session_type or None, get_args(SessionType)),
        operator_id=operator_id or None,
        git_commit=git_commit or None,
        project_name=project_name or None,
        dut_serial=dut_serial or None,
        since_ns=time_bound("since", since),
        until_ns=time_bound("until", until),
    )


def provide_measurement_filters(
    *,
    station_id: StationId = None,
    name: Annotated[str | None, _text("Only this measurement name.")] = None,
    run_id: RunId = None,
    session_id: SessionId = None,
    outcome: Annotated[
        str | None, _text("The point's verdict: " + ", ".join(MEASUREMENT_OUTCOMES) + ".")
    ] = None,
    dut_serial: DutSerial = None,
    part_number: PartNumber = None,
    lot_number: LotNumber = None,
    product_id: ProductId = None,
    test_phase: TestPhase = None,
    project_name: ProjectName = None,
    since: Annotated[str | None, _text(f"Measured at or after: {_TIME}.")] = None,
    until: Annotated[str | None, _text(f"Measured before: {_TIME}.")] = None,
) -> MeasurementFilters:
    """Filters of the measurements lists (``/api/measurements``, ``/api/export/measurements``)."""
    return MeasurementFilters(
        station_id=station_id or None,
        name=name or None,
        run_id=run_id or None,
        session_id=session_id or None,
        outcome=check_choice("outcome", outcome or None, MEASUREMENT_OUTCOMES),
        since_ns=time_bound("since", since),
        until_ns=time_bound("until", until),
        runs=RunFilters(
            dut_serial=dut_serial or None,
            part_number=part_number or None,
            lot_number=lot_number or None,
            product_id=product_id or None,
            test_phase=test_phase or None,
            project_name=project_name or None,
        ),
    )


def provide_event_filters(
    *,
    event_type: Annotated[
        str | None, QueryParameter(description="Only events of this type (e.g. run.started).")
    ] = None,
    run_id: RunId = None,
    since: Annotated[str | None, _text(f"Occurred at or after: {_TIME}.")] = None,
    until: Annotated[str | None, _text(f"Occurred before: {_TIME}.")] = None,
) -> EventFilters:
    """Filters of a session's events."""
    return EventFilters(
        event_type=check_choice("event_type", event_type or None, EVENT_TAGS),
        run_id=run_id or None,
        since_ns=time_bound("since", since),
        until_ns=time_bound("until", until),
    )


def provide_station_filters(
    *,
    station_type: Annotated[str | None, _text("Only stations of this type.")] = None,
    station_location: Annotated[str | None, _text("Only stations at this location.")] = None,
    since: Annotated[str | None, _text(f"Seen at or after: {_TIME}.")] = None,
    until: Annotated[str | None, _text(f"First seen before: {_TIME}.")] = None,
) -> StationFilters:
    """Filters of ``/api/stations``."""
    return StationFilters(
        station_type=station_type or None,
        station_location=station_location or None,
        since_ns=time_bound("since", since),
        until_ns=time_bound("until", until),
    )


def provide_dut_filters(
    *,
    station_id: StationId = None,
    test_phase: TestPhase = None,
    since: StartedSince = None,
    until: StartedUntil = None,
) -> DutFilters:
    """Filters of a DUT's history (its attempts are counted over every run regardless)."""
    return DutFilters(
        station_id=station_id or None,
        test_phase=test_phase or None,
        since_ns=time_bound("since", since),
        until_ns=time_bound("until", until),
    )


def time_bound(name: str, value: str | None) -> int | None:
    """A ``since``/``until`` parameter in ns, or None when absent or empty."""
    return None if not value else parse_time(name, value)


OUTPUT = {"output": Provide(provide_output_format, sync_to_thread=False)}
"""Dependency of every list handler: ``output``, the chosen :data:`OutputFormat`."""


def filters(provider: Callable[..., object]) -> dict[str, Provide]:
    """The dependencies of a list handler: ``filters`` from ``provider``, and ``output``."""
    return {"filters": Provide(provider, sync_to_thread=False), **OUTPUT}
