"""Messages the projector cannot use go to BT_DEAD with the reason; the rest still lands."""

from __future__ import annotations

import asyncio

import msgspec
import nats

from benchtrail.projector import Projector, ensure_streams
from benchtrail.projector.deadletters import dead_letter_headers
from benchtrail.schemas import (
    DEAD_EVENT_INDEX_HEADER,
    DEAD_REASON_HEADER,
    DEAD_SEQUENCE_HEADER,
    DEAD_STREAM,
    DEAD_SUBJECT_HEADER,
    MSG_ID_HEADER,
    dead_subject,
    encode_frame,
)


def test_malformed_messages_are_dead_lettered_and_valid_frames_still_land(
    warehouse, hub_url, session, publish, fast_settings
):
    events = session.full_run()
    other = type(session)()  # another session on the same station
    stray = other.measurements(2)
    unknown_type = msgspec.msgpack.encode([{"type": "bogus.event", **session.envelope()}])
    whole = {
        "garbage": (b"\xc1\xff not msgpack at all", "undecodable: "),
        "truncated": (encode_frame(events[3:5])[:-7], "undecodable: Input data was truncated"),
        "empty": (encode_frame([]), "empty-frame: "),
    }
    per_event = {
        "unknown type": (unknown_type, ["unknown-type: Invalid value 'bogus.event' - at `$.type`"]),
        "wrong session": (
            encode_frame(stray),
            [f"wrong-session: event seq {n} has session_id" for n in (1, 2)],
        ),
    }
    bad = {name: data for name, (data, _) in (whole | per_event).items()}

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            before = await publish(js, events[:3])
            bad_seqs = {}
            for i, (name, data) in enumerate(bad.items()):
                bad_seqs[name] = await publish(js, events[3:5], msg_id=f"bad-{i}", data=data)
            after = await publish(js, events[3:])
            stats = await projector.wait_until_ingested(after, timeout=5)
        dead = [await js.get_msg(DEAD_STREAM, seq) for seq in range(1, 7)]
        await nc.close()
        return stats, before, bad_seqs, after, dead

    stats, before, bad_seqs, after, dead = asyncio.run(scenario())
    assert stats.dead_letters == 6  # events quarantined: 3 whole messages, 3 single events
    assert stats.frames == 2
    assert warehouse.table_counts(["events", "measurement_events", "measurements"]) == {
        "events": 6,
        "measurement_events": 3,
        "measurements": 5,
    }

    letters: dict[tuple[int, str | None], object] = {
        (int(d.headers[DEAD_SEQUENCE_HEADER]), d.headers.get(DEAD_EVENT_INDEX_HEADER)): d
        for d in dead
    }
    assert {seq for seq, _ in letters} == set(bad_seqs.values())
    assert before < min(bad_seqs.values()) and max(bad_seqs.values()) < after
    for name, (data, reason) in whole.items():
        letter = letters[bad_seqs[name], None]
        assert letter.headers[DEAD_REASON_HEADER].startswith(reason), name
        assert letter.headers[DEAD_SUBJECT_HEADER] == session.subject
        assert letter.headers[MSG_ID_HEADER] == f"dead:{bad_seqs[name]}"
        assert letter.subject == dead_subject(session.subject)
        assert letter.data == data
    for name, (data, reasons) in per_event.items():
        originals = msgspec.msgpack.decode(data, type=list[msgspec.Raw])
        for index, reason in enumerate(reasons):
            letter = letters[bad_seqs[name], str(index)]
            assert letter.headers[DEAD_REASON_HEADER].startswith(reason), name
            assert letter.headers[MSG_ID_HEADER] == f"dead:{bad_seqs[name]}:{index}"
            assert letter.data == b"\x91" + bytes(originals[index])  # a frame of that one event


def test_the_good_events_of_a_mixed_frame_land_and_each_bad_one_is_a_dead_letter(
    warehouse, hub_url, session, publish, fast_settings
):
    good = session.measurements(4)
    nan = {**msgspec.to_builtins(session.measurements(1)[0]), "value": float("nan")}
    limits = {**msgspec.to_builtins(session.measurements(1)[0]), "low": 2.0, "high": 1.0}
    elements = [good[0], nan, good[1], good[2], limits, good[3]]
    data = msgspec.msgpack.encode(elements)

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            seq = await publish(js, good, data=data)
            stats = await projector.wait_until_ingested(seq, timeout=5)
        dead = [await js.get_msg(DEAD_STREAM, n) for n in (1, 2)]
        info = await js.stream_info(DEAD_STREAM)
        await nc.close()
        return stats, dead, info.state.messages

    stats, dead, dead_count = asyncio.run(scenario())
    assert (stats.dead_letters, stats.frames, stats.events) == (2, 1, 4)
    assert dead_count == 2
    stored = warehouse.rows(
        f"SELECT name FROM {warehouse.database}.measurements FINAL ORDER BY name"
    )
    assert [row["name"] for row in stored] == ["m0", "m1", "m2", "m3"]
    by_index = {int(d.headers[DEAD_EVENT_INDEX_HEADER]): d for d in dead}
    assert set(by_index) == {1, 4}
    assert by_index[1].headers[DEAD_REASON_HEADER].startswith("non-finite: ")
    assert (
        by_index[4]
        .headers[DEAD_REASON_HEADER]
        .startswith("bad-limits: 'm0' seq 6: low limit 2.0 is above high limit 1.0")
    )
    assert msgspec.msgpack.decode(by_index[4].data) == [limits]


def test_a_frame_on_another_station_subject_is_dead_lettered(
    warehouse, hub_url, session, publish, fast_settings
):
    events = session.measurements(3)
    wrong_subject = f"bt.evt.cell-8.{session.session_id}"

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            await publish(js, events, subject=wrong_subject)
            seq = await publish(js, events, subject="bt.evt.cell-7", msg_id="short-subject")
            stats = await projector.wait_until_ingested(seq, timeout=5)
        reasons = [
            (await js.get_msg(DEAD_STREAM, n)).headers[DEAD_REASON_HEADER] for n in (1, 2, 3, 4)
        ]
        await nc.close()
        return stats, reasons

    stats, reasons = asyncio.run(scenario())
    assert stats.dead_letters == 4  # each of the 3 events, and the whole message
    # The two messages' dead letters may be stored in either order (their batches differ).
    wrong = sorted(r for r in reasons if r.startswith("wrong-station: "))
    assert wrong == [
        f"wrong-station: event seq {n} has station_id 'cell-7', the subject says 'cell-8'"
        for n in (1, 2, 3)
    ]
    assert next(r for r in reasons if r not in wrong).startswith("bad-subject: ")
    assert warehouse.table_counts()["events"] == 0


def test_a_dead_letter_is_stored_once_per_original_sequence(hub_url):
    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        await ensure_streams(js)
        headers = dead_letter_headers("bt.evt.cell-7.s1", 41, "undecodable: test")
        first = await js.publish("bt.dead.cell-7.s1", b"x", headers=dict(headers))
        again = await js.publish("bt.dead.cell-7.s1", b"x", headers=dict(headers))
        await nc.close()
        return first, again

    first, again = asyncio.run(scenario())
    assert first.stream == DEAD_STREAM
    assert not first.duplicate
    assert again.duplicate
