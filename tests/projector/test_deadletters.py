"""Messages the projector cannot use go to BT_DEAD with the reason; the rest still lands."""

from __future__ import annotations

import asyncio

import msgspec
import nats

from benchtrail.projector import Projector, ensure_streams
from benchtrail.projector.deadletters import dead_letter_headers
from benchtrail.schemas import (
    DEAD_REASON_HEADER,
    DEAD_SEQUENCE_HEADER,
    DEAD_STREAM,
    DEAD_SUBJECT_HEADER,
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
    bad = {
        "garbage": (b"\xc1\xff not msgpack at all", "undecodable: "),
        "truncated": (encode_frame(events[3:5])[:-7], "undecodable: Input data was truncated"),
        "unknown type": (unknown_type, "undecodable: Invalid value 'bogus.event' - at `$[0].type`"),
        "wrong session": (encode_frame(stray), "wrong-session: event seq 1 has session_id"),
        "empty": (encode_frame([]), "empty-frame: "),
    }

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            before = await publish(js, events[:3])
            bad_seqs = {}
            for i, (name, (data, _)) in enumerate(bad.items()):
                bad_seqs[name] = await publish(js, events[3:5], msg_id=f"bad-{i}", data=data)
            after = await publish(js, events[3:])
            stats = await projector.wait_until_ingested(after, timeout=5)
        dead = [await js.get_msg(DEAD_STREAM, seq) for seq in range(1, len(bad) + 1)]
        await nc.close()
        return stats, before, bad_seqs, after, dead

    stats, before, bad_seqs, after, dead = asyncio.run(scenario())
    assert stats.dead_letters == len(bad)
    assert stats.frames == 2
    assert warehouse.table_counts()["events"] == 9
    assert warehouse.table_counts()["measurements"] == 5

    by_seq = {int(d.headers[DEAD_SEQUENCE_HEADER]): d for d in dead}
    assert set(by_seq) == set(bad_seqs.values())
    assert before < min(by_seq) and max(by_seq) < after
    for name, (data, reason) in bad.items():
        letter = by_seq[bad_seqs[name]]
        assert letter.headers[DEAD_REASON_HEADER].startswith(reason), name
        assert letter.headers[DEAD_SUBJECT_HEADER] == session.subject
        assert letter.subject == dead_subject(session.subject)
        assert letter.data == data


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
        reasons = [(await js.get_msg(DEAD_STREAM, n)).headers[DEAD_REASON_HEADER] for n in (1, 2)]
        await nc.close()
        return stats, reasons

    stats, reasons = asyncio.run(scenario())
    assert stats.dead_letters == 2
    assert reasons[0].startswith("wrong-station: event seq 1 has station_id 'cell-7'")
    assert reasons[1].startswith("bad-subject: ")
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
