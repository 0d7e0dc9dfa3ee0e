"""Fuzzing the projector's decoder: random and mutated bytes never crash it, and it sorts good
from bad exactly; then the same through a real hub and warehouse."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
import nats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchtrail.api.queries.measurement_events import measured_envelopes
from benchtrail.projector import FrameRejected, Projector
from benchtrail.projector.frames import CheckedFrame, check_frame
from benchtrail.projector.validation import EVENT_CODES
from benchtrail.schemas import (
    DEAD_EVENT_INDEX_HEADER,
    DEAD_SEQUENCE_HEADER,
    DEAD_STREAM,
    EVENT_TYPES,
    MSG_ID_HEADER,
    EventUnion,
    encode_event,
    event_subject,
    new_id,
    new_series_id,
    series_event_ids,
)

from ..schemas.strategies import struct_strategy
from .conftest import T0

STATION = "cell-7"
_UNSIGNED = {
    "pid",
    "slot_count",
    "run_count",
    "event_count",
    "measurement_count",
    "failed_measurement_count",
    "step_count",
    "duration_ns",
    "fencing_token",
    "size_bytes",
    "index",
}
_TIMES = {"start_ns", "end_ns", "range_min_timestamp_ns", "range_max_timestamp_ns"}
"""Times of files and window contributions: held to the time window like ``occurred_at``."""
_raw_frame = msgspec.msgpack.Decoder(list[msgspec.Raw])
_ENVELOPE = ("event_id", "session_id", "station_id", "seq", "occurred_at", "schema_version")


def _fit(value: object) -> object:
    """Counts, sizes and tokens made non-negative and modest, times put in the window."""
    if isinstance(value, dict):
        return {
            k: abs(v) % 2**31
            if k in _UNSIGNED and type(v) is int
            else T0 + abs(v) % 10**12
            if k in _TIMES and type(v) is int
            else _fit(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_fit(v) for v in value]
    return value


def _valid(event: msgspec.Struct, session_id: str, seq: int) -> dict[str, object]:
    """A generated event made valid for ``session_id``: envelope, names, limits, columns."""
    fields = _fit(msgspec.to_builtins(event))
    assert isinstance(fields, dict)
    fields |= {
        "event_id": new_id(),
        "session_id": session_id,
        "station_id": STATION,
        "seq": seq,
        "occurred_at": T0 + seq,
        "schema_version": 1,
    }
    if fields["type"] in {"measurement", "measurement.batch"}:
        fields["name"] = f"m-{fields['name']}"
        low, high = fields.get("low"), fields.get("high")
        if low is not None and high is not None and low > high:
            fields["low"], fields["high"] = high, low
    if fields["type"] == "measurement" and isinstance(fields["value"], str):
        fields["value"] = fields["value"][:100]
    if fields["type"] == "measurement.batch":
        values = fields["values"] or [0.0]
        fields |= {
            "kind": "float",
            "values": values,
            "texts": [],
            "names": [],
            "timestamps_ns": [T0 + i for i in range(len(values))],
        }
    if fields["type"] == "measurement.table":
        fields |= _valid_table(fields)
    if fields["type"] == "measurement.series":
        fields |= _valid_series(fields)
    return fields


def _valid_series(fields: dict) -> dict[str, object]:
    """A generated series of at least one float point, each column of one value."""
    values = fields["values"][:50] or [0.0]
    low, high = (fields["lows"] or [None])[0], (fields["highs"] or [None])[0]
    if low is not None and high is not None and low > high:
        low, high = high, low
    times = [fields["occurred_at"] + i for i in range(len(values))]
    return {
        "event_id": new_series_id(),
        "occurred_at_ns": times,
        "values": values,
        "kinds": ["float"],
        "texts": [],
        "run_ids": [""],
        "names": [f"m-{(fields['names'] or ['v'])[0]}"],
        "units": [""],
        "lows": [low],
        "highs": [high],
        "outcomes": ["unset"],
        "steps": [""],
    }


def _valid_table(fields: dict) -> dict[str, object]:
    """A generated dimensioned measurement with aligned, distinct axes of at least one point."""
    axes = fields["axes"][:32] or [{"name": "x", "unit": "", "values": [0.0]}]
    points = max(1, min(len(axis["values"]) for axis in axes))
    aligned = [
        {
            "name": f"a{i}",
            "unit": axis["unit"],
            "values": (axis["values"] or [0.0] * points)[:points],
        }
        for i, axis in enumerate(axes)
    ]
    for axis in aligned:
        axis["values"] += [0.0] * (points - len(axis["values"]))
    return {
        "name": f"t-{fields['name']}",
        "axes": aligned,
        "dimensions": min(fields["dimensions"], len(aligned)),
        "first_point": 0,
        "point_count": 0,
    }


EVENTS = st.one_of([struct_strategy(t) for t in EVENT_TYPES])


@st.composite
def valid_events(draw: st.DrawFn, session_id: str, first_seq: int, count: int) -> list[dict]:
    return [_valid(draw(EVENTS), session_id, first_seq + i) for i in range(count)]


def _bad(kind: str, good: dict[str, object]) -> object:
    """An element refused for a known reason, made from a good event."""
    match kind:
        case "nan":
            envelope = {k: good[k] for k in _ENVELOPE}
            return {**envelope, "type": "measurement", "name": "v", "value": float("nan")}
        case "wrong-session":
            return {**good, "session_id": "another-session"}
        case "swapped-tag":
            return {**good, "type": "measurement.batch", "values": "not a list"}
        case "unknown-tag":
            return {**good, "type": "bogus.event"}
        case "garbage":
            return ["not", "an", "event"]
        case _:
            raise AssertionError(kind)


BAD_KINDS = ["nan", "wrong-session", "swapped-tag", "unknown-tag", "garbage"]


def _outcome(subject: str, data: bytes) -> CheckedFrame | FrameRejected:
    try:
        return check_frame(subject, data, now_ns=T0)
    except FrameRejected as e:
        return e


def _assert_counts_add_up(data: bytes, frame: CheckedFrame) -> None:
    elements = _raw_frame.decode(data)
    assert len(frame.events) + len(frame.rejected) == len(elements)
    assert all(bad.code in EVENT_CODES for bad in frame.rejected)
    assert all(bytes(elements[bad.index]) == bad.data for bad in frame.rejected)
    good_indexes = sorted(set(range(len(elements))) - {bad.index for bad in frame.rejected})
    assert [encode_event(e) for e in frame.events] == [
        encode_event(msgspec.msgpack.decode(bytes(elements[i]), type=EventUnion))
        for i in good_indexes
    ]


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_decoder(data):
    subject = event_subject(STATION, "s1")
    outcome = _outcome(subject, data)
    if isinstance(outcome, CheckedFrame):
        _assert_counts_add_up(data, outcome)
    else:
        assert outcome.kind in {"undecodable", "empty-frame"}


def _mutate(data: bytes, mutation: str, at: int, junk: bytes) -> bytes:
    at %= max(len(data), 1)
    match mutation:
        case "flip":
            return (
                data[:at] + bytes([data[at] ^ (1 << (junk[0] % 8) if junk else 1)]) + data[at + 1 :]
            )
        case "truncate":
            return data[:at]
        case "splice":
            return data[:at] + junk + data[at:]
        case _:
            return data[:at] + data[at + len(junk) :]


@settings(max_examples=300)
@given(
    data=st.data(),
    mutation=st.sampled_from(["flip", "truncate", "splice", "cut"]),
    at=st.integers(min_value=0),
    junk=st.binary(min_size=1, max_size=16),
)
def test_mutated_frames_never_crash_and_every_element_is_accounted_for(data, mutation, at, junk):
    session_id = "s1"
    events = data.draw(valid_events(session_id, 1, data.draw(st.integers(1, 6))))
    frame = msgspec.msgpack.encode(events)
    mutated = _mutate(frame, mutation, at, junk)
    outcome = _outcome(event_subject(STATION, session_id), mutated)
    if isinstance(outcome, CheckedFrame):
        _assert_counts_add_up(mutated, outcome)
    else:
        assert outcome.kind in {"undecodable", "empty-frame"}


@settings(max_examples=200)
@given(data=st.data())
def test_in_a_mixed_frame_every_good_event_is_kept_and_every_bad_one_named(data):
    session_id = new_id()
    good = data.draw(valid_events(session_id, 1, data.draw(st.integers(0, 6))))
    bad_kinds = data.draw(st.lists(st.sampled_from(BAD_KINDS), min_size=1, max_size=4))
    elements: list[object] = list(good)
    bad_at = []
    for kind in bad_kinds:
        at = data.draw(st.integers(0, len(elements)))
        template = good[0] if good else _valid(data.draw(EVENTS), session_id, 99)
        elements.insert(at, (kind, _bad(kind, template)))
    for index, element in enumerate(elements):
        if isinstance(element, tuple):
            bad_at.append((index, element[0]))
            elements[index] = element[1]

    frame = check_frame(
        event_subject(STATION, session_id), msgspec.msgpack.encode(elements), now_ns=T0
    )

    assert [e.event_id for e in frame.events] == [e["event_id"] for e in good]
    assert [bad.index for bad in frame.rejected] == [index for index, _ in bad_at]
    expected_codes = {
        "nan": "non-finite",
        "wrong-session": "wrong-session",
        "swapped-tag": "invalid-event",
        "unknown-tag": "unknown-type",
        "garbage": "not-an-event",
    }
    assert [bad.code for bad in frame.rejected] == [expected_codes[k] for _, k in bad_at]


# -- through a real hub and warehouse -----------------------------------------------------


class Sent(msgspec.Struct, frozen=True):
    """A message to publish and what must come of it."""

    subject: str
    data: bytes
    lands: list[str]  # event_ids that must be stored
    dead_events: int = 0  # per-event dead letters expected
    dead_whole: bool = False  # the whole message is one dead letter


PLAN = st.tuples(
    st.sampled_from(["good", "good", "mixed", "garbage", "truncated"]),
    st.integers(0, 2),  # session
    st.integers(1, 4),  # good events
    st.lists(st.sampled_from(BAD_KINDS), min_size=1, max_size=3),
    st.floats(0.01, 0.99),  # where a truncated frame is cut
)


def _landing_ids(event: dict) -> list[str]:
    """The event ids a good event gives rows of ``events`` (a series: each point's)."""
    if event["type"] == "measurement.series":
        return series_event_ids(event["event_id"], len(event["occurred_at_ns"]))
    return [event["event_id"]]


@st.composite
def messages(draw: st.DrawFn, count: int) -> list[Sent]:
    """``count`` messages of three sessions: good, mixed, garbage or truncated frames.

    The events are drawn once from the schema's strategies (a pool of 12) and
    reused with fresh envelopes, to keep each example's entropy modest.
    """
    pool = draw(st.lists(EVENTS, min_size=12, max_size=12))
    sessions = [new_id() for _ in range(3)]
    seqs = dict.fromkeys(sessions, 0)
    out = []
    for n, (kind, which, size, kinds, cut) in enumerate(
        draw(st.lists(PLAN, min_size=count, max_size=count))
    ):
        session_id = sessions[which]
        subject = event_subject(STATION, session_id)
        first = seqs[session_id] + 1
        good = [_valid(pool[(n + i) % len(pool)], session_id, first + i) for i in range(size)]
        seqs[session_id] += size
        ids = [i for e in good for i in _landing_ids(e)]
        data = msgspec.msgpack.encode(good)
        if kind == "good":
            out.append(Sent(subject, data, ids))
        elif kind == "mixed":
            bad = [_bad(k, good[0]) for k in kinds]
            data = msgspec.msgpack.encode([*bad[:1], *good[1:], *bad[1:]])
            lands = [i for e in good[1:] for i in _landing_ids(e)]
            out.append(Sent(subject, data, lands, dead_events=len(bad)))
        elif kind == "garbage":
            out.append(Sent(subject, b"\xc1" + data[: int(cut * 64)], [], dead_whole=True))
        else:
            out.append(Sent(subject, data[: max(1, int(cut * len(data)))], [], dead_whole=True))
    return out


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_through_a_real_hub_good_events_land_exactly_and_bad_ones_are_dead_letters(
    warehouse, hub_url, fast_settings, data
):
    sent = data.draw(messages(200))
    tag = uuid.uuid4().hex[:8]

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            before = projector.stats.dead_letters
            acks = [
                await js.publish(m.subject, m.data, headers={MSG_ID_HEADER: f"{tag}-{i}"})
                for i, m in enumerate(sent)
            ]
            stats = await projector.wait_until_ingested(acks[-1].seq, timeout=30)
            running = projector.running
        ours = {ack.seq for ack in acks}
        letters = []
        info = await js.stream_info(DEAD_STREAM)
        for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
            letter = await js.get_msg(DEAD_STREAM, seq)
            if int(letter.headers[DEAD_SEQUENCE_HEADER]) in ours:
                letters.append(letter)
        await nc.close()
        return stats.dead_letters - before, running, letters

    dead_count, running, letters = asyncio.run(scenario())
    sessions = sorted({m.subject.rsplit(".", 1)[1] for m in sent})
    stored = warehouse.rows(
        f"SELECT event_id FROM (SELECT event_id, session_id FROM {warehouse.database}.events"
        " FINAL UNION ALL SELECT event_id, session_id"
        f" FROM ({measured_envelopes(warehouse.database, final=True)}))"
        " WHERE session_id IN {sessions:Array(String)} ORDER BY event_id",
        {"sessions": sessions},
    )
    assert running
    assert [row["event_id"] for row in stored] == sorted(i for m in sent for i in m.lands)
    whole = [m for m in letters if DEAD_EVENT_INDEX_HEADER not in m.headers]
    assert len(whole) == sum(m.dead_whole for m in sent)
    assert len(letters) - len(whole) == sum(m.dead_events for m in sent)
    assert dead_count == len(letters)
