"""Per-event rules of the projector: every refused event is named with a reason code."""

from __future__ import annotations

import msgspec
import pytest

from benchtrail.agents import InvalidMeasurement
from benchtrail.agents.validation import check_limits, check_name, check_value
from benchtrail.projector import FrameRejected
from benchtrail.projector.frames import check_frame
from benchtrail.projector.validation import EVENT_CODES
from benchtrail.schemas import (
    MAX_NAME,
    MAX_TEXT_VALUE,
    Measurement,
    MeasurementBatch,
    SessionStarted,
    StationInfo,
    encode_frame,
)

from .conftest import T0, Session

DAY_NS = 86_400_000_000_000


def _measurement(session: Session, **changes: object) -> dict[str, object]:
    event = Measurement(**session.envelope(), run_id=session.run_id, name="vout", value=5.0)
    return {**msgspec.to_builtins(event), **changes}


def _batch(session: Session, **changes: object) -> dict[str, object]:
    event = MeasurementBatch(
        **session.envelope(),
        run_id=session.run_id,
        name="ripple",
        values=[0.1, 0.2],
        timestamps_ns=[T0, T0 + 1],
    )
    return {**msgspec.to_builtins(event), **changes}


BAD_EVENTS = {
    "NaN value": (_measurement, {"value": float("nan")}, "non-finite"),
    "infinite value": (_measurement, {"value": float("-inf")}, "non-finite"),
    "NaN low limit": (_measurement, {"low": float("nan")}, "non-finite"),
    "infinite high limit": (_measurement, {"high": float("inf")}, "non-finite"),
    "low above high": (_measurement, {"low": 2.0, "high": 1.0}, "bad-limits"),
    "seq 0": (_measurement, {"seq": 0}, "bad-seq"),
    "seq -1": (_measurement, {"seq": -1}, "bad-seq"),
    "before 2000": (_measurement, {"occurred_at": 946_684_799_999_999_999}, "bad-time"),
    "two days ahead": (_measurement, {"occurred_at": T0 + 2 * DAY_NS}, "bad-time"),
    "negative time": (_measurement, {"occurred_at": -5}, "bad-time"),
    "unknown type": (_measurement, {"type": "measurement.v2"}, "unknown-type"),
    "no type": (_measurement, {"type": None}, "unknown-type"),
    "value of a wrong type": (_measurement, {"value": [1, 2]}, "invalid-event"),
    "name of a wrong type": (_measurement, {"name": 42}, "invalid-event"),
    "missing name": (_measurement, {"name": None}, "invalid-event"),
    "blank name": (_measurement, {"name": "   "}, "bad-name"),
    "text value too long": (_measurement, {"value": "x" * (MAX_TEXT_VALUE + 1)}, "value-too-long"),
    "another session": (_measurement, {"session_id": "s-other"}, "wrong-session"),
    "another station": (_measurement, {"station_id": "cell-8"}, "wrong-station"),
    "schema version too large": (_measurement, {"schema_version": 70_000}, "out-of-range"),
    "NaN in a batch": (_batch, {"values": [0.1, float("nan")]}, "non-finite"),
    "inf in a batch": (_batch, {"values": [float("inf"), 0.1]}, "non-finite"),
    "batch misaligned": (_batch, {"timestamps_ns": [T0]}, "misaligned-batch"),
    "batch names misaligned": (_batch, {"names": ["a"]}, "misaligned-batch"),
    "empty batch": (_batch, {"values": [], "timestamps_ns": []}, "empty-batch"),
    "batch low above high": (_batch, {"low": 1.0, "high": 0.0}, "bad-limits"),
    "batch blank name": (_batch, {"name": ""}, "bad-name"),
    "batch blank point name": (_batch, {"name": "", "names": ["a", " "]}, "bad-name"),
}


def _check(session: Session, elements: list[object]) -> object:
    return check_frame(session.subject, msgspec.msgpack.encode(elements), now_ns=T0)


@pytest.mark.parametrize("case", list(BAD_EVENTS))
def test_a_bad_event_is_refused_with_its_code_and_its_neighbours_are_kept(session, case):
    build, changes, code = BAD_EVENTS[case]
    before, bad, after = _measurement(session), build(session, **changes), _measurement(session)
    if changes.get("type") is None and "type" in changes:
        del bad["type"]
    frame = _check(session, [before, bad, after])

    assert [event.seq for event in frame.events] == [before["seq"], after["seq"]]
    assert frame.measurement_rows == 2
    [rejected] = frame.rejected
    assert (rejected.index, rejected.code) == (1, code), rejected.detail
    assert code in EVENT_CODES
    assert rejected.detail
    assert rejected.data == msgspec.msgpack.encode(bad)  # the event's own bytes, as sent


