"""Fixtures for agent tests: a hub with benchtrail's streams, and a reader of what landed."""

from __future__ import annotations

import asyncio

import msgspec
import nats
import pytest

from benchtrail.projector.streams import ensure_streams
from benchtrail.schemas import EVENTS_STREAM, EventUnion, decode_frame, expand_events


class Landed(msgspec.Struct):
    """What a JetStream stream holds: messages with their headers and decoded events.

    ``events`` are the events as recorded (a ``measurement.series`` is its
    ``measurement`` events); ``wire`` are the events as the frames carry them.
    """

    subjects: list[str]
    msg_ids: list[str]
    events: list[EventUnion]
    wire: list[EventUnion] = msgspec.field(default_factory=list)


async def _read_stream(url: str) -> Landed:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(EVENTS_STREAM)).state.messages
        landed = Landed([], [], [])
        for seq in range(1, total + 1):
            msg = await js.get_msg(EVENTS_STREAM, seq)
            landed.subjects.append(msg.subject)
            landed.msg_ids.append((msg.headers or {}).get("Nats-Msg-Id", ""))
            frame = decode_frame(msg.data or b"")
            landed.wire.extend(frame)
            landed.events.extend(expand_events(frame))
        return landed
    finally:
        await nc.close()


async def _ensure(url: str) -> None:
    nc = await nats.connect(url)
    try:
        await ensure_streams(nc.jetstream())
    finally:
        await nc.close()


@pytest.fixture
def hub(hub_url: str) -> str:
    """URL of a real nats-server that has the BT_EVENTS and BT_DEAD streams."""
    asyncio.run(_ensure(hub_url))
    return hub_url


@pytest.fixture
def read_stream():  # type: ignore[no-untyped-def]
    """Read back every frame in BT_EVENTS of a hub (subjects, msg ids, events)."""
    return lambda url: asyncio.run(_read_stream(url))
