"""The projector's rules for one event: what it refuses, with a stable reason code.

The decoder already refuses what the schema's types forbid (NaN or infinite
numbers, ``seq < 1``, a negative time, unknown tags, wrong types); the rules
here refuse what the types cannot say: an event of another session than its
subject, a time (``occurred_at`` or a batch point's) outside the time window
(:class:`~benchtrail.schemas.TimeWindow`, by default ``[2000-01-01, now + 1 day]``),
``low > high``, a blank name, a batch whose columns do not line up, a number too
large for its column.
They mirror what the agent refuses at the call (``benchtrail.agents.validation``),
with the same limits (:mod:`benchtrail.schemas.limits`), so an event a station
emitted by hand is caught here.

Every refusal is a :class:`Problem`: a short stable ``code`` (the dead letter's
reason code) and a ``detail`` saying exactly what was wrong.
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

from benchtrail.projector.series_rows import series_problem
from benchtrail.projector.table_rows import table_problem
from benchtrail.schemas import (
    DAY_NS,
    DEFAULT_TIME_WINDOW,
    MAX_TEXT_VALUE,
    AttachmentAdded,
    EventUnion,
    FileAttached,
    FileRegistered,
    InstrumentCall,
    LockAcquired,
    LockReleased,
    Measurement,
    MeasurementBatch,
    MeasurementSeries,
    MeasurementTable,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    StepEnded,
    TimeWindow,
    are_limits_inverted,
    format_ns,
    is_blank,
    is_text_too_long,
)
from benchtrail.schemas.events import FileAdded

MAX_SCHEMA_VERSION: Final = 2**16 - 1
U32: Final = 2**32 - 1
U64: Final = 2**64 - 1
I64: Final = 2**63 - 1
"""Largest value of the warehouse's unsigned and nanosecond-time columns."""

# Reason codes: stable, short, kebab-case; the dead letter's reason is "<code>: <detail>".
UNDECODABLE: Final = "undecodable"
NOT_AN_EVENT: Final = "not-an-event"
UNKNOWN_TYPE: Final = "unknown-type"
INVALID_EVENT: Final = "invalid-event"
NON_FINITE: Final = "non-finite"
BAD_SEQ: Final = "bad-seq"
BAD_TIME: Final = "bad-time"
BAD_LIMITS: Final = "bad-limits"
BAD_NAME: Final = "bad-name"
VALUE_TOO_LONG: Final = "value-too-long"
EMPTY_BATCH: Final = "empty-batch"
MISALIGNED_BATCH: Final = "misaligned-batch"
OUT_OF_RANGE: Final = "out-of-range"
WRONG_SESSION: Final = "wrong-session"
WRONG_STATION: Final = "wrong-station"

EVENT_CODES: Final = frozenset(
    {
        UNDECODABLE,
        NOT_AN_EVENT,
        UNKNOWN_TYPE,
        INVALID_EVENT,
        NON_FINITE,
        BAD_SEQ,
        BAD_TIME,
        BAD_LIMITS,
        BAD_NAME,
        VALUE_TOO_LONG,
        EMPTY_BATCH,
        MISALIGNED_BATCH,
        OUT_OF_RANGE,
        WRONG_SESSION,
        WRONG_STATION,
    }
)
"""Every reason code a single event can be refused with."""

_PATH = re.compile(r" - at `\$(?:\[\d+\])?\.?([^`]*)`$")
_NON_FINITE = re.compile(r"^Expected `float` [<>]= [-+]?1\.797")

Problem = tuple[str, str]
"""Why an event is refused: ``(code, detail)``."""


