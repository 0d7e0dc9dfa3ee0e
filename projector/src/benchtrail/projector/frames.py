"""Checking a message of ``BT_EVENTS`` before it is projected: decode it, then check each event.

The fast path decodes the whole frame at once and checks every event against
the rules of :mod:`benchtrail.projector.validation`. Only when that fails is
the frame taken apart: decoded as a msgpack array of raw elements, then each
element on its own, so that one bad event costs only itself. What is refused
is not retried: it goes to ``BT_DEAD`` with the reason, and the projector
moves on.

Whole-message rejections (:class:`FrameRejected`): a subject not of the form
``bt.evt.<station>.<session>``, bytes that are not a msgpack array, an empty
array, and a frame whose good events' times touch more than ``max_days``
distinct UTC days (``too-many-days``: the warehouse makes one part per day and
partition, so one small frame could otherwise make thousands). Everything else
is judged per event (:class:`RejectedEvent`).
"""

from __future__ import annotations

import time
from typing import Final

import msgspec

from benchtrail.projector.errors import FrameRejected
from benchtrail.projector.validation import (
    INVALID_EVENT,
    UNDECODABLE,
    EventRules,
    Problem,
    classify_decode_error,
    measurement_rows,
)
from benchtrail.schemas import (
    DAY_NS,
    DEFAULT_TIME_WINDOW,
    MAX_FRAME_DAYS,
    EventUnion,
    FrameDecodeError,
    Measurement,
    MeasurementBatch,
    MeasurementSeries,
    NotAnEventSubject,
    TimeWindow,
    decode_event,
    decode_frame,
    format_ns,
    parse_event_subject,
)

__all__ = [
    "TOO_MANY_DAYS",
    "CheckedFrame",
    "RejectedEvent",
    "check_frame",
    "measurement_rows",
    "single_event_frame",
]

TOO_MANY_DAYS: Final = "too-many-days"
"""Reason code of a frame dead-lettered whole for touching too many UTC days."""
_DECODE_ERRORS: Final = (FrameDecodeError, msgspec.DecodeError, UnicodeDecodeError)
"""What decoding can raise: msgspec lets ``UnicodeDecodeError`` through for some bad text."""
_raw_frame_decoder: msgspec.msgpack.Decoder[list[msgspec.Raw]] = msgspec.msgpack.Decoder(
    list[msgspec.Raw]
)


class RejectedEvent(msgspec.Struct, frozen=True):
    """One event of a frame that cannot be projected.

    Attributes:
        index: its position in the frame (0-based).
        data: its msgpack bytes, exactly as they were in the frame.
        code: the reason code (see :mod:`benchtrail.projector.validation`).
        detail: what exactly was wrong.
    """

    index: int
    data: bytes
    code: str
    detail: str

    @property
    def reason(self) -> str:
        """``"<code>: <detail>"``, the text kept in the dead letter's reason header."""
        return f"{self.code}: {self.detail}"


class CheckedFrame(msgspec.Struct, frozen=True):
    """The events of one message, checked against its subject and the rules.

    Attributes:
        events: the frame's good events, in the order published.
        measurement_rows: rows the good events add to the ``measurements`` table.
        rejected: the frame's bad events, each with its reason (empty on the fast path).
    """

    events: list[EventUnion]
    measurement_rows: int
    rejected: list[RejectedEvent] = msgspec.field(default_factory=list)


def _subject_ids(subject: str) -> tuple[str, str]:
    """The station id and session id a subject names, or the whole message is rejected."""
    try:
        return parse_event_subject(subject)
    except NotAnEventSubject as e:
        raise FrameRejected(subject, "bad-subject", f"expected {e.expected}") from e


def check_frame(
    subject: str,
    data: bytes,
    *,
    now_ns: int | None = None,
    window: TimeWindow = DEFAULT_TIME_WINDOW,
    max_days: int = MAX_FRAME_DAYS,
) -> CheckedFrame:
    """Decode a message and check every event; keep the good ones, name the bad ones.

    Args:
        subject: the subject the message came on.
        data: the message's bytes.
        now_ns: the clock that bounds event times (default: now).
        window: the times an event may carry; an event with a time outside is refused.
        max_days: most distinct UTC days the frame's good events may touch.

    Returns:
        The good events (possibly none) and the rejected ones, each with its reason.

    Raises:
        FrameRejected: the message as a whole cannot be used: a bad subject,
            bytes that are not a msgpack array (``undecodable``), or an empty
            array (``empty-frame``), or its events touch more than ``max_days``
            UTC days (``too-many-days``).
    """
    station_id, session_id = _subject_ids(subject)
    clock = time.time_ns() if now_ns is None else now_ns
    rules = EventRules(station_id, session_id, clock, window)
    checked = _check(subject, data, rules)
    days = rules.point_days | {event.occurred_at // DAY_NS for event in checked.events}
    if len(days) > max_days:
        raise _too_many_days(subject, days, max_days)
    return checked


def _check(subject: str, data: bytes, rules: EventRules) -> CheckedFrame:
    try:
        events = decode_frame(data)
    except _DECODE_ERRORS:
        return _check_each(subject, data, rules)
    if not events:
        raise FrameRejected(subject, "empty-frame", "the frame holds no events")
    rows = 0
    check = rules.check
    for event in events:
        if check(event) is not None:
            return _check_each(subject, data, rules)
        kind = type(event)
        if kind is Measurement:
            rows += 1
        elif kind is MeasurementBatch or kind is MeasurementSeries:
            rows += measurement_rows(event)
    return CheckedFrame(events, rows)


def _check_each(subject: str, data: bytes, rules: EventRules) -> CheckedFrame:
    """The slow path: take the frame apart and judge each element on its own."""
    try:
        elements = _raw_frame_decoder.decode(data)
    except _DECODE_ERRORS as e:
        raise FrameRejected(subject, UNDECODABLE, f"{e} ({len(data)} bytes)") from e
    if not elements:
        raise FrameRejected(subject, "empty-frame", "the frame holds no events")
    events: list[EventUnion] = []
    rejected: list[RejectedEvent] = []
    rows = 0
    for index, element in enumerate(elements):
        raw = bytes(element)
        event, problem = _judge(raw, rules)
        if problem is not None:
            rejected.append(RejectedEvent(index, raw, *problem))
        elif event is not None:
            events.append(event)
            rows += measurement_rows(event)
    return CheckedFrame(events, rows, rejected)


def _judge(raw: bytes, rules: EventRules) -> tuple[EventUnion | None, Problem | None]:
    try:
        event = decode_event(raw)
    except FrameDecodeError as e:
        return None, classify_decode_error(e.reason)
    except UnicodeDecodeError as e:  # msgspec lets this one through for some text
        return None, (INVALID_EVENT, f"text that is not UTF-8: {e}")
    return event, rules.check(event)


def _too_many_days(subject: str, days: set[int], max_days: int) -> FrameRejected:
    first, last = min(days) * DAY_NS, max(days) * DAY_NS
    return FrameRejected(
        subject,
        TOO_MANY_DAYS,
        f"the frame's times touch {len(days)} UTC days ({format_ns(first)[:10]} to "
        f"{format_ns(last)[:10]}), more than the {max_days} one frame may touch "
        "(setting max_frame_days; each day is a warehouse part)",
    )


def single_event_frame(event_bytes: bytes) -> bytes:
    """A frame (msgpack array) holding one event given as its raw msgpack bytes."""
    return b"\x91" + event_bytes
