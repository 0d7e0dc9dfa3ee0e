"""Malformed input against a whole hub: every bad message or event quarantined, no good one lost.

10,000 malformed messages (random bytes, unknown tags, NaN, wrong session, bad times)
are interleaved with good frames; afterwards the warehouse holds exactly the good
events (count and event ids), ``BT_DEAD`` exactly the bad ones, and the projector
still runs. Then an "upgrade" relaxes one rule and a retry lands what it refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import random

import msgspec
import nats
from nats.js.api import AckPolicy, ConsumerConfig

from benchtrail.api import EventStore
from benchtrail.schemas import (
    DEAD_EVENT_INDEX_HEADER,
    DEAD_STREAM,
    MSG_ID_HEADER,
    Measurement,
    TimeWindow,
    encode_frame,
    event_subject,
    new_id,
    now_ns,
)

STATION = "cell-7"
DAY_NS = 86_400_000_000_000
MALFORMED = 10_000
GOOD_FRAMES = 500
GOOD_PER_FRAME = 20
IN_FLIGHT = 512


class Traffic(msgspec.Struct):
    """What was sent, and what must come of it."""

    frames: list[tuple[str, bytes]] = msgspec.field(default_factory=list)
    good_ids: list[str] = msgspec.field(default_factory=list)
    dead_events: int = 0
    dead_whole: int = 0


def _envelope(session_id: str, seq: int) -> dict[str, object]:
    return {
        "event_id": new_id(),
        "session_id": session_id,
        "station_id": STATION,
        "seq": seq,
        "occurred_at": now_ns(),
    }


def _malformed(kind: str, rng: random.Random, session_id: str, seq: int) -> bytes:
    envelope = _envelope(session_id, seq)
    match kind:
        case "random-bytes":
            return b"\xc1" + rng.randbytes(rng.randint(0, 200))
        case "bad-tag":
            return msgspec.msgpack.encode([{**envelope, "type": f"bogus.{rng.randint(0, 9)}"}])
        case "nan":
            nan = {**envelope, "type": "measurement", "name": "v", "value": float("nan")}
            return msgspec.msgpack.encode([nan])
        case "wrong-session":
            stray = Measurement(**{**envelope, "session_id": new_id()}, name="v", value=1.0)
            return encode_frame([stray])
        case _:
            ahead = {**envelope, "occurred_at": now_ns() + 2 * DAY_NS}
            return encode_frame([Measurement(**ahead, name="skewed", value=1.0)])


def _traffic(seed: int) -> Traffic:
    rng = random.Random(seed)
    session_id = new_id()
    subject = event_subject(STATION, session_id)
    traffic = Traffic()
    seq = 0
    kinds = ["random-bytes", "bad-tag", "nan", "wrong-session", "clock-ahead"]
    bad_per_good = MALFORMED // GOOD_FRAMES
    for _ in range(GOOD_FRAMES):
        good = []
        for i in range(GOOD_PER_FRAME):
            seq += 1
            good.append(Measurement(**_envelope(session_id, seq), name=f"m{i}", value=float(i)))
        traffic.frames.append((subject, encode_frame(good)))
        traffic.good_ids += [event.event_id for event in good]
        for _ in range(bad_per_good):
            seq += 1
            kind = rng.choice(kinds)
            traffic.frames.append((subject, _malformed(kind, rng, session_id, seq)))
            if kind == "random-bytes":
                traffic.dead_whole += 1
            else:
                traffic.dead_events += 1
    return traffic


async def _publish(url: str, frames: list[tuple[str, bytes]]) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for start in range(0, len(frames), IN_FLIGHT):
        chunk = frames[start : start + IN_FLIGHT]
        await asyncio.gather(
            *(
                js.publish(subject, data, headers={MSG_ID_HEADER: f"m-{start + i}"})
                for i, (subject, data) in enumerate(chunk)
            )
        )
    await nc.close()


async def _dead_letters(url: str) -> tuple[int, int]:
    """Dead letters in BT_DEAD: (single events, whole messages)."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info(DEAD_STREAM)
    config = ConsumerConfig(ack_policy=AckPolicy.NONE)
    sub = await js.pull_subscribe("bt.dead.>", stream=DEAD_STREAM, config=config)
    events = whole = 0
    while events + whole < info.state.messages:
        for msg in await sub.fetch(1000, timeout=5):
            if DEAD_EVENT_INDEX_HEADER in (msg.headers or {}):
                events += 1
            else:
                whole += 1
    await sub.unsubscribe()
    await nc.close()
    return events, whole


def _digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def test_ten_thousand_malformed_messages_all_quarantined_none_good_lost(running_hub):
    traffic = _traffic(seed=7)
    asyncio.run(_publish(running_hub.nats.url, traffic.frames))
    running_hub.wait_ingested(timeout=120)

    stored = running_hub.warehouse.rows(
        f"SELECT event_id FROM {_envelopes(running_hub.warehouse.database)}"
    )
    events, whole = asyncio.run(_dead_letters(running_hub.nats.url))
    stats = running_hub.projector.stats

    assert traffic.dead_events + traffic.dead_whole == MALFORMED
    assert len(stored) == len(traffic.good_ids) == GOOD_FRAMES * GOOD_PER_FRAME  # 0 good lost
    assert _digest([row["event_id"] for row in stored]) == _digest(traffic.good_ids)
    assert (events, whole) == (traffic.dead_events, traffic.dead_whole)  # 100% quarantined
    assert stats.dead_letters == MALFORMED
    assert running_hub.projector.running


def test_retry_after_an_upgrade_lands_the_events_a_relaxed_rule_refused(running_hub, monkeypatch):
    session_id = new_id()
    subject = event_subject(STATION, session_id)
    ahead = [
        Measurement(
            **{**_envelope(session_id, seq), "occurred_at": now_ns() + 2 * DAY_NS},
            name="skewed",
            value=float(seq),
        )
        for seq in range(1, 201)
    ]
    nan = _malformed("nan", random.Random(1), session_id, 201)
    frames = [(subject, encode_frame(ahead[i : i + 10])) for i in range(0, 200, 10)]
    asyncio.run(_publish(running_hub.nats.url, [*frames, (subject, nan)]))
    running_hub.wait_ingested()

    with EventStore(running_hub.api_url) as store:
        before = store.dead_letters(limit=1000)
        # The upgrade: this version accepts station clocks up to 3 days ahead.
        projector = running_hub.projector
        relaxed = TimeWindow(future_slack=3 * DAY_NS / 1e9)
        upgraded = msgspec.structs.replace(projector.settings, time_window=relaxed)
        monkeypatch.setattr(projector, "settings", upgraded)
        retried = store.retry_dead_letters(reason="bad-time")
        running_hub.wait_ingested()
        after = store.dead_letters(limit=1000)

    stored = running_hub.warehouse.rows(
        f"SELECT event_id FROM {_envelopes(running_hub.warehouse.database)}"
        " WHERE session_id = {s:String}",
        {"s": session_id},
    )
    assert sorted(letter.reason_code for letter in before.items) == ["bad-time"] * 200 + [
        "non-finite"
    ]
    assert len(retried) == 200
    assert _digest([row["event_id"] for row in stored]) == _digest([e.event_id for e in ahead])
    assert [letter.reason_code for letter in after.items] == ["non-finite"]
    assert running_hub.projector.running


def _envelopes(db: str) -> str:
    """Every stored event's envelope: ``events`` and ``measurement_events``."""
    return (
        f"(SELECT event_id, session_id FROM {db}.events FINAL"
        f" UNION ALL SELECT event_id, session_id FROM {db}.measurement_events FINAL)"
    )