OVER_THE_LIMITS = {
    "text value too long": ("value", "x" * (MAX_TEXT_VALUE + 1)),
    "name too long": ("name", "n" * (MAX_NAME + 1)),
    "blank name": ("name", " \t"),
    "low above high": ("limits", (2.0, 1.0)),
}
AT_THE_LIMITS = {
    "longest text value": ("value", "x" * MAX_TEXT_VALUE),
    "longest name": ("name", "n" * MAX_NAME),
    "equal limits": ("limits", (1.0, 1.0)),
}


def _agent_checks(field: str, value: object) -> None:
    if field == "limits":
        check_limits("vout", *value)
    elif field == "name":
        check_name(value)
    else:
        check_value("vout", value)


def _hand_made(session: Session, field: str, value: object) -> dict[str, object]:
    if field == "limits":
        low, high = value
        return _measurement(session, low=low, high=high)
    return _measurement(session, **{field: value})


@pytest.mark.parametrize("case", list(OVER_THE_LIMITS))
def test_what_the_agent_refuses_at_the_call_the_projector_refuses_when_hand_made(session, case):
    field, value = OVER_THE_LIMITS[case]
    with pytest.raises(InvalidMeasurement):
        _agent_checks(field, value)
    frame = _check(session, [_hand_made(session, field, value)])
    assert frame.events == []
    assert len(frame.rejected) == 1


@pytest.mark.parametrize("case", list(AT_THE_LIMITS))
def test_what_the_agent_accepts_at_the_limits_the_projector_projects(session, case):
    field, value = AT_THE_LIMITS[case]
    _agent_checks(field, value)
    frame = _check(session, [_hand_made(session, field, value)])
    assert frame.rejected == []
    assert len(frame.events) == 1


def test_a_good_frame_takes_the_fast_path_with_nothing_rejected(session):
    events = session.full_run()
    frame = check_frame(session.subject, encode_frame(events), now_ns=T0)
    assert frame.events == events
    assert frame.rejected == []
    assert frame.measurement_rows == 2 + 3  # two measurements, a batch of three


def test_an_event_one_day_ahead_of_the_hub_clock_is_still_accepted(session):
    ahead = _measurement(session, occurred_at=T0 + DAY_NS)
    assert len(_check(session, [ahead]).events) == 1


def test_an_event_of_a_session_not_seen_starting_is_accepted(session):
    # Frames can be stored out of order after a resend: a session's first frame may come later.
    orphan = _measurement(session, seq=42)
    frame = _check(session, [orphan])
    assert [event.seq for event in frame.events] == [42]


def test_numbers_too_large_for_their_column_are_refused(session):
    started = SessionStarted(
        **session.envelope(), station=StationInfo(id=session.station_id), slot_count=2**40
    )
    frame = check_frame(session.subject, encode_frame([started]), now_ns=T0)
    assert frame.events == []
    assert frame.rejected[0].code == "out-of-range"
    assert "slot_count 1099511627776" in frame.rejected[0].detail


def test_an_element_that_is_not_an_event_is_refused(session):
    frame = _check(session, [_measurement(session), 17, "text", None])
    assert [(r.index, r.code) for r in frame.rejected] == [
        (1, "not-an-event"),
        (2, "not-an-event"),
        (3, "not-an-event"),
    ]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "undecodable"),
        (b"\xc1", "undecodable"),
        (msgspec.msgpack.encode({"type": "measurement"}), "undecodable"),
        (msgspec.msgpack.encode([]), "empty-frame"),
        (msgspec.msgpack.encode([1, 2])[:-1], "undecodable"),
    ],
)
def test_bytes_that_are_not_a_frame_are_rejected_whole(session, data, kind):
    with pytest.raises(FrameRejected) as caught:
        check_frame(session.subject, data, now_ns=T0)
    assert caught.value.kind == kind


def test_a_bad_subject_rejects_the_whole_message(session):
    with pytest.raises(FrameRejected) as caught:
        check_frame("bt.evt.cell-7", encode_frame(session.measurements(1)), now_ns=T0)
    assert caught.value.kind == "bad-subject"
