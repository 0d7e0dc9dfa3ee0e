"""Every benchtrail event type: small frozen Structs on one tagged base.

Each class has an explicit, stable ``tag``; it is the event's ``type`` on the
wire and in the warehouse. Fields are only ever added, with defaults.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from benchtrail.schemas.attachment_events import AttachmentAdded
from benchtrail.schemas.base import Event, Finite, TimestampNs
from benchtrail.schemas.limits import MAX_DESCRIPTION, MAX_NAME, MAX_STRUCTURED_METADATA
from benchtrail.schemas.measurement_series import MeasurementSeries
from benchtrail.schemas.measurement_tables import MeasurementTable
from benchtrail.schemas.metadata import (
    CustomValue,
    DutInfo,
    EnvironmentInfo,
    GitInfo,
    OperatorInfo,
    ParameterInfo,
    ProcessInfo,
    ProductInfo,
    SlotInfo,
    StationInfo,
)
from benchtrail.schemas.values import (
    Limit,
    MeasurementOutcome,
    MeasurementValue,
    Name,
    ValueKind,
)

RunOutcome = Literal["passed", "failed", "error", "aborted"]
StepOutcome = Literal["passed", "failed", "error", "skipped", "aborted"]
SessionType = Literal["script", "pytest", "notebook", "sweep", "service", "observation"]
LogLevel = Literal["debug", "info", "warning", "error", "critical"]
Actor = Annotated[
    str, msgspec.Meta(description="Who did it: the API caller's identity ('' from a station).")
]


class SessionStarted(Event, frozen=True, kw_only=True, tag="session.started"):
    """A station session began: a script, test suite or service connected to the hub."""

    session_type: SessionType = "script"
    station: StationInfo
    process: ProcessInfo = msgspec.field(default_factory=ProcessInfo)
    operator: OperatorInfo = msgspec.field(default_factory=OperatorInfo)
    fixture_id: str = ""
    slot_count: int = 0
    device_ids: list[str] = msgspec.field(default_factory=list)
    git: GitInfo = msgspec.field(default_factory=GitInfo)
    environment: EnvironmentInfo = msgspec.field(default_factory=EnvironmentInfo)


class SessionEnded(Event, frozen=True, kw_only=True, tag="session.ended"):
    """A station session ended (disconnect, end of the test suite, or shutdown)."""

    run_count: int = 0
    event_count: Annotated[
        int, msgspec.Meta(description="Events in the session, this one included.")
    ] = 0
    reason: str = ""


class RunStarted(Event, frozen=True, kw_only=True, tag="run.started"):
    """A test run of one DUT began within a session."""

    run_id: str
    dut: DutInfo = msgspec.field(default_factory=DutInfo)
    product: ProductInfo = msgspec.field(default_factory=ProductInfo)
    slot: SlotInfo = msgspec.field(default_factory=SlotInfo)
    fixture_id: str = ""
    test_phase: str = ""
    project_name: str = ""
    git: GitInfo = msgspec.field(default_factory=GitInfo)
    environment: EnvironmentInfo = msgspec.field(default_factory=EnvironmentInfo)
    custom_metadata: dict[str, CustomValue] = msgspec.field(default_factory=dict)
    channel_refs: list[str] = msgspec.field(default_factory=list)
    parameters: Annotated[
        list[ParameterInfo],
        msgspec.Meta(description="The swept parameters of an experiment run, in sweep order."),
    ] = msgspec.field(default_factory=list)
    structured_metadata: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_STRUCTURED_METADATA,
            description=(
                "Metadata that custom_metadata's scalars cannot hold (lists, lists of lists or "
                "of mappings, nulls), as the JSON text of one object; '' when there is none."
            ),
        ),
    ] = ""


class RunEnded(Event, frozen=True, kw_only=True, tag="run.ended"):
    """A test run ended with its verdict and counts."""

    run_id: str
    outcome: RunOutcome
    measurement_count: int = 0
    failed_measurement_count: int = 0
    step_count: int = 0
    duration_ns: int = 0
    error: str = ""


class StepStarted(Event, frozen=True, kw_only=True, tag="step.started"):
    """A named step (phase) of a run began."""

    run_id: str
    step_id: str
    name: Name


class StepEnded(Event, frozen=True, kw_only=True, tag="step.ended"):
    """A step of a run ended with its outcome."""

    run_id: str
    step_id: str
    name: Name
    outcome: StepOutcome
    duration_ns: int = 0
    error: str = ""


class Measurement(Event, frozen=True, kw_only=True, tag="measurement"):
    """One measured value with its unit, limits and verdict."""

    run_id: str = ""
    name: Name
    value: MeasurementValue
    unit: str = ""
    low: Limit | None = None
    high: Limit | None = None
    outcome: MeasurementOutcome = "unset"
    step: str = ""
    description: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_DESCRIPTION,
            description="What is measured, as the test declares it (OpenHTF's docstring).",
        ),
    ] = ""
    marginal_low: Annotated[
        Limit | None,
        msgspec.Meta(description="Marginal low limit: passing values below it are marginal."),
    ] = None
    marginal_high: Annotated[
        Limit | None,
        msgspec.Meta(description="Marginal high limit: passing values above it are marginal."),
    ] = None
    marginal: Annotated[
        bool, msgspec.Meta(description="Passed, but outside its marginal limits.")
    ] = False


class MeasurementBatch(Event, frozen=True, kw_only=True, tag="measurement.batch"):
    """Many points in columns: one ``name`` for all, or ``names`` aligned with ``values``.

    ``timestamps_ns`` is aligned with ``values``. Limits, when given, apply to
    every point; the warehouse derives each point's outcome from them. ``kind``
    says what the numbers are (``int`` and ``bool`` travel as exact floats); a
    ``str`` batch carries its points in ``texts`` and leaves ``values`` empty.
    """

    run_id: str = ""
    name: str = ""
    names: list[str] = msgspec.field(default_factory=list)
    values: list[Finite]
    timestamps_ns: list[int]
    unit: str = ""
    low: Limit | None = None
    high: Limit | None = None
    step: str = ""
    kind: ValueKind = "float"
    texts: Annotated[
        list[str], msgspec.Meta(description="The points of a 'str' batch, aligned with timestamps.")
    ] = msgspec.field(default_factory=list)


class InstrumentCall(Event, frozen=True, kw_only=True, tag="instrument.call"):
    """One command sent to an instrument, with its response and duration."""

    instrument: Name
    resource: str = ""
    command: str
    response: str = ""
    duration_ns: int = 0
    error: str = ""
    fencing_token: int = 0
    run_id: str = ""


class LockAcquired(Event, frozen=True, kw_only=True, tag="lock.acquired"):
    """A station took the lock of a resource (instrument)."""

    key: Name
    resource: str = ""
    fencing_token: int
    holder: str = ""


class LockReleased(Event, frozen=True, kw_only=True, tag="lock.released"):
    """A lock was released, or broken by force by ``broken_by``."""

    key: Name
    resource: str = ""
    fencing_token: int
    holder: str = ""
    broken_by: str = ""


class FileAttached(Event, frozen=True, kw_only=True, tag="file.attached"):
    """A file (capture, log, recording) was attached to the session."""

    file_id: str
    path: str
    run_id: str = ""
    media_type: str = ""
    size_bytes: int = 0
    start_ns: TimestampNs | None = None
    end_ns: TimestampNs | None = None
    topics: list[str] = msgspec.field(default_factory=list)


class DeviceAttached(Event, frozen=True, kw_only=True, tag="device.attached"):
    """A device (instrument, DUT, fixture) joined the session (or observation window)."""

    device_id: Name
    kind: str = ""
    by: Actor = ""


class DeviceDetached(Event, frozen=True, kw_only=True, tag="device.detached"):
    """A device left the session (or observation window)."""

    device_id: Name
    by: Actor = ""


class WindowCreated(Event, frozen=True, kw_only=True, tag="window.created"):
    """An observation window was created: a named time window over devices and files.

    The window's events form a session of their own: ``session_id`` is the window id.
    """

    name: str | None = None
    project: str = ""
    by: Actor = ""


class WindowUpdated(Event, frozen=True, kw_only=True, tag="window.updated"):
    """Attributes of an observation window changed; ``fields`` names those this event sets."""

    name: str | None = None
    fields: Annotated[
        list[str], msgspec.Meta(description="The attributes this update sets, e.g. ['name'].")
    ] = msgspec.field(default_factory=lambda: ["name"])
    by: Actor = ""


class WindowDeleted(Event, frozen=True, kw_only=True, tag="window.deleted"):
    """An observation window was deleted, with its file contributions and device attachments."""

    by: Actor = ""


class TopicExtent(msgspec.Struct, frozen=True, kw_only=True):
    """A topic (channel) a file holds, with the time extent of its data."""

    topic_id: str
    name: Name
    start_ns: TimestampNs
    end_ns: TimestampNs


class FileRegistered(Event, frozen=True, kw_only=True, tag="file.registered"):
    """A file (capture, log, recording) was registered in a dataset with its extent and topics.

    The file's events form a session of their own: ``session_id`` is the file id.
    """

    file_id: str
    dataset_id: Name
    path: str
    media_type: str = ""
    size_bytes: int = 0
    start_ns: TimestampNs
    end_ns: TimestampNs
    topics: list[TopicExtent] = msgspec.field(default_factory=list)
    by: Actor = ""


class FileAdded(Event, frozen=True, kw_only=True, tag="file.added"):
    """A registered file became a contribution of an observation window.

    Whole (no range), or narrowed to ``[range_min_timestamp_ns, range_max_timestamp_ns]``.
    Adding a file the window already holds replaces its range.
    """

    file_id: str
    range_min_timestamp_ns: TimestampNs | None = None
    range_max_timestamp_ns: TimestampNs | None = None
    by: Actor = ""


class FileRemoved(Event, frozen=True, kw_only=True, tag="file.removed"):
    """A file stopped being a contribution of an observation window."""

    file_id: str
    by: Actor = ""


class Log(Event, frozen=True, kw_only=True, tag="log"):
    """A log line from the station, or a log record of the test it ran."""

    level: LogLevel = "info"
    message: str
    logger: str = ""
    run_id: str = ""
    source: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_NAME, description="Where it was logged: 'file.py:42', if known."
        ),
    ] = ""


EventUnion = (
    SessionStarted
    | SessionEnded
    | RunStarted
    | RunEnded
    | StepStarted
    | StepEnded
    | Measurement
    | MeasurementBatch
    | MeasurementSeries
    | InstrumentCall
    | LockAcquired
    | LockReleased
    | FileAttached
    | DeviceAttached
    | DeviceDetached
    | WindowCreated
    | WindowUpdated
    | WindowDeleted
    | FileRegistered
    | FileAdded
    | FileRemoved
    | Log
    | MeasurementTable
    | AttachmentAdded
)
"""Any benchtrail event; decoding dispatches on the ``type`` tag."""

EVENT_TYPES: tuple[type[Event], ...] = (
    SessionStarted,
    SessionEnded,
    RunStarted,
    RunEnded,
    StepStarted,
    StepEnded,
    Measurement,
    MeasurementBatch,
    MeasurementSeries,
    InstrumentCall,
    LockAcquired,
    LockReleased,
    FileAttached,
    DeviceAttached,
    DeviceDetached,
    WindowCreated,
    WindowUpdated,
    WindowDeleted,
    FileRegistered,
    FileAdded,
    FileRemoved,
    Log,
    MeasurementTable,
    AttachmentAdded,
)


def event_tag(event_type: type[Event]) -> str:
    """Return the stable wire tag (``type``) of an event class."""
    tag = event_type.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


EVENT_TAGS: frozenset[str] = frozenset(event_tag(t) for t in EVENT_TYPES)
"""Every event ``type`` tag this schema version knows."""
