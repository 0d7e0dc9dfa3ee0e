"""Checking a message of ``BT_EVENTS`` before it is projected: decode it, then check it.

A message that fails here is not retried: it goes to ``BT_DEAD`` with the
reason, and the projector moves on.
"""

from __future__ import annotations

from typing import Final

import msgspec

from benchtrail.projector.errors import FrameRejected
from benchtrail.schemas import (
    EventUnion,
    FrameDecodeError,
    Measurement,
    MeasurementBatch,
    decode_frame,
)

_SUBJECT_TOKENS: Final = 4


class CheckedFrame(msgspec.Struct, frozen=True):
    """The events of one message, checked against its subject.

    Attributes:
        events: the frame's events, in the order published.
        measurement_rows: rows the frame adds to the ``measurements`` table.
    """

    events: list[EventUnion]
    measurement_rows: int


def subject_ids(subject: str) -> tuple[str, str]:
    """The station id and session id named by a subject ``bt.evt.<station_id>.<session_id>``.

    Raises:
        FrameRejected: the subject does not have that shape.
    """
    tokens = subject.split(".")
    if len(tokens) != _SUBJECT_TOKENS or tokens[:2] != ["bt", "evt"] or not all(tokens[2:]):
        raise FrameRejected(subject, "bad-subject", "expected bt.evt.<station_id>.<session_id>")
    return tokens[2], tokens[3]


def check_frame(subject: str, data: bytes) -> CheckedFrame:
    """Decode a message and check every event against the subject it came on.

    Raises:
        FrameRejected: the bytes are not a frame, the frame is empty, an event
            belongs to another station or session than the subject says, or a
            ``measurement.batch`` has columns of different lengths.
    """
    station_id, session_id = subject_ids(subject)
    try:
        events = decode_frame(data)
    except FrameDecodeError as e:
        raise FrameRejected(subject, "undecodable", f"{e.reason} ({e.size} bytes)") from e
    if not events:
        raise FrameRejected(subject, "empty-frame", "the frame holds no events")
    rows = 0
    for event in events:
        _check_owner(subject, event, station_id, session_id)
        rows += measurement_rows(subject, event)
    return CheckedFrame(events, rows)


def _check_owner(subject: str, event: EventUnion, station_id: str, session_id: str) -> None:
    if event.session_id != session_id:
        raise FrameRejected(
            subject,
            "wrong-session",
            f"event seq {event.seq} has session_id {event.session_id!r}, "
            f"the subject says {session_id!r}",
        )
    if event.station_id != station_id:
        raise FrameRejected(
            subject,
            "wrong-station",
            f"event seq {event.seq} has station_id {event.station_id!r}, "
            f"the subject says {station_id!r}",
        )


def measurement_rows(subject: str, event: EventUnion) -> int:
    """Rows an event adds to the ``measurements`` table; checks a batch's columns align.

    Raises:
        FrameRejected: a ``measurement.batch`` whose ``timestamps_ns`` or ``names``
            are not as long as its points (``values``, or ``texts`` for a ``str``
            batch), or that fills the other list too.
    """
    match event:
        case Measurement():
            return 1
        case MeasurementBatch(
            values=values, timestamps_ns=timestamps, names=names, kind=kind, texts=texts
        ):
            points = texts if kind == "str" else values
            extra = values if kind == "str" else texts
            if len(timestamps) != len(points) or (names and len(names) != len(points)) or extra:
                raise FrameRejected(
                    subject,
                    "misaligned-batch",
                    f"measurement.batch seq {event.seq} of kind {kind!r} has {len(values)}"
                    f" values, {len(texts)} texts, {len(timestamps)} timestamps and"
                    f" {len(names)} names",
                )
            return len(points)
        case _:
            return 0
