"""Event types: wire round trips, frames, tags and the committed JSON Schema."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchtrail.schemas import (
    EVENT_TAGS,
    EVENT_TYPES,
    FrameDecodeError,
    InvalidSubject,
    Measurement,
    decode_event,
    decode_frame,
    encode_event,
    encode_frame,
    event_subject,
    event_tag,
    frame_msg_id,
    from_json,
    new_id,
    now_ns,
    to_json,
)
from benchtrail.schemas.schema_export import REGENERATE_COMMAND, SCHEMA_PATH, event_json_schema

from .strategies import struct_strategy

any_event = st.one_of([struct_strategy(t) for t in EVENT_TYPES])


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=event_tag)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_event_type_round_trips_through_msgpack_and_json(event_type, data):
    event = data.draw(struct_strategy(event_type))
    assert decode_event(encode_event(event)) == event
    assert from_json(to_json(event)) == event


@settings(max_examples=60, deadline=None)
@given(st.lists(any_event, min_size=1, max_size=8))
def test_frames_of_mixed_events_round_trip_in_order(events):
    assert decode_frame(encode_frame(events)) == events


def test_tags_are_explicit_and_stable():
    assert {
        "session.started",
        "session.ended",
        "run.started",
        "run.ended",
        "step.started",
        "step.ended",
        "measurement",
        "measurement.batch",
        "measurement.series",
        "instrument.call",
        "lock.acquired",
        "lock.released",
        "file.attached",
        "device.attached",
        "device.detached",
        "log",
        "window.created",
        "window.updated",
        "window.deleted",
        "file.registered",
        "file.added",
        "file.removed",
        "measurement.table",
        "attachment.added",
    } == EVENT_TAGS
    event = Measurement(
        event_id=new_id(),
        session_id=new_id(),
        station_id="cell-7",
        seq=1,
        occurred_at=now_ns(),
        name="vout",
        value=5.0,
    )
    assert msgspec.json.decode(to_json(event))["type"] == "measurement"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"\xc1", "invalid"),
        (msgspec.msgpack.encode([{"type": "no.such.event"}]), "Invalid value 'no.such.event'"),
        (msgspec.msgpack.encode([{"type": "measurement", "seq": 1}]), "missing required field"),
    ],
)
def test_bad_frames_raise_a_decode_error_naming_the_problem(payload, fragment):
    with pytest.raises(FrameDecodeError, match=fragment):
        decode_frame(payload)


def test_non_finite_limits_are_rejected_on_decode():
    event = Measurement(
        event_id=new_id(),
        session_id=new_id(),
        station_id="cell-7",
        seq=1,
        occurred_at=now_ns(),
        name="vout",
        value=5.0,
        low=float("nan"),
    )
    with pytest.raises(FrameDecodeError, match=r"\$\[0\]\.low"):
        decode_frame(encode_frame([event]))


def test_subjects_and_message_ids():
    assert event_subject("cell-7", "abc") == "bt.evt.cell-7.abc"
    assert frame_msg_id("abc", 17) == "abc:17"
    with pytest.raises(InvalidSubject, match=r"'cell\.7'"):
        event_subject("cell.7", "abc")


def test_committed_json_schema_is_current():
    committed = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    assert committed == event_json_schema(), (
        f"schemas/event-schema.json is out of date; regenerate it with: {REGENERATE_COMMAND}"
    )
