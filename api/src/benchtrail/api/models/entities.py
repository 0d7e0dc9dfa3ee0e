"""Response bodies of the HTTP API, shared by the server and the Python client.

Times are ISO-8601 UTC strings (``started_at``) with an integer twin in
nanoseconds since the epoch (``started_at_ns``) wherever precision matters.
Fields are flat, one per warehouse column, so a list of them is a table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from benchtrail.schemas import CustomValue, RunOutcome

Status = Literal["running", "ended"]
"""A session or run is ``running`` until its end event reaches the warehouse."""

RUN_STATUSES: tuple[str, ...] = ("passed", "failed", "error", "aborted", "running")
"""Values of the ``outcome`` filter of ``/api/runs``: every run outcome, or still running."""


class WarehouseHealth(msgspec.Struct, frozen=True, kw_only=True):
    """Whether the API can query its warehouse."""

    reachable: bool
    error: str | None = None


class Health(msgspec.Struct, frozen=True, kw_only=True):
    """Body of ``GET /api/health``, as the Python client returns it.

    On the wire, ``extra``'s keys (the projector's statistics, when the hub
    plugs them in) sit at the top level beside ``status``, ``reasons`` and ``warehouse``.
    ``reasons`` says why the status is ``degraded`` (empty when ``ok``).
    """

    status: Literal["ok", "degraded"]
    warehouse: WarehouseHealth
    reasons: list[str] = msgspec.field(default_factory=list)
    extra: dict[str, object] = msgspec.field(default_factory=dict)


class StationSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A station that has opened at least one session; descriptive fields from its latest."""

    station_id: str
    station_name: str
    station_type: str
    station_location: str
    hostname: str
    session_count: int
    running_session_count: int
    running_session_ids: list[str]
    first_seen: datetime
    first_seen_ns: int
    last_seen: datetime
    last_seen_ns: int
    last_end_reason: str = ""
    """Why the station's latest ended session ended (an error, a stop); empty: a normal end."""


class SessionSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One session: its ``session.started`` metadata, its end, and its counts."""

    session_id: str
    station_id: str
    session_type: str
    station_name: str
    station_type: str
    station_location: str
    hostname: str
    pid: int
    client_name: str
    client_version: str
    operator_id: str
    operator_name: str
    fixture_id: str
    slot_count: int
    device_ids: list[str]
    git_commit: str
    git_branch: str
    git_remote: str
    git_dirty: bool
    python_version: str
    packages: dict[str, str]
    started_at: datetime
    started_at_ns: int
    ended_at: datetime | None
    ended_at_ns: int | None
    end_reason: str
    status: Status
    run_count: int
    event_count: int


class SessionCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Totals over every run and measurement of a session."""

    runs_by_outcome: dict[str, int]
    measurement_count: int
    failed_measurement_count: int


class RunSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One run of one DUT: its ``run.started`` metadata, its verdict and its counts.

    ``outcome`` and ``duration_ns`` are null while the run is running; counts
    are what the warehouse holds (they grow while the run is running).
    """

    run_id: str
    session_id: str
    station_id: str
    dut_serial: str
    dut_part_number: str
    dut_revision: str
    dut_lot_number: str
    product_id: str
    product_name: str
    product_revision: str
    slot_id: str
    slot_index: int
    fixture_id: str
    test_phase: str
    project_name: str
    git_commit: str
    git_branch: str
    git_remote: str
    git_dirty: bool
    python_version: str
    packages: dict[str, str]
    custom_metadata: dict[str, CustomValue]
    channel_refs: list[str]
    started_at: datetime
    started_at_ns: int
    ended_at: datetime | None
    ended_at_ns: int | None
    status: Status
    outcome: RunOutcome | None
    error: str
    duration_ns: int | None
    measurement_count: int
    failed_measurement_count: int
    step_count: int
    structured_metadata: dict[str, object] = msgspec.field(default_factory=dict)
    """Metadata beyond ``custom_metadata``'s scalars: lists, mappings, nulls, as JSON values."""


class SessionDetail(SessionSummary, frozen=True, kw_only=True):
    """A session with its runs (newest first, up to ``run_limit``) and its totals."""

    runs: list[RunSummary]
    counts: SessionCounts


class MeasurementPoint(msgspec.Struct, frozen=True, kw_only=True):
    """One measured point of a run; ``value`` is null for text values (see ``value_str``).

    ``description`` says what is measured and ``marginal`` whether a passing value
    lies outside ``marginal_low``/``marginal_high`` (as the test tool declared them).
    """

    name: str
    ts: datetime
    ts_ns: int
    value: float | None
    value_str: str
    value_kind: str
    unit: str
    low: float | None
    high: float | None
    outcome: str
    step: str
    description: str = ""
    marginal_low: float | None = None
    marginal_high: float | None = None
    marginal: bool = False


class StepSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One step (phase) of a run; end fields are null while it is running."""

    step_id: str
    name: str
    started_at: datetime | None
    started_at_ns: int | None
    ended_at: datetime | None
    ended_at_ns: int | None
    outcome: str | None
    duration_ns: int | None
    error: str


class RunDetail(RunSummary, frozen=True, kw_only=True):
    """A run with its steps and its measurements (in time order, up to ``measurement_limit``).

    ``measurement_count`` is the total; ``measurements_truncated`` says whether
    ``measurements`` holds fewer points than that.
    """

    steps: list[StepSummary]
    measurements: list[MeasurementPoint]
    measurements_truncated: bool


class SessionPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of sessions, newest first; pass ``next_cursor`` back as ``cursor``."""

    items: list[SessionSummary]
    next_cursor: str | None


class RunPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of runs, newest first; pass ``next_cursor`` back as ``cursor``."""

    items: list[RunSummary]
    next_cursor: str | None


class MeasurementRow(msgspec.Struct, frozen=True, kw_only=True):
    """One measured point with where it was taken; ``value`` is null for text values.

    ``event_id`` and ``point_index`` (its index in a batch, 0 for a single
    ``measurement``) identify the point.
    """

    station_id: str
    session_id: str
    run_id: str
    name: str
    ts: datetime
    ts_ns: int
    value: float | None
    value_str: str
    value_kind: str
    unit: str
    low: float | None
    high: float | None
    outcome: str
    step: str
    event_id: str
    point_index: int


class MeasurementPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of points in the table's sort order; pass ``next_cursor`` back as ``cursor``."""

    items: list[MeasurementRow]
    next_cursor: str | None


class FailedMeasurement(msgspec.Struct, frozen=True, kw_only=True):
    """A point of a run that failed its limits; ``value`` is null for text values."""

    name: str
    ts: datetime
    ts_ns: int
    value: float | None
    value_str: str
    unit: str
    low: float | None
    high: float | None
    step: str


class DutRun(RunSummary, frozen=True, kw_only=True):
    """One run of a DUT's history: the run's summary, its attempt and its failed points.

    ``attempt`` counts the runs of the serial in the same ``test_phase`` by start
    time: 1 is the first test, 2 the first retest. ``failed_measurements`` holds
    the first ``failed_limit`` failed points in time order
    (``failed_measurement_count`` is their total).
    """

    attempt: int
    failed_measurements: list[FailedMeasurement]


class DutHistory(msgspec.Struct, frozen=True, kw_only=True):
    """Every run of one DUT serial, across stations, oldest first.

    ``run_count`` is the number of runs matching the filters; ``runs`` holds the
    newest ``limit`` of them, and ``truncated`` says whether some were left out.
    """

    dut_serial: str
    run_count: int
    truncated: bool
    runs: list[DutRun]


class SeriesBucket(msgspec.Struct, frozen=True, kw_only=True):
    """One time bucket of a series: ``[start_ns, end_ns)`` and its values' statistics."""

    start: datetime
    start_ns: int
    end_ns: int
    count: int
    min: float
    max: float
    avg: float


class Series(msgspec.Struct, frozen=True, kw_only=True):
    """A measurement's values over time, aggregated per bucket of ``bucket_ns``.

    Buckets are aligned on multiples of ``bucket_ns`` since the epoch (1, 2 or 5
    times a power of ten, in ns) and only those holding points are listed.
    ``since_ns``/``until_ns`` are the range read (null with ``bucket_ns`` when
    no bound was given and no point matches).
    """

    name: str
    since_ns: int | None
    until_ns: int | None
    bucket_ns: int | None
    items: list[SeriesBucket]


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Body of every 4xx/503 answer the API gives on purpose.

    ``error`` is ``not_found`` (with ``kind`` and ``key``; ``kind`` ``path`` when
    no route matches), ``bad_parameter``
    (with ``parameter``, ``value`` and ``expected``), ``unavailable``,
    ``unauthorized`` (no or an unknown token) or ``forbidden`` (with ``role``, the
    role needed, when a stronger token would do), ``bad_host``,
    ``unsupported_media_type``, ``conflict``, ``limit_reached`` (with ``limit``, the
    setting that refused the request), ``too_large`` (a request body over the limit) or
    ``bad_request`` (not a valid HTTP request: the server's parser refused it);
    ``detail`` is the message. Quoted values are clipped to 200 characters (with the
    value's length), so an error body stays under 4 KiB.
    """

    status_code: int
    error: Literal[
        "not_found",
        "bad_parameter",
        "unavailable",
        "unauthorized",
        "forbidden",
        "bad_host",
        "unsupported_media_type",
        "conflict",
        "limit_reached",
        "too_large",
        "bad_request",
    ]
    detail: str
    kind: str | None = None
    key: str | None = None
    parameter: str | None = None
    value: str | None = None
    expected: str | None = None
    role: str | None = None
    limit: str | None = None


class LockView(msgspec.Struct, frozen=True, kw_only=True):
    """A held lock, as ``GET /api/locks`` returns it."""

    key: str
    resource: str
    station_id: str
    session_id: str
    host: str
    pid: int
    since: datetime
    since_ns: int
    fencing_token: int