class EventRules:
    """The rules for the events of one message, given the subject's ids and the hub's clock.

    Args:
        station_id: the station the subject names.
        session_id: the session the subject names.
        now_ns: the hub's clock (ns since the epoch) when the message is checked.
        window: the times an event may carry (the projector's ``time_window`` setting).
    """

    __slots__ = (
        "earliest",
        "latest",
        "now_ns",
        "point_days",
        "session_id",
        "station_id",
        "window",
    )

    def __init__(
        self,
        station_id: str,
        session_id: str,
        now_ns: int,
        window: TimeWindow = DEFAULT_TIME_WINDOW,
    ) -> None:
        self.station_id = station_id
        self.session_id = session_id
        self.now_ns = now_ns
        self.window = window
        self.earliest = window.earliest_ns
        self.latest = window.latest_ns(now_ns)
        self.point_days: set[int] = set()
        """UTC days of the points of the batches that passed (their ``occurred_at`` left out)."""

    def check(self, event: EventUnion) -> Problem | None:
        """The first rule ``event`` breaks, or ``None`` if it may be projected.

        Written for the hot path: one pass of cheap comparisons for a good event;
        the exact problem is worked out only when one of them fails.
        """
        if (
            event.session_id != self.session_id
            or event.station_id != self.station_id
            or not self.earliest <= event.occurred_at <= self.latest
            or not 0 <= event.schema_version <= MAX_SCHEMA_VERSION
        ):
            return self._envelope_problem(event)
        if type(event) is Measurement:
            # The limits' checks spelled out inline: this runs for every measurement.
            low, high, value = event.low, event.high, event.value
            if (
                (low is not None and high is not None and low > high)
                or event.name.isspace()
                or (type(value) is str and len(value) > MAX_TEXT_VALUE)
            ):
                return _measurement_problem(event)
            return None
        if type(event) is MeasurementBatch:
            return _batch_problem(event) or self._points_problem(event)
        if type(event) is MeasurementSeries:
            return series_problem(event) or self._series_times_problem(event)
        if type(event) in _RANGES:
            return _range_problem(event) or self._times_problem(event)
        if type(event) is MeasurementTable:
            return table_problem(event)
        return None

    def _envelope_problem(self, event: EventUnion) -> Problem:
        if event.session_id != self.session_id:
            return WRONG_SESSION, (
                f"event seq {event.seq} has session_id {event.session_id!r}, "
                f"the subject says {self.session_id!r}"
            )
        if event.station_id != self.station_id:
            return WRONG_STATION, (
                f"event seq {event.seq} has station_id {event.station_id!r}, "
                f"the subject says {self.station_id!r}"
            )
        if not self.earliest <= event.occurred_at <= self.latest:
            return BAD_TIME, (
                f"event seq {event.seq} occurred_at {event.occurred_at} ns "
                f"({format_ns(event.occurred_at)}) is outside the time window "
                f"{self.window.describe(self.now_ns)}"
            )
        return OUT_OF_RANGE, (
            f"event seq {event.seq} schema_version {event.schema_version} is outside "
            f"[0, {MAX_SCHEMA_VERSION}]"
        )

    def _times_problem(self, event: EventUnion) -> Problem | None:
        """A file's or a window contribution's time outside the window."""
        times: list[tuple[str, int | None]] = [
            (name, getattr(event, name)) for name in _TIMES.get(type(event), ())
        ]
        if isinstance(event, FileRegistered):
            for topic in event.topics:
                times += [(f"topic {topic.name!r} start_ns", topic.start_ns)]
                times += [(f"topic {topic.name!r} end_ns", topic.end_ns)]
        for name, value in times:
            if value is not None and not self.earliest <= value <= self.latest:
                return BAD_TIME, (
                    f"event seq {event.seq} {name} {value} ns ({format_ns(value)}) is outside "
                    f"the time window {self.window.describe(self.now_ns)}"
                )
        return None

    def _points_problem(self, batch: MeasurementBatch) -> Problem | None:
        """A point outside the window; else the points' days go to :attr:`point_days`.

        One ``min()`` and one ``max()`` per batch serve both checks (a batch has
        points: :func:`_batch_problem` refused an empty one).
        """
        stamps = batch.timestamps_ns
        low, high = min(stamps), max(stamps)
        if low < self.earliest or high > self.latest:
            index, stamp = self.window.first_outside(stamps, self.now_ns) or (0, low)
            return BAD_TIME, (
                f"measurement.batch seq {batch.seq} point {index} timestamp {stamp} ns "
                f"({format_ns(stamp)}) is outside the time window "
                f"{self.window.describe(self.now_ns)}"
            )
        first, last = low // DAY_NS, high // DAY_NS
        if first == last:
            self.point_days.add(first)
        else:
            self.point_days.update(stamp // DAY_NS for stamp in stamps)
        return None

    def _series_times_problem(self, series: MeasurementSeries) -> Problem | None:
        """A point outside the window; else the points' days go to :attr:`point_days`."""
        stamps = series.occurred_at_ns
        low, high = min(stamps), max(stamps)
        if low < self.earliest or high > self.latest:
            index, stamp = self.window.first_outside(stamps, self.now_ns) or (0, low)
            return BAD_TIME, (
                f"measurement seq {series.seq + index} occurred_at {stamp} ns "
                f"({format_ns(stamp)}) is outside the time window "
                f"{self.window.describe(self.now_ns)}"
            )
        self.point_days.update({low // DAY_NS, high // DAY_NS})
        if high // DAY_NS - low // DAY_NS > 1:
            self.point_days.update(stamp // DAY_NS for stamp in stamps)
        return None


def measurement_rows(event: EventUnion) -> int:
    """Rows an event adds to the ``measurements`` table (call once it passed the rules)."""
    kind = type(event)
    if kind is Measurement:
        return 1
    if kind is MeasurementBatch:
        assert isinstance(event, MeasurementBatch)
        return len(event.texts) if event.kind == "str" else len(event.values)
    if kind is MeasurementSeries:
        assert isinstance(event, MeasurementSeries)
        return event.point_count
    return 0


def _measurement_problem(event: Measurement) -> Problem:
    if is_blank(event.name):
        return BAD_NAME, f"measurement seq {event.seq} has a blank name"
    if isinstance(event.value, str) and is_text_too_long(event.value):
        return VALUE_TOO_LONG, (
            f"measurement {event.name!r} text value of {len(event.value)} characters "
            f"(at most {MAX_TEXT_VALUE})"
        )
    return BAD_LIMITS, (
        f"{event.name!r} seq {event.seq}: low limit {event.low!r} is above high limit "
        f"{event.high!r}"
    )


def _batch_problem(batch: MeasurementBatch) -> Problem | None:
    points = batch.texts if batch.kind == "str" else batch.values
    extra = batch.values if batch.kind == "str" else batch.texts
    timestamps, names = batch.timestamps_ns, batch.names
    if len(timestamps) != len(points) or (names and len(names) != len(points)) or extra:
        return MISALIGNED_BATCH, (
            f"measurement.batch seq {batch.seq} of kind {batch.kind!r} has {len(batch.values)}"
            f" values, {len(batch.texts)} texts, {len(timestamps)} timestamps and"
            f" {len(names)} names"
        )
    if not points:
        return EMPTY_BATCH, f"measurement.batch seq {batch.seq} has no points"
    if names:
        if any(is_blank(name) for name in set(names)):
            return BAD_NAME, f"measurement.batch seq {batch.seq} has a blank point name"
    elif is_blank(batch.name):
        return BAD_NAME, f"measurement.batch seq {batch.seq} has a blank name"
    low, high = batch.low, batch.high
    if are_limits_inverted(low, high):
        label = batch.name or "<per-point names>"
        return BAD_LIMITS, (
            f"{label!r} seq {batch.seq}: low limit {low!r} is above high limit {high!r}"
        )
    return None


_RANGES: dict[type, tuple[tuple[str, int], ...]] = {
    SessionStarted: (("process.pid", U32), ("slot_count", U32)),
    SessionEnded: (("run_count", U32), ("event_count", U64)),
    RunStarted: (("slot.index", U32),),
    RunEnded: (
        ("measurement_count", U64),
        ("failed_measurement_count", U64),
        ("step_count", U32),
        ("duration_ns", U64),
    ),
    StepEnded: (("duration_ns", U64),),
    InstrumentCall: (("duration_ns", U64), ("fencing_token", U64)),
    LockAcquired: (("fencing_token", U64),),
    LockReleased: (("fencing_token", U64),),
    FileAttached: (("size_bytes", U64), ("start_ns", I64), ("end_ns", I64)),
    FileRegistered: (("size_bytes", U64), ("start_ns", I64), ("end_ns", I64)),
    FileAdded: (("range_min_timestamp_ns", I64), ("range_max_timestamp_ns", I64)),
    AttachmentAdded: (("size_bytes", U64),),
}
"""Whole-number fields and the largest value their warehouse column holds (all start at 0)."""

_TIMES: dict[type, tuple[str, ...]] = {
    FileAttached: ("start_ns", "end_ns"),
    FileRegistered: ("start_ns", "end_ns"),
    FileAdded: ("range_min_timestamp_ns", "range_max_timestamp_ns"),
}
"""Event times besides ``occurred_at`` and batch points, held to the time window too."""


def _range_problem(event: EventUnion) -> Problem | None:
    for path, largest in _RANGES.get(type(event), ()):
        value: object = event
        for name in path.split("."):
            value = getattr(value, name)
        if value is not None and not 0 <= value <= largest:  # type: ignore[operator]
            return OUT_OF_RANGE, f"event seq {event.seq} {path} {value} is outside [0, {largest}]"
    if isinstance(event, FileRegistered):
        for topic in event.topics:
            if topic.start_ns > I64 or topic.end_ns > I64:
                return OUT_OF_RANGE, f"event seq {event.seq} topic {topic.name!r} time"
    return None


def classify_decode_error(error: msgspec.DecodeError | str) -> Problem:
    """The reason code and detail of an event the decoder refused.

    Args:
        error: the decoder's error (or its message) for one event.
    """
    message = str(error)
    match = _PATH.search(message)
    field = match.group(1) if match else ""
    if "missing required field `type`" in message or field == "type":
        return UNKNOWN_TYPE, message
    if message.startswith("Expected `object`"):
        return NOT_AN_EVENT, message
    if _NON_FINITE.match(message):
        return NON_FINITE, message
    if field == "seq":
        return BAD_SEQ, message
    if field == "occurred_at":
        return BAD_TIME, message
    return INVALID_EVENT, message
